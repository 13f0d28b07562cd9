"""Blind review end to end in headless Chromium: vote with the keyboard, names only afterwards,
the vote counted on the Results page."""
from __future__ import annotations


import pytest

from tests import browser_support as bs
from tests.review.samples import moa_run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("review-data")
    store = bs.open_store(path)
    store.save_run(moa_run(query="What is the notice period?", name="contracts",
                           synthesis="Synthesis says **30 days**, 90 at renewal.",
                           baseline='Baseline says 30. <img src=x onerror="window.__pwned=1">'))
    store.close()
    return path


@pytest.fixture(scope="module")
def app(data_dir):
    with bs.StreamlitApp(data_dir) as server:
        yield server


@pytest.fixture
def page(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = bs.launch_chromium(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        browser.close()


def test_vote_with_the_keyboard_names_only_afterwards_and_counted(app, page, data_dir):
    bs.open_page(page, f"{app.url}/compare")
    main = page.get_by_test_id("stMain")
    name = main.get_by_label("Your name (stored with your ratings and votes)", exact=True)
    name.fill("Ana")
    name.press("Enter")
    bs.wait_for_app(page)
    bs.expect(main.get_by_text("Synthesis says")).to_be_visible()
    bs.expect(main.get_by_text("Baseline says 30.")).to_be_visible()
    assert main.get_by_text("contracts", exact=True).count() == 0 and main.get_by_text("base-model").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    bs.expect(main.get_by_role("button", name="A is better")).to_be_visible()

    main.get_by_text("Query:").click()  # focus on the page, not on a text box
    page.keyboard.press("1")
    bs.expect(main.get_by_text("You said")).to_be_visible(timeout=15_000)
    bs.wait_for_app(page)
    revealed = main.get_by_test_id("stAlertContainer").filter(has_text="You said").inner_text()
    assert "A was contracts" in revealed or "A was base-model" in revealed
    assert main.get_by_role("button", name="A is better").count() == 0

    store = bs.open_store(data_dir)
    try:
        (vote,) = store.votes.list_votes()
    finally:
        store.close()
    assert vote.reviewer == "Ana" and vote.winner == ("b" if vote.shown_swapped else "a")
    left = vote.system_b if vote.shown_swapped else vote.system_a
    assert f"A was {left}" in revealed

    page.reload()  # the same sides and the reveal after a reload; no second vote
    bs.wait_for_app(page)
    bs.go_to(page, "Results")
    bs.expect(main.get_by_text("Bradley-Terry ratings from 1 human votes")).to_be_visible(timeout=30_000)
    bs.expect(main.get_by_test_id("stDataFrame").first).to_be_visible(timeout=20_000)
