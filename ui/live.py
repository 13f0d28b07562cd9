"""Live view of a run in progress, drawn from the database a few times a second.

The run is a job in the database's queue and a `moa worker` process runs it, writing each call's text
as it streams: any app process, any browser holding the `?run=` address draws the same run, and leaving,
reloading or restarting the app does not touch it.
"""
from __future__ import annotations

import time
from datetime import datetime

import streamlit as st

from moa_core.counts import count
from moa_core.providers.prices import format_cost
from moa_core.records import CallRecord, RunRecord, utcnow
from moa_core.storage.jobs import JobView

from .safe_text import model_markdown, plain

REFRESH_S = 0.6  # how often the live view redraws: often enough to watch, rare enough to cost little
PER_ROW = 4
NO_WORKER_AFTER_S = 10.0  # a job queued this long: say that a worker may be missing
STOP_WAIT_S = 3.0  # after Stop, how long the page waits for the worker to close the run before redrawing


def call_status(call: CallRecord, now_s: float | None = None) -> str:
    """One line: state, latency, tokens, cost, in the same words live and in history."""
    if call.status == "running":
        if call.retry_errors and not call.text:
            return (f":material/refresh: retrying (attempt {call.attempts + 1}) after: "
                    f"{plain(call.retry_errors[-1])}")
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


def seconds_since(when: datetime | None) -> float:
    return max(0.0, (utcnow() - when).total_seconds()) if when is not None else 0.0


def _box(title: str, call: CallRecord | None) -> None:
    st.markdown(f"**{plain(title)}**")
    if call is None:
        st.caption(":material/hourglass_top: waiting")
        return
    st.caption(call_status(call))
    st.markdown(model_markdown(call.text) or " ")


def queued_notice(job: JobView) -> None:
    """A job no worker has claimed yet; after NO_WORKER_AFTER_S, say that none may be running (the app
    itself never runs it)."""
    waited = seconds_since(job.created_at)
    hint = (" · no worker has taken it yet: is one running? (`moa worker`; `scripts/app.sh` starts one)"
            if waited > NO_WORKER_AFTER_S else "")
    st.info(f":material/hourglass_top: Queued for a worker… {waited:.0f} s{hint}")


def stop_button(store, job: JobView, *, key: str | None = None) -> None:
    """Stop: flag the job for its worker (a queued one is cancelled at once), wait up to STOP_WAIT_S for the
    worker to close the run, then redraw the whole page."""
    if st.button("Stop", key=key, icon=":material/stop_circle:", help="Stop the run: finished calls are kept "
                 "and the run is stored as cancelled"):
        store.jobs.request_cancel(job.id)
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline and (store.jobs.get_job(job.id) or job).active:
            time.sleep(0.2)
        st.rerun()


def render_live(job: JobView, record: RunRecord | None) -> None:
    """Queued or starting, then the proposers' latest round side by side and the synthesis and baseline as
    they stream, from the stored run (`record`, None until the worker has written it)."""
    if job.status == "queued":
        queued_notice(job)
        return
    if record is None:
        st.info(f":material/hourglass_top: Starting… {seconds_since(job.started_at):.0f} s")
        return
    lineup = record.lineup_snapshot
    calls = list(record.calls)
    done = sum(c.status != "running" for c in calls)
    seats = lineup.proposers
    rounds = f"up to {count(lineup.max_rounds, 'round')} (auto)" if lineup.adaptive else count(lineup.rounds, 'round')
    st.info(f":material/timer: Running {count(len(seats), 'proposer')} × {rounds} · "
            f"{seconds_since(record.started_at):.1f} s · {done} of {count(len(calls), 'call')} done · "
            "you can leave this page: the run goes on in a worker and is shown here when you come back")
    latest: dict[int, CallRecord] = {}
    for call in calls:
        if call.role == "proposer":
            latest[call.index] = call
    for start in range(0, len(seats), PER_ROW):
        row = list(range(start, min(start + PER_ROW, len(seats))))
        for column, i in zip(st.columns(len(row)), row):
            with column.container(border=True):
                _box(f"[{i + 1}] {seats[i].display_label}", latest.get(i))
    finals = [("aggregator", "Synthesis")] + ([("baseline", "Baseline")] if lineup.baseline else [])
    finals += [("fallback", "Fallback")] if any(c.role == "fallback" for c in calls) else []
    for column, (role, title) in zip(st.columns(len(finals)), finals):
        seat = lineup.seat(role)
        call = next((c for c in reversed(calls) if c.role == role), None)
        with column.container(border=True):
            _box(f"{title} · {seat.display_label if seat else '?'}", call)
