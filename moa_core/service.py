"""Run and record: the one way the CLI, the app and the batch runner start a MoA run.

It wires the engine to the store: prices and the saved aggregator prompt come from the store,
every event is recorded as it happens (by the store's writer thread, so database waits never
enter call timings) and handed to the observers (a live view), and a run
that is cancelled or torn down mid-way is still closed in the store (`interrupted` by
default), with its finished calls kept.
"""
from __future__ import annotations

import asyncio
from typing import Callable, Iterable, Sequence, Union

from .documents import Document
from .engine import stream_run
from .lineup import Lineup
from .prompts import AGGREGATOR_PROMPT_SETTING
from .records import CallStarted, Event, RunFinished, RunRecord, RunStarted

Observer = Callable[[Event], None]
StopStatus = Union[tuple[str, str], Callable[[], tuple[str, str]]]


def effective_lineup(lineup: Lineup, store) -> Lineup:
    """The aggregator template edited in Settings applies when the lineup has none of its own."""
    if store is not None and not lineup.aggregator_prompt:
        template = store.catalog.get_setting(AGGREGATOR_PROMPT_SETTING, None)
        if template:
            lineup.aggregator_prompt = template
    return lineup


async def run_and_record(query: str, lineup: Lineup, *, store=None, document: Document | None = None,
                         documents: Sequence[Document] | None = None, on_overflow: str = "refuse",
                         observers: Iterable[Observer] = (), run_id: str | None = None, thread=None,
                         on_stop: StopStatus = ("interrupted", "interrupted before it finished"),
                         limiter=None, cache=None, stream: bool = True) -> RunRecord:
    """Run to the end and return the record; `store=None` records nothing.

    `documents` (or `document=`, one) go with the run; `on_overflow` is "refuse" (documents over a
    seat's context window stop the run with the numbers) or "fit" (keep the most relevant passages).
    Raises `RunInputError` before any call when the run cannot start. If the run stops early
    (task cancelled, page torn down, Ctrl-C), the stored run gets `on_stop`: (status, note), or a
    function asked at that moment (a Stop button means "cancelled", a teardown "interrupted").
    `store` may be a `storage.deferred.DeferredStore` (`moa run`): it opens once a call has answered, and
    the run stops at once if it cannot. `limiter`, `cache` and `stream` are handed to the engine (batch runs:
    shared call limits, response cache, calls not streamed).
    """
    lineup = effective_lineup(lineup, store)
    started: RunRecord | None = None
    finished: RunRecord | None = None
    prices = store.catalog.price_book() if store is not None else None
    try:
        async for event in stream_run(query, lineup, document=document, documents=documents,
                                      on_overflow=on_overflow, prices=prices, run_id=run_id, thread=thread,
                                      limiter=limiter, cache=cache, stream=stream):
            if isinstance(event, RunStarted):
                started = event.run
                if thread is not None:  # before its first write and first call: the run carries them from the start
                    started.documents[:0] = thread.documents()
            if store is not None:
                if getattr(store, "open_error", None) is not None:  # a DeferredStore that could not open:
                    raise store.open_error  # stop at once rather than run on unrecorded
                if not isinstance(event, (RunStarted, CallStarted)) and hasattr(store, "begin"):
                    store.begin()  # a call has answered: open the store alongside the rest of the run
                if isinstance(event, RunFinished):  # durable before we return, without blocking the loop
                    await asyncio.to_thread(store.observe, event)
                else:
                    store.observe(event)  # queued for the store's writer thread: never waits on the database
            if isinstance(event, RunFinished):
                finished = event.run
            for sink in observers:
                sink(event)
    finally:
        if started is not None and finished is None:
            started.status, started.note = on_stop() if callable(on_stop) else on_stop
            if store is not None:
                store.observe(RunFinished(started))
    return finished
