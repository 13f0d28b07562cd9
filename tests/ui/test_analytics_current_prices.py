"""Analytics, History's neighbour: a price saved after a run reaches the headline, labelled "at current prices"."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.storage import RunStore
from tests.metrics.sample_runs import run_a, run_b, run_c

pytestmark = pytest.mark.slow  # AppTest page

PAGE = "../../pages/analytics.py"


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.get("metric") if m.label == label)


def test_a_price_saved_after_the_run_reaches_the_analytics_headline(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    for record in (run_a(), run_b(), run_c()):
        store.save_run(record)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert _metric(at, "Total cost") == "$0.0155 + unknown"  # run_a 0.0075 + run_c 0.008; run_b: beta has no price
    store.catalog.set_price("anthropic/beta", 1e-6, 2e-6)  # saved after the run: the page's data version changes
    store.close()
    at.run()
    assert not at.exception, at.exception
    # run_a 0.0075 + run_b 0.001 + 100 x 1e-6 + 200 x 2e-6 + 0.003 + run_c 0.008 = 0.02
    assert _metric(at, "Total cost") == "$0.02"
    captions = " ".join(c.value for c in at.caption)
    assert ("1 run(s) costed at current prices (set after they ran): anthropic/beta at $1.00 in / $2.00 out per "
            "1M tokens (your price)") in captions
