"""Hand-built runs for the metrics tests: three runs of two lineups, with retries, failures and ratings."""
from datetime import datetime, timedelta, timezone

from moa_core.records import CallRecord, RunRecord

DAY1 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
TRIO = {"name": "trio", "rounds": 1,
        "proposers": [{"model": "openai/alpha"}, {"model": "anthropic/beta"}, {"model": "groq/gamma"}],
        "aggregator": {"model": "openai/agg"}, "baseline": {"model": "mistral/solo"}}
PAIR = {"rounds": 1, "proposers": [{"model": "openai/alpha"}, {"model": "anthropic/beta"}],
        "aggregator": {"model": "openai/agg"}}


def call(role, model, start, end, *, index=0, round=1, ttft=None, status="ok", cost=None, prompt=100,
         completion=200, attempts=1, retry_errors=(), error=None, api_base=None) -> CallRecord:
    return CallRecord(role=role, round=round, index=index, model=model, label=model.split("/")[-1], status=status,
                      started_s=start, first_token_s=None if ttft is None else start + ttft, ended_s=end,
                      prompt_tokens=prompt, completion_tokens=completion, cost_usd=cost, attempts=attempts,
                      retry_errors=list(retry_errors), error=error, api_base=api_base, text=f"{model} says")


def run_a() -> RunRecord:
    """trio with a baseline: gamma failed after a retry; beta is the slowest proposer."""
    return RunRecord(query="What is the notice period?", lineup=TRIO, run_id="run-a", status="partial",
                     started_at=DAY1, wall_s=5.0, calls=[
                         call("proposer", "openai/alpha", 0.0, 2.0, index=0, ttft=0.5, cost=0.001),
                         call("proposer", "anthropic/beta", 0.0, 3.0, index=1, ttft=0.8, cost=0.002),
                         call("proposer", "groq/gamma", 0.0, 1.0, index=2, status="failed", prompt=None,
                              completion=None, attempts=2, retry_errors=["RateLimitError: 429"],
                              error="APIConnectionError: refused"),
                         call("aggregator", "openai/agg", 3.0, 5.0, ttft=0.4, cost=0.003, prompt=500),
                         call("baseline", "mistral/solo", 0.0, 1.5, ttft=0.3, cost=0.0015),
                     ])


def run_b() -> RunRecord:
    """unnamed pair, no baseline; beta's price is unknown."""
    return RunRecord(query="Summarize the contract", lineup=PAIR, run_id="run-b", status="ok",
                     started_at=DAY1 + timedelta(hours=1), wall_s=4.0, calls=[
                         call("proposer", "openai/alpha", 0.0, 1.0, index=0, ttft=0.2, cost=0.001),
                         call("proposer", "anthropic/beta", 0.0, 1.5, index=1, ttft=0.3, cost=None),
                         call("aggregator", "openai/agg", 1.5, 4.0, ttft=0.5, cost=0.003, prompt=500),
                     ])


def run_c() -> RunRecord:
    """trio again a day later: gamma cancelled by a quorum, alpha retried once and is the slowest."""
    return RunRecord(query="Who signs?", lineup=TRIO, run_id="run-c", status="partial",
                     started_at=DAY1 + timedelta(days=1), wall_s=6.0, calls=[
                         call("proposer", "openai/alpha", 0.0, 4.0, index=0, ttft=1.0, cost=0.001, attempts=2,
                              retry_errors=["RateLimitError: 429"]),
                         call("proposer", "anthropic/beta", 0.0, 2.0, index=1, ttft=0.5, cost=0.002),
                         call("proposer", "groq/gamma", 0.0, 2.5, index=2, status="cancelled", prompt=None,
                              completion=None, error="cancelled: quorum of 2 of 3 reached"),
                         call("aggregator", "openai/agg", 4.0, 6.0, ttft=0.5, cost=0.003, prompt=500),
                         call("baseline", "mistral/solo", 0.0, 2.0, ttft=0.5, cost=0.002),
                     ])


def ratings_for(a: RunRecord, c: RunRecord) -> list[dict]:
    agg_a = a.calls_for("aggregator")[0].call_id
    base_a = a.calls_for("baseline")[0].call_id
    return [
        {"id": 1, "run_id": "run-a", "call_id": agg_a, "target": "call", "stars": 4, "rater": ""},
        {"id": 2, "run_id": "run-a", "call_id": agg_a, "target": "call", "stars": 5, "rater": ""},  # re-rated
        {"id": 3, "run_id": "run-a", "call_id": base_a, "target": "call", "stars": 3, "rater": ""},
        {"id": 4, "run_id": "run-c", "call_id": None, "target": "run", "stars": 2, "rater": "ann"},
    ]
