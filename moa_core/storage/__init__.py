"""Storage: every run, call, document and rating in SQLite by default, PostgreSQL for teams.

`RunStore.open_default()` is the way in; `observe` is the engine's event hook. The store keeps the
run verbs and one repository per concept: `store.catalog`, `.ratings`, `.votes`, `.queues`, `.batches`,
`.cache`, `.analytics`, `.jobs` (docs/architecture.md, "The store").
"""
from ..metrics.model_stats import ModelStats, model_stats
from .db import StorageError, data_dir, default_url
from .rows import RunSummary
from .store import RunStore

__all__ = ["ModelStats", "RunStore", "RunSummary", "StorageError", "data_dir", "default_url", "model_stats"]
