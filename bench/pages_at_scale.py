"""Analytics and History with 10,000 stored runs of 5 calls, timed in a real browser (issue 15).

    .venv/bin/python bench/pages_at_scale.py [--runs 10000] [--calls 5] [--repeat 5] [--data DIR]

Fills a fresh SQLite file with `bench/storage.py`'s runs (or reuses `--data DIR/moa.db` when it
exists), starts the app on loopback (`streamlit run`, as tests/browser_support.py does), and times
in headless Chromium how long each page takes until Streamlit reports the script finished, nothing
stale is left and every chart is drawn:
  first load   the page's first view after the app started (reads and computes);
  reload       a full browser reload of the page after that (a new session: the JS bundle, the
               websocket and the app script all start again);
  first click  clicking the page in the sidebar right after a full reload of another page: the
               browser has not loaded Plotly's script in this tab yet (Analytics pays it here);
  click        what a user does all day: clicking the page in the sidebar again, later in the session.
Settings (no stored-run reads) is timed the same way as the floor every page pays.
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

from bench.storage import fill  # noqa: E402
from moa_core.storage import RunStore  # noqa: E402
from tests import browser_support as bs  # noqa: E402


def wait_for_charts(page) -> None:
    """Every element is drawn: no placeholder is left and every Plotly chart has its plot. Streamlit
    reports the script finished before the browser has loaded the script of each kind of element (a
    grey placeholder until then: metrics, charts, toggles) and drawn the figures: the user waits for
    those too."""
    page.wait_for_function(
        """() => !document.querySelector("[data-testid='stSkeleton']")
                 && [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
                    .every(c => c.querySelector('.js-plotly-plot .main-svg'))""", timeout=180_000)


def load_s(page, url: str) -> float:
    start = time.perf_counter()
    bs.open_page(page, url, timeout_ms=180_000)
    wait_for_charts(page)
    return time.perf_counter() - start


def navigate_s(page, title: str) -> float:
    """Click the page's link in the sidebar and wait until its script has finished."""
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title)
    start = time.perf_counter()
    link.click()
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=180_000)
    bs.wait_for_app(page, 180_000)
    wait_for_charts(page)
    return time.perf_counter() - start


def _summary(values: list[float]) -> str:
    return (f"median {statistics.median(values):5.2f} s (min {min(values):.2f}, max {max(values):.2f}, "
            f"n={len(values)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, help="reuse this folder's moa.db (filled if missing)")
    args = parser.parse_args(argv)
    data = args.data or Path(tempfile.mkdtemp(prefix="moa-scale-"))
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "moa.db").exists():
        store = RunStore.open(f"sqlite:///{data / 'moa.db'}")
        t0 = time.perf_counter()
        fill(store, args.runs, args.calls)
        store.close()
        print(f"filled {args.runs:,} runs x {args.calls} calls in {time.perf_counter() - t0:.1f} s")
    from playwright.sync_api import sync_playwright

    with bs.StreamlitApp(data) as app, sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        bs.open_page(page, app.url + "/settings", timeout_ms=180_000)
        pages = (("Analytics", "/analytics"), ("History", "/history"), ("Settings", "/settings"))
        first = {name: load_s(page, app.url + path) for name, path in pages}
        reload = {name: [] for name, _ in pages}
        first_click = {name: [] for name, _ in pages}
        navigate = {name: [] for name, _ in pages}
        for _ in range(args.repeat):  # interleaved, so a burst of load on the machine hits every page alike
            for name, path in pages:
                reload[name].append(load_s(page, app.url + path))
            for name, _ in pages:  # after the reload of Settings: each page's first click in this tab
                first_click[name].append(navigate_s(page, name))
            for name, _ in pages:
                navigate[name].append(navigate_s(page, name))
        for name, _ in pages:
            print(f"{name:<10} first load {first[name]:5.2f} s | reload {_summary(reload[name])}\n"
                  f"{'':<10} first click after a reload {_summary(first_click[name])} | "
                  f"click {_summary(navigate[name])}")
        browser.close()
    import os
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
