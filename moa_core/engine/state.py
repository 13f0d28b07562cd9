"""What one run's calls share while it goes on: the record, the clock, where events go, endpoints."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..lineup import Lineup
from ..providers.llm import Target
from ..providers.prices import PriceBook
from ..records import Event, RunRecord


@dataclass
class RunState:
    """What one run's calls share: the record, the clock, where events go, resolved endpoints."""

    record: RunRecord
    lineup: Lineup
    emit: Callable[[Event], None]
    targets: dict[int, Target]
    windows: dict[int, int | None]  # context window per seat, None = unknown
    prices: PriceBook
    history: list[dict[str, str]] = field(default_factory=list)  # earlier turns of a conversation
    t0: float = field(default_factory=time.monotonic)
    # Optional hooks for batch runs (see moa_core.batch): `limiter(record, spec)` is an async context
    # manager held around each attempt (concurrency and rate limits); `cache` answers repeated requests.
    limiter: Callable[..., Any] | None = None
    cache: Any = None
    # Batch runs have nobody watching tokens arrive: unstreamed calls cost litellm far less CPU.
    stream: bool = True
    stops: dict[str, tuple[str, ...]] = field(default_factory=dict)  # call_id -> a completion frame's stops
    _system_key: str | None = field(default=None, repr=False)

    @property
    def system_key(self) -> str:
        """Which system the calls belong to (part of a cached answer's key: a seat keeps its own samples)."""
        if self._system_key is None:
            from ..cache import system_key

            self._system_key = system_key(self.record.lineup)
        return self._system_key

    def now(self) -> float:
        return time.monotonic() - self.t0
