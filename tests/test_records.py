"""Records: the vocabulary every layer shares. One serializer, one display name, totals that keep unknown unknown."""
from datetime import datetime, timezone

from moa_core.records import CallRecord, RunRecord


def _call(role="proposer", index=0, round=1, start=0.0, end=1.0, cost=0.01, prompt=10, completion=5, **kw):
    return CallRecord(role=role, round=round, index=index, model=f"m{index}", label=f"seat{index}", started_s=start,
                      ended_s=end, cost_usd=cost, prompt_tokens=prompt, completion_tokens=completion, **kw)


def test_display_name_is_the_same_everywhere():
    assert _call(index=1).display_name == "[2] seat1"
    assert _call(role="aggregator").display_name == "aggregator: seat0"
    assert _call(role="baseline").display_name == "baseline: seat0"


def test_to_dict_is_the_one_serializer_and_summary_a_subset_of_it():
    run = RunRecord(query="q", lineup={"name": "pair"}, status="ok", final="answer", wall_s=2.123456,
                    started_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
                    calls=[_call(), _call(index=1, end=1.5), _call(role="aggregator", start=1.5, end=2.0)])
    full = run.to_dict()
    assert full["started_at"] == "2026-01-02T00:00:00+00:00" and full["lineup"] == {"name": "pair"}
    assert full["cost_usd"] == 0.03 and full["critical_path_s"] == 2.0 and full["prompt_tokens"] == 30
    assert [c["call_id"] for c in full["calls"]] == [c.call_id for c in run.calls]
    summary = run.summary()
    assert set(summary) == {"run_id", "status", "final", "note", "wall_s", "critical_path_s", "cost_usd", "calls",
                            "rounds_run", "rounds_note"}
    assert summary["rounds_run"] == 1 and full["rounds_run"] == 1  # rounds follow from the calls
    assert summary["wall_s"] == 2.1235 and summary["calls"][2]["role"] == "aggregator"
    assert all(summary["calls"][i][k] == full["calls"][i][k] for i in range(3) for k in summary["calls"][i])


def test_unknown_price_with_tokens_makes_the_total_unknown_but_an_unused_call_costs_nothing():
    run = RunRecord(query="q", lineup={}, calls=[_call(), _call(index=1, cost=None, prompt=0, completion=0)])
    assert run.cost_usd == 0.01
    run.calls.append(_call(index=2, cost=None))
    assert run.cost_usd is None


def test_call_round_trips_through_a_dict_and_ignores_unknown_keys():
    call = _call(text="hi", retry_errors=["429"])
    again = CallRecord.from_dict(call.to_dict() | {"from_a_newer_version": 1})
    assert again == call
