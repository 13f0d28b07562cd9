"""Analytics and History with 10,000 stored runs of 5 calls, timed in a real browser (issue 15).

    .venv/bin/python bench/pages_at_scale.py [--runs 10000] [--calls 5] [--repeat 3]

Fills a fresh SQLite file with `bench/storage.py`'s runs, starts the app on loopback
(`streamlit run`, as tests/browser_support.py does), and times in headless Chromium how long
each page takes from navigation until Streamlit reports the script finished and nothing stale is
left: the first load (reads and computes), then repeated loads (what a user sees after that).
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


def load_s(page, url: str) -> float:
    start = time.perf_counter()
    bs.open_page(page, url, timeout_ms=180_000)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="moa-scale-"))
    store = RunStore.open(f"sqlite:///{data / 'moa.db'}")
    t0 = time.perf_counter()
    fill(store, args.runs, args.calls)
    store.close()
    print(f"filled {args.runs:,} runs x {args.calls} calls in {time.perf_counter() - t0:.1f} s")
    from playwright.sync_api import sync_playwright

    with bs.StreamlitApp(data) as app, sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        bs.open_page(page, app.url, timeout_ms=180_000)
        for name, path in (("Analytics", "/analytics"), ("History", "/history")):
            first = load_s(page, app.url + path)
            again = [load_s(page, app.url + path) for _ in range(args.repeat)]
            print(f"{name:<10} first load {first:6.2f} s; after that median {statistics.median(again):.2f} s "
                  f"(min {min(again):.2f}, max {max(again):.2f}, n={len(again)})")
        browser.close()
    import os
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
