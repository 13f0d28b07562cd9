"""Job notices: on PostgreSQL, a job put in the queue wakes idle workers at once (LISTEN/NOTIFY, issue 26).

Whatever queues a job (submitted, handed back, re-queued after a takeover) calls `notify_queued` in the
transaction that queues it: `pg_notify` is delivered at commit, never for a job rolled back, and PostgreSQL
folds repeats within one transaction into one notice. A worker's `JobListener` LISTENs on a connection of its
own, in a thread, and calls back on every notice; the worker's poll stays as the safety net (a notice sent
while the listener was reconnecting, or a pooler in transaction mode such as PgBouncer's, which passes no
notices). SQLite has no notices: its workers only poll (`Jobs.has_queued_jobs`, a cheap indexed read).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

CHANNEL = "moa_jobs"
WAIT_S = 0.5  # the listener looks at its stop flag this often while no notice comes
RETRY_FIRST_S, RETRY_MAX_S = 0.25, 5.0  # reconnect backoff: doubles from the first to the most
CONNECT_TIMEOUT_S = 5
# a network cut sends no FIN: TCP keepalives end the silent connection within ~25 s, so the listener reconnects
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


def has_notices(engine: Engine) -> bool:
    """Whether this database can wake workers (PostgreSQL); SQLite's workers poll."""
    return engine.dialect.name == "postgresql"


def notify_queued(session) -> None:
    """Tell listening workers a job is queued; sent when the caller's transaction commits (PostgreSQL only)."""
    if has_notices(session.get_bind()):
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class JobListener:
    """`LISTEN moa_jobs` in a daemon thread on its own connection; `on_notice()` for each notice, and once on
    every (re)connection, since notices sent while not listening are lost. Survives a database restart: it
    reconnects with backoff and says so in one line when the connection is lost and one when it is back."""

    def __init__(self, engine: Engine, on_notice: Callable[[], None], say: Callable[[str], None] | None = None,
                 *, retry_max_s: float = RETRY_MAX_S):
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        kwargs.pop("context", None)  # SQLAlchemy's adapters: this connection only listens
        self._connect = (tuple(args), {**KEEPALIVES, "connect_timeout": CONNECT_TIMEOUT_S,
                                       "application_name": "moa worker (job notices)", **kwargs})
        self._on_notice = on_notice
        self._say = say or (lambda line: None)
        self._retry_max_s = retry_max_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()  # set while LISTEN is in force (tests wait on it)
        self.connections = 0  # successful LISTENs so far (1 + reconnections)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="moa-job-notices", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop listening; returns within `timeout_s` even if a connection attempt hangs (the thread is a daemon:
        it never holds the process up)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _serve(self) -> None:
        import psycopg

        delay, down_since = RETRY_FIRST_S, None
        while not self._stop.is_set():
            try:
                args, kwargs = self._connect
                with psycopg.connect(*args, autocommit=True, **kwargs) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connections += 1
                    self.connected.set()
                    if down_since is not None:
                        self._say(f"job notices back (LISTEN {CHANNEL}) after {time.monotonic() - down_since:.1f} s")
                    delay, down_since = RETRY_FIRST_S, None
                    self._on_notice()  # a job queued while nobody listened is looked for now
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=WAIT_S):
                            self._on_notice()
            except Exception as exc:  # psycopg.Error, OSError: the database restarted or is unreachable
                self.connected.clear()
                if self._stop.is_set():
                    return
                first = (str(exc).splitlines() or [""])[0]
                if down_since is None:
                    down_since = time.monotonic()
                    line = (f"job notices lost (LISTEN {CHANNEL}: {type(exc).__name__}: {first}); "
                            "reconnecting, polling meanwhile")
                    log.warning("%s", line)
                    self._say(line)
                else:
                    log.debug("LISTEN %s: %s: %s", CHANNEL, type(exc).__name__, first)
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry_max_s)
        self.connected.clear()
