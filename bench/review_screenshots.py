"""Screenshots of the Compare page (before and after a vote) and the Results page, at 1400 px wide
and at 1024x768, in headless Chromium:

    .venv/bin/python bench/review_screenshots.py [--out docs/screenshots]

Writes compare.png, compare-revealed.png, results.png (1400 px) and *-1024.png (1024x768).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moa_core.review.pairs import pairs_for_run  # noqa: E402
from tests import browser_support as bs  # noqa: E402
from tests.review.samples import moa_run  # noqa: E402

SYNTH = ("The notice period is **30 days** from written notice (clause 4.2).\n\n"
         "- Either party may give notice.\n- At renewal, clause 7 asks for **90 days**.\n\n"
         "Check the schedule for overrides.")
BASE = "Notice is 30 days. Renewal does not change it, as far as I can tell from the contract."


def seed(data_dir: Path) -> None:
    store = bs.open_store(data_dir)
    for i in range(30):  # some history for the Results page
        run = moa_run(query=f"question {i}", name="contracts")
        store.save_run(run)
        for p in pairs_for_run(run):
            for who in ("ana", "ben", "cy"):
                winner = "a" if (i * 7 + len(who) + len(p.kind)) % 5 < 3 else ("b" if i % 3 else "tie")
                store.votes.add_vote(prompt_id=p.prompt_id, system_a=p.system_a, system_b=p.system_b, winner=winner,
                               reviewer=who, run_a_id=p.run_a_id, run_b_id=p.run_b_id, call_a_id=p.call_a_id,
                               call_b_id=p.call_b_id, shown_pair=p.key)
    # the newest run: the one the Compare page shows first
    store.save_run(moa_run(query="What is the notice period in this contract?", name="contracts",
                           proposals=("30 days from written notice.", "90 days at renewal, 30 otherwise."),
                           synthesis=SYNTH, baseline=BASE))
    store.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(ap.parse_args().out)
    data = Path(tempfile.mkdtemp(prefix="moa-shots-"))
    seed(data)
    from playwright.sync_api import sync_playwright

    with bs.StreamlitApp(data) as app, sync_playwright() as p:
        browser = bs.launch_chromium(p)
        for width, height, suffix in ((1400, 1000, ""), (1024, 768, "-1024")):
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            bs.open_page(page, f"{app.url}/compare")
            main = page.get_by_test_id("stMain")
            box = main.get_by_label("Your name (stored with your ratings and votes)")
            box.fill(f"dana{suffix}")
            box.press("Enter")
            bs.wait_for_app(page)
            bs.expect(main.get_by_text("Check the schedule")).to_be_visible()
            main.get_by_text("Query:").click()
            page.screenshot(path=str(out / f"compare{suffix}.png"))
            page.keyboard.press("1")
            bs.expect(main.get_by_text("You said")).to_be_visible(timeout=15_000)
            bs.wait_for_app(page)
            page.screenshot(path=str(out / f"compare-revealed{suffix}.png"))
            bs.go_to(page, "Results")
            bs.expect(main.get_by_test_id("stPlotlyChart")).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1500)  # let plotly and the grids draw
            if not suffix:
                bs.fit_viewport_to_content(page, width)
            page.screenshot(path=str(out / f"results{suffix}.png"))
            page.context.close()
        browser.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
