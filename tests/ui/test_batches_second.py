"""The Batches page through AppTest: a second batch started after the first is the one the Batches
tab opens (the picker kept the first one, and a PM read the old result as the new one)."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def _start(at: AppTest, data_dir, run_queued_jobs) -> str:
    next(b for b in at.button if b.label == "Start batch").click()
    at.run()
    assert not at.exception, at.exception
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    batch_id = store.batches.list_batches(limit=1)[0].id  # the newest
    store.close()
    assert list(run_queued_jobs(data_dir).values()) == ["done"]  # the batch's job, run by a worker
    at.run()
    assert not at.exception, at.exception
    return batch_id


def test_the_batches_tab_opens_the_batch_just_started(data_dir, llm, run_queued_jobs):
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    spec = lambda m: ModelSpec(model=m, api_base=llm.base_url)  # noqa: E731
    lineup = Lineup(proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"), baseline=spec("base"),
                    name="loop", timeout_s=5)
    store.catalog.save_lineup("loop", lineup.to_toml())
    store.catalog.save_eval_set("first set", [{"query": f"Q{i}?"} for i in range(2)])
    store.catalog.save_eval_set("second set", [{"query": f"R{i}?"} for i in range(3)])
    store.close()
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.run()
    at.switch_page("pages/batches.py")
    at.run()
    at.selectbox(key="batch_lineup").select("loop").run()
    at.selectbox(key="batch_set_pick").select("first set").run()
    first = _start(at, data_dir, run_queued_jobs)
    assert at.selectbox(key="batch_pick").value == first
    at.selectbox(key="batch_set_pick").select("second set").run()
    second = _start(at, data_dir, run_queued_jobs)
    assert second != first
    assert at.selectbox(key="batch_pick").value == second
    bar = at.get("progress")[0].proto.text
    assert "done: 6/6 work items" in bar, bar  # the second batch's 3 items x 2 systems, not the first's 4


def test_a_judge_without_a_verdict_is_explained_on_the_page(data_dir, llm):
    from moa_core.batch.runner import create_batch, run_batch
    from moa_core.batch.systems import single_system
    import asyncio

    llm.set("judge", text="Both are <b>fine</b>; I cannot decide.")
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    set_id = store.catalog.save_eval_set("two", [{"query": "A?"}, {"query": "B?"}])
    systems = [single_system(ModelSpec(model=m, api_base=llm.base_url)) for m in ("one", "two")]
    batch_id = create_batch(store, set_id, systems, judge={"model": "judge", "api_base": llm.base_url})
    asyncio.run(run_batch(store, batch_id))
    store.close()
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.run()
    at.switch_page("pages/batches.py")
    at.run()
    assert not at.exception, at.exception
    bar = at.get("progress")[0].proto.text
    assert "done: 6/6 work items · 2 failed (2 by the judge)" in bar, bar
    unescaped = lambda text: text.replace("\\", "")  # noqa: E731 (plain() escapes markdown)
    assert any(unescaped(e.value).startswith("the judge failed on every pair (2 of 2)") for e in at.error)
    [warning] = [w.value for w in at.warning if "gave no verdict" in w.value]
    assert "**2 of 2** pairs" in warning and "2 × the judge judge gave no verdict" in warning
    assert "Both are \\<b\\>fine\\</b\\>" in warning  # model text shown literally, never as HTML
    assert any(b.label == "Resume" for b in at.button)  # the failed judge items can be asked again
