"""The app as people use it (issue 17), in headless Chromium against `streamlit run` on loopback:
prices typed into Settings become costs, History survives a filter after a selection, and the run
view fits at 1024x768. See tests/ui/test_browser.py for the conventions."""
from __future__ import annotations

import re
import time

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.records import CallRecord, RunRecord
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs

pytestmark = pytest.mark.browser

BEHAVIOURS = {"alpha": dict(text="Notice is thirty days.", latency_s=0.2),
              "agg": dict(text="The notice period is thirty days.", latency_s=0.2)}


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, llm):
    path = tmp_path_factory.mktemp("browser-app-data")
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(path, "solo", Lineup(proposers=[spec("alpha")], aggregator=spec("agg"), timeout_s=10,
                                        max_retries=0))
    return path


@pytest.fixture(scope="module")
def app(data_dir):
    with bs.StreamlitApp(data_dir) as server:
        yield server


@pytest.fixture(scope="module")
def store(data_dir, app):
    store = bs.open_store(data_dir)
    yield store
    store.close()


def _page(browser, app, width=1400, height=1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    page = context.new_page()
    bs.open_page(page, app.url)
    return page


def _metric(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _type_in_cell(page, grid, row: int, column: int, text: str) -> None:
    """Type into a data-editor cell `column` cells right of the model column (its editor is an <input>
    in the grid's portal)."""
    editor = page.locator("#portal").locator("input, textarea").first
    bs.open_cell_editor(page, lambda: grid, row, column, editor, x=60)
    editor.fill(text)
    page.keyboard.press("Enter")
    editor.wait_for(state="hidden", timeout=10_000)


def test_prices_typed_per_million_tokens_become_the_runs_cost(browser, app, store):
    page = _page(browser, app)
    bs.pick_option(page, "Start from a lineup", "solo")
    bs.run_query(page, "Notice before pricing?")
    bs.wait_for_run_view(page, "Notice before pricing?")
    page.screenshot(path=str(bs.ROOT / "test-results" / "before-pricing.png"))
    bs.expect(_metric(page, "Cost")).to_have_text("unknown")  # server models have no price yet

    bs.go_to(page, "Settings")
    page.get_by_role("tab", name="Model prices").click()
    panel = page.get_by_role("tabpanel", name="Model prices")
    bs.expect(panel.get_by_text("Models you used without a known price")).to_be_visible()
    grid = panel.get_by_test_id("stDataFrame")
    grid.wait_for()
    time.sleep(0.5)
    for row in range(2):  # both unpriced models, whatever their order: $1 in, $2 out per 1M tokens
        _type_in_cell(page, grid, row, 1, "1")
        _type_in_cell(page, grid, row, 2, "2")
    page.get_by_role("heading", name="Settings").click()  # leave the grid: its edits reach the app first
    for _ in range(3):  # a click that lands while the grid's last edit reruns the page is lost: click again
        bs.wait_for_app(page)
        panel.get_by_role("button", name="Save prices").click()
        try:
            bs.expect(page.get_by_text(re.compile(r"Prices saved for 2 models"))).to_be_visible(timeout=8_000)
            break
        except AssertionError:
            continue
    bs.expect(page.get_by_text(re.compile(r"Prices saved for 2 models"))).to_be_visible()
    assert set(store.catalog.prices()) == {"alpha", "agg"}
    assert store.catalog.prices()["alpha"] == pytest.approx((1e-6, 2e-6))

    bs.go_to(page, "Run")
    bs.run_query(page, "Notice after pricing?")
    bs.wait_for_run_view(page, "Notice after pricing?")
    run = store.get_run(store.list_runs(search="Notice after pricing?")[0].run_id)
    expected = sum(c.prompt_tokens * 1e-6 + c.completion_tokens * 2e-6 for c in run.calls)
    assert run.cost_usd == pytest.approx(expected) and expected > 0
    bs.expect(_metric(page, "Cost")).not_to_have_text("unknown")
    page.context.close()


def _seed(store, n_ok: int = 4) -> list[str]:
    ids = []
    for i, status in enumerate(["ok"] * n_ok + ["failed"]):
        call = CallRecord(role="aggregator", round=1, index=0, model="seeded-model", label="agg", status=status,
                          started_s=0.0, ended_s=1.0, text=f"seeded answer {i}", prompt_tokens=1, completion_tokens=1,
                          cost_usd=0.0)
        run = RunRecord(query=f"seeded query {i}", lineup={}, status=status, final=call.text, wall_s=1.0,
                        calls=[call], error="boom" if status == "failed" else None)
        store.save_run(run)
        ids.append(run.run_id)
        time.sleep(0.01)
    return ids


def test_history_filtering_after_selecting_a_row_never_crashes(browser, app, store):
    _seed(store)
    page = _page(browser, app)
    bs.go_to(page, "History")
    table = page.get_by_test_id("stDataFrame").first
    bs.click_table_row(page, table, "seeded query 0")  # row 5 or below: it will not exist after the filter
    bs.wait_for_app(page)
    bs.expect(page.get_by_role("heading", name=re.compile("^Run "))).to_be_visible()
    bs.pick_option(page, "Status", "failed")  # one match: the selected row index no longer exists
    bs.expect(page.get_by_test_id("stException")).to_have_count(0)
    bs.expect(page.get_by_text("1 run, newest first")).to_be_visible()
    bs.pick_option(page, "Model used", "seeded-model")
    bs.expect(page.get_by_test_id("stException")).to_have_count(0)
    bs.pick_option(page, "Status", "cancelled")
    bs.expect(page.get_by_text("No run matches these filters")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("width, height", [(1400, 1000), (1024, 768)])
def test_the_run_view_fits_the_window(browser, app, store, width, height):
    page = _page(browser, app, width, height)
    bs.pick_option(page, "Start from a lineup", "solo")
    query = f"Fits at {width}?"
    bs.run_query(page, query)
    bs.wait_for_run_view(page, query)
    truncated = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetricValue'] div")]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
    assert truncated == []
    for name in ("Wall time", "Critical path", "Cost"):
        bs.expect(page.get_by_test_id("stMetric").filter(has_text=name)).to_be_visible()
    page.screenshot(path=str(bs.ROOT / "test-results" / f"run-view-{width}.png"))
    bs.go_to(page, "History")
    for name in ("Export JSONL", "Export CSV"):
        button = page.get_by_role("button", name=name)
        bs.expect(button).to_be_visible()
        overflow = button.evaluate("b => b.scrollWidth > b.clientWidth + 1")
        assert not overflow, f"{name} is cut off at {width}px"
    page.context.close()
