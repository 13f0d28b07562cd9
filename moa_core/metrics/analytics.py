"""Where the seconds and cents of MoA runs go: pure functions from run records to tables.

No Streamlit, no I/O: callers pass `RunRecord`s (and ratings as plain dicts) and get pandas
DataFrames or dataclasses back. Times are seconds from each run's start, as in the records.
Unknown cost stays unknown (None/NaN, shown as "unknown"), never 0; latency counts successful
calls only, because a timeout's duration says nothing about a model's speed. A cache hit is a
record of an answer bought earlier: it is out of every latency, first-token and tokens/s figure
(its 10 ms measure the database), its run has no time to answer, and its cost is counted as
saved, not spent (`cost_usd` is what was spent; `moa_cost_usd`/`baseline_cost_usd` what the
answers cost when bought, which is what a system costs and what multiples compare).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Iterable

import pandas as pd

from ..identity import identify
from ..lineup import LineupSnapshot
from ..providers.endpoints import is_local
from ..providers.prices import format_cost
from ..records import CallRecord, RunRecord
from .ratings import answer_stars, run_stars
from ..costs import call_cost, critical_path, critical_path_calls, original_total, saved_total, total_cost
from .stats import known_floats, percentile

ROLE_ORDER = ("proposer", "aggregator", "fallback", "baseline")
ANSWERED = ("ok", "partial", "fallback")  # run statuses that produced a final answer

# litellm infers these providers from bare model names; anything else without a prefix is "unknown".
_BARE_PREFIXES = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
                  ("chatgpt", "openai"), ("claude", "anthropic"), ("gemini", "gemini"),
                  ("mistral", "mistral"), ("command", "cohere"))


# ---- naming ---------------------------------------------------------------------------------

def provider_of(model: str, api_base: str | None = None) -> str:
    """The litellm provider prefix ("openai", "anthropic", ...), "local" for the embedded model,
    "server" for a model reached through a user-given base URL."""
    if is_local(model):
        return "local"
    if api_base:
        return "server"
    if "/" in model:
        return model.split("/", 1)[0]
    lowered = model.lower()
    return next((p for prefix, p in _BARE_PREFIXES if lowered.startswith(prefix)), "unknown")


def lineup_key(lineup: LineupSnapshot | dict[str, Any] | None) -> str:
    """The system's display name (`moa_core.identity`): the lineup's own name, else a signature of its
    models ("a + b → agg (2 rounds)"); a single-model run's is its model. Old prefixes ("moa: ") dropped."""
    return identify(LineupSnapshot.from_dict(lineup)).name


def call_name(call: CallRecord) -> str:
    """How a call is named on a timeline, where rounds share one axis: "R1 [2] beta", "aggregator: agg"."""
    return f"R{call.round} {call.display_name}" if call.role == "proposer" else call.display_name


# ---- one run --------------------------------------------------------------------------------

def _ttft(call: CallRecord) -> float | None:
    return None if call.first_token_s is None or call.started_s is None else call.first_token_s - call.started_s


def _ordered(calls: list[CallRecord]) -> list[CallRecord]:
    return sorted(calls, key=lambda c: (ROLE_ORDER.index(c.role) if c.role in ROLE_ORDER else 9, c.round, c.index))


TIMELINE_COLUMNS = ["call", "role", "round", "model", "status", "start_s", "first_token_s", "end_s", "duration_s",
                    "ttft_s", "critical_path", "attempts", "retries", "retry_errors", "error", "prompt_tokens",
                    "completion_tokens", "cost_usd", "call_id"]


def timeline(record: RunRecord) -> pd.DataFrame:
    """One row per call in display order, with start, first token, end (seconds from run start),
    attempts and retry errors, and whether the call is on the critical path."""
    on_path = {c.call_id for c in critical_path_calls(record.calls)}
    rows = []
    for call in _ordered(record.calls):
        rows.append({
            "call": call_name(call), "role": call.role, "round": call.round, "model": call.model,
            "status": call.status, "start_s": call.started_s, "first_token_s": call.first_token_s,
            "end_s": call.ended_s, "duration_s": call.duration_s, "ttft_s": _ttft(call),
            "critical_path": call.call_id in on_path, "attempts": call.attempts,
            "retries": max(call.attempts - 1, 0), "retry_errors": "; ".join(call.retry_errors),
            "error": call.error or "", "prompt_tokens": call.prompt_tokens,
            "completion_tokens": call.completion_tokens, "cost_usd": call_cost(call), "call_id": call.call_id,
        })
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def cost_breakdown(record: RunRecord) -> pd.DataFrame:
    """Cost and tokens per (model, role): cost_usd is None where a call used tokens at an unknown price."""
    groups: dict[tuple[str, str], list[CallRecord]] = {}
    for call in _ordered(record.calls):
        groups.setdefault((call.model, call.role), []).append(call)
    rows = [{
        "model": model, "role": role, "calls": len(calls), "cost_usd": total_cost(calls),
        "prompt_tokens": sum(c.prompt_tokens or 0 for c in calls),
        "completion_tokens": sum(c.completion_tokens or 0 for c in calls),
    } for (model, role), calls in groups.items()]
    return pd.DataFrame(rows, columns=["model", "role", "calls", "cost_usd", "prompt_tokens", "completion_tokens"])


def unknown_cost_models(calls: Iterable[CallRecord]) -> list[str]:
    """Models whose calls used tokens but have no known price, in order of appearance."""
    return list(dict.fromkeys(c.model for c in calls if call_cost(c) is None))


def moa_calls(record: RunRecord) -> list[CallRecord]:
    """Everything the MoA answer cost: proposers, aggregator, fallback (not the baseline)."""
    return [c for c in record.calls if c.role != "baseline"]


def answer_latency(record: RunRecord) -> float | None:
    """Seconds from the run's start until its final answer (synthesis or fallback) was complete; None when
    any of the MoA's calls was a cache hit (how long the models take is not what such a run measured)."""
    if any(c.cached for c in moa_calls(record)):
        return None
    ends = [c.ended_s for c in record.calls if c.role in ("aggregator", "fallback") and c.ok and c.ended_s is not None]
    return max(ends) if ends else None


@dataclass
class BaselineComparison:
    """MoA against the single model that answered the same query in the same run."""

    baseline_model: str
    baseline_status: str
    moa_cost_usd: float | None
    baseline_cost_usd: float | None
    cost_multiple: float | None
    moa_latency_s: float | None
    baseline_latency_s: float | None
    latency_multiple: float | None
    unknown_cost_models: list[str]
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b <= 0 else a / b


def baseline_comparison(record: RunRecord) -> BaselineComparison | None:
    """The MoA cost and latency multiples against the run's baseline; None when there is no baseline."""
    baseline = next((c for c in record.calls if c.role == "baseline"), None)
    if baseline is None:
        return None
    moa = moa_calls(record)
    moa_cost, base_cost = original_total(moa), original_total([baseline])
    moa_s = answer_latency(record)
    base_s = baseline.duration_s if baseline.ok and not baseline.cached else None
    cost_x, time_x = _ratio(moa_cost, base_cost), _ratio(moa_s, base_s)
    unknown = unknown_cost_models(moa + [baseline])
    sentence = _comparison_sentence(baseline, moa_cost, base_cost, cost_x, moa_s, base_s, time_x, unknown)
    return BaselineComparison(baseline.model, baseline.status, moa_cost, base_cost, cost_x, moa_s, base_s, time_x,
                              unknown, sentence)


def _money(cost: float | None) -> str:
    return "an unknown amount" if cost is None else format_cost(cost)


def _comparison_sentence(baseline: CallRecord, moa_cost, base_cost, cost_x, moa_s, base_s, time_x,
                         unknown: list[str]) -> str:
    name = baseline.label or baseline.model
    if not baseline.ok:
        return f"The baseline {name} did not answer ({baseline.status}), so there is nothing to compare against."
    if cost_x is not None:
        cost = f"The MoA answer cost {_money(moa_cost)}, {cost_x:.1f}× the baseline {name} ({_money(base_cost)})"
    elif unknown:
        cost = f"The cost multiple is unknown: no price for {', '.join(unknown)}"
    else:
        cost = f"The MoA answer cost {_money(moa_cost)}; the baseline {name} cost $0, so there is no multiple"
    if time_x is not None:
        time = f"it took {moa_s:.1f} s, {time_x:.1f}× the baseline's {base_s:.1f} s."
    elif moa_s is None:
        time = "MoA produced no answer, so there is no latency multiple."
    else:
        time = f"it took {moa_s:.1f} s."
    return f"{cost}; {time}"


# ---- across runs ----------------------------------------------------------------------------

RUN_COLUMNS = ["run_id", "started_at", "status", "lineup", "query", "cost_usd", "saved_usd", "cached",
               "moa_cost_usd", "answer_s",
               "critical_path_s", "wall_s", "baseline_model", "baseline_cost_usd", "baseline_s", "cost_multiple",
               "latency_multiple", "stars", "ratings", "baseline_stars", "baseline_ratings", "single_model",
               "unknown_cost_models", "priced_now_models"]
CALL_COLUMNS = ["run_id", "started_at", "lineup", "role", "round", "model", "provider", "status", "cached",
                "duration_s", "ttft_s", "tokens_per_s", "attempts", "retries", "prompt_tokens", "completion_tokens",
                "cost_usd", "saved_usd", "error", "retry_errors"]


def run_table(runs: Iterable[RunRecord], ratings: Iterable[dict[str, Any]] = (),
              priced_now: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per run: lineup, cost (total, MoA, baseline), time to answer, multiples, average stars.

    `priced_now` ({run_id: models}, from `providers.prices.at_current_prices`) names the models whose
    unknown costs were computed at today's prices, so the figures can say so ("priced_now_models").

    `ratings` are dicts with run_id, call_id, target ("call"/"run"), stars, rater and id; stars
    follow the one rating rule of `metrics.ratings` (a run's stars are its final answer's).
    """
    by_run: dict[str, list[dict]] = {}
    for r in ratings:
        by_run.setdefault(r.get("run_id"), []).append(r)
    rows = []
    for run in runs:
        run_ratings = by_run.get(run.run_id, [])
        stars, raters = run_stars(run_ratings, run.calls, run.status)
        baseline_call = next((c for c in run.calls if c.role == "baseline"), None)
        base_stars, base_raters = answer_stars(run_ratings, baseline_call.call_id) if baseline_call else (None, 0)
        comparison = baseline_comparison(run)
        answered_baseline = comparison is not None and comparison.baseline_status == "ok"
        non_baseline = moa_calls(run)
        single = non_baseline[0] if len(non_baseline) == 1 and non_baseline[0].ok and run.status in ANSWERED else None
        cached = any(c.cached for c in run.calls)
        rows.append({
            "run_id": run.run_id, "started_at": run.started_at, "status": run.status,
            "lineup": lineup_key(run.lineup_snapshot), "query": run.query[:120], "cost_usd": run.cost_usd,
            "saved_usd": saved_total(run.calls), "cached": cached, "moa_cost_usd": original_total(non_baseline),
            "answer_s": (None if single.cached else single.ended_s) if single else answer_latency(run),
            "critical_path_s": None if any(c.cached for c in non_baseline) else critical_path(run.calls),
            "wall_s": None if cached else run.wall_s,
            "baseline_model": comparison.baseline_model if comparison else None,
            "baseline_cost_usd": comparison.baseline_cost_usd if answered_baseline else None,
            "baseline_s": comparison.baseline_latency_s if comparison else None,
            "cost_multiple": comparison.cost_multiple if comparison else None,
            "latency_multiple": comparison.latency_multiple if comparison else None,
            "stars": stars, "ratings": raters, "baseline_stars": base_stars, "baseline_ratings": base_raters,
            "single_model": single.model if single else None,
            "unknown_cost_models": ", ".join(unknown_cost_models(run.calls)),
            "priced_now_models": ", ".join((priced_now or {}).get(run.run_id, [])),
        })
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def call_table(runs: Iterable[RunRecord]) -> pd.DataFrame:
    """One row per call of every run, with its run's date and lineup and its model's provider."""
    rows = []
    for run in runs:
        key = lineup_key(run.lineup_snapshot)
        for c in run.calls:
            measured = not c.cached  # a hit's times measure the database, not the model
            rows.append({
                "run_id": run.run_id, "started_at": run.started_at, "lineup": key, "role": c.role, "round": c.round,
                "model": c.model, "provider": provider_of(c.model, c.api_base), "status": c.status,
                "cached": c.cached, "duration_s": c.duration_s if measured else None,
                "ttft_s": _ttft(c) if measured else None, "tokens_per_s": _tokens_per_s(c) if measured else None,
                "attempts": c.attempts, "retries": max(c.attempts - 1, 0), "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens, "cost_usd": call_cost(c),
                "saved_usd": original_total([c]) if c.cached else None, "error": c.error or "",
                "retry_errors": "; ".join(c.retry_errors),
            })
    return pd.DataFrame(rows, columns=CALL_COLUMNS)


def _tokens_per_s(call: CallRecord) -> float | None:
    """Generation speed after the first token; None when too short to measure."""
    if not call.ok or call.first_token_s is None or call.ended_s is None or (call.completion_tokens or 0) < 2:
        return None
    generating = call.ended_s - call.first_token_s
    return call.completion_tokens / generating if generating > 0 else None


def filter_runs(runs: pd.DataFrame, calls: pd.DataFrame, start: datetime | None = None,
                end: datetime | None = None, lineups: Iterable[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs started in [start, end) and of the given lineups (None = all), with their calls."""
    keep = pd.Series(True, index=runs.index)
    if start is not None:
        keep &= runs["started_at"] >= start
    if end is not None:
        keep &= runs["started_at"] < end
    if lineups is not None:
        keep &= runs["lineup"].isin(list(lineups))
    kept = runs[keep]
    return kept, calls[calls["run_id"].isin(kept["run_id"])]


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
                "cost_multiple": _ratio(_p(group["moa_cost_usd"], 50), single_cost), "total_cost_multiple": None,
                "latency_multiple": _ratio(_p(group["answer_s"], 50), single_s),
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


# ---- cost over time -------------------------------------------------------------------------

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


# ---- the Analytics page's figures in one pass -------------------------------------------------

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
