"""The MoA run, as the method reads: proposers answer (in rounds), the aggregator synthesizes,
and when MoA cannot answer well, the fallback answers alone.

`stream_run` yields events while the run goes on (for the CLI, a notebook, the app);
`run_moa` drives it to the end and returns the `RunRecord`. One call with its retries lives in
`calls`, the quorum in `quorum`, the checks before a run in `preflight`.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator, Callable, Sequence

from ..conversation import Thread
from ..documents import Document
from ..lineup import Lineup
from ..logs import log_traceback
from ..prompts import user_content
from ..providers import endpoints
from ..providers.llm import describe_error
from ..providers.warmup import warm_up
from ..providers.prices import PriceBook
from ..records import CallRecord, Event, RunFinished, RunRecord, RunStarted
from ..costs import total_cost
from .adaptive import RoundCheck, check_round, saved_note, stop_reason
from .calls import make_call, new_call
from .preflight import RunInputError, preflight
from .quorum import until_quorum
from .state import RunState


async def _orchestrate(run: RunState) -> None:
    lineup, record = run.lineup, run.record
    user = user_content(record.query, documents=record.prompt_documents())
    baseline = asyncio.create_task(make_call(run, new_call(run, "baseline", 1, 0, lineup.baseline, user))) \
        if lineup.baseline else None
    try:
        proposals: list[CallRecord] = []
        shortfall, check = None, None
        for round_no in range(1, lineup.round_limit + 1):
            proposals = await _proposer_round(run, round_no, user, proposals)
            record.rounds_run = round_no
            if len(proposals) < lineup.min_proposals:
                shortfall = (f"only {len(proposals)} of {len(lineup.proposers)} proposals succeeded in round "
                             f"{round_no} (minimum {lineup.min_proposals})") + _first_error(run.record, round_no)
                break
            if lineup.adaptive and (check := _enough_rounds(run, round_no, proposals, check)) is None:
                break
        reason = shortfall or await _aggregate(run, user, proposals)
        if reason:
            await _fall_back(run, user, reason)
        if baseline:
            await baseline
    finally:
        if baseline and not baseline.done():
            baseline.cancel()


def _enough_rounds(run: RunState, round_no: int, proposals: list[CallRecord],
                   previous: RoundCheck | None) -> RoundCheck | None:
    """Adaptive rounds: None when no further round is needed (the record says why), else this round's check."""
    lineup, record = run.lineup, run.record
    current = check_round([c.text for c in proposals])
    why = "reached max_rounds" if round_no >= lineup.round_limit else stop_reason(current, previous)
    if why is None:
        return current
    round_calls = record.calls_for("proposer", round_no)
    cost = total_cost(round_calls)
    record.rounds_note = (f"stopped after round {round_no} of at most {lineup.round_limit}: {why}; "
                          f"{saved_note(round_no, lineup.round_limit, len(lineup.proposers), cost)}")
    return None


def _first_error(record: RunRecord, round_no: int) -> str:
    """The cause a one-line failure must name: the first failed proposer's error."""
    failed = [c for c in record.calls_for("proposer", round_no) if c.status == "failed" and c.error]
    return f"; first error: {failed[0].label}: {failed[0].error}" if failed else ""


async def _proposer_round(run: RunState, round_no: int, user: str, previous: list[CallRecord]) -> list[CallRecord]:
    """Every proposer answers (seeing the previous round's proposals after round 1); returns the good ones."""
    references = [(c.label, c.text) for c in previous] if round_no > 1 else None
    records = [
        new_call(run, "proposer", round_no, i, spec, user, references)
        for i, spec in enumerate(run.lineup.proposers)
    ]
    tasks = [asyncio.create_task(make_call(run, r)) for r in records]
    await until_quorum(run.lineup, records, tasks)
    return [r for r in records if r.ok]


async def _aggregate(run: RunState, user: str, proposals: list[CallRecord]) -> str | None:
    """Synthesize the last round; returns why it failed, or None when the run has its answer."""
    lineup, record = run.lineup, run.record
    references = [(c.label, c.text) for c in proposals]
    call = await make_call(run, new_call(run, "aggregator", record.rounds_run or 1, 0, lineup.aggregator, user,
                                        references))
    if not call.ok:
        return f"aggregator failed: {call.error}"
    n = len(lineup.proposers)
    record.final = call.text
    record.synthesized_from, record.proposers_total = len(proposals), n
    proposer_calls = record.calls_for("proposer")
    failed = [c for c in proposer_calls if c.status == "failed"]
    cancelled = [c for c in proposer_calls if c.status == "cancelled"]
    record.status = "partial" if failed else "ok"  # stragglers a quorum cancelled are by design, not failures
    record.note = f"synthesized from {len(proposals)} of {n} proposals"
    if record.rounds_note:
        record.note += f"; {record.rounds_note}"
    if failed:
        record.note += "; failed: " + "; ".join(f"{c.label} (round {c.round}): {c.error}" for c in failed)
    if cancelled:
        record.note += "; " + "; ".join(f"{c.label} (round {c.round}) {c.error}" for c in cancelled)
    return None


async def _fall_back(run: RunState, user: str, reason: str) -> None:
    """The article's PM checklist, item 6: when MoA cannot answer well, one model answers alone."""
    lineup, record = run.lineup, run.record
    if lineup.fallback is None:
        record.status, record.error, record.note = "failed", reason, f"failed: {reason}; no fallback model configured"
        return
    call = await make_call(run, new_call(run, "fallback", record.rounds_run or 1, 0, lineup.fallback, user))
    if call.ok:
        record.status, record.final = "fallback", call.text
        record.note = f"fallback: {reason}; answered by {call.label} alone"
    else:
        record.status, record.error = "failed", f"{reason}; fallback {call.label} failed too: {call.error}"
        record.note = f"failed: {record.error}"


async def stream_run(query: str, lineup: Lineup, *, document: Document | None = None,
                     documents: Sequence[Document] | None = None, on_overflow: str = "refuse",
                     prices: PriceBook | None = None, run_id: str | None = None,
                     thread: Thread | None = None, limiter: Callable | None = None,
                     cache=None, stream: bool = True) -> AsyncIterator[Event]:
    """Run MoA and yield its events live; the last event is always `RunFinished`.

    `documents` (or `document=`, one) are fenced into every prompt, each under its name; documents
    over a seat's context window are refused (`on_overflow="refuse"`) or fitted to it ("fit").
    With `thread`, the run is a follow-up: every call sees the conversation so far. `limiter` and
    `cache` are the batch runner's hooks (see `RunState`); a single run passes neither. With
    `stream=False` the calls are not streamed (no TokenDelta events, no time to first token).
    Raises `RunInputError` before any call when the run cannot start.
    """
    history = thread.history() if thread else []
    docs = preflight(query, lineup, [*([document] if document else []), *(documents or [])], history, on_overflow)
    await warm_up()
    targets, windows = {}, {}
    for role, spec in lineup.all_specs():
        try:
            targets[id(spec)] = await asyncio.to_thread(endpoints.resolve, spec)
        except Exception as exc:  # e.g. the embedded model cannot start: say which seat, no traceback
            raise RunInputError(f"{role} {spec.model} cannot be reached: {exc}") from exc
        windows[id(spec)] = endpoints.context_window(spec)
    record = RunRecord(query=query, lineup=lineup.to_dict(), documents=docs)
    if run_id:
        record.run_id = run_id
    if thread is not None:
        record.parent_run_id, record.thread_id = thread.parent_run_id, thread.thread_id
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    run = RunState(record, lineup, queue.put_nowait, targets, windows, prices or PriceBook(), history,
                   limiter=limiter, cache=cache, stream=stream)

    async def drive() -> None:
        try:
            await _orchestrate(run)
        except asyncio.CancelledError:
            record.status, record.note = "interrupted", "interrupted before it finished"
            raise
        except Exception as exc:  # a bug must still close the run with a readable reason; the traceback is logged
            log_traceback(exc, f"run {record.run_id} failed: internal error")
            record.status, record.error = "failed", f"internal error: {describe_error(exc)}"
            record.note = record.error
        finally:
            record.wall_s = run.now()
            queue.put_nowait(RunFinished(record))
            queue.put_nowait(None)

    yield RunStarted(record)
    task = asyncio.create_task(drive())
    try:
        while (event := await queue.get()) is not None:
            yield event
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def run_moa(query: str, lineup: Lineup, *, document: Document | None = None,
                  documents: Sequence[Document] | None = None, on_overflow: str = "refuse",
                  prices: PriceBook | None = None, on_event: Callable[[Event], None] | None = None) -> RunRecord:
    """Run MoA to the end and return its record; `on_event` sees every event as it happens."""
    record = None
    async for event in stream_run(query, lineup, document=document, documents=documents, on_overflow=on_overflow,
                                  prices=prices):
        if on_event:
            on_event(event)
        if isinstance(event, RunFinished):
            record = event.run
    assert record is not None
    return record


def run_moa_sync(query: str, lineup: Lineup, **kwargs) -> RunRecord:
    """For notebooks and scripts without an event loop."""
    return asyncio.run(run_moa(query, lineup, **kwargs))
