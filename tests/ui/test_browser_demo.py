"""Compare in headless Chromium with a stored pair waiting and the demo run: the demo pair is voted on
with the keyboard, and the vote is stored on that pair (issue 23: the page crashed on key 'vote-1',
and the 1-4 keys voted on the hidden stored pair). The demo is a queued run that the `moa worker` beside
Streamlit runs (issue 26): without one, nothing calls a model; a reload mid-run finds it by its address."""
from __future__ import annotations

import json
import re
import uuid

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs
from tests.review.samples import moa_run

pytestmark = pytest.mark.browser

BEHAVIOURS = {"alpha": dict(text="Alpha proposes thirty days."),
              "agg": dict(text="DEMO synthesis: thirty days."),
              "single": dict(text="DEMO single model: a month."),
              "slowpoke": dict(text="Slowpoke proposes a week.", ttft_s=0.5, latency_s=12)}


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, llm):
    path = tmp_path_factory.mktemp("demo-data")
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(path, "duo", Lineup(proposers=[spec("alpha")], aggregator=spec("agg"), timeout_s=10,
                                       max_retries=0), base_url=llm.base_url)  # "single" is offered
    store = bs.open_store(path)
    try:
        store.save_run(moa_run(query="What is the STORED question?", synthesis="STORED synthesis",
                               baseline="STORED baseline"))  # a stored pair waiting
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def app(data_dir):
    with bs.StreamlitApp(data_dir) as server:
        yield server


def test_demo_vote_with_the_keyboard_lands_on_the_pair_on_screen(app, browser, data_dir, tmp_path):
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(30_000)
    bs.open_page(page, f"{app.url}/compare")
    main = page.get_by_test_id("stMain")
    bs.sign_in(page, "Dee")
    bs.expect(main.get_by_text("STORED synthesis")).to_be_visible()  # the stored pair is waiting

    bs.start_demo(page, "What is the DEMO question?", "openai/single")  # as the loopback server lists it
    bs.expect(main.get_by_text("DEMO synthesis: thirty days.")).to_be_visible(timeout=60_000)
    bs.expect(main.get_by_text("DEMO single model: a month.")).to_be_visible()
    bs.wait_for_app(page)
    assert main.get_by_text("STORED synthesis").count() == 0  # the hidden tab draws nothing
    assert main.get_by_role("button", name="A is better").count() == 1  # one pair's buttons, one set of keys
    page.screenshot(path=str(tmp_path / "demo-before-vote.png"))

    main.get_by_text("Query:").first.click()  # focus on the page, not on a text box
    page.keyboard.press("4")
    bs.expect(main.get_by_text("You said")).to_be_visible(timeout=15_000)
    bs.wait_for_app(page)
    page.screenshot(path=str(tmp_path / "demo-after-vote.png"))
    assert "both bad" in main.get_by_test_id("stAlertContainer").filter(has_text="You said").inner_text()

    store = bs.open_store(data_dir)
    try:
        (vote,) = store.votes.list_votes()
        demo = next(r for r in store.list_runs(limit=10) if r.query == "What is the DEMO question?")
    finally:
        store.close()
    assert vote.reviewer == "Dee" and vote.winner == "both_bad"
    assert {vote.run_a_id, vote.run_b_id} == {demo.run_id}  # the pair on screen, not the stored one
    assert vote.query == "What is the DEMO question?"


def test_the_demo_waits_for_a_worker_and_a_reload_mid_run_finds_it(browser, llm, tmp_path, start_app):
    """Streamlit alone: Run both queues the demo, the page says no worker took it and no request reaches the
    model server; a worker started then runs it; a reload mid-run shows its progress again, then the pair."""
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(tmp_path, "slow", Lineup(proposers=[spec("slowpoke")], aggregator=spec("agg"), timeout_s=60,
                                            max_retries=0), base_url=llm.base_url)
    store = bs.open_store(tmp_path)
    query = f"Does the demo wait for a worker? [{uuid.uuid4().hex[:6]}]"
    asked = lambda: sum(query in json.dumps(r.messages) for r in llm.requests)  # noqa: E731
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(30_000)
    app = start_app(tmp_path, worker=False)
    try:
        page = context.new_page()
        bs.open_page(page, f"{app.url}/compare")
        main = page.get_by_test_id("stMain")
        bs.sign_in(page, "Eve")
        bs.start_demo(page, query, "openai/single")
        bs.expect(main.get_by_text("no worker has taken it yet", exact=False)).to_be_visible(timeout=40_000)
        run_id = re.search(r"[?&]demo=([\w-]+)", page.url)[1]
        assert store.jobs.get_job(run_id).status == "queued"
        assert asked() == 0, "the app process called a model"

        app.start_worker()
        progress = main.get_by_text(re.compile(r"Running both… proposals 0 of 1"))
        progress.wait_for(state="visible", timeout=40_000)
        page.reload()  # a new session: the address holds the reviewer and the demo
        bs.wait_for_app(page)
        main.get_by_text(re.compile(r"Running both… proposals \d of 1")).wait_for(state="visible", timeout=30_000)
        assert main.get_by_text("Slowpoke proposes").count() == 0  # blind while running
        bs.expect(main.get_by_text("DEMO synthesis: thirty days.")).to_be_visible(timeout=60_000)
        bs.expect(main.get_by_text("DEMO single model: a month.")).to_be_visible()
        assert main.get_by_role("button", name="A is better").count() == 1

        job, run = store.jobs.get_job(run_id), store.get_run(run_id)
        assert job.status == "done" and job.attempts == 1 and run.status == "ok"
        assert sorted(c.role for c in run.calls) == ["aggregator", "baseline", "proposer"]
        assert asked() == 3  # the worker's three calls, and none before it started
    finally:
        store.close()
        context.close()
