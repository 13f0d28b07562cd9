"""Stored runs as two flat tables, one row per run and one per call: what every Analytics figure and the
planner's measured inputs are computed from.

No Streamlit, no I/O: callers pass `RunRecord`s (and ratings as plain dicts) and get pandas
DataFrames back. Unknown cost stays unknown (None/NaN, shown as "unknown"), never 0; latency counts
successful calls only, because a timeout's duration says nothing about a model's speed. A cache hit is a
record of an answer bought earlier: it is out of every latency, first-token and tokens/s figure
(its 10 ms measure the database), its run has no time to answer, and its cost is counted as
saved, not spent (`cost_usd` is what was spent; `moa_cost_usd`/`baseline_cost_usd` what the
answers cost when bought, which is what a system costs and what multiples compare).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

import pandas as pd

from ..costs import call_cost, critical_path, original_total, saved_total
from ..identity import identify
from ..lineup import LineupSnapshot
from ..providers.endpoints import is_local
from ..records import CallRecord, RunRecord
from .ratings import answer_stars, run_stars
from .run_breakdown import answer_latency, baseline_comparison, moa_calls, time_to_first_token, unknown_cost_models

ANSWERED = ("ok", "partial", "fallback")  # run statuses that produced a final answer
_BARE_PREFIXES = (("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
                  ("chatgpt", "openai"), ("claude", "anthropic"), ("gemini", "gemini"),
                  ("mistral", "mistral"), ("command", "cohere"))


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
                "ttft_s": time_to_first_token(c) if measured else None, "tokens_per_s": _tokens_per_s(c) if measured else None,
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
