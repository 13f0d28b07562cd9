"""A run outlives the web process: Streamlit killed and started again mid-run, the run goes on in its worker and
the reopened page shows it live, then finished (issue 26). Real Chromium, real `streamlit run`, real `moa worker`."""
from __future__ import annotations

import re
import uuid

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs

pytestmark = pytest.mark.browser

LONG = " ".join(f"word{i}" for i in range(300))
BEHAVIOURS = {
    "steady-a": dict(text=LONG, ttft_s=0.2, latency_s=25),  # long enough to outlast a Streamlit restart
    "steady-b": dict(text=LONG, ttft_s=0.2, latency_s=25),
    "steady-agg": dict(text="Both proposals agree.", ttft_s=0.1, latency_s=1.0),
}


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


def test_killing_and_restarting_streamlit_mid_run_leaves_the_run_going_and_shown_live(browser, llm, tmp_path):
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(tmp_path, "steady", Lineup(proposers=[spec("steady-a"), spec("steady-b")],
                                              aggregator=spec("steady-agg"), timeout_s=60, max_retries=0))
    query = f"Does the run survive a restart? [{uuid.uuid4().hex[:6]}]"
    app = bs.StreamlitApp(tmp_path).start()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        bs.open_page(page, app.url)
        bs.pick_option(page, "Start from a lineup", "steady")
        bs.run_query(page, query)
        main = page.get_by_test_id("stMain")
        streaming = main.get_by_test_id("stCaptionContainer").filter(
            has_text=re.compile(r"streaming \(round 1\) · \d+ words"))
        streaming.first.wait_for(state="visible", timeout=60_000)
        run_id = re.search(r"[?&]run=([\w-]+)", page.url)[1]
        worker_pid = app.worker.pid

        app.kill_streamlit()  # SIGKILL: what a crash or a deploy does to the web process
        store = bs.open_store(tmp_path)
        before = store.get_run(run_id, documents=False)
        assert before.status == "running"
        app.start_streamlit()

        bs.open_page(page, f"{app.url}/?run={run_id}")
        bs.expect(main.get_by_test_id("stAlert").filter(has_text="Running 2 proposers")).to_be_visible(timeout=30_000)
        words = lambda: sum(len(c.text.split()) for c in store.get_run(run_id, documents=False).calls)  # noqa: E731
        shown_at = words()
        streaming.first.wait_for(state="visible", timeout=30_000)  # live again, from the store
        assert bs.eventually(lambda: words() > shown_at, timeout_s=20), "the run stopped streaming after the restart"
        bs.wait_for_run_view(page, query, timeout_ms=90_000)
        bs.expect(bs.card(bs.answers(page), "Synthesis · steady-agg")).to_contain_text("Both proposals agree.")

        run, job = store.get_run(run_id), store.jobs.get_job(run_id)
        assert run.status == "ok" and [c.status for c in run.calls] == ["ok", "ok", "ok"]
        assert job.status == "done" and job.attempts == 1  # one worker ran it from start to end
        assert app.worker.pid == worker_pid and app.worker.poll() is None
        store.close()
    finally:
        context.close()
        app.stop()


def test_stop_on_the_page_is_obeyed_by_the_worker_and_keeps_what_streamed(browser, llm, tmp_path):
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(tmp_path, "steady", Lineup(proposers=[spec("steady-a"), spec("steady-b")],
                                              aggregator=spec("steady-agg"), timeout_s=60, max_retries=0))
    query = f"Stop this one [{uuid.uuid4().hex[:6]}]"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        with bs.StreamlitApp(tmp_path) as app:
            page = context.new_page()
            bs.open_page(page, app.url)
            bs.pick_option(page, "Start from a lineup", "steady")
            bs.run_query(page, query)
            main = page.get_by_test_id("stMain")
            main.get_by_test_id("stCaptionContainer").filter(
                has_text=re.compile(r"streaming \(round 1\) · \d+ words")).first.wait_for(state="visible",
                                                                                         timeout=60_000)
            page.get_by_role("button", name="Stop").click()
            bs.wait_for_run_view(page, query, timeout_ms=30_000)
            bs.expect(main.get_by_test_id("stAlert").filter(has_text="cancelled")).to_be_visible()
            store = bs.open_store(tmp_path)
            run_id = re.search(r"[?&]run=([\w-]+)", page.url)[1]
            run, job = store.get_run(run_id), store.jobs.get_job(run_id)
            store.close()
            assert run.status == "cancelled" and job.status == "cancelled"
            assert {c.status for c in run.calls} == {"cancelled"} and all(c.text for c in run.calls)
    finally:
        context.close()
