"""A run's address: the Run page is served at the root (`/?run=ID`), and `/run?run=ID` (the page's name, as
people type or paste it) opens the same run instead of "Page not found"."""
from __future__ import annotations

import pytest

from moa_core.records import CallRecord, RunRecord
from tests import browser_support as bs

pytestmark = pytest.mark.browser
QUERY = "What notice period applies here?"


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("run-address")
    calls = [CallRecord(role="proposer", round=1, index=0, model="alpha", label="alpha", status="ok", started_s=0.0,
                        ended_s=1.0, text="Thirty days.", prompt_tokens=10, completion_tokens=3),
             CallRecord(role="aggregator", round=1, index=0, model="agg", label="agg", status="ok", started_s=1.0,
                        ended_s=2.0, text="Notice is thirty days.", prompt_tokens=20, completion_tokens=5)]
    run = RunRecord(query=QUERY, lineup={"name": "pair"}, status="ok",
                    final="Notice is thirty days.", wall_s=2.0, calls=calls)
    store = bs.open_store(data_dir)
    try:
        store.save_run(run)
    finally:
        store.close()
    return data_dir, run.run_id


@pytest.fixture(scope="module")
def app(stored_run):
    with bs.StreamlitApp(stored_run[0]) as server:
        yield server


@pytest.mark.parametrize("address", ["/?run={id}", "/run?run={id}"])
def test_both_addresses_of_a_run_open_it(browser, app, stored_run, address):
    _, run_id = stored_run
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        bs.open_page(page, app.url + address.format(id=run_id))
        bs.expect(page.get_by_role("heading", name="Run a Mixture of Agents")).to_be_visible()
        bs.expect(page.get_by_text("Page not found")).to_have_count(0)
        bs.wait_for_run_view(page, QUERY)
        assert f"run={run_id}" in page.url  # the address still names the run: a reload shows it again
        page.reload()
        bs.wait_for_app(page)
        bs.wait_for_run_view(page, QUERY)
        bs.expect(page.get_by_text("Notice is thirty days.").first).to_be_visible()
    finally:
        context.close()
