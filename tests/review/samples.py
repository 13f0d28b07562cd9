"""Runs with a synthesis, proposals, a baseline and a fallback, built by hand for the review tests."""
from datetime import timedelta

from moa_core.records import CallRecord, RunRecord, utcnow


def _call(role, model, text, index=0, status="ok", round=1):
    return CallRecord(role=role, round=round, index=index, model=model, label=model, status=status, text=text,
                      started_s=0.0, ended_s=1.0)


def moa_run(query="What is the notice period?", name="pair", proposals=("30 days.", "90 days."),
            synthesis="30 days, 90 at renewal.", baseline="30 days I think.", fallback=None, minutes_ago=0,
            batch_id=None):
    calls = [_call("proposer", f"m{i + 1}", t, index=i) for i, t in enumerate(proposals)]
    if synthesis is not None:
        calls.append(_call("aggregator", "agg", synthesis))
    if baseline is not None:
        calls.append(_call("baseline", "base-model", baseline))
    if fallback is not None:
        calls.append(_call("fallback", "fb-model", fallback))
    run = RunRecord(query=query, lineup={"name": name, "proposers": [{"model": f"m{i + 1}"} for i in
                                                                    range(len(proposals))],
                                         "aggregator": {"model": "agg"}},
                    status="ok" if synthesis is not None else "fallback",
                    final=synthesis if synthesis is not None else (fallback or ""), wall_s=1.0, calls=calls)
    run.started_at = utcnow() - timedelta(minutes=minutes_ago)
    return run
