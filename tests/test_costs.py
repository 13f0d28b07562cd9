"""The critical path and call costs: one derivation, used for the sum and for the highlighted bars."""
import pytest

from moa_core.costs import call_cost, critical_path, critical_path_calls, total_cost
from moa_core.records import CallRecord


def _c(role, round, start, end, index=0, cost=0.0, tokens=1):
    return CallRecord(role=role, round=round, index=index, model="m", label=f"{role}{round}{index}",
                      started_s=start, ended_s=end, cost_usd=cost, prompt_tokens=tokens, completion_tokens=0)


def test_path_is_the_slowest_proposer_of_each_round_then_the_synthesis():
    calls = [_c("proposer", 1, 0, 2, 0), _c("proposer", 1, 0, 3, 1), _c("baseline", 1, 0, 9),
             _c("proposer", 2, 3, 4, 0), _c("proposer", 2, 3, 3.5, 1), _c("aggregator", 2, 4, 6)]
    path = critical_path_calls(calls)
    assert [(c.role, c.round, c.index) for c in path] == [("proposer", 1, 1), ("proposer", 2, 0), ("aggregator", 2, 0)]
    assert critical_path(calls) == pytest.approx(3 + 1 + 2) == sum(c.duration_s for c in path)


def test_no_finished_call_no_path():
    assert critical_path([]) is None and critical_path([CallRecord("proposer", 1, 0, "m", "m")]) is None


def test_call_cost_and_total():
    assert call_cost(_c("proposer", 1, 0, 1, cost=None, tokens=0)) == 0.0  # nothing used, nothing owed
    assert call_cost(_c("proposer", 1, 0, 1, cost=None, tokens=5)) is None
    assert total_cost([_c("proposer", 1, 0, 1, cost=0.5), _c("aggregator", 1, 1, 2, cost=0.25)]) == 0.75
    assert total_cost([_c("proposer", 1, 0, 1, cost=0.5), _c("aggregator", 1, 1, 2, cost=None)]) is None
