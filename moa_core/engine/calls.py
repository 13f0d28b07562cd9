"""One call: the record of what is sent, retries with backoff, streaming (or not) into the record, and billing.

A call never raises (except on cancellation): its record says how it went, so a failed
proposer leaves the others' work intact. A stream that broke after tokens is still billed.
"""
from __future__ import annotations

import asyncio
from contextlib import nullcontext
from dataclasses import replace

from ..lineup import ModelSpec
from ..prompts import fold_system_into_user, messages_for
from ..providers.completion_frame import frame
from ..providers.llm import (CallError, RetryPolicy, Target, count_tokens, describe_error, is_retryable,
                             complete, retry_after_s, stream_completion)
from ..records import CallFailed, CallFinished, CallRecord, CallRetrying, CallStarted, TokenDelta
from .state import RunState


def new_call(run: RunState, role: str, round_no: int, index: int, spec: ModelSpec, user: str,
            references: list[tuple[str, str]] | None = None) -> CallRecord:
    target = run.targets[id(spec)]
    messages = messages_for(user, system_prompt=spec.system_prompt, references=references,
                            template=run.lineup.aggregator_prompt, history=run.history)
    framed = frame(messages) if target.completion_model else None
    if framed:  # a base model: the few-shot text is what is sent, and what the record shows
        messages = framed.messages
    elif target.system_in_user:
        messages = fold_system_into_user(messages)
    record = CallRecord(role=role, round=round_no, index=index, model=spec.model, label=spec.display_label,
                        messages=messages, api_base=target.api_base, temperature=spec.temperature)
    if framed:
        run.stops[record.call_id] = framed.stop
    return record


def spec_of(run: RunState, record: CallRecord) -> ModelSpec:
    if record.role == "proposer":
        return run.lineup.proposers[record.index]
    return getattr(run.lineup, record.role)


async def make_call(run: RunState, record: CallRecord) -> CallRecord:
    """Make one call with retries; never raises except on cancellation. The record tells the outcome."""
    spec, lineup = spec_of(run, record), run.lineup
    target = run.targets[id(spec)]
    send_to = replace(target, model=target.completion_model) if target.completion_model else target
    stop = list(run.stops.get(record.call_id, ())) or None
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
        if run.cache is not None and await run.cache.answer(record, target, spec, run.system_key):  # none sent
            record.ended_s = run.now()
            run.emit(CallFinished(record))
            return record
        while True:
            record.attempts += 1
            try:
                async with run.limiter(record, spec) if run.limiter else nullcontext():
                    if run.limiter and record.attempts == 1:  # the call starts when it is sent: a wait
                        record.started_s = run.now()  # for a slot or a rate limit is the run's, not the model's
                    asked = dict(temperature=spec.temperature, max_tokens=spec.max_tokens,
                                 timeout_s=lineup.timeout_s, stop=stop)
                    if run.stream:
                        done = await stream_completion(send_to, record.messages, on_delta=on_delta, **asked)
                    else:
                        done = await complete(send_to, record.messages, **asked)
                        record.text = done.text
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
        if run.cache is not None:  # only answers that succeeded are kept
            await run.cache.keep(record, target, spec, run.system_key)
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


def _bill_partial(run: RunState, record: CallRecord, spec: ModelSpec, target: Target) -> None:
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
