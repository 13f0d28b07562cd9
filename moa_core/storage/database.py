"""The one connection every repository of the store shares: the engine, its writer, short sessions.

`RunStore` opens a `Database` and hands it to each repository (catalog, ratings, votes, queues,
batches, cache, analytics, jobs). A repository holds nothing of its own but this: one engine per
database, so SQLite's single writer and the connection pool are shared, never doubled.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine
from sqlmodel import Session

from . import db


class Database:
    """An engine and its writer (transactions that take SQLite's write lock at once)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.writer = db.writer(engine)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One short write transaction, committed on leaving (rolled back on an exception)."""
        with Session(self.writer, expire_on_commit=False) as session, session.begin():
            yield session

    def read(self) -> Session:
        """A session for reads; its rows stay usable after it closes."""
        return Session(self.engine, expire_on_commit=False)


class Repository:
    """A store repository's base: the shared `Database`, with the engine for plain-column reads."""

    def __init__(self, database: Database):
        self.database = database
        self.engine = database.engine

    def _write(self):
        return self.database.write()

    def _read(self) -> Session:
        return self.database.read()
