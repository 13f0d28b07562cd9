"""A fresh server whose very first visit is a page's address (/analytics) shows that page under app.py's
navigation: the app's menu and wide layout, not Streamlit's menu of file names (the pages/ folder mode),
with no private Streamlit module involved (ui/page.py)."""
from __future__ import annotations

import pytest

from tests import browser_support as bs

pytestmark = pytest.mark.browser

APP_MENU = ["Run", "History", "Analytics", "Compare", "Review", "Results", "Batches", "Settings"]


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    with bs.StreamlitApp(tmp_path_factory.mktemp("first-visit")) as server:
        yield server


def _menu(page) -> list[str]:
    """The sidebar menu's page names (each link also holds its icon's ligature text on a line of its own)."""
    links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
    return [text.strip().splitlines()[-1].strip() for text in links]


def test_the_first_visit_to_a_page_address_gets_the_apps_navigation(browser, fresh_app):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        bs.open_page(page, f"{fresh_app.url}/analytics")  # nothing has run app.py in this process yet
        bs.expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
        assert _menu(page) == APP_MENU  # folder mode would list "app", "analytics", "batches", ...
        bs.expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name="Analytics")).to_have_attribute(
            "aria-current", "page")
        bs.expect(page.get_by_text("No runs yet: run a lineup on the")).to_be_visible()
        width = page.get_by_test_id("stMainBlockContainer").bounding_box()["width"]
        assert width > 1000, f"main column {width:.0f} px: the narrow layout, not app.py's wide one"
        bs.expect(page.get_by_text("Page not found")).to_have_count(0)
        bs.go_to(page, "Settings")  # and the menu works from there
        bs.expect(page.get_by_role("heading", name="Settings")).to_be_visible()
        assert "Traceback" not in fresh_app.log_tail()
    finally:
        context.close()
