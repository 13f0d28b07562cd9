"""The browser half of bench/scale.py (`--browser`): a real Streamlit app and headless Chromium watching one long
run live while the 20 sessions' runs load the workers and the database.

The Run page's live fragment redraws every `REFRESH_S` (0.6 s) and each redraw shows more of the streaming
answer, so the time between two changes of the page's text is 0.6 s plus what a redraw costs (the store's
reads, Streamlit's script run, the websocket, the browser's drawing). The watcher samples the main area's text
every 50 ms and keeps the times it changed; `gaps` are the intervals between changes during the load window.
One redraw can change the text more than once (elements arrive one by one), so short gaps say little; the
longest gap is the figure: the longest the page stood still while its run was streaming.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

SAMPLE_S = 0.05
MAIN_TEXT = "() => (document.querySelector(\"[data-testid='stMain']\") || {innerText: ''}).innerText"


class Watcher:
    """Streamlit on the round's database (no worker of its own) and a Chromium thread on `?run=ID`."""

    def __init__(self, data_dir: Path, url: str):
        from tests.browser_support import StreamlitApp, chromium_problem

        problem = chromium_problem()
        if problem:
            raise RuntimeError(f"--browser needs Chromium: {problem}")
        self.app = StreamlitApp(data_dir, env={"DATABASE_URL": url}, worker=False)
        self.changes: list[float] = []  # time.monotonic() of each change of the page's text
        self.ready, self.done = threading.Event(), threading.Event()
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self, run_id: str, first_word: str) -> None:
        """Start the app, open the run's page, return once its answer is streaming on screen."""
        self.app.start()
        self._thread = threading.Thread(target=self._watch, args=(run_id, first_word), daemon=True)
        self._thread.start()
        if not self.ready.wait(180):
            raise RuntimeError(f"the watched run never streamed on the page: {self.error or 'timeout'}")
        if self.error:
            raise RuntimeError(self.error)

    def _watch(self, run_id: str, first_word: str) -> None:
        from playwright.sync_api import sync_playwright

        from tests import browser_support as bs

        try:
            with sync_playwright() as playwright:
                browser = bs.launch_chromium(playwright)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"{self.app.url}/?run={run_id}")
                page.wait_for_function(f"() => ({MAIN_TEXT})().includes('{first_word}')", timeout=150_000)
                self.ready.set()
                last = None
                while not self.done.is_set():
                    text = page.evaluate(MAIN_TEXT)
                    if text != last:
                        self.changes.append(time.monotonic())
                        last = text
                    page.wait_for_timeout(SAMPLE_S * 1000)
                browser.close()
        except Exception as exc:  # said in the bench's table, not a traceback from a thread
            self.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.ready.set()

    def gaps(self, start: float, end: float) -> list[float]:
        """Seconds between successive changes of the page, for each interval that overlaps [start, end] (a stall
        that began before the window or outlasted it counts whole)."""
        return [b - a for a, b in zip(self.changes, self.changes[1:]) if b >= start and a <= end]

    def stop(self) -> None:
        self.done.set()
        if self._thread is not None:
            self._thread.join(30)
        self.app.stop()
