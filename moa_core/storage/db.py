"""Where the database lives, how to connect to it, and bringing its schema up to date.

SQLite by default (one file under the data folder, WAL so the app can read while a run writes),
PostgreSQL when `DATABASE_URL` says so (a team sharing one instance). Migrations are alembic
revisions shipped inside this package and applied on open, so an installed app migrates itself.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..logs import APP_DIR_NAME, data_dir  # noqa: F401 (re-exported: the data folder is the log's folder too)
from .revisions import MIGRATIONS, head_revision  # noqa: F401 (re-exported; SQLAlchemy-free for storage.quick_read)

BUSY_TIMEOUT_MS = 5000  # how long a SQLite write waits for another process's lock before failing
_MIGRATING = threading.Lock()  # alembic's `context` is process-global: one upgrade at a time per process


class StorageError(RuntimeError):
    """The database cannot be opened or used; the message says which and why."""


def default_url() -> str:
    """`DATABASE_URL` when set, else the SQLite file `moa.db` in `data_dir()`."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'moa.db'}"


def normalize_url(url: str) -> str:
    """Plain `postgresql://` (what hosting services hand out) means psycopg 3 here, not psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<invalid database URL>"


def create(url: str) -> Engine:
    """An engine for `url`; for SQLite, creates the folder and sets the pragmas on every connection."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # never echo the URL: it may carry a password
        raise StorageError("invalid database URL (check DATABASE_URL: dialect://user:password@host:port/name)") from None
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except ImportError as exc:
            raise StorageError(f"cannot use database {describe(url)}: its driver is not installed ({exc}); "
                               "use sqlite:///PATH or postgresql+psycopg://...") from None
        except (ArgumentError, SQLAlchemyError) as exc:
            raise StorageError(f"cannot use database {describe(url)}: {exc}") from None
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the database folder {folder}: {exc.strerror or exc} "
                               "(check DATABASE_URL or MOA_DATA_DIR)") from None
        if not os.access(folder, os.W_OK):
            raise StorageError(f"the database folder {folder} is not writable (check DATABASE_URL or MOA_DATA_DIR)")
    engine = create_engine(url, connect_args={"check_same_thread": False})
    _sqlite_hooks(engine)
    return engine


def _sqlite_hooks(engine: Engine) -> None:
    """Pragmas per connection, and real transactions.

    Python's sqlite3 opens transactions only before DML, so DDL would run outside them and a
    read-then-write could fail with "database is locked" without waiting. We turn its implicit
    handling off and emit BEGIN ourselves (SQLAlchemy's documented recipe); writers ask for
    `BEGIN IMMEDIATE` via the `sqlite_begin` execution option so they queue on busy_timeout.
    """
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives the process being killed (only an OS crash or power cut can lose
        # the last commits), and no fsync per commit: a batch writes thousands of calls
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', '')}".strip())


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take SQLite's write lock at once (no-op elsewhere)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine


# ---- migrations -------------------------------------------------------------------------------

def alembic_config(connection=None):
    """A programmatic alembic Config: no alembic.ini, the scripts live in this package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None for a new database), read as alembic stores it."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision; cheap when it already is.

    Several processes may start at once: on PostgreSQL `env.py` holds an advisory lock, on
    SQLite the whole upgrade is one BEGIN IMMEDIATE transaction. SQLite's foreign keys are off
    while migrating, or batch mode's table copy-and-drop would cascade-delete child rows.
    """
    try:
        if current_revision(engine) == head_revision():
            return
        from alembic import command  # only an upgrade needs alembic (start-up speed)

        with _MIGRATING, writer(engine).connect() as conn:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    command.upgrade(alembic_config(conn), "head")
            finally:
                if sqlite:
                    conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open database {describe(str(engine.url))}: {exc.__class__.__name__}: "
                           f"{str(exc).splitlines()[0]}") from None
