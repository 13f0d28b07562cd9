"""A batch's figures per system: win rate with its interval, the length-controlled rating beside it,
cost, latency p50/p95, failures, cost per win, the judge's flip rate, and the recommendation:
the cheapest system whose win rate is within the interval of the best one.

Pure: plain rows in (answers and votes as dicts), plain dicts out. Loading is in `report`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from ..metrics.preference import MAX_HALF_WIDTH, MIN_DECISIVE, Vote, pair_results, too_few_to_call, wilson_interval
from ..metrics.stats import percentile
from ..metrics.style_control import style_controlled_leaderboard
from ..storage.batches import JUDGE_PREFIX, BatchAnswer
from .judge import flip_rate


@dataclass
class SystemSummary:
    name: str
    kind: str = ""
    items: int = 0
    done: int = 0
    failed: int = 0
    cost_usd: float | None = 0.0  # what its answers cost when bought (cache hits too); None: a model had no price
    cost_per_item: float | None = None  # cost_usd per answer: what the system costs, however this batch got it
    paid_usd: float | None = 0.0  # what this batch paid for them (a cache hit pays nothing)
    saved_usd: float | None = 0.0  # what the cache hits saved (their original cost)
    cached_items: int = 0  # answers with at least one cached call: not in the latency figures
    p50_s: float | None = None  # the calls' own time (critical path), over answers that asked the models
    p95_s: float | None = None
    queue_p50_s: float | None = None  # median wait for a concurrency slot or rate limit, apart from p50_s
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
    note: str = ""  # "too few to call" (the one rule of metrics.preference), or "" when the win rate can be called
    style_note: str = ""  # why there is no style-controlled rating, when the votes cannot separate style
    priced_now: str = ""  # models whose unknown costs are shown at current prices (set after the batch ran)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(systems: list[dict], answers: list[BatchAnswer], votes: list[dict], *,
              style_bootstrap: int = 100) -> dict:
    """`systems`: [{"name", "kind"}]; `answers`: `store.batches.batch_runs` answers; `votes`: {prompt_id, system_a,
    system_b, winner, rater_kind, judge_order1, judge_order2, a_text, b_text}. Returns {"systems": [...], "pairs": [...], "judge": {...},
    "recommended": name or None}."""
    by_name = {s["name"]: SystemSummary(s["name"], s.get("kind", "")) for s in systems}
    _costs_and_latency(by_name, answers)
    _win_rates(by_name, votes)
    _style(by_name, votes, style_bootstrap)
    recommended = recommend(list(by_name.values()))
    for out in by_name.values():
        out.recommended = out.name == recommended
    recommend_note = "" if recommended or not any(o.win_rate is not None for o in by_name.values()) else (
        f"no recommendation: too few votes to call (a system needs {MIN_DECISIVE} decisive votes and a 95% "
        f"interval within ±{100 * MAX_HALF_WIDTH:.0f} points)")
    judge_votes = [v for v in votes if v.get("rater_kind") == "judge"]
    flipped, judged = flip_rate([(v.get("judge_order1"), v.get("judge_order2")) for v in judge_votes])
    pairs = [p.to_dict() for p in pair_results(_metric_votes(votes))]
    return {"systems": [s.to_dict() for s in by_name.values()], "pairs": pairs, "recommended": recommended,
            "recommend_note": recommend_note,
            "judge": {"judged": judged, "flipped": flipped, "flip_rate": flipped / judged if judged else None}}


def _known_sum(values: list) -> float | None:
    return None if any(v is None for v in values) else sum(values)


def one_answer_per_item(answers: list[BatchAnswer]) -> list[BatchAnswer]:
    """One answer per (system, eval item): a set's batches answer the same items again (often from the
    cache), and counting each would make 54 items of an 18-question set. Kept: an answer that asked the
    models, else a cached one, else a failure; the first such in the given order. Rows without an
    eval item are all kept."""
    rank = {}
    for i, row in enumerate(answers):
        key = (row.system, row.eval_item_id)
        if key[1] is None:
            rank[("row", i)] = (0, i)
            continue
        score = (0 if not row.cached else 1) if row.status == "done" else 2
        if key not in rank or score < rank[key][0]:
            rank[key] = (score, i)
    keep = {i for _, i in rank.values()}
    return [row for i, row in enumerate(answers) if i in keep]


def _costs_and_latency(by_name: dict[str, SystemSummary], answers: list[BatchAnswer]) -> None:
    """Paid, saved and original cost per system, and latency over the answers that asked the models.

    A cached answer was bought earlier: it costs the system what it cost then (`saved_usd`), this batch
    paid nothing for it, and its 10 ms are no latency. `own_s` is the answer's own time (its critical
    path); `wall_s - own_s` is the wait for a concurrency slot or a rate limit. An answer without
    `own_s` reads as one whose wall time is its own."""
    paid: dict[str, list] = defaultdict(list)
    saved: dict[str, list] = defaultdict(list)
    own: dict[str, list[float]] = defaultdict(list)
    queue: dict[str, list[float]] = defaultdict(list)
    for row in one_answer_per_item(answers):
        out = by_name.setdefault(row.system, SystemSummary(row.system))
        out.items += 1
        if row.status == "failed":
            out.failed += 1
        if row.status != "done":
            continue
        out.done += 1
        paid[out.name].append(row.cost_usd)
        saved[out.name].append(row.saved_usd)
        for model in row.priced_now:
            if model not in out.priced_now.split(", "):
                out.priced_now = f"{out.priced_now}, {model}" if out.priced_now else model
        if row.cached:
            out.cached_items += 1
            continue
        wall, mine = row.wall_s, row.own_s
        if mine is None:
            mine, wall = wall, None
        if mine is not None:
            own[out.name].append(mine)
            if wall is not None:
                queue[out.name].append(max(0.0, wall - mine))
    for name, out in by_name.items():
        out.paid_usd, out.saved_usd = _known_sum(paid.get(name, [])), _known_sum(saved.get(name, []))
        out.cost_usd = None if out.paid_usd is None or out.saved_usd is None else out.paid_usd + out.saved_usd
        out.cost_per_item = out.cost_usd / out.done if out.done and out.cost_usd is not None else None
        out.p50_s, out.p95_s = percentile(own.get(name, []), 50), percentile(own.get(name, []), 95)
        out.queue_p50_s = percentile(queue.get(name, []), 50)


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
        out.note = too_few_to_call(out.wins, decisive)
        if out.wins and out.cost_usd is not None:
            out.cost_per_win = out.cost_usd / out.wins


def _metric_votes(votes: Iterable[dict]) -> list[Vote]:
    return [Vote(v["prompt_id"], v["system_a"], v["system_b"], v["winner"], v.get("reviewer", ""),
                 v.get("a_text", ""), v.get("b_text", "")) for v in votes if v["system_a"] != v["system_b"]]


def _style(by_name: dict[str, SystemSummary], votes: list[dict], n_bootstrap: int) -> None:
    metric = _metric_votes(votes)
    if len({s for v in metric for s in (v.a, v.b)}) < 2:
        return
    styled = style_controlled_leaderboard(metric, n_bootstrap=n_bootstrap)
    for out in by_name.values():
        out.style_note = styled.note
    for rating in styled.systems:
        out = by_name.get(rating.name)
        if out is not None:
            out.style_rating, out.style_low, out.style_high = rating.rating, rating.ci_low, rating.ci_high


def recommend(systems: list[SystemSummary]) -> str | None:
    """The cheapest system (per item) whose win rate lies within the best system's interval, among the
    systems whose win rate can be called (`too_few_to_call`); None when none can: a star on 6-3 is a guess."""
    rated = [s for s in systems if s.win_rate is not None and not too_few_to_call(s.wins, s.wins + s.losses)]
    if not rated:
        return None
    best = max(rated, key=lambda s: (s.win_rate, -(s.cost_per_item or 0)))
    close = [s for s in rated if s.win_rate >= (best.ci_low or 0) and s.cost_per_item is not None]
    if not close:
        return best.name
    return min(close, key=lambda s: (s.cost_per_item, -s.win_rate)).name


def judge_failures(items: list[dict]) -> dict:
    """What became of a batch's judge work items ({system, status, error}, system "judge:" + the compared
    one; optional "pair": both systems' names): how many failed, why (the same reason counted once, with
    one full example) and per system of the pair. A judge that gives no verdict fails its item; without this the failure showed only as
    "N failed" beside W/L/T 0/0/0."""
    failed = [i for i in items if i["status"] == "failed"]
    reasons: dict[str, dict] = {}
    by_system: dict[str, dict] = {}
    for item in failed:
        error = item.get("error") or "unknown"
        reason = error.split("; it said:")[0]  # the judge's words differ per pair; the cause does not
        reasons.setdefault(reason, {"reason": reason, "count": 0, "example": error})["count"] += 1
        for system in item.get("pair") or (item["system"].removeprefix(JUDGE_PREFIX),):
            entry = by_system.setdefault(system, {"failed": 0, "error": reason})
            entry["failed"] += 1
    return {"items": len(items), "failed": len(failed),
            "reasons": sorted(reasons.values(), key=lambda r: -r["count"]), "by_system": by_system}


def judge_failed_note(failures: dict) -> str | None:
    """The batch's error when its judge failed on every pair: every answer is in, yet no verdict."""
    if not failures["items"] or failures["failed"] < failures["items"]:
        return None
    top = failures["reasons"][0]
    return (f"the judge failed on every pair ({failures['failed']} of {failures['items']}): no win rates. "
            f"{top['example']}")

