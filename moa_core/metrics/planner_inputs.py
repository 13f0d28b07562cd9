"""What the planner starts from, read off stored runs: the newest lineup, typical token counts, measured
figures and the cost multiple measured against a baseline. Pure: tables from `run_tables.call_table` /
`run_tables.run_table` in, plain values out (the Analytics page only draws them)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..prompts import render_aggregator_prompt
from ..providers.llm import count_tokens
from .planner import ModelFigures, measured_figures

DEFAULT_PROMPT_TOKENS = 500  # a query of a few paragraphs, until runs say otherwise
DEFAULT_ANSWER_TOKENS = 300


@dataclass(frozen=True)
class LatestLineup:
    """Proposer models (round 1, in order, once each), aggregator model(s) and rounds of the newest run."""

    proposers: list[str] = field(default_factory=list)
    aggregators: list[str] = field(default_factory=list)
    rounds: int = 1


@dataclass(frozen=True)
class PlannerBasis:
    """Everything the planner reads from stored calls, computed once per data version."""

    figures: dict[str, ModelFigures]
    seen: list[str]  # models of stored calls, most called first
    latest: LatestLineup
    prompt_tokens: int  # median of the proposers' prompts (default when none)
    answer_tokens: int  # median of the proposers' answers
    aggregator_prompt_tokens: int  # median of what aggregators read; 0 = none measured


def latest_lineup(calls: pd.DataFrame) -> LatestLineup:
    """The newest run's lineup, the planner's default: what the user ran last is what they will price."""
    if calls.empty:
        return LatestLineup()
    newest = calls.loc[calls["started_at"].idxmax(), "run_id"]
    run = calls[calls["run_id"] == newest]
    proposers = run.loc[(run["role"] == "proposer") & (run["round"] == 1), "model"]
    rounds = int(run.loc[run["role"] == "proposer", "round"].max()) if len(proposers) else 1
    return LatestLineup(list(dict.fromkeys(proposers)), list(run.loc[run["role"] == "aggregator", "model"]), rounds)


def median_tokens(calls: pd.DataFrame, kind: str, default: int, role: str = "proposer") -> int:
    """Median `kind` tokens of a role's successful calls that asked a model (a cache hit repeats an old call)."""
    if calls.empty:
        return default
    asked = (calls["role"] == role) & (calls["status"] == "ok") & ~calls["cached"].astype(bool)
    values = calls.loc[asked, kind].dropna()
    return int(values.median()) if len(values) else default


def planner_basis(calls: pd.DataFrame) -> PlannerBasis:
    """The planner's defaults and measured figures from every stored call."""
    return PlannerBasis(
        figures=measured_figures(calls) if not calls.empty else {},
        seen=list(calls["model"].value_counts().index) if not calls.empty else [],
        latest=latest_lineup(calls),
        prompt_tokens=median_tokens(calls, "prompt_tokens", DEFAULT_PROMPT_TOKENS),
        answer_tokens=median_tokens(calls, "completion_tokens", DEFAULT_ANSWER_TOKENS),
        aggregator_prompt_tokens=median_tokens(calls, "prompt_tokens", 0, role="aggregator"))


def measured_cost_multiple(runs: pd.DataFrame) -> tuple[float | None, int]:
    """(median of the per-run MoA/baseline cost multiples, runs counted); runs answered from the cache are
    left out, since what they spent is not what they would cost."""
    if runs.empty:
        return None, 0
    kept = runs[runs["cost_multiple"].notna() & ~runs["cached"].astype(bool)]
    return (float(kept["cost_multiple"].median()) if len(kept) else None), len(kept)


def template_tokens(aggregator: str, proposers: int, template: str | None) -> int:
    """Tokens of the aggregator's own prompt (the user's template, else the reference) around `proposers`
    empty proposals: what it reads beyond the query and the proposals."""
    text = render_aggregator_prompt(template, [(f"model {i + 1}", "") for i in range(proposers)])
    return count_tokens(aggregator, text=text)


@dataclass(frozen=True)
class RoleTokens:
    """Median tokens per role over the successful, uncached calls of the runs of one lineup."""

    runs: int
    proposer_prompt: int
    proposer_answer: int
    aggregator_prompt: int
    aggregator_answer: int

    def aggregator_input(self, prompt_tokens: int, answer_tokens: int, proposers: int) -> int:
        """What the aggregator reads for a query of `prompt_tokens` and proposals of `answer_tokens`: the
        measured input, moved by the difference from the measured query and proposals (its own prompt
        and fences stay as measured)."""
        own = self.aggregator_prompt - self.proposer_prompt - proposers * self.proposer_answer
        return max(0, prompt_tokens + proposers * answer_tokens + own)


def lineup_tokens(calls: pd.DataFrame, proposers: list[str], aggregator: str) -> RoleTokens | None:
    """Per-role medians from the runs whose round-1 proposers are `proposers` (as a multiset) and whose
    aggregator is `aggregator`; None when no such run has an answered aggregator call (plan from the
    templates then). Cache hits are left out: they repeat an old call."""
    if calls.empty or not proposers or not aggregator:
        return None
    asked = calls[(calls["status"] == "ok") & ~calls["cached"].astype(bool)]
    first = calls[(calls["role"] == "proposer") & (calls["round"] == 1)]
    shapes = first.groupby("run_id")["model"].agg(lambda m: tuple(sorted(m)))
    aggs = calls[calls["role"] == "aggregator"].groupby("run_id")["model"].first()
    mine = [r for r, shape in shapes.items() if shape == tuple(sorted(proposers)) and aggs.get(r) == aggregator]
    rows = asked[asked["run_id"].isin(mine)]
    agg = rows[rows["role"] == "aggregator"]
    prop = rows[rows["role"] == "proposer"]
    if agg.empty or prop.empty:
        return None

    def median(frame: pd.DataFrame, column: str) -> int:
        values = frame[column].dropna()
        return int(values.median()) if len(values) else 0

    return RoleTokens(int(agg["run_id"].nunique()), median(prop[prop["round"] == 1], "prompt_tokens"),
                      median(prop, "completion_tokens"), median(agg, "prompt_tokens"),
                      median(agg, "completion_tokens"))
