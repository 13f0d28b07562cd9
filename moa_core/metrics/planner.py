"""The planner: a lineup's monthly cost and expected latency at the user's volume, against one model.

The article's cost model: each query makes N proposer calls per round plus one aggregator call.
Round-1 proposers read the prompt; later rounds and the aggregator read the prompt, all N
proposals of the round before and the aggregator prompt itself (that is how the engine builds
their messages; leaving the prompt out planned 72 input tokens where runs measured 187-194, and
MoA at 1.9x a single model where runs measured 3.0-4.1x). Measured per-role inputs win where
there are runs. Its latency model:
per round the slowest proposer, then the aggregator. Figures are measured from stored calls
(median time to first token and tokens/s, else median latency); prices come from the caller
(the user's overrides, litellm's table) and else from what stored calls cost. Unknown stays
unknown and is named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..providers.prices import format_cost
from .stats import known_floats, percentile


@dataclass
class ModelFigures:
    """What we know of one model: measured speed and a price per token (None = unknown)."""

    model: str
    calls: int = 0  # successful calls measured
    p50_latency_s: float | None = None
    ttft_s: float | None = None  # median time to first token
    tokens_per_s: float | None = None  # median generation speed after the first token
    input_per_token: float | None = None
    output_per_token: float | None = None
    price_source: str | None = None  # "override", "local", "litellm", "measured"; None = unknown

    def latency(self, answer_tokens: int) -> float | None:
        """First token plus the answer at the measured speed; else the median latency as measured."""
        if self.ttft_s is not None and self.tokens_per_s:
            return self.ttft_s + answer_tokens / self.tokens_per_s
        return self.p50_latency_s

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if self.input_per_token is None or self.output_per_token is None:
            return None
        return prompt_tokens * self.input_per_token + completion_tokens * self.output_per_token


def _median(values: pd.Series) -> float | None:
    return percentile(known_floats(values), 50)


def measured_figures(calls: pd.DataFrame) -> dict[str, ModelFigures]:
    """Per model, from `run_tables.call_table` rows: median latency, first token and tokens/s of ok calls,
    and a price per token recovered from what the calls cost (source "measured"). Cache hits are left
    out: they asked no model (their 10 ms and $0 would make every model look fast and free)."""
    figures = {}
    if "cached" in calls:
        calls = calls[~calls["cached"].astype(bool)]
    for model, group in calls.groupby("model", sort=True):
        ok = group[group["status"] == "ok"]
        price = measured_price(group)
        figures[model] = ModelFigures(
            model=model, calls=len(ok), p50_latency_s=_median(ok["duration_s"]), ttft_s=_median(ok["ttft_s"]),
            tokens_per_s=_median(ok["tokens_per_s"]),
            input_per_token=price[0] if price else None, output_per_token=price[1] if price else None,
            price_source="measured" if price else None)
    return figures


def measured_price(calls: pd.DataFrame) -> tuple[float, float] | None:
    """(input, output) USD per token that explain the calls' costs (least squares); None without priced calls.

    When every call had the same prompt/answer mix the two prices cannot be told apart: one
    blended price per token then reproduces those costs.
    """
    priced = calls[calls["cost_usd"].notna()]
    p = priced["prompt_tokens"].fillna(0).to_numpy(float)
    c = priced["completion_tokens"].fillna(0).to_numpy(float)
    cost = priced["cost_usd"].to_numpy(float)
    used = (p + c) > 0
    p, c, cost = p[used], c[used], cost[used]
    if not len(cost):
        return None
    a = np.column_stack([p, c])
    if np.linalg.matrix_rank(a) == 2:
        (inp, out), *_ = np.linalg.lstsq(a, cost, rcond=None)
        if inp >= 0 and out >= 0:
            return float(inp), float(out)
    blended = float(cost.sum() / (p + c).sum())
    return blended, blended


def with_prices(figures: dict[str, ModelFigures], models: list[str],
                price_of: Callable[[str], Any]) -> dict[str, ModelFigures]:
    """Figures for `models`, priced by `price_of(model)` (an object with input_per_token,
    output_per_token and source, or None); the measured price stays when it has none."""
    out = {}
    for model in dict.fromkeys(models):
        base = figures.get(model) or ModelFigures(model)
        price = price_of(model)
        fig = ModelFigures(**{k: getattr(base, k) for k in base.__dataclass_fields__})
        if price is not None:
            fig.input_per_token, fig.output_per_token = price.input_per_token, price.output_per_token
            fig.price_source = price.source
        out[model] = fig
    return out


@dataclass
class PlanStep:
    """One seat's call in one stage of a query."""

    stage: str  # "round 1", "round 2", "aggregator", "single model"
    role: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_per_query: float | None
    latency_s: float | None


@dataclass
class Plan:
    """A projection: per-query steps, the totals, and which models left a figure unknown."""

    name: str
    queries_per_month: int
    steps: list[PlanStep] = field(default_factory=list)
    stage_latency: dict[str, float | None] = field(default_factory=dict)
    unknown_price: list[str] = field(default_factory=list)
    unknown_latency: list[str] = field(default_factory=list)

    @property
    def calls_per_query(self) -> int:
        return len(self.steps)

    @property
    def cost_per_query(self) -> float | None:
        costs = [s.cost_per_query for s in self.steps]
        return None if any(c is None for c in costs) else sum(costs)

    @property
    def monthly_cost(self) -> float | None:
        cost = self.cost_per_query
        return None if cost is None else cost * self.queries_per_month

    @property
    def latency_s(self) -> float | None:
        values = list(self.stage_latency.values())
        return None if not values or any(v is None for v in values) else sum(values)

    def table(self) -> pd.DataFrame:
        rows = [s.__dict__ | {"monthly_cost_usd": None if s.cost_per_query is None
                              else s.cost_per_query * self.queries_per_month} for s in self.steps]
        return pd.DataFrame(rows, columns=["stage", "role", "model", "prompt_tokens", "completion_tokens",
                                           "cost_per_query", "latency_s", "monthly_cost_usd"])


def _step(plan: Plan, stage: str, role: str, model: str, prompt: int, answer: int,
          figures: dict[str, ModelFigures]) -> PlanStep:
    fig = figures.get(model) or ModelFigures(model)
    step = PlanStep(stage, role, model, prompt, answer, fig.cost(prompt, answer), fig.latency(answer))
    if step.cost_per_query is None and model not in plan.unknown_price:
        plan.unknown_price.append(model)
    if step.latency_s is None and model not in plan.unknown_latency:
        plan.unknown_latency.append(model)
    plan.steps.append(step)
    return step


def plan_moa(proposers: list[str], aggregator: str, rounds: int, queries_per_month: int, prompt_tokens: int,
             answer_tokens: int, figures: dict[str, ModelFigures], name: str = "MoA", template_tokens: int = 0,
             role_prompt_tokens: dict[str, int] | None = None,
             role_answer_tokens: dict[str, int] | None = None) -> Plan:
    """The article's cost and latency models with the user's numbers and our measured figures.

    `template_tokens`: the aggregator prompt's own tokens (instructions and the proposals' fences), read
    by the aggregator and later rounds. `role_prompt_tokens`: measured median input per role ("aggregator")
    from stored runs, used instead of the estimate; `role_answer_tokens` likewise for answers
    (`planner_inputs.lineup_tokens` measures both for the chosen lineup)."""
    plan = Plan(name, queries_per_month)
    n = len(proposers)
    with_proposals = prompt_tokens + n * answer_tokens + template_tokens
    measured = role_prompt_tokens or {}
    for round_no in range(1, rounds + 1):
        prompt = prompt_tokens if round_no == 1 else with_proposals
        stage = f"round {round_no}"
        latencies = [_step(plan, stage, "proposer", m, prompt, answer_tokens, figures).latency_s for m in proposers]
        plan.stage_latency[stage] = None if any(v is None for v in latencies) else max(latencies)
    plan.stage_latency["aggregator"] = _step(plan, "aggregator", "aggregator", aggregator,
                                             measured.get("aggregator", with_proposals),
                                             (role_answer_tokens or {}).get("aggregator", answer_tokens),
                                             figures).latency_s
    return plan


DAYS_A_MONTH = 30


def per_month(volume: int, per: str) -> int:
    """Queries a month from the user's volume "a day" (× 30) or "a month"."""
    return volume * DAYS_A_MONTH if per == "day" else volume


def plan_single(model: str, queries_per_month: int, prompt_tokens: int, answer_tokens: int,
                figures: dict[str, ModelFigures]) -> Plan:
    """One model answering alone: one call per query."""
    plan = Plan(model, queries_per_month)
    plan.stage_latency["single model"] = _step(plan, "single model", "baseline", model, prompt_tokens,
                                               answer_tokens, figures).latency_s
    return plan


def format_money(cost: float | None) -> str:
    """Dollars for amounts a month ("$1,234.56"), small amounts with their significant digits."""
    return format_cost(cost)


def plan_sentence(moa: Plan, single: Plan) -> str:
    """The comparison in one or two plain sentences, naming whatever is unknown."""
    parts = [f"{moa.queries_per_month:,} queries a month make {moa.calls_per_query * moa.queries_per_month:,} "
             f"calls with {moa.name} ({moa.calls_per_query} per query) against "
             f"{single.calls_per_query * single.queries_per_month:,} with {single.name} alone."]
    if moa.monthly_cost is None or single.monthly_cost is None:
        unknown = list(dict.fromkeys(moa.unknown_price + single.unknown_price))
        parts.append(f"Monthly cost unknown: no price for {', '.join(unknown)} (set one on the Settings page).")
    else:
        multiple = f", {moa.monthly_cost / single.monthly_cost:.1f}×" if single.monthly_cost > 0 else ""
        parts.append(f"{moa.name} would cost {format_money(moa.monthly_cost)} a month{multiple} against "
                     f"{format_money(single.monthly_cost)} for {single.name}.")
    if moa.latency_s is None or single.latency_s is None:
        unknown = list(dict.fromkeys(moa.unknown_latency + single.unknown_latency))
        parts.append(f"Expected latency unknown: no successful calls measured for {', '.join(unknown)}.")
    else:
        multiple = f" ({moa.latency_s / single.latency_s:.1f}×)" if single.latency_s > 0 else ""
        parts.append(f"Users would wait about {moa.latency_s:.1f} s per answer against "
                     f"{single.latency_s:.1f} s{multiple}.")
    return " ".join(parts)
