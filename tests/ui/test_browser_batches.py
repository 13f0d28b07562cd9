"""The Batches page in headless Chromium (issue 23): a second batch started is the one shown, not the
first; a cancelled batch leaves no run `running`, and every run it started is linked to it."""
from __future__ import annotations

import re

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def llm():
    with LLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, llm):
    path = tmp_path_factory.mktemp("batches-data")
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    store = bs.open_store(path)
    try:
        store.catalog.save_lineup("duo", Lineup(proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"),
                                        baseline=spec("base"), timeout_s=30, max_retries=0).to_toml())
        store.catalog.save_eval_set("first set", [{"query": f"First {i}?"} for i in range(2)])
        store.catalog.save_eval_set("second set", [{"query": f"Second {i}?"} for i in range(3)])
        store.catalog.save_eval_set("slow set", [{"query": f"Slow {i}?"} for i in range(12)])
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def app(data_dir):
    with bs.StreamlitApp(data_dir) as server:
        yield server


def _start(page, data_dir, eval_set: str) -> str:
    """Start a batch of `eval_set` from the New batch tab; its id, once the page has moved to it."""
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="New batch").click()
    bs.wait_for_app(page)
    bs.pick_option(page, "Eval set", eval_set)
    bs.pick_option(page, "Lineup under test", "duo")
    before = _newest(data_dir)
    main.get_by_role("button", name="Start batch").click()
    assert bs.eventually(lambda: _newest(data_dir) != before, 30)
    bs.expect(main.get_by_role("tab", name="Batches")).to_have_attribute("aria-selected", "true")
    bs.wait_for_app(page)
    return _newest(data_dir)


def _newest(data_dir) -> str | None:
    store = bs.open_store(data_dir)
    try:
        newest = store.batches.list_batches(limit=1)
        return newest[0].id if newest else None
    finally:
        store.close()


def _picked(page) -> str:
    return page.get_by_test_id("stSelectbox").filter(has_text="Open batch").get_by_role("combobox").input_value()


def test_a_second_batch_is_shown_not_the_first(app, browser, data_dir, tmp_path):
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(30_000)
    bs.open_page(page, f"{app.url}/batches")
    main = page.get_by_test_id("stMain")
    first = _start(page, data_dir, "first set")
    assert _picked(page) == first
    bs.expect(main.get_by_test_id("stProgress").filter(has_text="done: 4/4 work items")).to_be_visible(
        timeout=60_000)

    second = _start(page, data_dir, "second set")
    assert second != first
    assert _picked(page) == second
    bs.expect(main.get_by_test_id("stProgress").filter(has_text="done: 6/6 work items")).to_be_visible(
        timeout=60_000)
    bs.wait_for_app(page)
    page.screenshot(path=str(tmp_path / "second-batch.png"))
    assert main.get_by_test_id("stProgress").filter(has_text="4/4").count() == 0


def test_a_cancelled_batch_leaves_no_running_run(app, browser, data_dir, llm, tmp_path):
    for model in ("p1", "p2", "agg", "base"):
        llm.set(model, latency_s=1.0)
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(30_000)
    bs.open_page(page, f"{app.url}/batches")
    main = page.get_by_test_id("stMain")
    batch_id = _start(page, data_dir, "slow set")
    assert _picked(page) == batch_id

    def some_running() -> bool:
        store = bs.open_store(data_dir)
        try:
            runs = [r for r in store.list_runs(limit=100) if r.run_id.startswith(batch_id)]
            return store.batches.batch_counts(batch_id)["done"] >= 1 and any(r.status == "running" for r in runs)
        finally:
            store.close()

    assert bs.eventually(some_running, 60), "the batch never had runs in flight"
    main.get_by_role("button", name="Cancel").click()
    bs.expect(main.get_by_test_id("stProgress").filter(has_text=re.compile(r"^cancelled:"))).to_be_visible(
        timeout=60_000)
    bs.wait_for_app(page)
    page.screenshot(path=str(tmp_path / "cancelled-batch.png"))

    store = bs.open_store(data_dir)
    try:
        from sqlalchemy import select

        from moa_core.storage.schema import Call, Run

        with store._read() as s:
            runs = list(s.execute(select(Run.id, Run.status, Run.batch_id).where(Run.id.startswith(batch_id))))
            running_calls = list(s.execute(select(Call.call_id).join(Run, Run.id == Call.run_id).where(
                Run.id.startswith(batch_id), Call.status == "running")))
        assert store.batches.get_batch(batch_id).status == "cancelled"
    finally:
        store.close()
    assert runs and [r for r in runs if r.status == "running"] == []
    assert {r.status for r in runs} <= {"ok", "partial", "fallback", "failed", "cancelled", "interrupted"}
    assert "cancelled" in {r.status for r in runs}
    assert [r.id for r in runs if r.batch_id != batch_id] == []  # every run linked to its batch
    assert running_calls == []


def test_a_judge_no_server_lists_can_be_typed(app, browser, data_dir, llm):
    """The judge and the single model need not appear in a server's /models: type them."""
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.set_default_timeout(30_000)
    bs.open_page(page, f"{app.url}/batches")
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="New batch").click()
    bs.wait_for_app(page)
    bs.pick_option(page, "Eval set", "first set")
    bs.pick_option(page, "Lineup under test", "duo")
    for label, model in (("Compare with a single model", "typed-single"), ("Judge model", "typed-judge")):
        combo = page.get_by_test_id("stSelectbox").filter(has_text=label).get_by_role("combobox")
        combo.click()
        combo.fill(model)
        combo.press("Enter")
        bs.wait_for_app(page)
        bs.expect(combo).to_have_value(model)
    bs.expect(main.get_by_text(re.compile(r"Systems: .*; typed-single"))).to_be_visible()
    before = _newest(data_dir)
    main.get_by_role("button", name="Start batch").click()
    assert bs.eventually(lambda: _newest(data_dir) != before, 30)
    store = bs.open_store(data_dir)
    try:
        config = store.batches.list_batches(limit=1)[0].config
    finally:
        store.close()
    assert config["judge"]["model"] == "typed-judge"
    assert [s["config"].get("model", {}).get("model") for s in config["systems"]][1] == "typed-single"
