"""History through AppTest: unknown values read as unknown, never "None"."""
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.records import CallRecord, RunRecord
from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return AppTest.from_file("../../app.py", default_timeout=60)


def _unknowns_run(tmp_path) -> RunRecord:
    """A run nobody rated, with a model of unknown price and no wall time (interrupted)."""
    calls = [CallRecord(role="proposer", round=1, index=0, model="local-x", label="p1", status="ok", started_s=0.0,
                        ended_s=1.0, text="Thirty days.", prompt_tokens=10, completion_tokens=3, cost_usd=None),
             CallRecord(role="aggregator", round=1, index=0, model="local-x", label="agg", status="failed",
                        started_s=1.0, ended_s=None, error="cut off")]
    run = RunRecord(query="Notice?", lineup={}, status="interrupted", final="", wall_s=None, calls=calls)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    store.save_run(run)
    store.close()
    return run


def test_unknown_cost_stars_and_latency_read_as_a_dash(app, tmp_path):
    run = _unknowns_run(tmp_path)
    app.run()
    app.switch_page("pages/history.py")
    app.query_params["run"] = run.run_id
    app.run()
    assert not app.exception
    table = app.dataframe[0]
    [row] = table.value.to_dict("records")
    assert row["run_id"] == run.run_id
    assert table.proto.placeholder == "—"  # Streamlit's default for a missing value is the word "None"
    texts = [m.value for m in app.markdown] + [c.value for c in app.caption] + [m.value for m in app.metric]
    assert not [t for t in texts if "None" in str(t)]
    assert any(m.value == "unknown" for m in app.metric if m.label == "Cost")


def test_a_price_saved_after_the_run_reaches_its_history_row_marked(app, tmp_path):
    run = _unknowns_run(tmp_path)
    unpriced = RunRecord(query="Still unknown?", lineup={}, status="ok", final="x", wall_s=1.0, calls=[
        CallRecord(role="proposer", round=1, index=0, model="other-y", label="p", status="ok", started_s=0.0,
                   ended_s=1.0, text="x", prompt_tokens=5, completion_tokens=5, cost_usd=None)])
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    store.save_run(unpriced)
    store.catalog.set_price("local-x", 1e-3, 2e-3)  # saved after the run: 10 x 1e-3 + 3 x 2e-3 = $0.016; agg failed, 0
    store.close()
    app.run()
    app.switch_page("pages/history.py")
    app.run()
    assert not app.exception
    rows = {r["run_id"]: r for r in app.dataframe[0].value.to_dict("records")}
    assert rows[run.run_id]["cost"] == "$0.016*"
    assert pd.isna(rows[unpriced.run_id]["cost"])  # other-y has no price: the dash, not a partial sum
    captions = [c.value for c in app.caption]
    assert any("at current prices" in c and "local-x at $1,000.00 in / $2,000.00 out" in c for c in captions), captions
