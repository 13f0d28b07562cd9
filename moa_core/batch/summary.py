"""A batch's figures per system: win rate with its interval, the length-controlled rating beside it,
cost, latency p50/p95, failures, cost per win, the judge's flip rate, and the recommendation:
the cheapest system whose win rate is within the interval of the best one.

Pure: plain rows in (answers and votes as dicts), plain dicts out. Loading is in `report`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from ..metrics.preference import Vote, pair_results, style_controlled_leaderboard, wilson_interval
from ..metrics.stats import percentile
from .judge import flip_rate


@dataclass
class SystemSummary:
    name: str
    kind: str = ""
    items: int = 0
    done: int = 0
    failed: int = 0
    cost_usd: float | None = 0.0  # None: some answer used a model without a price
    cost_per_item: float | None = None
    p50_s: float | None = None
    p95_s: float | None = None
    wins: int = 0
    losses: int = 0
    ties: int = 0
    win_rate: float | None = None  # of its decisive judged comparisons
    ci_low: float | None = None
    ci_high: float | None = None
    style_rating: float | None = None  # Bradley-Terry with length and markdown held equal (Elo scale)
    style_low: float | None = None
    style_high: float | None = None
    cost_per_win: float | None = None
    recommended: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(systems: list[dict], answers: list[dict], votes: list[dict], *, style_bootstrap: int = 100) -> dict:
    """`systems`: [{"name", "kind"}]; `answers`: batch_runs rows; `votes`: {prompt_id, system_a, system_b,
    winner, comment, rater_kind, a_text, b_text}. Returns {"systems": [...], "pairs": [...], "judge": {...},
    "recommended": name or None}."""
    by_name = {s["name"]: SystemSummary(s["name"], s.get("kind", "")) for s in systems}
    costs: dict[str, list] = defaultdict(list)
    walls: dict[str, list[float]] = defaultdict(list)
    for row in answers:
        out = by_name.setdefault(row["system"], SystemSummary(row["system"]))
        out.items += 1
        if row["status"] == "done":
            out.done += 1
            costs[out.name].append(row.get("cost_usd"))
            if row.get("wall_s") is not None:
                walls[out.name].append(row["wall_s"])
        elif row["status"] == "failed":
            out.failed += 1
    for name, out in by_name.items():
        spent = costs.get(name, [])
        out.cost_usd = None if any(c is None for c in spent) else sum(spent)
        out.cost_per_item = out.cost_usd / len(spent) if spent and out.cost_usd is not None else None
        out.p50_s, out.p95_s = percentile(walls.get(name, []), 50), percentile(walls.get(name, []), 95)
    _win_rates(by_name, votes)
    _style(by_name, votes, style_bootstrap)
    recommended = recommend(list(by_name.values()))
    for out in by_name.values():
        out.recommended = out.name == recommended
    judge_votes = [v for v in votes if v.get("rater_kind") == "judge"]
    flipped, judged = flip_rate([v.get("comment", "") for v in judge_votes])
    pairs = [p.to_dict() for p in pair_results(_metric_votes(votes))]
    return {"systems": [s.to_dict() for s in by_name.values()], "pairs": pairs, "recommended": recommended,
            "judge": {"judged": judged, "flipped": flipped, "flip_rate": flipped / judged if judged else None}}


def _win_rates(by_name: dict[str, SystemSummary], votes: list[dict]) -> None:
    for v in votes:
        for side, other in (("a", "b"), ("b", "a")):
            out = by_name.setdefault(v[f"system_{side}"], SystemSummary(v[f"system_{side}"]))
            if v["winner"] == side:
                out.wins += 1
            elif v["winner"] == other:
                out.losses += 1
            else:
                out.ties += 1
    for out in by_name.values():
        decisive = out.wins + out.losses
        if decisive:
            out.win_rate = out.wins / decisive
            out.ci_low, out.ci_high = wilson_interval(out.wins, decisive)
        if out.wins and out.cost_usd is not None:
            out.cost_per_win = out.cost_usd / out.wins


def _metric_votes(votes: Iterable[dict]) -> list[Vote]:
    return [Vote(v["prompt_id"], v["system_a"], v["system_b"], v["winner"], v.get("reviewer", ""),
                 v.get("a_text", ""), v.get("b_text", "")) for v in votes if v["system_a"] != v["system_b"]]


def _style(by_name: dict[str, SystemSummary], votes: list[dict], n_bootstrap: int) -> None:
    metric = _metric_votes(votes)
    if len({s for v in metric for s in (v.a, v.b)}) < 2:
        return
    for rating in style_controlled_leaderboard(metric, n_bootstrap=n_bootstrap).systems:
        out = by_name.get(rating.name)
        if out is not None:
            out.style_rating, out.style_low, out.style_high = rating.rating, rating.ci_low, rating.ci_high


def recommend(systems: list[SystemSummary]) -> str | None:
    """The cheapest system (per item) whose win rate lies within the best system's interval."""
    rated = [s for s in systems if s.win_rate is not None]
    if not rated:
        return None
    best = max(rated, key=lambda s: (s.win_rate, -(s.cost_per_item or 0)))
    close = [s for s in rated if s.win_rate >= (best.ci_low or 0) and s.cost_per_item is not None]
    if not close:
        return best.name
    return min(close, key=lambda s: (s.cost_per_item, -s.win_rate)).name
