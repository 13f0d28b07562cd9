"""Compare page's demo (AppTest): a queued run that a worker runs, never the app (issue 26), and its blind pair.

Both tabs used to draw their pair with the same button keys (StreamlitDuplicateElementKey) and the
same 1-4 shortcuts, so a key could vote on the pair in the hidden tab."""
import asyncio
import time

import pytest
from streamlit.testing.v1 import AppTest

from moa_core.jobs.runner import JobRunner
from moa_core.jobs.runs import submit_run
from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore
from tests.browser_support import eventually
from tests.review.samples import moa_run

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page

DEMO_TAB = "Demo: MoA against one model"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    yield s
    s.close()


def _lineup(llm, proposers=("p1", "p2")) -> Lineup:
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    return Lineup(name="demo", proposers=[spec(p) for p in proposers], aggregator=spec("agg"),
                  baseline=spec("single"), timeout_s=30, max_retries=0)


def _work(store) -> dict[str, str]:
    """What `moa worker` does beside the app: run every queued job to the end (here, in the test's process)."""
    runner = JobRunner(store, heartbeat_s=0.2, poll_s=0.05)
    asyncio.run(runner.serve(until_idle=True))
    return runner.finished


def _demo_run(store, llm) -> str:
    """A real demo run (MoA lineup with a single-model baseline) on the loopback server, run by a worker."""
    run_id = submit_run(store, "What is the demo question?", _lineup(llm))
    assert _work(store) == {run_id: "done"}
    return run_id


def _page(demo_run: str | None = None, tab: str | None = None, address: str | None = None) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.switch_page("pages/compare.py")
    at.session_state["reviewer_name"] = "ann"
    if demo_run:
        at.session_state["demo-run"] = demo_run
    if address:
        at.query_params["demo"] = address
    if tab:
        at.session_state["compare-source"] = tab
    return at


def _shown(at) -> str:
    return " ".join(m.value for m in at.markdown)


def _votes(at) -> list:
    return [b for b in at.button if b.key and "-vote-" in b.key]


def test_a_stored_pair_and_a_demo_pair_draw_without_a_key_clash(store, llm):
    store.save_run(moa_run(query="What is the notice period?", synthesis="STORED synthesis",
                           baseline="STORED baseline"))
    demo = _demo_run(store, llm)
    at = _page(demo)
    at.run()
    assert not at.exception, at.exception
    # only the pair on screen has vote buttons (and so the 1-4 shortcuts): one set, not two
    assert [b.label for b in _votes(at)] == ["A is better", "B is better", "Tie", "Both bad"]


def test_the_vote_is_stored_on_the_demo_pair_on_screen(store, llm):
    store.save_run(moa_run(query="What is the notice period?", synthesis="STORED synthesis",
                           baseline="STORED baseline"))
    demo = _demo_run(store, llm)
    at = _page(demo, tab=DEMO_TAB)
    at.run()
    assert not at.exception, at.exception
    shown = _shown(at)
    assert "What is the demo question?" in shown and "STORED synthesis" not in shown
    votes = _votes(at)
    assert len(votes) == 4
    next(b for b in votes if b.label == "Both bad").click().run()
    assert not at.exception, at.exception
    (vote,) = store.votes.list_votes()
    assert vote.winner == "both_bad" and {vote.run_a_id, vote.run_b_id} == {demo}


def test_run_both_queues_a_job_the_app_never_runs_and_a_worker_does(store, llm, monkeypatch):
    """The page submits and reads: with no worker, no request reaches the LLM server however often the page
    redraws, the page says no worker took the job, and the run id is in the address; a worker then runs it."""
    import ui.live

    monkeypatch.setattr(ui.live, "NO_WORKER_AFTER_S", 0.5)
    llm.set("p1", text="P1 proposes thirty days.")
    llm.set("agg", text="DEMO synthesis: thirty days.")
    llm.set("single", text="DEMO single model: a month.")
    store.catalog.save_lineup("duo", Lineup(proposers=[ModelSpec(model="p1", api_base=llm.base_url)],
                                            aggregator=ModelSpec(model="agg", api_base=llm.base_url),
                                            timeout_s=30, max_retries=0).to_toml())
    store.catalog.set_setting("base_urls", [{"url": llm.base_url, "kind": "openai"}])
    at = _page(tab=DEMO_TAB)
    at.run()
    assert not at.exception, at.exception
    at.text_area(key="demo-query").input("What is the DEMO question?")
    at.selectbox(key="demo-lineup").select("duo")
    at.selectbox(key="demo-model").select("openai/single")
    at.button(key="demo-run-button").click().run()
    assert not at.exception, [e.value for e in at.error]

    run_id = at.session_state["demo-run"]
    assert at.query_params["demo"] in (run_id, [run_id])  # the address keeps it
    job = store.jobs.get_job(run_id)
    assert job.kind == "run" and job.status == "queued" and job.payload["lineup"]["baseline"]["model"] == "openai/single"
    time.sleep(0.6)
    at.run()  # the page redraws from the store; still nobody runs it
    assert "no worker has taken it yet" in " ".join(i.value for i in at.info)
    assert at.text_area(key="demo-query").disabled and at.button(key="demo-run-button").disabled
    assert llm.requests == [], "the app process called a model"

    assert _work(store) == {run_id: "done"}
    assert {r.model for r in llm.requests} == {"p1", "agg", "single"}  # the worker's calls
    at.run()
    assert not at.exception, at.exception
    shown = _shown(at)
    assert "DEMO synthesis: thirty days." in shown and "DEMO single model: a month." in shown
    assert len(_votes(at)) == 4 and not at.text_area(key="demo-query").disabled


def test_a_reload_with_the_demo_in_the_address_opens_the_demo_tab_on_its_pair(store, llm):
    """A new session (a reload, another app process) holding `?demo=ID` finds the demo in the store."""
    store.save_run(moa_run(query="What is the notice period?", synthesis="STORED synthesis",
                           baseline="STORED baseline"))
    demo = _demo_run(store, llm)
    at = _page(address=demo)
    at.run()
    assert not at.exception, at.exception
    shown = _shown(at)
    assert "What is the demo question?" in shown and "STORED synthesis" not in shown
    assert len(_votes(at)) == 4


def test_stop_flags_the_job_and_the_worker_stores_the_demo_as_cancelled(store, llm):
    llm.set("p1", text="Quick.")
    llm.set("p2", text=" ".join(["word"] * 400), latency_s=30)
    run_id = submit_run(store, "Stop the demo", _lineup(llm))
    runner = JobRunner(store, heartbeat_s=0.2, poll_s=0.05)
    thread = runner.start_thread()
    try:
        assert eventually(lambda: (r := store.get_run(run_id)) is not None and any(c.text for c in r.calls
                                                                                   if c.model == "p2"),
                          timeout_s=30), "the slow proposer never streamed"
        at = _page(demo_run=run_id, tab=DEMO_TAB)
        at.run()
        assert not at.exception, at.exception
        assert "Stop the demo" == at.text_area(key="demo-query").value  # the query asked, locked
        progress = at.get("progress")[0].proto.text
        assert "Running both… proposals 1 of 2" in progress, progress
        assert "word" not in _shown(at)  # blind while running: no answer text
        at.button(key="demo-stop").click().run()
        assert not at.exception, at.exception
        assert store.jobs.get_job(run_id).status == "cancelled"
        assert "Demo stopped" in " ".join(w.value for w in at.warning)
        assert _votes(at) == []
    finally:
        runner.stop()
        thread.join(30)
    assert store.get_run(run_id).status == "cancelled"
