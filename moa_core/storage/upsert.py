"""Insert-or-update in one SQL statement, for rows written often (calls, cached answers).

The ORM's `merge` reads the row by its key, builds an object and flushes it: several times the
CPU of one `INSERT ... ON CONFLICT`, which SQLite and PostgreSQL both speak. On a batch of a
thousand calls that CPU is what the calls wait for.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def upsert(session: Session, model: type, rows: Iterable[dict[str, Any]], *, update: bool = True,
           only_if: ColumnElement[bool] | None = None) -> None:
    """Write `rows` (dicts of column values) of `model`'s table: new keys are inserted; an existing
    key is updated with the new values (`update=False`: left as it is), or only where `only_if` holds."""
    rows = list(rows)
    if not rows:
        return
    table = model.__table__
    insert = _INSERTS.get(session.get_bind().dialect.name)
    if insert is None:  # another database: the ORM's slower way, same result
        for row in rows:
            if update or session.get(model, tuple(row[c.name] for c in table.primary_key)) is None:
                session.merge(model(**row))
        return
    statement = insert(table).values(rows)
    keys = [c.name for c in table.primary_key]
    if not update:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    else:
        changed = {name: statement.excluded[name] for name in rows[0] if name not in keys}
        statement = statement.on_conflict_do_update(index_elements=keys, set_=changed, where=only_if)
    session.execute(statement)
