"""The Analytics page's figures over a selection of runs: latency percentiles, cost multiples, cost
against stars, provider reliability, cost over time, and all of them in one pass (`overview`).

Pure: the run and call tables of `run_tables` in, DataFrames and one frozen `Overview` out.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from .stats import known_floats, percentile, ratio


def _p(values: pd.Series, q: float) -> float | None:
    return percentile(known_floats(values), q)


def latency_by_lineup(runs: pd.DataFrame) -> pd.DataFrame:
    """Time to the final answer per lineup: p50 and p95 over the runs that answered."""
    answered = runs[runs["answer_s"].notna()]
    rows = [{"lineup": key, "runs": len(group), "p50_s": _p(group["answer_s"], 50), "p95_s": _p(group["answer_s"], 95)}
            for key, group in answered.groupby("lineup", sort=True)]
    return pd.DataFrame(rows, columns=["lineup", "runs", "p50_s", "p95_s"])


def latency_by_model(calls: pd.DataFrame) -> pd.DataFrame:
    """Per model, over successful calls that asked the model (not cache hits): p50/p95 latency, p50/p95 time
    to first token, median tokens/s."""
    ok = calls[(calls["status"] == "ok") & ~calls["cached"].astype(bool)]
    rows = [{
        "model": model, "calls": len(group), "p50_s": _p(group["duration_s"], 50), "p95_s": _p(group["duration_s"], 95),
        "ttft_p50_s": _p(group["ttft_s"], 50), "ttft_p95_s": _p(group["ttft_s"], 95),
        "tokens_per_s": _p(group["tokens_per_s"], 50),
    } for model, group in ok.groupby("model", sort=True)]
    return pd.DataFrame(rows, columns=["model", "calls", "p50_s", "p95_s", "ttft_p50_s", "ttft_p95_s", "tokens_per_s"])


def cost_multiples(runs: pd.DataFrame) -> pd.DataFrame:
    """MoA cost (and time to answer) as a multiple of single models.

    Two comparisons: the baseline that answered the same query in the same run (median of the
    per-run multiples, and total MoA cost over total baseline cost), and single-model runs
    (one answering call), median cost per run against the lineup's median.
    """
    rows = []
    paired = runs[runs["baseline_model"].notna() & runs["baseline_s"].notna()]
    for (key, model), group in paired.groupby(["lineup", "baseline_model"], sort=True):
        costs = group[group["moa_cost_usd"].notna() & group["baseline_cost_usd"].notna()]
        total_base = costs["baseline_cost_usd"].sum()
        rows.append({
            "lineup": key, "single_model": model, "compared_with": "baseline in the same runs", "runs": len(group),
            "cost_multiple": _p(group["cost_multiple"], 50),
            "total_cost_multiple": costs["moa_cost_usd"].sum() / total_base if total_base > 0 else None,
            "latency_multiple": _p(group["latency_multiple"], 50),
            "unknown_cost_runs": int(len(group) - len(costs)),
        })
    singles = runs[runs["single_model"].notna() & runs["answer_s"].notna()]
    moa = runs[runs["single_model"].isna() & runs["answer_s"].notna()]
    for model, single in singles.groupby("single_model", sort=True):
        single_cost, single_s = _p(single["moa_cost_usd"], 50), _p(single["answer_s"], 50)
        for key, group in moa.groupby("lineup", sort=True):
            rows.append({
                "lineup": key, "single_model": model, "compared_with": "single-model runs",
                "runs": len(group) + len(single),
                "cost_multiple": ratio(_p(group["moa_cost_usd"], 50), single_cost), "total_cost_multiple": None,
                "latency_multiple": ratio(_p(group["answer_s"], 50), single_s),
                "unknown_cost_runs": int(group["moa_cost_usd"].isna().sum() + single["moa_cost_usd"].isna().sum()),
            })
    return pd.DataFrame(rows, columns=["lineup", "single_model", "compared_with", "runs", "cost_multiple",
                                       "total_cost_multiple", "latency_multiple", "unknown_cost_runs"])


def cost_vs_rating(runs: pd.DataFrame) -> pd.DataFrame:
    """One point per rated answer: the MoA answer (its MoA cost) and the baseline (its own cost)."""
    cols = ["run_id", "started_at", "answer", "lineup", "cost_usd", "stars", "ratings"]
    moa = runs[runs["stars"].notna()].assign(answer="MoA")[["run_id", "started_at", "answer", "lineup",
                                                            "moa_cost_usd", "stars", "ratings"]]
    base = runs[runs["baseline_stars"].notna()]
    base = base.assign(answer="baseline: " + base["baseline_model"].astype(str))[
        ["run_id", "started_at", "answer", "lineup", "baseline_cost_usd", "baseline_stars", "baseline_ratings"]]
    moa.columns = base.columns = cols
    return pd.concat([moa, base], ignore_index=True) if len(base) else moa.reset_index(drop=True)


def provider_reliability(calls: pd.DataFrame) -> pd.DataFrame:
    """Per provider: calls, failures, cancellations, retried calls and the most common error.

    failure_rate = failed / (calls that finished or failed): a quorum's cancellation is our
    choice, not the provider's fault. retry_rate = calls needing at least one retry / calls.
    """
    rows = []
    done = calls[calls["status"] != "running"]
    for provider, group in done.groupby("provider", sort=True):
        failed = int((group["status"] == "failed").sum())
        cancelled = int((group["status"] == "cancelled").sum())
        decided = len(group) - cancelled
        retried = int((group["retries"] > 0).sum())
        retry_texts = group["retry_errors"]
        texts = [*group.loc[group["status"] == "failed", "error"], *retry_texts[retry_texts != ""]]
        errors = Counter(e for text in texts for e in str(text).split("; ") if e)
        rows.append({
            "provider": provider, "calls": len(group), "failed": failed, "cancelled": cancelled,
            "retried_calls": retried, "retries": int(group["retries"].sum()),
            "failure_rate": failed / decided if decided else None,
            "retry_rate": retried / len(group) if len(group) else None,
            "models": ", ".join(sorted(set(group["model"]))),
            "top_error": errors.most_common(1)[0][0] if errors else "",
        })
    return pd.DataFrame(rows, columns=["provider", "calls", "failed", "cancelled", "retried_calls", "retries",
                                       "failure_rate", "retry_rate", "models", "top_error"])


COST_POINTS = 1_000  # more runs than this are plotted as one mean point per period
_PERIODS = (("h", "hour"), ("D", "day"), ("W", "week"), ("MS", "month"), ("YS", "year"))
_PERIOD_S = {"h": 3600, "D": 86_400, "W": 7 * 86_400, "MS": 31 * 86_400, "YS": 366 * 86_400}


def cost_over_time(runs: pd.DataFrame, max_points: int = COST_POINTS) -> tuple[pd.DataFrame, str | None]:
    """Cost per run by date: every run when there are few, else per lineup and period (the shortest of
    hour/day/week/month/year giving at most `max_points` points) the mean cost per run, with the number
    of runs and their total. Returns the table and the period's name (None = one point per run).

    10,000 markers are unreadable and cost the browser seconds to draw; a period's mean is what one reads."""
    known = runs[runs["cost_usd"].notna()].sort_values("started_at")
    if len(known) <= max_points:
        return known.assign(runs=1, total_usd=known["cost_usd"]), None
    span_s = (known["started_at"].max() - known["started_at"].min()).total_seconds()
    lineups = max(known["lineup"].nunique(), 1)
    freq, name = next(((f, n) for f, n in _PERIODS if lineups * (span_s / _PERIOD_S[f] + 1) <= max_points),
                      _PERIODS[-1])
    grouped = (known.groupby(["lineup", pd.Grouper(key="started_at", freq=freq)], sort=True)
               .agg(cost_usd=("cost_usd", "mean"), total_usd=("cost_usd", "sum"), runs=("run_id", "count"))
               .reset_index())
    return grouped[grouped["runs"] > 0].reset_index(drop=True), name


@dataclass(frozen=True, eq=False)  # eq: its tables are DataFrames, compared with .equals where needed
class Overview:
    """What the Analytics page shows for one selection of runs: the headline figures, then the tables
    its tabs draw (latency, cost, quality, reliability)."""

    runs: int
    known_cost_usd: float  # spent, over the runs whose cost is known
    unknown_cost_runs: int
    cached_runs: int
    saved_usd: float  # what the cache hits' answers cost when first bought (known part)
    unknown_saved_runs: int
    unknown_cost_models: list[str]
    priced_now_runs: int  # runs costed at prices set after they ran
    priced_now_models: list[str]
    median_answer_s: float | None
    rated_answers: int
    latency_by_lineup: pd.DataFrame
    latency_by_model: pd.DataFrame
    cost_per_run: pd.DataFrame
    cost_over_time: pd.DataFrame
    cost_period: str | None
    cost_multiples: pd.DataFrame
    cost_vs_rating: pd.DataFrame
    provider_reliability: pd.DataFrame


def overview(runs: pd.DataFrame, calls: pd.DataFrame) -> Overview:
    """Every table the Analytics page shows for a selection, computed once (the page caches it per
    data version and filters, so repeat views cost no computing)."""
    unknown_models = runs["unknown_cost_models"]
    over_time, period = cost_over_time(runs)
    cached = runs["cached"].astype(bool)
    return Overview(
        runs=len(runs), known_cost_usd=float(runs["cost_usd"].sum()), unknown_cost_runs=int(runs["cost_usd"].isna().sum()),
        cached_runs=int(cached.sum()), saved_usd=float(runs["saved_usd"].sum()),
        unknown_saved_runs=int((cached & runs["saved_usd"].isna()).sum()),
        unknown_cost_models=sorted({m for v in unknown_models[unknown_models != ""] for m in v.split(", ") if m}),
        priced_now_runs=int((runs["priced_now_models"] != "").sum()),
        priced_now_models=sorted({m for v in runs["priced_now_models"] for m in v.split(", ") if m}),
        median_answer_s=percentile(known_floats(runs["answer_s"]), 50),
        rated_answers=int((runs["ratings"] > 0).sum()),
        latency_by_lineup=latency_by_lineup(runs), latency_by_model=latency_by_model(calls),
        cost_per_run=runs[["started_at", "lineup", "status", "cost_usd", "saved_usd", "moa_cost_usd",
                           "baseline_cost_usd", "query", "run_id"]].sort_values("started_at"),
        cost_over_time=over_time, cost_period=period,
        cost_multiples=cost_multiples(runs), cost_vs_rating=cost_vs_rating(runs),
        provider_reliability=provider_reliability(calls),
    )
