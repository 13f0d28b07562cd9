"""Live view of a run in progress, drawn from the background job's record a few times a second.

The run belongs to its worker thread (`moa_core.worker`), not to this script run: leaving the
page or reloading it does not stop it, and coming back draws it again from where it is.
"""
from __future__ import annotations

import time

import streamlit as st

from moa_core.counts import count
from moa_core.providers.prices import format_cost
from moa_core.records import CallRecord
from moa_core.worker import RunJob

from .safe_text import model_markdown, plain

REFRESH_S = 0.6  # how often the live view redraws: often enough to watch, rare enough not to slow the run
PER_ROW = 4


def call_status(call: CallRecord, now_s: float | None = None) -> str:
    """One line: state, latency, tokens, cost, in the same words live and in history."""
    if call.status == "running":
        if call.text:
            return f":material/edit_note: streaming (round {call.round}) · {count(len(call.text.split()), 'word')}"
        return f":material/hourglass_top: waiting (round {call.round})"
    if call.status == "ok":
        ttft = f" · first token {call.first_token_s - call.started_s:.2f}s" if call.first_token_s is not None else ""
        retries = f" · {count(call.attempts - 1, 'retry')}" if call.attempts > 1 else ""
        return (f":material/check_circle: {call.duration_s:.2f}s{ttft} · {count(call.completion_tokens or 0, 'token')} · "
                f"{format_cost(call.cost_usd)}{retries}")
    icon = ":material/stop_circle:" if call.status == "cancelled" else ":material/error:"
    partial = " (partial text below)" if call.status == "failed" and call.text else ""
    return f"{icon} {call.status}: {plain(call.error or '')}{partial}"


def _live_status(job: RunJob, call: CallRecord) -> str:
    """Like `call_status`, with a retry countdown that ends when the retry starts (never frozen)."""
    retry = job.retrying.get(call.call_id)
    if retry is not None and call.status == "running" and not call.text:
        error, at = retry
        left = at - time.monotonic()
        if left > 0:
            return f":material/refresh: retrying in {left:.1f}s: {plain(error)}"
        return f":material/refresh: retrying now (attempt {call.attempts + 1}) after: {plain(error)}"
    return call_status(call)


def _box(job: RunJob, title: str, call: CallRecord | None) -> None:
    st.markdown(f"**{plain(title)}**")
    if call is None:
        st.caption(":material/hourglass_top: waiting")
        return
    st.caption(_live_status(job, call))
    st.markdown(model_markdown(call.text) or " ")


def render_live(job: RunJob) -> None:
    """The proposers' latest round side by side, then the synthesis and baseline as they stream."""
    record = job.record
    if record is None:
        st.info(f":material/hourglass_top: Starting… {job.elapsed_s:.0f} s")
        return
    lineup = record.lineup
    calls = list(record.calls)
    done = sum(c.status != "running" for c in calls)
    seats = lineup.get("proposers") or []
    st.info(f":material/timer: Running {len(seats)} proposers × {lineup.get('rounds', 1)} round(s) · "
            f"{job.elapsed_s:.1f} s · {done} of {len(calls)} calls done · you can leave this page: "
            "the run goes on and is shown here when you come back")
    latest: dict[int, CallRecord] = {}
    for call in calls:
        if call.role == "proposer":
            latest[call.index] = call
    for start in range(0, len(seats), PER_ROW):
        row = list(range(start, min(start + PER_ROW, len(seats))))
        for column, i in zip(st.columns(len(row)), row):
            with column.container(border=True):
                label = seats[i].get("label") or seats[i].get("model", "?")
                _box(job, f"[{i + 1}] {label}", latest.get(i))
    finals = [("aggregator", "Synthesis")] + ([("baseline", "Baseline")] if lineup.get("baseline") else [])
    finals += [("fallback", "Fallback")] if any(c.role == "fallback" for c in calls) else []
    for column, (role, title) in zip(st.columns(len(finals)), finals):
        seat = lineup.get(role) or {}
        call = next((c for c in reversed(calls) if c.role == role), None)
        with column.container(border=True):
            _box(job, f"{title} · {seat.get('label') or seat.get('model', '?')}", call)
