"""The response cache: an answer already paid for is not asked for again.

Built on the run store (litellm's own cache crashes on every hit in the pinned version). The
key is the sha256 of the exact request (the litellm model string, the endpoint, the messages
and every parameter that changes the answer) and of the seat that sent it: the system (its
lineup), the role, the seat's index and the round. A sampled answer belongs to its seat: two
seats that send the same request (Self-MoA's copies of one model, a baseline on a proposer's
model) each get their own answer, and a re-run gives each seat back its own. Only successful
answers are kept; a hit is recorded as a call with `cached=True`, cost 0, and `saved_usd` what
the original call cost. The engine calls `answer` before a call and `keep` after a successful one.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from .lineup import ModelSpec
from .providers.llm import Target
from .records import CallRecord

log = logging.getLogger(__name__)


def request_key(target: Target, messages: list[dict[str, Any]], temperature: float | None,
                max_tokens: int | None) -> str:
    """sha256 of the canonical request; the API key is never part of it (it does not change the answer)."""
    request = {"model": target.model, "api_base": target.api_base, "messages": messages,
               "temperature": temperature, "max_tokens": max_tokens,
               "extra": {k: v for k, v in sorted((target.extra or {}).items())}}
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Lineup settings that never change an answer: changing them must not throw the cached answers away.
_NOT_THE_SYSTEM = ("timeout_s", "max_retries", "quorum_deadline_s")


def system_key(lineup: dict[str, Any] | None) -> str:
    """The system a call belongs to: its run's lineup as recorded (a batch system's name is its lineup's name)."""
    data = {k: v for k, v in (lineup or {}).items() if k not in _NOT_THE_SYSTEM}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


class ResponseCache:
    """Reads and writes `CachedResponse` rows through the store, off the event loop."""

    def __init__(self, rows, accept=None):
        self.rows = rows  # the store's cache repository (`RunStore.cache`)
        self.accept = accept  # text -> bool: what counts as an answer here (a judge's needs a verdict)
        self.hits = 0
        self.misses = 0
        self._hit_keys: dict[str, int] = {}  # counted in memory, written once (`flush_hits`)
        self._rejected: set[str] = set()  # keys whose stored entry `accept` refused: `keep` replaces those
        self._warned = False

    @staticmethod
    def key_for(record: CallRecord, target: Target, spec: ModelSpec, system: str = "") -> str:
        """The request, and the seat that sent it (`system` from `system_key`, role, index, round)."""
        seat = {"request": request_key(target, record.messages, spec.temperature, spec.max_tokens),
                "system": system, "role": record.role, "index": record.index, "round": record.round}
        return hashlib.sha256(json.dumps(seat, sort_keys=True).encode("utf-8")).hexdigest()

    async def answer(self, record: CallRecord, target: Target, spec: ModelSpec, system: str = "") -> bool:
        """Fill `record` from the cache and return True, or return False (a miss: make the call)."""
        key = self.key_for(record, target, spec, system)
        try:
            row = await asyncio.to_thread(self.rows.lookup, key)
        except Exception as exc:  # an unreadable cache is a miss: never fail a call over the cache
            if not self._warned:
                self._warned = True
                log.warning("response cache unreadable, asking the models: %s", str(exc).splitlines()[0][:200])
            row = None
        if row is None or not (row.text or "").strip() or (self.accept and not self.accept(row.text)):  # a miss
            if row is not None and (row.text or "").strip():  # kept by an older rule (a judge reply without a
                self._rejected.add(key)                      # verdict): the next good answer replaces it
            self.misses += 1
            return False
        self.hits += 1
        self._hit_keys[key] = self._hit_keys.get(key, 0) + 1
        record.text, record.status, record.cached = row.text, "ok", True
        record.prompt_tokens, record.completion_tokens = row.prompt_tokens, row.completion_tokens
        record.cost_usd, record.saved_usd = 0.0, row.cost_usd
        record.first_token_s = record.started_s
        return True

    def flush_hits(self) -> None:
        """Add the counted hits to the stored rows (what `moa cache stats` and the saved amount show)."""
        counts, self._hit_keys = self._hit_keys, {}
        if counts:
            try:
                self.rows.count_hits(counts)
            except Exception:  # a statistic only
                pass

    async def keep(self, record: CallRecord, target: Target, spec: ModelSpec, system: str = "") -> None:
        """Keep a successful answer; a failure to write only costs a later cache miss. An entry another worker
        kept first stays, unless it is blank or `answer` found that `accept` refuses it: then it is replaced
        (otherwise a judge reply cached without a verdict by an older version was asked again forever)."""
        if not record.ok or record.cached or not record.text.strip() or (self.accept and not self.accept(record.text)):
            return
        key = self.key_for(record, target, spec, system)
        replace = key in self._rejected
        self._rejected.discard(key)
        try:
            await asyncio.to_thread(self.rows.save, key, record.model, record.text, record.prompt_tokens,
                                    record.completion_tokens, record.cost_usd, replace=replace)
        except Exception:  # the answer is already in hand: never fail a call over the cache
            pass
