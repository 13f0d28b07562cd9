"""One model answering alone, through the engine's own call (retries, limiter, cache, billing)
and recorded as a run like any other, so History, exports and the summary read it the same way.
The judge uses the same path without a store.
"""
from __future__ import annotations

import asyncio

from ..documents import Document
from ..engine.calls import make_call, new_call
from ..engine.preflight import RunInputError
from ..engine.state import RunState
from ..identity import single_identity
from ..lineup import Lineup, ModelSpec
from ..prompts import user_content
from ..providers import endpoints
from ..providers.prices import PriceBook
from ..records import CallFailed, CallFinished, Event, RunFinished, RunRecord, RunStarted


async def answer_alone(spec: ModelSpec, query: str, *, store=None, document: Document | None = None,
                       run_id: str | None = None, name: str | None = None, limiter=None, cache=None,
                       prices: PriceBook | None = None, timeout_s: float = 120.0,
                       max_retries: int = 3, stream: bool = True) -> RunRecord:
    """The run record of one call (role "baseline"); stored when `store` is given."""
    if not query.strip():
        raise RunInputError("the query is empty")
    key = endpoints.missing_key(spec)
    if key:
        raise RunInputError(f"{spec.model} needs an API key: set the environment variable {key}")
    try:
        target = await asyncio.to_thread(endpoints.resolve, spec)
    except Exception as exc:
        raise RunInputError(f"{spec.model} cannot be reached: {exc}") from exc
    # a one-seat lineup carries the engine's timeout and retries; its dict is what the run stores
    lineup = Lineup(proposers=[spec], aggregator=spec, baseline=spec, timeout_s=timeout_s, max_retries=max_retries)
    # named as every view names this model alone (`identity`): a run's baseline, a batch's single
    record = RunRecord(query=query, lineup={"name": name or single_identity(spec).name, "proposers": [],
                                            "baseline": spec.to_dict()},
                       document_name=document.name if document else None,
                       document_text=document.text if document else None)
    if run_id:
        record.run_id = run_id
    prices = prices or (store.catalog.price_book() if store is not None else PriceBook())

    def emit(event: Event) -> None:
        if store is not None and isinstance(event, (CallFinished, CallFailed)):
            store.observe(event)

    run = RunState(record, lineup, emit, {id(lineup.baseline): target}, {id(lineup.baseline): endpoints.context_window(spec)},
                   prices, limiter=limiter, cache=cache, stream=stream)
    if store is not None:
        store.observe(RunStarted(record))
    try:
        call = await make_call(run, new_call(run, "baseline", 1, 0, lineup.baseline,
                                             user_content(query, record.document_name, record.document_text)))
        record.status, record.final = ("ok", call.text) if call.ok else ("failed", "")
        record.error = None if call.ok else call.error
        record.note = ("answered alone" + (" (cached)" if call.cached else "")) if call.ok else f"failed: {call.error}"
    except asyncio.CancelledError:
        record.status, record.note = "interrupted", "interrupted before it finished"
        raise
    finally:
        record.wall_s = run.now()
        if store is not None:
            await asyncio.to_thread(store.observe, RunFinished(record))
    return record
