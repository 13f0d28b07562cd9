"""How soon the Run page paints its query box (issue 26): heavy imports stay out of the first paint.

    .venv/bin/python bench/first_paint.py [--starts 3] [--visits 3] [--settle 0] [--pause 0]

Each start: a fresh data folder, `streamlit run app.py` plus a `moa worker` (tests/browser_support.py's
StreamlitApp, as `scripts/app.sh` does), waited for until /_stcore/health answers, then `--settle` seconds
(0: the user opens the page as soon as the server is up). Then headless Chromium opens the Run page in a
fresh browser context (a new browser session) and times from `page.goto` to the query box (label "Query")
being visible: the first visit after the server start, then `--visits` later visits, each in a new context,
`--pause` seconds after the first (0: at once, while app.py's warm-up thread may still be importing; 20: after
it, as a colleague opening the app later would find it).
Prints every figure and the medians. The targets: 2.5 s on the first visit, 1.0 s on a later one.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser_support import StreamlitApp, launch_chromium, wait_for_app  # noqa: E402

QUERY_LABEL = "Query"  # pages/run.py's st.text_area("Query", ...)


SHELL = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"


def visit(browser, url: str, timeout_ms: float = 60_000) -> tuple[float, float]:
    """Seconds from navigation to a visible query box, in a new browser context, and (for reading the
    figure) to Streamlit's connected shell: the part of the wait no page script can shorten. The visit then
    waits for the script run to finish, as a user who stays would, so the next visit does not share the CPU
    with it."""
    context = browser.new_context()
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(SHELL, timeout=timeout_ms)
        shell = time.perf_counter() - start
        page.get_by_label(QUERY_LABEL).first.wait_for(state="visible", timeout=timeout_ms)
        box = time.perf_counter() - start
        wait_for_app(page, timeout_ms)  # a closed session's script would run on into the next visit
        return box, shell
    finally:
        context.close()


def one_start(browser, visits: int, settle: float, pause: float = 0.0
              ) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    with tempfile.TemporaryDirectory(prefix="moa-first-paint-") as data_dir:
        with StreamlitApp(data_dir) as app:
            time.sleep(settle)
            first = visit(browser, app.url)
            time.sleep(pause)
            later = [visit(browser, app.url) for _ in range(visits)]
    return first, later


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="fresh app starts (each gives one first visit)")
    parser.add_argument("--visits", type=int, default=3, help="later visits per start, each a new context")
    parser.add_argument("--settle", type=float, default=0.0, help="seconds between healthy and the first visit")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between the first visit and the later ones")
    args = parser.parse_args()
    firsts, laters = [], []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for n in range(args.starts):
                first, later = one_start(browser, args.visits, args.settle, args.pause)
                firsts.append(first)
                laters.extend(later)
                print(f"start {n + 1}: first {first[0]:.2f} s (shell {first[1]:.2f}), later "
                      + ", ".join(f"{box:.2f} (shell {shell:.2f})" for box, shell in later), flush=True)
        finally:
            browser.close()
    print(f"median first visit {statistics.median(f[0] for f in firsts):.2f} s (target 2.5 s), "
          f"median later visit {statistics.median(v[0] for v in laters):.2f} s (target 1.0 s); "
          f"connected shell {statistics.median(f[1] for f in firsts):.2f} / "
          f"{statistics.median(v[1] for v in laters):.2f} s")


if __name__ == "__main__":
    main()
