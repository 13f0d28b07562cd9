"""The Batches page through AppTest: empty state, the demo set, starting a batch (a job a `moa worker` runs, never
the app: issue 26), its progress and summary read back from the database, resume and cancel controls."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from moa_core.jobs.batches import batch_job
from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def page() -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.run()
    at.switch_page("pages/batches.py")
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "success", "error")
                    for e in at.get(kind))


def test_empty_page_says_what_to_do_and_imports_the_demo_set(data_dir):
    at = page()
    assert "No eval sets yet" in texts(at) and "No batches yet" in texts(at)
    next(b for b in at.button if b.label.startswith("Import the demo set")).click()
    at.run()
    assert not at.exception
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    [demo] = store.catalog.list_eval_sets()
    assert demo.name == "demo" and len(store.catalog.eval_set_items(demo.id)) == 20


def test_start_a_batch_and_read_its_summary(data_dir, llm, monkeypatch, run_queued_jobs):
    """Start batch queues a job: however often the page redraws, the app asks no model and says no worker has
    taken it; a worker then runs the batch and the page reads it back."""
    import ui.live

    monkeypatch.setattr(ui.live, "NO_WORKER_AFTER_S", 0.5)
    llm.set("agg", text="The **MoA** answer: <script>alert(1)</script>")
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    spec = lambda m: ModelSpec(model=m, api_base=llm.base_url)  # noqa: E731
    lineup = Lineup(proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"), baseline=spec("base"),
                    name="loop", timeout_s=5)
    store.catalog.save_lineup("loop", lineup.to_toml())
    store.catalog.save_eval_set("three", [{"query": f"Q{i}?", "reference": "R"} for i in range(3)])
    store.close()
    at = page()
    at.selectbox(key="batch_lineup").select("loop").run()
    assert "3 items × 2 systems" in texts(at)
    assert any(m.label == "Projected cost" for m in at.metric)
    next(b for b in at.button if b.label == "Start batch").click()
    at.run()
    batch_id = at.session_state["batch_open"]
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    job = batch_job(store, batch_id)
    store.close()
    assert job is not None and job.kind == "batch" and job.status == "queued" and job.payload["resume"] is False
    time.sleep(0.6)
    at.run()  # redrawn from the store: still nobody runs it
    assert not at.exception, at.exception
    assert "no worker has taken it yet" in texts(at)
    assert "running: 0/6 work items" in at.get("progress")[0].proto.text
    assert any(b.label == "Cancel" for b in at.button) and not any(b.label == "Resume" for b in at.button)
    assert llm.requests == [], "the app process called a model"

    assert run_queued_jobs(data_dir) == {job.id: "done"}
    assert {r.model for r in llm.requests} == {"p1", "p2", "agg", "base"}  # the worker's calls
    at.run()
    assert not at.exception
    assert "no worker has taken it yet" not in texts(at)
    bars = [p for p in at.get("progress")]
    assert bars and "done: 6/6 work items" in bars[0].proto.text
    frames = [df.value for df in at.dataframe]
    summary = next(f for f in frames if "win rate" in f.columns)
    assert list(summary["system"]) == ["loop", "base"]
    assert list(summary["failed"]) == [0, 0]
    assert not any(b.label == "Resume" for b in at.button)  # a finished batch has nothing to resume
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    assert store.batches.get_batch(batch_id).status == "done"


def test_a_stopped_batch_offers_resume(data_dir, llm, run_queued_jobs):
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    from moa_core.batch.runner import create_batch
    from moa_core.batch.systems import single_system

    set_id = store.catalog.save_eval_set("two", [{"query": "A?"}, {"query": "B?"}])
    batch_id = create_batch(store, set_id, [single_system(ModelSpec(model="base", api_base=llm.base_url))])
    store.batches.set_batch_status(batch_id, "budget reached")
    store.close()
    at = page()
    assert any(b.label == "Resume" for b in at.button)
    next(b for b in at.button if b.label == "Resume").click()
    at.run()
    assert not at.exception, at.exception
    assert not any(b.label == "Resume" for b in at.button)  # its job is queued: not twice
    assert llm.requests == []
    (job_id,) = run_queued_jobs(data_dir)
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    assert store.jobs.get_job(job_id).kind == "batch"
    store.close()
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    assert store.batches.get_batch(batch_id).status == "done" and store.batches.batch_counts(batch_id)["done"] == 2


def test_cancel_before_a_worker_took_the_batch_cancels_it_at_once(data_dir, llm, run_queued_jobs):
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    from moa_core.batch.runner import create_batch
    from moa_core.batch.systems import single_system
    from moa_core.jobs.batches import submit_batch

    set_id = store.catalog.save_eval_set("two", [{"query": "A?"}, {"query": "B?"}])
    batch_id = create_batch(store, set_id, [single_system(ModelSpec(model="base", api_base=llm.base_url))])
    job_id = submit_batch(store, batch_id)
    store.close()
    at = page()
    next(b for b in at.button if b.label == "Cancel").click()
    at.run()
    assert not at.exception, at.exception
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    assert store.jobs.get_job(job_id).status == "cancelled" and store.batches.get_batch(batch_id).status == "cancelled"
    store.close()
    assert "cancelled: 0/2 work items" in at.get("progress")[0].proto.text
    assert any(b.label == "Resume" for b in at.button) and run_queued_jobs(data_dir) == {} and llm.requests == []
