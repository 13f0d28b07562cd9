"""Alembic environment for the run store: always online, on the connection `db.migrate` hands in.

There is no alembic.ini: `db.alembic_config()` builds the Config in code and passes the
connection through `config.attributes`, so an installed app migrates itself at start-up.
"""
from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

from moa_core.storage import schema  # noqa: F401  (registers the tables on SQLModel.metadata)

# Any constant: every process that migrates this database waits on the same PostgreSQL lock.
_PG_MIGRATION_LOCK = 7_402_118_311


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through moa_core.storage.db.migrate(), which passes a connection")
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use db.migrate()")
run_migrations()
