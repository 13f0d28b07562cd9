"""The run listing's rows (History, `moa runs`) and how they are summed up from plain rows.

One place for both ways of reading the listing, the store's (`run_listing`, SQLAlchemy) and `moa runs`' quick
one (`quick_read`, stdlib sqlite3), so their figures cannot drift. No SQLAlchemy here: `moa runs` imports this
and must start at once (issue 26).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from ..costs import call_cost, total_cost
from ..metrics.ratings import final_call_id, run_stars


@dataclass
class RunSummary:
    """One line of a run listing: what ran, how it went, its totals and its average rating."""

    run_id: str
    started_at: datetime
    status: str
    query: str
    note: str
    models: list[str] = field(default_factory=list)
    calls: int = 0
    failed_calls: int = 0
    cost_usd: float | None = None
    wall_s: float | None = None
    critical_path_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    avg_stars: float | None = None
    ratings: int = 0  # raters of the final answer
    unrated_answers: int = 0  # answers (calls that succeeded) nobody has given stars yet
    lineup_name: str | None = None
    document_name: str | None = None
    thread_id: str | None = None  # the conversation the run is a turn of (None: a single question)
    parent_run_id: str | None = None  # the turn it follows up on
    turn: int | None = None  # its turn in the conversation (1 = the first question); None: no follow-ups
    # What pricing an unknown cost later needs (`providers.prices.summaries_at_current_prices`): the known
    # part of the cost, and model -> [prompt, completion] tokens of the calls whose price was unknown.
    known_cost_usd: float = 0.0
    unpriced_tokens: dict[str, list[int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["started_at"] = self.started_at.isoformat()
        return data


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `\\`) matching any value that contains `text` as it is written."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def summarise(runs: Iterable[Any], calls: Iterable[Any], ratings: Iterable[Mapping[str, Any]],
              turns: dict[str, int]) -> list[RunSummary]:
    """The listing's rows, in the order of `runs`.

    `runs` have the attributes id, started_at, status, query, note, wall_s, critical_path_s, lineup_name,
    document_name, thread_id, parent_run_id; `calls` run_id, call_id, role, model, status, cost_usd,
    prompt_tokens, completion_tokens, in each run's order; `ratings` (mappings) id, run_id, call_id, target,
    rater, stars, only those with stars; `turns` run id -> turn (`turn_numbers`).
    """
    by_run: dict[str, list] = {}
    for c in calls:
        by_run.setdefault(c.run_id, []).append(c)
    ratings_by_run: dict[str, list] = {}
    for rating in ratings:
        ratings_by_run.setdefault(rating["run_id"], []).append(rating)
    out = []
    for r in runs:
        cs = by_run.get(r.id, [])
        rated = ratings_by_run.get(r.id, [])
        avg, count = run_stars(rated, cs, r.status)
        final = final_call_id(cs, r.status)
        starred = {x["call_id"] for x in rated} | ({final} if any(x["target"] == "run" for x in rated) else set())
        out.append(RunSummary(
            run_id=r.id, started_at=as_utc(r.started_at), status=r.status, query=r.query, note=r.note,
            models=list(dict.fromkeys(c.model for c in cs)), calls=len(cs),
            failed_calls=sum(c.status == "failed" for c in cs), cost_usd=total_cost(cs),
            wall_s=r.wall_s, critical_path_s=r.critical_path_s,
            prompt_tokens=sum(c.prompt_tokens or 0 for c in cs),
            completion_tokens=sum(c.completion_tokens or 0 for c in cs),
            avg_stars=avg, ratings=count,
            unrated_answers=sum(c.status == "ok" and c.call_id not in starred for c in cs),
            lineup_name=r.lineup_name, document_name=r.document_name, thread_id=r.thread_id,
            parent_run_id=r.parent_run_id, turn=turns.get(r.id),
            known_cost_usd=sum(c for c in map(call_cost, cs) if c is not None),
            unpriced_tokens=unpriced_tokens(cs)))
    return out


def unpriced_tokens(calls) -> dict[str, list[int]]:
    """Model -> [prompt, completion] tokens of the calls whose cost was unknown: enough to price them later."""
    out: dict[str, list[int]] = {}
    for c in calls:
        if call_cost(c) is None:
            tokens = out.setdefault(c.model, [0, 0])
            tokens[0] += c.prompt_tokens or 0
            tokens[1] += c.completion_tokens or 0
    return out


def turn_numbers(first: Iterable[str], thread_runs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Turn numbers of the listed runs that belong to a conversation. `first`: the listed runs that are a
    thread's first run (turn 1: its id is the thread id); `thread_runs`: (run id, thread id) of every run of the
    listed runs' threads, by thread then start time then id: the follow-ups count on in that order, whether
    listed or not."""
    turns = {run_id: 1 for run_id in first}
    seen: dict[str, int] = {}
    for run_id, thread in thread_runs:
        seen[thread] = seen.get(thread, 1) + 1
        turns[run_id] = seen[thread]
    return turns
