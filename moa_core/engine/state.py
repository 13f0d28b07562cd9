"""What one run's calls share while it goes on: the record, the clock, where events go, endpoints."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

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
    t0: float = field(default_factory=time.monotonic)
    stops: dict[str, tuple[str, ...]] = field(default_factory=dict)  # call_id -> a completion frame's stops

    def now(self) -> float:
        return time.monotonic() - self.t0
