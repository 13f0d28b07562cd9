"""The live view reads the run's lineup typed (`RunRecord.lineup_snapshot`), not with `.get` on the stored
JSON: an old or malformed stored lineup (a seat that is not a table, no aggregator, adaptive rounds) draws
without crashing and with the labels the rest of the app uses."""
import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest


def _live():
    from datetime import timedelta

    from moa_core.records import CallRecord, RunRecord, utcnow
    from moa_core.storage.jobs import JobView
    from ui.live import render_live

    lineup = {"proposers": [{"model": "m-a", "label": "alpha"}, "not a seat", {"model": "m-c"}],
              "rounds": "auto", "max_rounds": 3, "aggregator": None, "baseline": {"model": "b-model"}}
    calls = [CallRecord(role="proposer", round=1, index=0, model="m-a", label="alpha", status="ok",
                        started_s=0.0, ended_s=1.0, text="First proposal.", completion_tokens=3, cost_usd=0.0)]
    record = RunRecord(query="Q?", lineup=lineup, status="running", calls=calls)
    now = utcnow()
    job = JobView(id="j1", kind="run", status="running", payload={}, run_id=record.run_id, attempts=1,
                  cancel_requested=False, lease_owner="w", lease_expires_at=now + timedelta(seconds=30),
                  error=None, created_at=now, started_at=now, finished_at=None)
    render_live(job, record)


def test_live_view_draws_an_old_or_malformed_lineup_by_its_typed_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    at = AppTest.from_function(_live, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    texts = [m.value for m in at.markdown]
    # titles go through safe_text.plain, which escapes markdown: "[1]" reads "\\[1\\]", "m-c" "m\\-c"
    assert r"**\[1\] alpha**" in texts and r"**\[2\] ?**" in texts and r"**\[3\] m\-c**" in texts
    assert "**Synthesis · ?**" in texts and r"**Baseline · b\-model**" in texts
    [info] = [i.value for i in at.info]
    assert "Running 3 proposers × up to 3 rounds (auto)" in info and "1 of 1 call done" in info
