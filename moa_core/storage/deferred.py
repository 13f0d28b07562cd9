"""A store that opens alongside the run instead of before it (`moa run`, issue 26).

The run's events wait here, in order, until the store is open, then go to it in that order; from then on
they go straight through. What the run reads from the store before its first call (the aggregator template,
the price overrides) comes from `quick_read`, so nothing is skipped. `begin()` starts opening (import +
open, in a thread): the service calls it once a call has answered, so SQLAlchemy's imports compete with
the waiting for the network rather than with the first request's set-up.
If opening fails, `open_error` says why and the service stops the run at once: nothing half-recorded.
"""
from __future__ import annotations

import threading
from typing import Callable


class DeferredStore:
    def __init__(self, settings, opener: Callable[[], object] | None = None):
        self.catalog = settings  # `get_setting` / `price_book`, as read before the run
        self._opener = opener or _open_default
        self._store = None
        self._pending: list = []  # events observed before the store was open, in order
        self._lock = threading.Lock()
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None
        self.open_error: Exception | None = None

    def begin(self) -> None:
        """Start opening the store in a thread (once)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._open, name="moa-store-open", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        try:
            store = self._opener()
        except Exception as exc:  # StorageError, or anything opening raised: the service stops the run
            self.open_error = exc
            self._opened.set()
            return
        while True:  # hand over what waited, in order; the last batch under the lock, so no event overtakes
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._store = store
                    break
            for event in batch:
                store.observe(event)
        self._opened.set()

    def wait(self):
        """The open store (opening it now if no call started it); raises what opening raised."""
        self.begin()
        self._opened.wait()
        if self.open_error is not None:
            raise self.open_error
        return self._store

    def observe(self, event) -> None:
        """Straight to the store once open; before that, kept in order (the opening thread hands them over).
        `RunFinished` waits until the store is open and the run durable, as `RunStore.observe` does."""
        from ..records import RunFinished

        with self._lock:
            store = self._store
            if store is None:
                if self.open_error is not None:
                    return  # nothing was written: the service has stopped the run and says why
                self._pending.append(event)
        if store is not None:
            store.observe(event)
        elif isinstance(event, RunFinished):
            try:
                self.wait()  # the opening thread observes it with the rest, in order
            except Exception:
                pass

    def flush(self, timeout_s: float | None = None) -> bool:
        return self.wait().flush(timeout_s) if self.open_error is None else True

    def save_problem(self, run_id: str) -> str | None:
        return self.wait().save_problem(run_id) if self.open_error is None else None

    def close(self) -> None:
        if self._thread is not None and self.open_error is None:
            self.wait().close()


def _open_default():
    from .store import RunStore

    return RunStore.open_default()
