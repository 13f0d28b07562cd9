"""The Planner tab plans the newest lineup from its measured per-role tokens and says which basis it used."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.storage import RunStore
from tests.metrics.test_planner_measured_roles import sample_runs

pytestmark = pytest.mark.slow  # AppTest page

PAGE = "../../pages/analytics.py"


def test_the_planner_tab_plans_from_the_measured_aggregator_input(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    for record in sample_runs():
        store.save_run(record)
    store.close()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.session_state["analytics-section"] = "Planner"
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Basis: measured in 3 run(s) of this lineup (medians): proposers read 40 and answer 50 tokens; " \
           "the aggregator reads 190 (its own prompt included) and answers 60." in captions
    at.multiselect(key="plan-proposers").set_value(["p1", "p2"]).run()  # a lineup never run: the templates
    assert not at.exception, at.exception
    assert "Basis: the prompt templates (no runs of this lineup yet)" in " ".join(c.value for c in at.caption)
