"""The planner's starting point, from plain rows shaped like run_tables.call_table / run_table, worked out by hand."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from moa_core.metrics.run_tables import CALL_COLUMNS, RUN_COLUMNS
from moa_core.metrics.planner_inputs import (DEFAULT_ANSWER_TOKENS, DEFAULT_PROMPT_TOKENS, LatestLineup,
                                             latest_lineup, measured_cost_multiple, median_tokens, planner_basis,
                                             template_tokens)
from moa_core.prompts import render_aggregator_prompt
from moa_core.providers.llm import count_tokens

DAY1 = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAY2 = datetime(2026, 11, 2, tzinfo=timezone.utc)


def call(run_id, started_at, role, model, round=1, status="ok", cached=False, prompt=None, answer=None, **more):
    return {c: None for c in CALL_COLUMNS} | {
        "run_id": run_id, "started_at": started_at, "role": role, "model": model, "round": round,
        "status": status, "cached": cached, "prompt_tokens": prompt, "completion_tokens": answer,
        "attempts": 1, "retries": 0, "error": "", "retry_errors": ""} | more


def calls(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=CALL_COLUMNS)


TABLE = calls(
    # an older run: two proposers, one aggregator
    call("old", DAY1, "proposer", "a", prompt=100, answer=40),
    call("old", DAY1, "proposer", "b", prompt=120, answer=60),
    call("old", DAY1, "aggregator", "agg", prompt=900, answer=50),
    # the newest run: two rounds, "x" seated twice, a failed proposer, a cached proposer, a baseline
    call("new", DAY2, "proposer", "x", prompt=200, answer=80),
    call("new", DAY2, "proposer", "y", status="failed", prompt=5000, answer=None),
    call("new", DAY2, "proposer", "x", prompt=210, answer=100),
    call("new", DAY2, "proposer", "z", cached=True, prompt=9000, answer=9000),
    call("new", DAY2, "proposer", "x", round=2, prompt=700, answer=90),
    call("new", DAY2, "aggregator", "agg2", prompt=1100, answer=70),
    call("new", DAY2, "baseline", "solo", prompt=200, answer=300),
)


def test_the_newest_run_gives_round_one_proposers_once_each_its_aggregator_and_rounds():
    latest = latest_lineup(TABLE)
    # x, y (failed: still seated), x again (kept once), z (cached: still seated); round 2 is not round 1
    assert latest == LatestLineup(["x", "y", "z"], ["agg2"], 2)
    assert latest_lineup(calls()) == LatestLineup([], [], 1)
    only_baseline = calls(call("s", DAY1, "baseline", "solo"))
    assert latest_lineup(only_baseline) == LatestLineup([], [], 1)


def test_median_tokens_count_only_successful_calls_that_asked_a_model():
    # proposers ok and not cached: prompts 100, 120, 200, 210, 700 -> median 200 (failed 5000 and cached 9000 out)
    assert median_tokens(TABLE, "prompt_tokens", 500) == 200
    # answers 40, 60, 80, 100, 90 -> sorted 40 60 80 90 100 -> 80
    assert median_tokens(TABLE, "completion_tokens", 300) == 80
    # aggregators 900 and 1100 -> 1000 (an even count: the mean of the middle two)
    assert median_tokens(TABLE, "prompt_tokens", 0, role="aggregator") == 1000
    assert median_tokens(TABLE, "prompt_tokens", 7, role="judge") == 7  # no such calls: the default
    assert median_tokens(calls(), "prompt_tokens", 500) == 500
    unknown = calls(call("r", DAY1, "proposer", "a", prompt=None))  # a provider that sent no usage
    assert median_tokens(unknown, "prompt_tokens", 500) == 500


def test_the_basis_bundles_defaults_and_models_seen_most_called_first():
    basis = planner_basis(TABLE)
    assert basis.seen[0] == "x" and set(basis.seen) == {"a", "b", "agg", "x", "y", "z", "agg2", "solo"}
    assert (basis.prompt_tokens, basis.answer_tokens, basis.aggregator_prompt_tokens) == (200, 80, 1000)
    assert basis.latest.rounds == 2 and "x" in basis.figures
    empty = planner_basis(calls())
    assert (empty.prompt_tokens, empty.answer_tokens, empty.aggregator_prompt_tokens) == (
        DEFAULT_PROMPT_TOKENS, DEFAULT_ANSWER_TOKENS, 0)
    assert empty.figures == {} and empty.seen == [] and empty.latest == LatestLineup()


def run(run_id, multiple, cached=False):
    return {c: None for c in RUN_COLUMNS} | {"run_id": run_id, "cost_multiple": multiple, "cached": cached}


def test_the_measured_multiple_is_the_median_of_runs_with_a_baseline_that_were_not_cached():
    runs = pd.DataFrame([run("a", 4.0), run("b", None), run("c", 3.0), run("d", 0.1, cached=True), run("e", 5.0)],
                        columns=RUN_COLUMNS)
    assert measured_cost_multiple(runs) == (pytest.approx(4.0), 3)  # 3.0, 4.0, 5.0; d replayed, b no baseline
    assert measured_cost_multiple(runs.iloc[[0, 2]]) == (pytest.approx(3.5), 2)
    assert measured_cost_multiple(runs.iloc[[1, 3]]) == (None, 0)
    assert measured_cost_multiple(pd.DataFrame(columns=RUN_COLUMNS)) == (None, 0)


def test_template_tokens_count_the_aggregators_own_prompt_around_empty_proposals():
    reference = count_tokens("openai/agg", text=render_aggregator_prompt(None, [("model 1", ""), ("model 2", "")]))
    assert template_tokens("openai/agg", 2, None) == reference > 100
    assert template_tokens("openai/agg", 2, "Merge: {proposals}") < reference  # the user's template wins
