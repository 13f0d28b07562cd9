"""Crash safety of the app: `streamlit run` (or its worker) killed with SIGKILL mid-run or mid-batch loses nothing
already done.

A first run finishes and is rated in the browser; a second run is killed while its aggregator
streams (both proposals done). After a restart the ratings and the finished calls are there, and
the killed run is `interrupted`, shown so in History.
"""
from __future__ import annotations

import os
import re
import signal
import uuid

import pytest

from moa_core.jobs.batches import batch_job
from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs

pytestmark = pytest.mark.browser


def _eventually(check, timeout_s: float = 20.0):
    return bs.eventually(check, timeout_s)


def _run_id(store, query: str) -> str | None:
    runs = store.list_runs(search=query)
    return runs[0].run_id if runs else None


def test_sigkill_mid_run_keeps_finished_calls_and_ratings(tmp_path):
    from playwright.sync_api import sync_playwright

    behaviours = {"alpha": dict(text="Thirty days.", latency_s=0.3), "beta": dict(text="Ninety days.", latency_s=0.3),
                  "agg": dict(text="Thirty days, ninety at renewal.", latency_s=0.5),
                  "slow-agg": dict(text="word " * 400, ttft_s=0.2, latency_s=60)}
    with LLMServer(behaviours=behaviours) as llm, sync_playwright() as playwright:
        spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
        data = tmp_path / "data"
        bs.save_lineup(data, "quick", Lineup(proposers=[spec("alpha"), spec("beta")], aggregator=spec("agg"),
                                             timeout_s=10, max_retries=0))
        bs.save_lineup(data, "slow", Lineup(proposers=[spec("alpha"), spec("beta")], aggregator=spec("slow-agg"),
                                            timeout_s=120, max_retries=0))
        browser = bs.launch_chromium(playwright)
        app = bs.StreamlitApp(data).start()
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            bs.open_page(page, f"{app.url}/?reviewer=crash-test")  # stars are stored only with a name
            rated = f"Rated before the crash [{uuid.uuid4().hex[:6]}]"
            bs.pick_option(page, "Start from a lineup", "quick")
            bs.run_query(page, rated)
            bs.wait_for_run_view(page, rated)
            beta = bs.card(bs.answers(page), "[2] beta")
            beta.get_by_test_id("stFeedback").get_by_role("radio", name="4 out of 5 stars").click()
            bs.expect(page.get_by_test_id("stToast").filter(has_text="Rating saved for beta").first).to_be_visible()

            killed = f"Killed mid-run [{uuid.uuid4().hex[:6]}]"
            page = browser.new_page(viewport={"width": 1400, "height": 1000})  # a new session, as test_browser does
            bs.open_page(page, app.url)
            bs.pick_option(page, "Start from a lineup", "slow")
            bs.run_query(page, killed)
            store = bs.open_store(data)
            try:
                def proposals_stored():
                    run_id = _run_id(store, killed)
                    run = store.get_run(run_id) if run_id else None
                    calls = run.calls if run else []
                    return run_id if sum(c.role == "proposer" and c.ok for c in calls) == 2 else None
                run_id = _eventually(proposals_stored)
                assert run_id, "the proposals of the second run were never stored"
                bs.expect(page.get_by_text("word word word").first).to_be_visible(timeout=15_000)  # aggregator streams
                # the machine goes down: the worker running the job and the app both die (the app alone
                # dying leaves the run going on in the worker: tests/ui/test_browser_run_restart.py)
                os.kill(app.worker.pid, signal.SIGKILL)
                app.worker.wait(timeout=10)
                app.worker = None
                os.kill(app.proc.pid, signal.SIGKILL)
                app.proc.wait(timeout=10)
                app.proc = None
                assert store.get_run(run_id).status == "running"  # nobody closed it: the processes died
            finally:
                store.close()

            app.start()  # the restarted app and worker open the store, which closes runs whose process is gone
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            bs.open_page(page, f"{app.url}/history?run={run_id}")
            bs.expect(page.get_by_role("heading", name=re.compile(f"Run {run_id}"))).to_be_visible()
            # the run's banner (the History table has the word too, in cells a canvas grid hides)
            bs.expect(page.get_by_test_id("stAlert").filter(has_text="interrupted").first).to_be_visible()
            bs.expect(bs.card(bs.answers(page), "[1] alpha")).to_contain_text("Thirty days.")

            store = bs.open_store(data)
            try:
                run = store.get_run(run_id)
                assert run.status == "interrupted" and "2 finished call(s) kept" in run.note
                assert [c.text for c in run.calls if c.role == "proposer"] == ["Thirty days.", "Ninety days."]
                rated_id = _run_id(store, rated)
                assert [r.stars for r in store.ratings.ratings_for(rated_id)] == [4]
                assert store.get_run(rated_id).status == "ok"
            finally:
                store.close()
        finally:
            app.stop()
            browser.close()


def test_sigkill_mid_batch_keeps_finished_items_and_the_next_worker_finishes_only_the_rest(tmp_path):
    """A batch started on the Batches page runs in the `moa worker` beside the app (issue 26). `streamlit run`
    is killed while items 2 and 3 wait at the server: the batch goes on, and the restarted app shows it running.
    Then the worker is killed and another started: it takes the batch over and finishes it, asking the server
    only for items 2-3 again, and the open page shows it done; the finished items, their calls and a rating given
    before are kept."""
    import threading
    from collections import Counter

    from playwright.sync_api import sync_playwright

    gate = threading.Event()
    gated = ("question 2?", "question 3?")

    def answer(model):
        def reply(messages):
            if any(q in str(messages) for q in gated):
                gate.wait(120)  # in flight (or queued) when the app is killed
            return f"{model} says thirty days."
        return reply

    behaviours = {m: dict(reply=answer(m)) for m in ("p1", "p2", "agg", "base")}
    with LLMServer(behaviours=behaviours) as llm, sync_playwright() as playwright:
        spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
        data = tmp_path / "data"
        bs.save_lineup(data, "loop", Lineup(proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"),
                                            baseline=spec("base"), timeout_s=150, max_retries=0))
        store = bs.open_store(data)
        store.catalog.save_eval_set("crash", [{"query": f"question {i}?"} for i in range(4)])
        browser = bs.launch_chromium(playwright)
        app = bs.StreamlitApp(data).start()
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            bs.open_page(page, f"{app.url}/batches", timeout_ms=90_000)
            page.get_by_role("tab", name="New batch").click()
            bs.pick_option(page, "Lineup under test", "loop")
            concurrency = page.get_by_label("Concurrency (calls at once)")
            concurrency.fill("1")
            concurrency.press("Enter")
            bs.wait_for_app(page)
            bs.expect(page.get_by_text("4 items × 2 systems")).to_be_visible()
            page.get_by_role("button", name="Start batch").click()
            bs.wait_for_app(page)
            [batch] = _eventually(lambda: store.batches.list_batches())
            assert _eventually(lambda: store.batches.batch_counts(batch.id)["done"] == 4, 90), store.batches.batch_counts(batch.id)
            assert _eventually(lambda: store.batches.batch_counts(batch.id)["running"] >= 1)
            rated_run = next(r.run_id for r in store.batches.batch_runs(batch.id)
                             if r.status == "done" and store.get_run(r.run_id).lineup.get("proposers"))
            rater = browser.new_page(viewport={"width": 1400, "height": 1000})
            bs.open_page(rater, f"{app.url}/history?run={rated_run}&reviewer=crash-test", timeout_ms=90_000)
            p1 = bs.card(bs.answers(rater), "[1] p1")
            p1.get_by_test_id("stFeedback").get_by_role("radio", name="4 out of 5 stars").click()
            bs.expect(rater.get_by_test_id("stToast").filter(has_text="Rating saved for p1").first).to_be_visible()
            assert _eventually(lambda: store.ratings.ratings_for(rated_run))

            app.kill_streamlit()  # a crash or a deploy of the web process: the batch goes on in the worker
            app.start_streamlit()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            bs.open_page(page, f"{app.url}/batches", timeout_ms=90_000)
            page.get_by_role("tab", name="Batches").click()
            bs.expect(page.get_by_text(re.compile(r"running: 4/8 work items")).first).to_be_visible()
            assert store.batches.get_batch(batch.id).status == "running"  # the batch did not die with the app
            job = batch_job(store, batch.id)
            assert job is not None and job.status == "running" and app.worker.poll() is None

            os.kill(app.worker.pid, signal.SIGKILL)  # now its worker dies, items 2-3 in flight
            app.worker.wait(timeout=10)
            app.worker = None
            gate.set()
            done_before = {i.id: i.run_id for i in store.batches.batch_items(batch.id) if i.status == "done"}
            assert len(done_before) == 4
            seen = len(llm.requests)
            app.start_worker()  # another worker (here, on this machine) takes the batch over
            assert _eventually(lambda: store.batches.get_batch(batch.id).status == "done", 120), store.batches.batch_counts(batch.id)
            bs.expect(page.get_by_text(re.compile(r"done: 8/8 work items")).first).to_be_visible(timeout=30_000)
            assert store.jobs.get_job(job.id).status == "done" and store.jobs.get_job(job.id).attempts == 2

            later = llm.requests[seen:]
            asked = Counter(q for r in later for q in (f"question {i}?" for i in range(4)) if q in str(r.messages))
            assert set(asked) == set(gated), asked  # nothing that had finished was asked again
            items = store.batches.batch_items(batch.id)
            assert Counter(i.status for i in items) == {"done": 8}
            assert {i.id: i.run_id for i in items if i.id in done_before} == done_before
            assert all(store.get_run(i.run_id).status == "ok" for i in items)
            rated = store.get_run(rated_run)
            assert len(rated.calls) == 3 and all(c.ok for c in rated.calls)
            assert [r.stars for r in store.ratings.ratings_for(rated_run)] == [4]
            log = (data / "streamlit.log").read_text(errors="replace")
            assert "Traceback" not in log and "locked" not in log.lower()
        finally:
            gate.set()
            store.close()
            app.stop()
            browser.close()
