"""The MoA run, as the method reads: proposers answer (in rounds), the aggregator synthesizes.

`stream_run` yields events while the run goes on (for the CLI, a notebook, the app);
`run_moa` drives it to the end and returns the `RunRecord`. Retries, timing, cost and the
fallback hang off the calls; the loop itself stays short.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

from . import providers
from .lineup import Lineup, ModelSpec
from .llm import (CallError, RetryPolicy, Target, count_tokens, describe_error, is_retryable, retry_after_s,
                  stream_completion, warm_up)
from .prices import PriceBook
from .prompts import fold_system_into_user, messages_for, user_content
from .records import (CallFailed, CallFinished, CallRecord, CallRetrying, CallStarted, Event, RunFinished,
                      RunRecord, RunStarted, TokenDelta)


class RunInputError(ValueError):
    """The run cannot start: empty query, missing key, a prompt over a model's context window."""


@dataclass
class Document:
    name: str
    text: str


@dataclass
class _Run:
    """What one run's calls share: the record, the clock, where events go, resolved endpoints."""

    record: RunRecord
    lineup: Lineup
    emit: Callable[[Event], None]
    targets: dict[int, Target]
    windows: dict[int, int | None]  # context window per seat, None = unknown
    prices: PriceBook
    t0: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        return time.monotonic() - self.t0


# ---- the method ---------------------------------------------------------------------------

async def _orchestrate(run: _Run) -> None:
    lineup, record = run.lineup, run.record
    user = user_content(record.query, record.document_name, record.document_text)
    baseline = asyncio.create_task(_call(run, _record(run, "baseline", 1, 0, lineup.baseline, user))) \
        if lineup.baseline else None
    try:
        proposals: list[CallRecord] = []
        shortfall = None
        for round_no in range(1, lineup.rounds + 1):
            proposals = await _proposer_round(run, round_no, user, proposals)
            if len(proposals) < lineup.min_proposals:
                shortfall = (f"only {len(proposals)} of {len(lineup.proposers)} proposals succeeded in round "
                             f"{round_no} (minimum {lineup.min_proposals})")
                break
        reason = shortfall or await _aggregate(run, user, proposals)
        if reason:
            await _fall_back(run, user, reason)
        if baseline:
            await baseline
    finally:
        if baseline and not baseline.done():
            baseline.cancel()


async def _proposer_round(run: _Run, round_no: int, user: str, previous: list[CallRecord]) -> list[CallRecord]:
    """Every proposer answers (seeing the previous round's proposals after round 1); returns the good ones."""
    references = [(c.label, c.text) for c in previous] if round_no > 1 else None
    records = [
        _record(run, "proposer", round_no, i, spec, user, references)
        for i, spec in enumerate(run.lineup.proposers)
    ]
    tasks = [asyncio.create_task(_call(run, r)) for r in records]
    await _until_quorum(run.lineup, records, tasks)
    return [r for r in records if r.ok]


async def _aggregate(run: _Run, user: str, proposals: list[CallRecord]) -> str | None:
    """Synthesize the last round; returns why it failed, or None when the run has its answer."""
    lineup, record = run.lineup, run.record
    references = [(c.label, c.text) for c in proposals]
    call = await _call(run, _record(run, "aggregator", lineup.rounds, 0, lineup.aggregator, user, references))
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
    if failed:
        record.note += "; failed: " + "; ".join(f"{c.label} (round {c.round}): {c.error}" for c in failed)
    if cancelled:
        record.note += "; " + "; ".join(f"{c.label} (round {c.round}) {c.error}" for c in cancelled)
    return None


async def _fall_back(run: _Run, user: str, reason: str) -> None:
    """The article's PM checklist, item 6: when MoA cannot answer well, one model answers alone."""
    lineup, record = run.lineup, run.record
    if lineup.fallback is None:
        record.status, record.error, record.note = "failed", reason, f"failed: {reason}; no fallback model configured"
        return
    call = await _call(run, _record(run, "fallback", lineup.rounds, 0, lineup.fallback, user))
    if call.ok:
        record.status, record.final = "fallback", call.text
        record.note = f"fallback: {reason}; answered by {call.label} alone"
    else:
        record.status, record.error = "failed", f"{reason}; fallback {call.label} failed too: {call.error}"
        record.note = f"failed: {record.error}"


# ---- quorum ---------------------------------------------------------------------------------

async def _until_quorum(lineup: Lineup, records: list[CallRecord], tasks: list[asyncio.Task]) -> None:
    """Wait for the round; with a quorum or deadline, cancel the stragglers once it is met."""
    if lineup.quorum is None and lineup.quorum_deadline_s is None:
        await asyncio.gather(*tasks)
        return
    start = time.monotonic()
    pending = set(tasks)
    reason = ""
    while pending:
        timeout = None  # past the deadline without enough proposals: wait for the next one, do not spin
        if lineup.quorum_deadline_s is not None and time.monotonic() - start < lineup.quorum_deadline_s:
            timeout = start + lineup.quorum_deadline_s - time.monotonic()
        _, pending = await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        done_ok = sum(r.ok for r in records)
        if lineup.quorum is not None and done_ok >= lineup.quorum:
            reason = f"cancelled: quorum of {lineup.quorum} of {len(records)} reached"
            break
        past_deadline = lineup.quorum_deadline_s is not None and time.monotonic() - start >= lineup.quorum_deadline_s
        if past_deadline and done_ok >= lineup.min_proposals:
            reason = f"cancelled: deadline of {lineup.quorum_deadline_s:g}s passed with {done_ok} done"
            break
    for task, record in zip(tasks, records):
        if task in pending:
            record.error = reason
            task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


# ---- one call ---------------------------------------------------------------------------------

def _record(run: _Run, role: str, round_no: int, index: int, spec: ModelSpec, user: str,
            references: list[tuple[str, str]] | None = None) -> CallRecord:
    target = run.targets[id(spec)]
    messages = messages_for(user, system_prompt=spec.system_prompt, references=references,
                            template=run.lineup.aggregator_prompt)
    if target.system_in_user:
        messages = fold_system_into_user(messages)
    return CallRecord(role=role, round=round_no, index=index, model=spec.model, label=spec.display_label,
                      messages=messages, api_base=target.api_base, temperature=spec.temperature)


def _spec_of(run: _Run, record: CallRecord) -> ModelSpec:
    if record.role == "proposer":
        return run.lineup.proposers[record.index]
    return getattr(run.lineup, record.role)


async def _call(run: _Run, record: CallRecord) -> CallRecord:
    """Make one call with retries; never raises except on cancellation. The record tells the outcome."""
    spec, lineup = _spec_of(run, record), run.lineup
    target = run.targets[id(spec)]
    policy = RetryPolicy(max_retries=lineup.max_retries)
    run.record.calls.append(record)
    record.started_s = run.now()
    run.emit(CallStarted(record))

    def on_delta(text: str) -> None:
        if record.first_token_s is None:
            record.first_token_s = run.now()
        record.text += text
        run.emit(TokenDelta(record, text))

    try:
        _check_budget(record, target, run.windows[id(spec)])
        while True:
            record.attempts += 1
            try:
                done = await stream_completion(target, record.messages, temperature=spec.temperature,
                                               max_tokens=spec.max_tokens, timeout_s=lineup.timeout_s,
                                               on_delta=on_delta)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if record.attempts > policy.max_retries or not is_retryable(exc):
                    raise CallError(describe_error(exc)) from exc
                wait = policy.delay(record.attempts - 1, retry_after_s(exc))
                record.retry_errors.append(describe_error(exc))
                record.text, record.first_token_s = "", None
                run.emit(CallRetrying(record, describe_error(exc), wait))
                await asyncio.sleep(wait)
        record.prompt_tokens, record.completion_tokens = done.prompt_tokens, done.completion_tokens
        record.cost_usd = run.prices.cost(spec.model, done.prompt_tokens, done.completion_tokens,
                                          (spec.input_cost_per_token, spec.output_cost_per_token))
        record.ended_s = run.now()
        if not done.text.strip():
            raise CallError("empty response")
        record.status = "ok"
        run.emit(CallFinished(record))
    except asyncio.CancelledError:
        record.status, record.ended_s = "cancelled", run.now()
        record.error = record.error or "cancelled"
        run.emit(CallFailed(record))
        raise
    except Exception as exc:  # CallError, or anything unexpected: the run goes on without this call
        record.status = "failed"
        record.ended_s = record.ended_s if record.ended_s is not None else run.now()
        record.error = str(exc) if isinstance(exc, CallError) else describe_error(exc)
        _bill_partial(run, record, spec, target)
        run.emit(CallFailed(record))
    return record


def _bill_partial(run: _Run, record: CallRecord, spec: ModelSpec, target: Target) -> None:
    """A stream that broke after its first token was still billed: count what was sent and received."""
    if record.prompt_tokens is not None or record.first_token_s is None:
        return
    record.prompt_tokens = count_tokens(target.model, record.messages)
    record.completion_tokens = count_tokens(target.model, text=record.text) if record.text else 0
    record.cost_usd = run.prices.cost(spec.model, record.prompt_tokens, record.completion_tokens,
                                      (spec.input_cost_per_token, spec.output_cost_per_token))


def _check_budget(record: CallRecord, target: Target, window: int | None) -> None:
    """Never send a prompt the model cannot read (later rounds and the aggregator grow with the proposals)."""
    if window is None:
        return
    needed = count_tokens(target.model, record.messages)
    if needed > window:
        raise CallError(f"prompt is {needed:,} tokens but {record.model} accepts at most {window:,}; not sent")


# ---- entry points ------------------------------------------------------------------------------

def preflight(query: str, lineup: Lineup, document: Document | None = None) -> None:
    """Refuse a run that cannot work before any call is made: empty query, missing key, over budget."""
    if not query or not query.strip():
        raise RunInputError("the query is empty")
    for role, spec in lineup.all_specs():
        key = providers.missing_key(spec)
        if key:
            raise RunInputError(f"{role} {spec.model} needs an API key: set the environment variable {key}")
    user = user_content(query, document.name if document else None, document.text if document else None)
    for role, spec in lineup.all_specs():
        window = providers.context_window(spec)
        if window is None:
            continue
        needed = count_tokens(providers.litellm_model_for(spec), messages_for(user, system_prompt=spec.system_prompt))
        if needed > window:
            raise RunInputError(
                f"the prompt is {needed:,} tokens but {role} {spec.model} accepts at most {window:,}: "
                "shorten the document or pick a model with a larger context window")


async def stream_run(query: str, lineup: Lineup, *, document: Document | None = None,
                     prices: PriceBook | None = None, run_id: str | None = None) -> AsyncIterator[Event]:
    """Run MoA and yield its events live; the last event is always `RunFinished`.

    Raises `RunInputError` before any call when the run cannot start.
    """
    preflight(query, lineup, document)
    await warm_up()
    targets, windows = {}, {}
    for role, spec in lineup.all_specs():
        try:
            targets[id(spec)] = await asyncio.to_thread(providers.resolve, spec)
        except Exception as exc:  # e.g. the embedded model cannot start: say which seat, no traceback
            raise RunInputError(f"{role} {spec.model} cannot be reached: {exc}") from exc
        windows[id(spec)] = providers.context_window(spec)
    record = RunRecord(query=query, lineup=lineup.to_dict(),
                       document_name=document.name if document else None,
                       document_text=document.text if document else None)
    if run_id:
        record.run_id = run_id
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    run = _Run(record, lineup, queue.put_nowait, targets, windows, prices or PriceBook())

    async def drive() -> None:
        try:
            await _orchestrate(run)
        except asyncio.CancelledError:
            record.status, record.note = "interrupted", "interrupted before it finished"
            raise
        except Exception as exc:  # a bug must still close the run with a readable reason
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
                  prices: PriceBook | None = None, on_event: Callable[[Event], None] | None = None) -> RunRecord:
    """Run MoA to the end and return its record; `on_event` sees every event as it happens."""
    record = None
    async for event in stream_run(query, lineup, document=document, prices=prices):
        if on_event:
            on_event(event)
        if isinstance(event, RunFinished):
            record = event.run
    assert record is not None
    return record


def run_moa_sync(query: str, lineup: Lineup, **kwargs) -> RunRecord:
    """For notebooks and scripts without an event loop."""
    return asyncio.run(run_moa(query, lineup, **kwargs))
