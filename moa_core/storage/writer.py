"""A background writer: the store's run writes happen on one thread, in order, off the event loop.

A database write can wait seconds (SQLite's busy timeout while another process holds the write
lock, a slow network to PostgreSQL). Made on the event loop, that wait would stall every call in
flight and skew the very latencies the tool measures. Jobs are retried with backoff; a job that
still fails is handed to its `on_fail`, so the caller can keep the data elsewhere and say so.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)  # after the first attempt; each attempt may also wait busy_timeout

Job = Callable[[], None]
OnFail = Callable[[Exception], None]


class Writer:
    """A queue and the thread that drains it; `flush` waits until every submitted job is done."""

    def __init__(self, name: str = "moa-store-writer"):
        self._name = name
        self._queue: queue.Queue[tuple[Job, OnFail | None]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._idle = threading.Condition()
        self._pending = 0

    def submit(self, job: Job, on_fail: OnFail | None = None) -> None:
        with self._idle:
            self._pending += 1
        self._ensure_thread()
        self._queue.put((job, on_fail))

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every job submitted so far has been written (or given up); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout_s)

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            job, on_fail = self._queue.get()
            try:
                self._attempt(job, on_fail)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _attempt(self, job: Job, on_fail: OnFail | None) -> None:
        last: Exception | None = None
        for delay in (0.0, *RETRY_DELAYS_S):
            if delay:
                time.sleep(delay)
            try:
                job()
                return
            except SQLAlchemyError as exc:  # locked, connection lost, server gone: worth another try
                last = exc
            except Exception as exc:  # a bug in a job must not kill the writer thread
                last = exc
                break
        log.debug("store write failed for good: %s", last)
        if on_fail is not None:
            try:
                on_fail(last)
            except Exception:  # keeping the data elsewhere failed too; the caller sees the reason
                log.exception("store write fallback failed")
