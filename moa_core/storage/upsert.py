"""Insert-or-update in one SQL statement, for rows written often (calls, cached answers).

The ORM's `merge` reads the row by its key, builds an object and flushes it: several times the
CPU of one `INSERT ... ON CONFLICT`, which SQLite and PostgreSQL both speak. The statement is
built once per table and mode and run with each write's values, so SQLAlchemy compiles it once:
on a batch of a thousand calls, that CPU is what the calls wait for.
"""
from __future__ import annotations

from functools import cache
from typing import Any, Iterable

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def upsert(session: Session, model: type, rows: Iterable[dict[str, Any]], *, only_if: ColumnElement[bool] | None = None) -> None:
    """Write `rows` (every column's value, as `model_dump()` gives them): a new key is inserted, an
    existing one updated, or only where `only_if` holds (pass a module-level expression: the
    statement is cached per expression)."""
    rows = list(rows)
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:  # another database: the ORM's slower way (`only_if` not applied)
        for row in rows:
            session.merge(model(**row))
        return
    session.execute(_statement(dialect, model, only_if), rows)


@cache
def _statement(dialect: str, model: type, only_if: ColumnElement[bool] | None):
    table = model.__table__
    keys = [c.name for c in table.primary_key]
    statement = _INSERTS[dialect](table)
    changed = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=changed, where=only_if)
