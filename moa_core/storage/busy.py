"""Short writes a person makes (a star rating, a vote) wait out another process's write lock.

SQLite lets one writer at a time; each attempt waits the busy timeout (`db.BUSY_TIMEOUT_MS`) for
the lock. Under load (several app processes on one file, a batch writing, 2 busy cores) a lock
can be held past it, and the rating or vote was lost with a `database is locked` traceback on
the page. Such a write is tried again a few times (it is one transaction, rolled back when it
fails, so a retry never doubles it); if the lock still does not go, one line, nothing stored.
Run writes have their own queue and retries (`writer.Writer`).
"""
from __future__ import annotations

import functools
import time
from typing import Any, Callable, TypeVar

from sqlalchemy.exc import OperationalError

from .db import StorageError

RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0)  # between attempts; each attempt also waits the busy timeout
F = TypeVar("F", bound=Callable[..., Any])


class DatabaseBusy(StorageError):
    """The write lock stayed with another process through every attempt; nothing was stored."""


def locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "sqlite_busy" in text


def retry_when_locked(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for delay in (*RETRY_DELAYS_S, None):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if not locked(exc):
                    raise
                if delay is None:
                    raise DatabaseBusy("the database is busy: another process kept its write lock through "
                                       f"{len(RETRY_DELAYS_S) + 1} attempts; not stored, try again") from None
                time.sleep(delay)
    return wrapper  # type: ignore[return-value]
