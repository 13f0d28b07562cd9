"""The store as a batch's event loop sees it: every write goes to one thread, in order.

A batch has dozens of runs in flight on one event loop; a store write made on the loop (the
run's events) would stall all of them while SQLite's write lock is busy. Here `observe` only
queues the event, claims and closes of items queue behind it, and `drain` waits (without
blocking the loop) until everything queued so far is written, so an item is marked done only
after its run is stored.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable

from ..records import CallFailed, CallFinished, RunFinished, RunStarted

RECORDED = (RunStarted, CallFinished, CallFailed, RunFinished)  # the events the store writes


class ReadOnceCatalog:
    """The store's catalog for one batch: prices and settings read once (they do not change mid-batch,
    and every run asks for the aggregator prompt); every other verb passes through."""

    def __init__(self, catalog):
        self._catalog = catalog
        self._prices = catalog.price_book()
        self._settings: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    def price_book(self):
        return self._prices

    def get_setting(self, key: str, default: Any = None) -> Any:
        if key not in self._settings:
            self._settings[key] = self._catalog.get_setting(key, None)
        value = self._settings[key]
        return default if value is None else value


class QueuedCache:
    """The store's cache for one batch: `save` is queued like every other write (no second thread
    competing for SQLite's lock); reads pass through."""

    def __init__(self, cache, writer: ThreadPoolExecutor):
        self._cache, self._writer = cache, writer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)

    def save(self, *args, **kwargs) -> None:
        self._writer.submit(self._cache.save, *args, **kwargs)


class LoopSafeStore:
    """Wraps a RunStore: reads and other verbs pass through; `observe` and `write` are queued."""

    def __init__(self, store):
        self._store = store
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="moa-batch-writer")
        self.catalog = ReadOnceCatalog(store.catalog)
        self.cache = QueuedCache(store.cache, self._writer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def observe(self, event) -> None:
        if isinstance(event, RECORDED):  # token deltas and retries are not stored: no thread hop for them
            self._writer.submit(self._store.observe, event)


    async def write(self, fn: Callable, *args, **kwargs) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer, partial(fn, *args, **kwargs))

    async def drain(self) -> None:
        await self.write(lambda: None)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
