"""How many calls a batch makes at once, and how fast per model: one shared semaphore for the
whole batch (`--concurrency`), and per-model token buckets for requests and tokens per minute
(providers' limits; a 429 that slips through is still retried by the engine with Retry-After).

`BatchLimiter` is the engine's `limiter` hook: an async context manager per call attempt.
"""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from ..providers.llm import count_tokens


@dataclass
class TokenBucket:
    """`capacity` units refilled evenly over a minute; `take(n)` waits until n are there."""

    per_minute: float
    level: float = -1.0
    stamp: float = field(default_factory=time.monotonic)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        if self.level < 0:
            self.level = self.per_minute

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.per_minute, self.level + (now - self.stamp) * self.per_minute / 60.0)
        self.stamp = now

    async def take(self, n: float) -> None:
        n = min(n, self.per_minute)  # a request larger than a minute's budget waits for a full bucket
        async with self._lock:  # first come, first served
            while True:
                self._refill()
                if self.level >= n:
                    self.level -= n
                    return
                await asyncio.sleep((n - self.level) * 60.0 / self.per_minute)


class BatchLimiter:
    """At most `concurrency` calls in flight across the batch, and each model within its rpm/tpm.

    `rate_limits` maps a model name to {"rpm": N, "tpm": N} (either may be missing).
    """

    def __init__(self, concurrency: int, rate_limits: dict[str, dict[str, Any]] | None = None):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._limits = dict(rate_limits or {})
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self.in_flight = 0
        self.max_in_flight = 0

    def _bucket(self, model: str, kind: str) -> TokenBucket | None:
        value = (self._limits.get(model) or {}).get(kind)
        if not value:
            return None
        key = (model, kind)
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(float(value))
        return self._buckets[key]

    @asynccontextmanager
    async def __call__(self, record, spec) -> AsyncIterator[None]:
        model = spec.model
        requests, tokens = self._bucket(model, "rpm"), self._bucket(model, "tpm")
        if requests:
            await requests.take(1)
        if tokens:
            await tokens.take(count_tokens(model, record.messages) + (spec.max_tokens or 0))
        async with self._slots:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1


def parse_rate_limits(data: Any) -> dict[str, dict[str, float]]:
    """Validate {"model": {"rpm": N, "tpm": N}}; raises ValueError naming the bad entry."""
    if data in (None, {}):
        return {}
    if not isinstance(data, dict):
        raise ValueError("rate_limits must be a table of model = {rpm = N, tpm = N}")
    out = {}
    for model, limits in data.items():
        if not isinstance(limits, dict) or set(limits) - {"rpm", "tpm"}:
            raise ValueError(f"rate_limits.{model}: expected rpm and/or tpm")
        for k, v in limits.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ValueError(f"rate_limits.{model}.{k} must be a positive number")
        out[model] = {k: float(v) for k, v in limits.items()}
    return out


def share_of(rate_limits: dict[str, dict[str, float]] | None, workers: int) -> dict[str, dict[str, float]]:
    """Each of `workers` processes started together gets 1/workers of every rpm and tpm, so that together
    they stay within the provider's limits."""
    return {model: {k: v / max(workers, 1) for k, v in limits.items()} for model, limits in (rate_limits or {}).items()}

