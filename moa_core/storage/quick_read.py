"""What `moa run` needs from the store before its first call, and `moa runs`' listing, read with stdlib sqlite3.

Opening the store (SQLAlchemy, sqlmodel, the schema check) costs about 0.3 s of CPU: paid before the first
request it delayed every run, and it was most of `moa runs`' time (issue 26). The aggregator template (a Setting)
and the price overrides are two small reads, made here on the SQLite file itself; the store is then opened
alongside the run (`storage.deferred`). This is also the cheap check that the database can be used at all, so a
run that could not be recorded fails before any call. `list_runs` reads the run listing with the store's own
queries and sums it up with the store's own function (`run_summary.summarise`). Anything this path cannot vouch
for (PostgreSQL, a database not at the newest revision, a URL it cannot read, for the listing also what the
store settles on open: a dead `running` run, runs kept in the fallback file) answers None: the caller opens the
store, as before.
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections import namedtuple
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, unquote

from ..logs import UNSAVED_RUNS_NAME, data_dir
from .liveness import run_is_dead
from .revisions import head_revision
from .run_summary import RunSummary, as_utc, contains_pattern, summarise, turn_numbers


class QuickReadError(RuntimeError):
    """The database cannot be used; the message is the one line the user sees."""


@dataclass
class StoredSettings:
    """The settings and price overrides as the store would return them (`Catalog` shaped: the service reads
    them through `get_setting` and `price_book` whichever it was handed)."""
    settings: dict = field(default_factory=dict)
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)

    def get_setting(self, key: str, default=None):
        return self.settings.get(key, default)

    def price_book(self):
        from ..providers.prices import PriceBook

        return PriceBook(overrides=self.prices)


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` URL (None for anything else, e.g. PostgreSQL, `:memory:`, or a path starting
    with `~`, which SQLite opens as it is written while the store creates the folder of its expansion)."""
    database = _sqlite_database(url)
    return None if database is None else Path(database)


def _sqlite_database(url: str) -> str | None:
    """The path of a `sqlite:///PATH` URL as SQLAlchemy reads it (its `URL.database`), None as `sqlite_path`."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = unquote(url[len("sqlite:///"):])
    return None if not path or path == ":memory:" or path.startswith("~") else path


def _default_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'moa.db'}"


def _current(conn: sqlite3.Connection) -> bool:
    """Whether the store would open this database as it is: made by the store and at the newest revision (else
    new or foreign, or a migration is due: the store decides, and upgrades first)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "alembic_version" not in tables:
        return False
    return [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")] == [head_revision()]


def _connect(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5))


def read_settings(keys: tuple[str, ...]) -> StoredSettings | None:
    """These settings and every price override from the default SQLite database; an empty result when it does
    not exist yet (the store creates it). None when only the store can answer (see the module docstring).
    Raises QuickReadError when the database cannot be used (its folder or file not writable, not a database)."""
    path = sqlite_path(_default_url())
    if path is None:
        return None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:  # the store creates missing folders: the first existing one must be writable
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise QuickReadError(f"the database folder {folder} is not writable (check DATABASE_URL or MOA_DATA_DIR)")
    if not path.exists():
        return StoredSettings()
    if not os.access(path, os.R_OK | os.W_OK):
        raise QuickReadError(f"cannot open database {path}: the file is not readable and writable by you")
    try:
        with _connect(path) as conn:
            if not _current(conn):
                return None
            marks = ",".join("?" * len(keys))
            settings = {k: json.loads(v) for k, v in conn.execute(
                f"SELECT key, value FROM setting WHERE key IN ({marks})", keys) if v is not None}
            prices = {m: (float(i), float(o)) for m, i, o in conn.execute(
                "SELECT model, input_per_token, output_per_token FROM priceoverride ORDER BY model")}
    except sqlite3.Error as exc:
        raise QuickReadError(f"cannot open database {path}: {exc}") from None
    return StoredSettings(settings, prices)


def list_runs(*, limit: int, status: str | None = None, model: str | None = None,
              search: str | None = None) -> tuple[str, list[RunSummary]] | None:
    """The default SQLite database's URL (as the store names it) and its run listing, newest first, exactly as
    `RunStore.list_runs` gives it (the same queries, filters and `summarise`). None when only the store can
    answer: see the module docstring; a file missing, unreadable or not a database is left to the store too, so
    its messages stay the ones the user sees."""
    database = _sqlite_database(_default_url())
    if database is None:
        return None
    path = Path(database)
    if not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
        return None
    if any(data_dir().glob(f"{UNSAVED_RUNS_NAME}*")):  # runs (or claims of them) the store's open would import
        return None
    try:
        with _connect(path) as conn:
            if not _current(conn) or _dead_runs(conn):
                return None
            conn.row_factory = _rows
            runs = _list(conn, limit, status, model, search)
            summaries = _summaries(conn, runs) if runs else []
    except (sqlite3.Error, ValueError, TypeError):  # a timestamp the store would not have written
        return None
    return f"sqlite:///{quote(database, safe=' +/')}", summaries  # the URL as SQLAlchemy renders it (store.url)


_ROW_TYPES: dict[tuple[str, ...], type] = {}


def _rows(cursor: sqlite3.Cursor, row: tuple) -> tuple:
    """Rows with attribute access, as SQLAlchemy's are: the shared summing-up reads `r.id`, `c.model`."""
    names = tuple(d[0] for d in cursor.description)
    kind = _ROW_TYPES.get(names) or _ROW_TYPES.setdefault(names, namedtuple("Row", names))
    return kind(*row)


def _when(text: str | None) -> datetime | None:
    """A timestamp column as SQLAlchemy reads it on SQLite (`fromisoformat`), in UTC."""
    return None if text is None else as_utc(datetime.fromisoformat(text))


def _dead_runs(conn: sqlite3.Connection) -> bool:
    """Whether the store's open would close a `running` run as interrupted (its figures change then)."""
    now = datetime.now(timezone.utc)
    return any(run_is_dead(owner, _when(updated), now)
               for owner, updated in conn.execute("SELECT owner, updated_at FROM run WHERE status = 'running'"))


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


def _list(conn: sqlite3.Connection, limit: int, status: str | None, model: str | None, search: str | None) -> list:
    """`run_listing.list_runs`' first query, as SQLAlchemy compiles it for SQLite."""
    where, params = [], []
    if status:
        where.append("run.status = ?")
        params.append(status)
    if model:
        where.append("run.id IN (SELECT call.run_id FROM call WHERE call.model = ?)")
        params.append(model)
    if search:
        where.append("lower(run.query) LIKE lower(?) ESCAPE '\\'")
        params.append(contains_pattern(search))
    sql = ("SELECT id, started_at, status, query, note, wall_s, critical_path_s, lineup_name, document_name, "
           "thread_id, parent_run_id FROM run" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY run.started_at DESC, run.id DESC LIMIT ? OFFSET 0")
    return [row._replace(started_at=_when(row.started_at)) for row in conn.execute(sql, (*params, limit))]


def _summaries(conn: sqlite3.Connection, runs: list) -> list[RunSummary]:
    """`run_listing.list_runs`' other queries (calls, ratings, turns), summed up by the same function."""
    ids = [r.id for r in runs]
    calls = conn.execute(
        "SELECT run_id, call_id, role, model, status, cost_usd, prompt_tokens, completion_tokens FROM call "
        f"WHERE call.run_id IN ({_marks(ids)}) ORDER BY call.run_id, call.position", ids).fetchall()
    ratings = [r._asdict() for r in conn.execute(
        "SELECT id, run_id, call_id, target, rater, stars FROM rating "
        f"WHERE rating.run_id IN ({_marks(ids)}) AND rating.stars IS NOT NULL", ids)]
    first = [r.thread_id for r in conn.execute(
        f"SELECT DISTINCT run.thread_id FROM run WHERE run.thread_id IN ({_marks(ids)})", ids)]
    threads = list({r.thread_id for r in runs if r.thread_id})
    thread_runs = conn.execute(
        f"SELECT run.id, run.thread_id FROM run WHERE run.thread_id IN ({_marks(threads)}) "
        "ORDER BY run.thread_id, run.started_at, run.id", threads).fetchall() if threads else []
    return summarise(runs, calls, ratings, turn_numbers(first, thread_runs))
