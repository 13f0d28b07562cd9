"""Load: 8 browser sessions run MoA at once while reviewers rate and vote, all on one SQLite file.

Two `streamlit run` processes share the data directory, as several app processes of one host may
(docs/deploy.md): app A serves the 8 run sessions and a reviewer giving stars on History; app B
serves a reviewer voting blind on Compare. So the file sees writes from two processes and many
threads at once. The proposers of the 8 runs are held at the loopback server until all 16 of
their requests have arrived (so the 8 runs really are in flight together), then answer in about
a second; the aggregator streams for 1.5 s. The reviewers drive their own browsers in threads
while the runs go on.

Afterwards, from the database: every run `ok` with all its calls, every star rating and vote
that was submitted stored exactly once (none lost, none doubled, each with what was clicked),
no lock error in either server's log, and none shown on any page.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs
from tests.review.samples import moa_run

pytestmark = pytest.mark.browser
T0 = time.monotonic()


def _say(what: str) -> None:
    print(f"[load {time.monotonic() - T0:6.1f}s] {what}", flush=True)

SESSIONS = 8
SEEDED = 4  # finished runs with a baseline, for the reviewers
MAX_VOTES = 6
WAIT_MS = 180_000  # generous: 2 shared cores, 3 browsers, 2 app processes
PAGE_PROBLEMS = re.compile(r"database is locked|OperationalError|could not be stored|Traceback", re.I)
LOG_PROBLEMS = re.compile(r"database is locked|OperationalError|Traceback|could not be stored", re.I)


class Barrier:
    """Holds each proposer request until `n` have arrived (or a generous timeout)."""

    def __init__(self, n: int):
        self.n, self.arrived, self.cond = n, 0, threading.Condition()
        self.reached = False

    def reply(self, model: str):
        def answer(messages):
            with self.cond:
                self.arrived += 1
                if self.arrived >= self.n:
                    self.reached = True
                    self.cond.notify_all()
                self.cond.wait_for(lambda: self.reached, timeout=WAIT_MS / 1000)
            time.sleep(1.0)  # then about a second of work, as a real proposer
            return f"{model}: the notice period is thirty days, ninety at renewal."
        return answer

    def release(self) -> None:
        with self.cond:
            self.reached = True
            self.cond.notify_all()


def _rated(store, query: str) -> bool:
    runs = store.list_runs(search=query)
    return bool(runs) and bool(store.ratings.ratings_for(runs[0].run_id))


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    return context.new_page()


def _problems_on(page) -> list[str]:
    found = []
    if page.get_by_test_id("stException").count():
        found.append("an exception box")
    text = page.locator("body").inner_text()
    found += PAGE_PROBLEMS.findall(text)
    return found


def _star_reviewer(url: str, runs: list[str], submitted: list, problems: list, errors: list,
                   go: threading.Event) -> None:
    """Stars on two proposals of every seeded run, on History, while the runs go on."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = bs.launch_chromium(p)
            page = _new_page(browser)
            go.wait(WAIT_MS / 1000)
            for i, run_id in enumerate(runs):
                bs.open_page(page, f"{url}/history?run={run_id}&reviewer=star-reviewer", timeout_ms=WAIT_MS)
                for label, stars in (("m1", 1 + i % 5), ("m2", 1 + (i + 2) % 5)):
                    card = bs.card(bs.answers(page), f"[{label[1]}] {label}")
                    card.get_by_test_id("stFeedback").get_by_role(
                        "radio", name=f"{stars} out of 5 stars").click()
                    bs.expect(page.get_by_test_id("stToast").filter(has_text=f"Rating saved for {label}").first
                              ).to_be_visible(timeout=WAIT_MS)
                    submitted.append((run_id, label, stars))
                    _say(f"star {len(submitted)}")
                    bs.wait_for_app(page, WAIT_MS)
                problems += _problems_on(page)
            browser.close()
    except Exception as exc:  # reported by the test, with what was done so far
        errors.append(f"star reviewer: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def _vote_reviewer(url: str, name: str, cast: list, problems: list, errors: list, go: threading.Event,
                   shots) -> None:
    """Blind votes on Compare (app B), cycling A / B / Tie, until no pair is left or MAX_VOTES."""
    from playwright.sync_api import sync_playwright

    choices = ("A is better", "B is better", "Tie")
    with sync_playwright() as p:
        browser = bs.launch_chromium(p)
        page = _new_page(browser)
        try:
            bs.open_page(page, f"{url}/compare", timeout_ms=WAIT_MS)
            main = page.get_by_test_id("stMain")
            box = main.get_by_label("Your name (stored with your ratings and votes)")
            box.fill(name)
            box.press("Enter")
            bs.wait_for_app(page, WAIT_MS)
            go.wait(WAIT_MS / 1000)
            while len(cast) < MAX_VOTES:
                if main.get_by_text("No pair left for you").count():
                    break
                choice = choices[len(cast) % len(choices)]
                main.get_by_role("button", name=choice).click()  # its name also shows the key
                bs.expect(main.get_by_text("You said")).to_be_visible(timeout=WAIT_MS)
                cast.append(choice)
                _say(f"vote {len(cast)}")
                bs.wait_for_app(page, WAIT_MS)
                problems += _problems_on(page)
                main.get_by_role("button", name="Next pair").click()
                bs.wait_for_app(page, WAIT_MS)
        except Exception as exc:
            errors.append(f"vote reviewer: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            page.screenshot(path=str(shots / "vote-reviewer.png"))
            (shots / "vote-reviewer.txt").write_text(page.locator("body").inner_text())
        finally:
            browser.close()


@pytest.mark.timeout(900)  # about 2-3 min on 2 idle cores; 7 min measured with the cores shared
def test_eight_sessions_and_reviewers_on_one_sqlite_file(tmp_path):
    from playwright.sync_api import sync_playwright

    barrier = Barrier(2 * SESSIONS)
    behaviours = {"p1": dict(reply=barrier.reply("p1")), "p2": dict(reply=barrier.reply("p2")),
                  "agg": dict(text="Thirty days; ninety at renewal (both proposals agree).", latency_s=1.5)}
    data = tmp_path / "data"
    with LLMServer(behaviours=behaviours) as llm, sync_playwright() as playwright:
        spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
        bs.save_lineup(data, "load", Lineup(proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"),
                                            timeout_s=WAIT_MS / 1000 + 60, max_retries=1))
        store = bs.open_store(data)
        seeded = []
        for i in range(SEEDED):
            run = moa_run(query=f"Seeded question {i}?", synthesis=f"Synthesis {i}: 30 days.",
                          baseline=f"Baseline {i}: 30 days I think.")
            store.save_run(run)
            seeded.append(run.run_id)
        app_a = bs.StreamlitApp(data)
        app_b = bs.StreamlitApp(tmp_path / "app-b", env={"MOA_DATA_DIR": str(data)})  # same SQLite file
        browser = bs.launch_chromium(playwright)
        go = threading.Event()
        rated, star_problems, votes, vote_problems, errors = [], [], [], [], []
        reviewers = []
        try:
            app_a.start()
            app_b.start()
            reviewers = [
                threading.Thread(target=_star_reviewer, args=(app_a.url, seeded, rated, star_problems, errors, go)),
                threading.Thread(target=_vote_reviewer, args=(app_b.url, "Vera", votes, vote_problems, errors, go,
                                                                tmp_path)),
            ]
            for t in reviewers:
                t.start()

            tag = uuid.uuid4().hex[:6]
            queries = [f"Load {tag} session {i}: what is the notice period?" for i in range(SESSIONS)]
            pages = []
            for i in range(SESSIONS):
                page = _new_page(browser)
                page.goto(f"{app_a.url}/?reviewer=session-{i}")  # stars are stored only with a reviewer name
                pages.append(page)
            _say("pages opened")
            for page in pages:
                bs.wait_for_app(page, WAIT_MS)
                bs.pick_option(page, "Start from a lineup", "load")
            _say("lineups picked")
            for page, query in zip(pages, queries):  # all 8 started back to back
                bs.run_query(page, query)
            go.set()
            _say("runs started")
            for i, (page, query) in enumerate(zip(pages, queries)):
                bs.wait_for_run_view(page, query, timeout_ms=WAIT_MS)
                card = bs.card(bs.answers(page), "[1] p1")
                card.get_by_test_id("stFeedback").get_by_role("radio", name=f"{1 + i % 5} out of 5 stars").click()
                toast = page.get_by_test_id("stToast").filter(has_text="Rating saved for p1").first
                # the toast, or the rating in the database. Once in six full runs the toast was not seen
                # within 180 s (shown for its 4 s while Playwright served 7 other pages on 2 cores, or the
                # click lost: not known). A lost click still fails here (nothing stored); what was stored,
                # exactly once and as clicked, is checked below either way
                assert bs.eventually(lambda: toast.is_visible() or _rated(store, query), WAIT_MS / 1000), \
                    f"session {i}: no toast and no rating stored"
                _say(f"session {i} finished and rated")
            for page in pages:
                bs.wait_for_app(page, WAIT_MS)
            page_problems = {i: _problems_on(page) for i, page in enumerate(pages)}
            for t in reviewers:
                t.join(WAIT_MS / 1000)
            assert not any(t.is_alive() for t in reviewers), "a reviewer never finished"
        finally:
            barrier.release()
            go.set()
            browser.close()
            app_a.stop()
            app_b.stop()

        assert barrier.reached and barrier.arrived == 2 * SESSIONS, "the 8 runs were never in flight together"
        assert not errors, errors
        assert not any(page_problems.values()) and not star_problems and not vote_problems, (
            page_problems, star_problems, vote_problems)
        for app in (app_a, app_b):
            log = app.log_path.read_text(errors="replace")
            assert not LOG_PROBLEMS.search(log), app.log_tail()

        try:
            # every run ok, with all its calls
            runs = [store.list_runs(search=q) for q in queries]
            assert [len(r) for r in runs] == [1] * SESSIONS, "a run is missing or doubled"
            records = [store.get_run(r[0].run_id) for r in runs]
            assert [r.status for r in records] == ["ok"] * SESSIONS
            assert all(sorted(c.model for c in r.calls) == ["agg", "p1", "p2"] and all(c.ok for c in r.calls)
                       for r in records)
            assert llm.request_count("p1") == llm.request_count("p2") == SESSIONS  # no retry was needed
            # every star rating once, with the stars clicked
            for i, record in enumerate(records):
                p1 = next(c for c in record.calls if c.model == "p1")
                assert [(r.call_id, r.stars) for r in store.ratings.ratings_for(record.run_id)] == [(p1.call_id, 1 + i % 5)]
            assert len(rated) == 2 * SEEDED
            for run_id, label, stars in rated:
                call = next(c for c in store.get_run(run_id).calls if c.label == label)
                assert [r.stars for r in store.ratings.ratings_for(run_id) if r.call_id == call.call_id] == [stars]
            # every vote once, as clicked (stored oriented to the systems; the screen side is recovered)
            stored = store.votes.list_votes(reviewers=["Vera"], rater_kind="human")
            assert len(votes) >= SEEDED and len(stored) == len(votes)
            assert len({v.key for v in stored}) == len(stored)
            flip = {"a": "b", "b": "a", "tie": "tie"}
            screen = [flip[v.winner] if v.shown_swapped else v.winner for v in stored]
            said = {"A is better": "a", "B is better": "b", "Tie": "tie"}
            assert Counter(screen) == Counter(said[c] for c in votes)
            walls = sorted(r.wall_s for r in records)
            _say(f"figures: {len(rated) + SESSIONS} star ratings, {len(votes)} votes; run wall_s "
                 f"min {walls[0]:.1f} median {walls[len(walls) // 2]:.1f} max {walls[-1]:.1f}")
        finally:
            store.close()
