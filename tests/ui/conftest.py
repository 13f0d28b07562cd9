"""Browser fixtures shared by every module marked `browser`: Debian's chromium driven by Playwright."""
import os

import pytest

from tests import browser_support as bs


@pytest.fixture(scope="module", autouse=True)
def chromium_available(request):
    """Browser modules skip without chromium on a developer's machine, and fail in CI (it must be there)."""
    if request.node.get_closest_marker("browser") is None:
        return
    problem = bs.chromium_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {problem}")
        pytest.skip(f"browser tests skipped: {problem}")


@pytest.fixture(scope="module")
def browser(chromium_available):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        yield browser
        browser.close()
