"""What `moa run` needs from the store before its first call, read with stdlib sqlite3 (milliseconds).

Opening the store (SQLAlchemy, sqlmodel, the schema check) costs about 0.3 s of CPU: paid before the first
request it delayed every run (issue 26). The aggregator template (a Setting) and the price overrides are two
small reads, made here on the SQLite file itself; the store is then opened alongside the run
(`storage.deferred`). This is also the cheap check that the database can be used at all, so a run that could not
be recorded fails before any call. Anything this path cannot vouch for (PostgreSQL, a database not at the newest
revision, a URL it cannot read) answers None: the caller opens the store first, as before.
"""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from ..logs import data_dir
from .revisions import head_revision


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
    """The file of a `sqlite:///PATH` URL (None for anything else, e.g. PostgreSQL or `:memory:`)."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = unquote(url[len("sqlite:///"):])
    return None if not path or path == ":memory:" else Path(path).expanduser()


def read_settings(keys: tuple[str, ...]) -> StoredSettings | None:
    """These settings and every price override from the default SQLite database; an empty result when it does
    not exist yet (the store creates it). None when only the store can answer (see the module docstring).
    Raises QuickReadError when the database cannot be used (its folder or file not writable, not a database)."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'moa.db'}"
    path = sqlite_path(url)
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
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables:
                return None  # new or foreign: the store decides
            versions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
            if versions != [head_revision()]:
                return None  # a migration is due: the store must open (and upgrade) first
            marks = ",".join("?" * len(keys))
            settings = {k: json.loads(v) for k, v in conn.execute(
                f"SELECT key, value FROM setting WHERE key IN ({marks})", keys) if v is not None}
            prices = {m: (float(i), float(o)) for m, i, o in conn.execute(
                "SELECT model, input_per_token, output_per_token FROM priceoverride ORDER BY model")}
    except sqlite3.Error as exc:
        raise QuickReadError(f"cannot open database {path}: {exc}") from None
    return StoredSettings(settings, prices)
