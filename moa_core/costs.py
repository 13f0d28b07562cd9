"""What a run cost in time and money: the critical path (the article's latency model) and call costs.

Unknown stays unknown: a call that used tokens at an unknown price makes a total None, never 0.
A cache hit paid nothing (`cost_usd` 0) for an answer bought earlier: `original_cost` is what that
answer cost when it was bought (`saved_usd`), which is what the system costs; `saved_total` is
what the cache saved. On the ground floor beside `records`, whose run totals use it: it types calls
by the fields it reads (`Call`), so it imports nothing of moa_core and `records` can import it.
"""
from __future__ import annotations

from typing import Iterable, Protocol


class Call(Protocol):
    """What the figures read of a call (`records.CallRecord` has it all)."""

    role: str
    round: int
    cost_usd: float | None
    prompt_tokens: int | None
    completion_tokens: int | None

    @property
    def duration_s(self) -> float | None: ...


def critical_path_calls(calls: Iterable["Call"]) -> list["Call"]:
    """The calls the answer waited for: the slowest proposer of each round, then the synthesis.

    Latency = max(proposers) per round + aggregator. Cancelled stragglers end when the quorum
    was reached, so they count only up to that point; the baseline runs beside and is not on it.
    """
    slowest: dict[int, "Call"] = {}
    tail = []
    for call in calls:
        if call.duration_s is None:
            continue
        if call.role == "proposer":
            best = slowest.get(call.round)
            if best is None or call.duration_s > best.duration_s:
                slowest[call.round] = call
        elif call.role in ("aggregator", "fallback"):
            tail.append(call)
    return [slowest[r] for r in sorted(slowest)] + tail


def critical_path(calls: Iterable["Call"]) -> float | None:
    """Seconds on the critical path, None when no call on it has finished."""
    path = critical_path_calls(calls)
    return sum(c.duration_s for c in path) if path else None


def call_cost(call: "Call") -> float | None:
    """A call's cost as totals count it: no tokens used costs nothing, tokens at an unknown price are unknown."""
    if call.cost_usd is None and (call.prompt_tokens or 0) + (call.completion_tokens or 0) == 0:
        return 0.0
    return call.cost_usd


def total_cost(calls: Iterable["Call"]) -> float | None:
    """Known costs add up; one priced-unknown call that consumed tokens makes the total unknown."""
    total = 0.0
    for call in calls:
        cost = call_cost(call)
        if cost is None:
            return None
        total += cost
    return total


def original_cost(call: "Call") -> float | None:
    """What the call's answer cost when it was bought: its own cost, or for a cache hit the first call's."""
    if not getattr(call, "cached", False):
        return call_cost(call)
    saved = getattr(call, "saved_usd", None)
    if saved is None and (call.prompt_tokens or 0) + (call.completion_tokens or 0) > 0:
        return None
    return saved or 0.0


def original_total(calls: Iterable["Call"]) -> float | None:
    """What the answers cost when they were bought (cache hits at their original cost); None if unknown."""
    costs = [original_cost(c) for c in calls]
    return None if any(c is None for c in costs) else sum(costs)


def saved_total(calls: Iterable["Call"]) -> float | None:
    """What cache hits saved: their original cost; 0 without hits, None when a hit's price was unknown."""
    return original_total(c for c in calls if getattr(c, "cached", False))
