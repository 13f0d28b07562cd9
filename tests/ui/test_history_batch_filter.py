"""History's batch filter (issue 23: History floods with batch runs): all runs, interactive only, or
the runs of one batch."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.storage import RunStore
from tests.review.samples import moa_run

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page


def test_history_shows_all_interactive_only_or_one_batch(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    set_id = store.catalog.save_eval_set("set", [{"query": "Q?"}])
    for batch in ("batch-one", "batch-two"):
        store.batches.create_batch(batch, set_id, {"systems": []}, [])
    runs = {"typed 1": None, "typed 2": None, "one a": "batch-one", "one b": "batch-one", "two a": "batch-two"}
    for query, batch in runs.items():
        store.save_run(moa_run(query=query))
        last = store.list_runs(limit=1)[0].run_id
        if batch:
            store.link_run(last, batch_id=batch)
    store.close()
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.run()
    at.switch_page("pages/history.py")
    at.run()
    assert not at.exception, at.exception

    def queries() -> set[str]:
        return set(at.dataframe[0].value["query"])

    assert queries() == set(runs)
    picker = at.selectbox(key="history_batch")
    picker.select("interactive only").run()
    assert queries() == {"typed 1", "typed 2"}
    picker = at.selectbox(key="history_batch")
    assert picker.options[:2] == ["all runs", "interactive only"]
    one = next(o for o in picker.options if "batch-one" in o)
    picker.select(one).run()
    assert not at.exception, at.exception
    assert queries() == {"one a", "one b"}
