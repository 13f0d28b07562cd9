"""Driving the real app in a real browser: `streamlit run app.py` on loopback plus headless Debian Chromium.

Used by tests/test_browser.py and bench/screenshots.py.  Nothing here needs pytest.

- `StreamlitApp(data_dir)`: the app as a subprocess on a free loopback port, with its own
  MOA_DATA_DIR (so its own SQLite file), started like Streamlit's own e2e setup and stopped
  afterwards, and a `moa worker` beside it (runs are jobs the worker runs, as `scripts/app.sh`
  does).  Output goes to `<data_dir>/streamlit.log` and `worker.log`, quoted when the app fails to start.
- `launch_chromium(playwright)`: Debian's /usr/bin/chromium (Playwright cannot download
  browsers here); `chromium_problem()` says why it cannot be used, or None.
- Page helpers that wait on Streamlit's own state attributes rather than sleeping.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from moa_core.testing.processes import stop_process

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
START_TIMEOUT_S = 60.0
WORKER_NICE = 0  # scripts/app.sh's worker beside Streamlit (docs/performance.md: why not lower)


def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install -y chromium; `playwright install` cannot download here)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright Python package is missing ({exc}); install the dev extras"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_store(data_dir: str | Path):
    """The RunStore of an app started with this data dir (the same SQLite file the app uses)."""
    from moa_core.storage import RunStore

    return RunStore.open(f"sqlite:///{Path(data_dir)}/moa.db")


def save_lineup(data_dir: str | Path, name: str, lineup, base_url: str | None = None) -> None:
    """Save `lineup` as `name` in the app's store; with `base_url`, also list that OpenAI-compatible server in
    Settings, so the pages offer its models (the Compare demo's single model, for one)."""
    store = open_store(data_dir)
    try:
        store.catalog.save_lineup(name, lineup.to_toml())
        if base_url:
            store.catalog.set_setting("base_urls", [{"url": base_url, "kind": "openai"}])
    finally:
        store.close()


class StreamlitApp:
    """`streamlit run app.py` headless on 127.0.0.1:<free port>; a context manager."""

    def __init__(self, data_dir: str | Path, env: dict[str, str] | None = None, worker: bool = True,
                 worker_nice: int = WORKER_NICE):
        self.data_dir = Path(data_dir)
        self.worker_nice = worker_nice
        self.extra_env = env or {}
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.with_worker = worker
        self.log_path = self.data_dir / "streamlit.log"
        self.worker_log_path = self.data_dir / "worker.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update({"MOA_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1", **self.extra_env})
        return env

    def start(self) -> StreamlitApp:
        """The worker, then Streamlit."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.with_worker:
            self.start_worker()
        return self.start_streamlit()

    def start_worker(self) -> None:
        """`moa worker` on the app's database, as `scripts/app.sh` starts it."""
        log = open(self.worker_log_path, "ab")
        try:
            self.worker = subprocess.Popen([sys.executable, "-m", "moa_core.cli", "worker", "--grace", "2",
                                            "--nice", str(self.worker_nice)],
                                           cwd=ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)
        finally:
            log.close()

    def kill_streamlit(self) -> None:
        """SIGKILL the Streamlit process alone (a crash or a deploy); the worker goes on."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def start_streamlit(self, port: int | None = None) -> StreamlitApp:
        """Streamlit on `port` (default: a free one), waited for until healthy."""
        env = self._env()
        for attempt in range(3):  # a free port can be taken between the probe and the bind
            self.port = port if port and attempt == 0 else free_port()
            cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
                   "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
            log = open(self.log_path, "ab")
            try:
                self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
            finally:
                log.close()
            if self._wait_healthy():
                return self
            self._stop_streamlit()
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy; log tail:\n{self.log_tail()}")

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        return False

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self._stop_streamlit()
        self._stop(self.worker)
        self.worker = None

    def _stop_streamlit(self) -> None:
        self._stop(self.proc)
        self.proc = None

    @staticmethod
    def _stop(proc: subprocess.Popen | None) -> None:
        stop_process(proc)

    def __enter__(self) -> StreamlitApp:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# ------------------------------------------------------------------ page helpers

APP = "[data-testid='stApp']"


def wait_for_app(page, timeout_ms: float = 30_000) -> None:
    """Connected, the script has finished its current run (Streamlit's own e2e condition), and no
    element of the previous run is left over (stale elements are dimmed, then removed)."""
    page.wait_for_selector(f"{APP}[data-test-connection-state='CONNECTED']", timeout=timeout_ms)
    page.wait_for_function(
        """() => document.querySelector("[data-testid='stApp']")?.dataset.testScriptState === "notRunning"
                 && !document.querySelector("[data-stale='true']")""",
        timeout=timeout_ms)


def open_page(page, url: str, timeout_ms: float = 30_000) -> None:
    page.goto(url)
    wait_for_app(page, timeout_ms)


def expect(*args, **kwargs):
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def pick_option(page, label: str, option: str) -> None:
    """Choose `option` in the selectbox labelled `label`."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    combo = box.get_by_role("combobox")
    combo.click()
    combo.fill(option)  # typing filters the list and opens it, however the click left it
    page.get_by_role("option", name=option, exact=True).click()
    expect(combo).to_have_value(option)
    wait_for_app(page)


def sign_in(page, reviewer: str) -> None:
    """Type the reviewer's name on a review page (Compare, Review) and wait until the page has taken it."""
    box = page.get_by_test_id("stMain").get_by_label("Your name (stored with your ratings and votes)", exact=True)
    box.fill(reviewer)
    box.press("Enter")
    wait_for_app(page)


def start_demo(page, query: str, single_model: str) -> None:
    """On the Compare page: open the demo tab, ask `query` of the lineup and of `single_model`, press Run both."""
    main = page.get_by_test_id("stMain")
    main.get_by_role("tab", name="Demo: MoA against one model").click()
    wait_for_app(page)
    main.get_by_test_id("stTextArea").filter(has_text="Query").locator("textarea").fill(query)
    pick_option(page, "Single model", single_model)
    main.get_by_role("button", name="Run both").click()


def run_query(page, query: str, timeout_ms: float = 30_000) -> None:
    """Type the query and press Run; returns once the Run button is pressed (the run then streams)."""
    page.get_by_test_id("stTextArea").filter(has_text="Query").locator("textarea").fill(query)
    page.get_by_test_id("stButton").filter(has_text="Run").get_by_role("button", name="Run", exact=True).click()


def wait_for_run_view(page, query: str, timeout_ms: float = 30_000) -> None:
    """The finished run of `query` is shown (its caption exists only in the finished view), and the script is idle."""
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text=f"Query: {query}")).to_be_visible(
        timeout=timeout_ms)
    wait_for_app(page, timeout_ms)


def answers(page):
    """The Answers tab of the run view (the Agreement tab repeats sentences, so assertions stay in here)."""
    return page.get_by_role("tabpanel", name="Answers")


def card(scope, title: str):
    """The bordered card whose bold title is `title` (e.g. "[2] beta"), in a run view."""
    return scope.get_by_test_id("stColumn").filter(
        has=scope.page.get_by_text(title, exact=True)).last


def go_to(page, nav_label: str) -> None:
    """Click a page in the sidebar navigation."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=nav_label).click()
    expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name=nav_label)).to_have_attribute(
        "aria-current", "page")
    wait_for_app(page)


def click_table_row(page, table, cell_text: str) -> None:
    """Click the row-selection cell of the st.dataframe row holding `cell_text`.

    The grid is drawn on a canvas; its accessible <table> (the canvas's fallback content, so
    reachable by CSS but not by role) gives the row index, and the row is clicked by position
    (header and rows are 35 px high, the selection checkboxes are the first column).  Only
    columns scrolled into view are in that table: match a column on the left."""
    wait_for_app(page)  # a table of the previous script run (stale) is gone before we measure this one
    for _ in range(20):  # the grid can still be redrawn (replaced) between finding the row and clicking it
        row = table.locator("tr[role='row']").filter(
            has=page.locator("td[role='gridcell']", has_text=re.compile(f"^{re.escape(cell_text)}$")))
        expect(row).to_have_count(1)
        index = int(row.get_attribute("aria-rowindex"))  # 1 = the header row
        table.scroll_into_view_if_needed()
        box = table.bounding_box()
        if box is not None:
            page.mouse.click(box["x"] + 16, box["y"] + 35 * (index - 1) + 17)
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the table holding {cell_text!r} never stayed on the page long enough to click")


def open_cell_editor(page, grid, row: int, moves: int, editor, opened=None, x: int = 70) -> None:
    """Open the editor of a data-editor cell: the grid is a canvas (header and rows 35 px high), so the
    cell `moves` columns right of the one at `x` px is reached by a click on row `row` and the keyboard;
    Enter opens its editor in the grid's portal. `grid()` finds the grid again on each attempt.

    Each step can miss on a busy machine: a rerun scrolls the page or the grid between them, so the click
    lands beside the cell or the editor opens on the wrong cell. An attempt counts once `editor` shows and
    `opened()` (a check that it is the right cell's editor) returns; otherwise Escape and again."""
    for _ in range(5):
        wait_for_app(page)
        found = grid()
        found.locator(".dvn-scroller").evaluate_all("scrollers => scrollers.forEach(s => { s.scrollLeft = 0; })")
        found.click(position={"x": x, "y": 35 * (row + 1) + 17})  # scrolls into view, waits until still
        for _ in range(moves):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            editor.wait_for(state="visible", timeout=4_000)
            if opened is not None:
                opened()
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: no editor, or the wrong cell's
            page.keyboard.press("Escape")
    raise AssertionError(f"the editor of row {row}, {moves} column(s) right of x={x}, never opened")


def fit_viewport_to_content(page, width: int, margin: int = 48) -> None:
    """Streamlit scrolls inside its main container, so a full-page screenshot only shows the
    viewport: grow the viewport to the content's height instead (without the block
    container's large bottom padding)."""
    height = page.evaluate("""() => {
        const main = document.querySelector("[data-testid='stMain']");
        const content = document.querySelector("[data-testid='stMainBlockContainer'] [data-testid='stVerticalBlock']");
        if (!main || !content) return document.documentElement.scrollHeight;
        main.scrollTo(0, 0);
        return Math.ceil(content.getBoundingClientRect().bottom);
    }""")
    page.set_viewport_size({"width": width, "height": max(600, min(int(height) + margin, 12000))})
    page.evaluate("() => document.querySelector(\"[data-testid='stMain']\")?.scrollTo(0, 0)")


def eventually(check, timeout_s: float = 10.0):
    """Poll a condition outside the browser (the database, a process) until it holds; its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
