"""Storage: every run, call, document and rating in SQLite by default, PostgreSQL for teams.

`RunStore.open_default()` is the way in; `observe` is the engine's event hook. The store keeps the
run verbs and one repository per concept: `store.catalog`, `.ratings`, `.votes`, `.queues`, `.batches`,
`.cache`, `.analytics`, `.jobs` (docs/architecture.md, "The store").

The names below are loaded on first use (PEP 562): `moa run` reads its settings through
`storage.quick_read` (stdlib sqlite3) before its first call, and must not pay SQLAlchemy for that.
"""
import importlib

_WHERE = {"ModelStats": "..metrics.model_stats", "model_stats": "..metrics.model_stats", "RunStore": ".store",
          "RunSummary": ".run_summary", "StorageError": ".db", "data_dir": ".db", "default_url": ".db"}

__all__ = ["ModelStats", "RunStore", "RunSummary", "StorageError", "data_dir", "default_url", "model_stats"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
