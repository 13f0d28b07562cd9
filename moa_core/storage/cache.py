"""The response cache's rows: an answer already paid for, looked up by its request key, and what
it saved. A repository of `RunStore` (`store.cache`); `moa_core.cache.ResponseCache` decides what
is a hit and writes through this.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import delete, func, select, update

from .database import Repository
from .schema import Batch, BatchItem, CachedResponse, Document, EvalItem
from .upsert import upsert

_BLANK = func.trim(func.coalesce(CachedResponse.text, "")) == ""  # a cached answer that is no answer


class Cache(Repository):
    """Verbs over cached responses."""

    def answered_before(self, config_keys: Iterable[str]) -> set[tuple[str, str, str | None]]:
        """(config key, query, document sha256) of every eval item a system of that configuration answered in a
        batch that used the cache: a re-run of those items comes from the cache (the projection leaves them
        out). Nothing when the cache is empty (cleared)."""
        keys = sorted(set(config_keys))
        with self._read() as s:
            if not keys or not s.execute(select(func.count()).select_from(CachedResponse)).scalar_one():
                return set()
            rows = s.execute(select(BatchItem.config_key, EvalItem.query, Document.sha256, Batch.config)
                             .join(EvalItem, EvalItem.id == BatchItem.eval_item_id)
                             .join(Batch, Batch.id == BatchItem.batch_id)
                             .outerjoin(Document, Document.id == EvalItem.document_id)
                             .where(BatchItem.config_key.in_(keys), BatchItem.status == "done")).all()
        return {(k, q, sha) for k, q, sha, config in rows if (config or {}).get("cache", True)}

    def lookup(self, key: str) -> CachedResponse | None:
        """The cached answer for this request key (a read: hits are counted with `count_hits`)."""
        with self._read() as s:
            return s.get(CachedResponse, key)

    def count_hits(self, counts: dict[str, int]) -> None:
        """Add the hits a batch counted in memory (one write at its end, not one per hit)."""
        with self._write() as s:
            for key, n in counts.items():
                s.execute(update(CachedResponse).where(CachedResponse.key == key)
                          .values(hits=CachedResponse.hits + n))

    def save(self, key: str, model: str, text: str, prompt_tokens: int | None,
             completion_tokens: int | None, cost_usd: float | None, *, replace: bool = False) -> None:
        """A key another worker kept a moment earlier stays; a blank (corrupted) one is replaced, and so is
        any entry with `replace` (the cache found it is no answer by its own rule: `ResponseCache.accept`)."""
        entry = CachedResponse(key=key, model=model, text=text, prompt_tokens=prompt_tokens,
                               completion_tokens=completion_tokens, cost_usd=cost_usd).model_dump()
        with self._write() as s:
            upsert(s, CachedResponse, [entry], only_if=None if replace else _BLANK)

    def stats(self) -> dict[str, Any]:
        """Entries, hits and the dollars the hits saved (what `moa cache stats` shows)."""
        with self._read() as s:
            n, hits = s.execute(select(func.count(), func.coalesce(func.sum(CachedResponse.hits), 0))).one()
            saved = s.execute(select(func.coalesce(func.sum(CachedResponse.hits * CachedResponse.cost_usd), 0.0))
                              ).scalar_one()
        return {"entries": n, "hits": int(hits), "saved_usd": float(saved or 0.0)}

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        with self._write() as s:
            return s.execute(delete(CachedResponse)).rowcount
