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


@pytest.fixture
def start_app():
    """`start_app(data_dir, worker=True)`: `streamlit run app.py` (and a `moa worker` unless worker=False) on that
    data folder, healthy; stopped when the test ends, however it ends."""
    apps = []

    def start(data_dir, worker: bool = True) -> bs.StreamlitApp:
        app = bs.StreamlitApp(data_dir, worker=worker)
        apps.append(app)
        return app.start()
    yield start
    for app in apps:
        app.stop()


@pytest.fixture
def run_queued_jobs():
    """What `moa worker` does beside the app, here in the test's process: `run_queued_jobs(data_dir)` runs every
    queued job of that data folder's database to its end; job id -> how it ended."""
    import asyncio

    from moa_core.jobs.runner import JobRunner
    from moa_core.storage import RunStore

    def run(data_dir) -> dict[str, str]:
        store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
        try:
            runner = JobRunner(store, heartbeat_s=0.2, poll_s=0.05)
            asyncio.run(runner.serve(until_idle=True))
            return runner.finished
        finally:
            store.close()
    return run
