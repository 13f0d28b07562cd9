"""Live view of a run in progress: one column per proposer streaming, then the synthesis and baseline."""
from __future__ import annotations

import time

import streamlit as st

from moa_core.lineup import Lineup
from moa_core.providers.prices import format_cost
from moa_core.records import (CallFailed, CallFinished, CallRecord, CallRetrying, CallStarted, Event, RunFinished,
                              TokenDelta)

from .safe_text import model_markdown, plain

REFRESH_S = 0.12  # per column; keeps the websocket calm while several streams arrive at once
PER_ROW = 4


def call_status(call: CallRecord, now_s: float | None = None) -> str:
    """One line: state, latency, tokens, cost, in the same words live and in history."""
    if call.status == "running":
        tokens = len(call.text.split())
        if call.text:
            return f":material/edit_note: streaming (round {call.round}) · {tokens} words"
        return f":material/hourglass_top: waiting (round {call.round})"
    if call.status == "ok":
        ttft = f" · first token {call.first_token_s - call.started_s:.2f}s" if call.first_token_s is not None else ""
        retries = f" · {call.attempts - 1} retries" if call.attempts > 1 else ""
        return (f":material/check_circle: {call.duration_s:.2f}s{ttft} · {call.completion_tokens or 0} tokens · "
                f"{format_cost(call.cost_usd)}{retries}")
    icon = ":material/stop_circle:" if call.status == "cancelled" else ":material/error:"
    return f"{icon} {call.status}: {plain(call.error or '')}"


class _Slot:
    def __init__(self, box, title: str):
        box.markdown(f"**{title}**")
        self.status = box.empty()
        self.body = box.empty()
        self.shown = 0.0

    def show(self, call: CallRecord, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.shown < REFRESH_S:
            return
        self.shown = now
        self.status.caption(call_status(call))
        self.body.markdown(model_markdown(call.text) or " ")


class LiveBoard:
    """Placeholders laid out before the first event; each event updates only its own slot."""

    def __init__(self, lineup: Lineup):
        self.banner = st.empty()
        self.banner.info(f"Running {len(lineup.proposers)} proposers × {lineup.rounds} round(s)…")
        self.slots: dict[tuple[str, int], _Slot] = {}
        specs = lineup.proposers
        for start in range(0, len(specs), PER_ROW):
            columns = st.columns(min(PER_ROW, len(specs) - start))
            for offset, column in enumerate(columns):
                i = start + offset
                box = column.container(border=True)
                self.slots[("proposer", i)] = _Slot(box, f"[{i + 1}] {specs[i].display_label}")
                self.slots[("proposer", i)].status.caption(":material/hourglass_top: waiting")
        finals = [("aggregator", f"Synthesis · {lineup.aggregator.display_label}")]
        if lineup.baseline:
            finals.append(("baseline", f"Baseline · {lineup.baseline.display_label}"))
        for column, (role, title) in zip(st.columns(len(finals)), finals):
            self.slots[(role, 0)] = _Slot(column.container(border=True), title)
            self.slots[(role, 0)].status.caption(":material/hourglass_top: waiting")
        self.fallback_box = st.container()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            return
        call = getattr(event, "call", None)
        if call is None:
            return
        slot = self._slot(call)
        if isinstance(event, TokenDelta):
            slot.show(call)
        elif isinstance(event, (CallStarted, CallFinished, CallFailed, CallRetrying)):
            slot.show(call, force=True)
            if isinstance(event, CallRetrying):
                slot.status.caption(f":material/refresh: retrying in {event.wait_s:.1f}s: {plain(event.error)}")

    def _slot(self, call: CallRecord) -> _Slot:
        key = (call.role, call.index if call.role == "proposer" else 0)
        if key not in self.slots:  # the fallback appears only when needed
            self.slots[key] = _Slot(self.fallback_box.container(border=True), f"Fallback · {call.label}")
        return self.slots[key]
