"""End to end in a real headless Chromium: `streamlit run app.py` on loopback, models on the loopback LLM server.

One app server, one LLM server and one browser for the module; each test gets a fresh browser
context (a new Streamlit session) and uses its own query, so tests do not depend on each other.
Waits are Playwright's (auto-waiting locators, `expect`, selectors) and Streamlit's own
script-state attribute, never fixed sleeps.
"""
from __future__ import annotations

import re
import uuid

import pytest

from moa_core.lineup import Lineup, ModelSpec
from tests import browser_support as bs
from moa_core.testing.llm_server import LLMServer

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1400, 1000
ALPHA = ("The notice period is **30 days** from written notice. Clause 4.2 sets it for either party. "
         "Renewal does not change it.")
BETA = ("Clause 7 requires 90 days for termination at renewal. Outside renewal the 30-day rule of clause 4.2 "
        "applies. I would double-check the schedule.")
SYNTHESIS = ("Ordinary notice is 30 days under clause 4.2, as both proposals say. One proposal adds that "
             "termination at renewal needs 90 days under clause 7. Check the schedule for overrides.")
XSS = ('Careful: <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> '
       "and a **bold** claim.")
BEHAVIOURS = {
    "alpha": dict(text=ALPHA, ttft_s=0.3, latency_s=1.5),
    "beta": dict(text=BETA, ttft_s=0.2, latency_s=1.0),
    "gamma": dict(fail_times=10 ** 9, fail_status=500),  # every attempt fails: retries are exhausted
    "agg": dict(text=SYNTHESIS, ttft_s=0.2, latency_s=1.2),
    "evil": dict(text=XSS, ttft_s=0.1, latency_s=0.4),
    "agg-evil": dict(text="Synthesis. " + XSS, ttft_s=0.1, latency_s=0.4),
}


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, llm):
    path = tmp_path_factory.mktemp("browser-data")
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(path, "loopback", Lineup(proposers=[spec("alpha"), spec("beta"), spec("gamma")],
                                            aggregator=spec("agg"), timeout_s=10, max_retries=2))
    bs.save_lineup(path, "untrusted", Lineup(proposers=[spec("evil"), spec("beta")], aggregator=spec("agg-evil"),
                                             timeout_s=10, max_retries=0))
    return path


@pytest.fixture(scope="module")
def app(data_dir):
    with bs.StreamlitApp(data_dir) as server:
        yield server


@pytest.fixture(scope="module")
def store(data_dir, app):
    store = bs.open_store(data_dir)
    yield store
    store.close()


@pytest.fixture
def page(browser, app):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    bs.open_page(page, app.url)
    yield page
    context.close()
    if errors:
        print("page errors:", errors)


def unique(query: str) -> str:
    return f"{query} [{uuid.uuid4().hex[:6]}]"


def run_id_of(store, query: str) -> str:
    runs = store.list_runs(search=query)
    assert len(runs) == 1, [r.query for r in runs]
    return runs[0].run_id


def run_loopback(page, query: str, lineup: str = "loopback") -> None:
    bs.pick_option(page, "Start from a lineup", lineup)
    bs.run_query(page, query)
    bs.wait_for_run_view(page, query)


def test_run_streams_every_proposal_then_a_partial_synthesis(page, store):
    query = unique("What is the notice period in this contract?")
    bs.pick_option(page, "Start from a lineup", "loopback")
    bs.run_query(page, query)

    # Live: the board is laid out at once, every column says waiting, then text streams in.
    main = page.get_by_test_id("stMain")
    bs.expect(main.get_by_test_id("stAlert").filter(has_text="Running 3 proposers")).to_be_visible(timeout=15_000)
    for title in ("[1] alpha", "[2] beta", "[3] gamma", "Synthesis · agg"):
        bs.expect(main.get_by_text(title, exact=True)).to_be_visible()
    # Transient states: locator.wait_for polls on every animation frame, so short phases are not missed.
    status = main.get_by_test_id("stCaptionContainer")
    status.filter(has_text=re.compile(r"^\S*\s*waiting")).first.wait_for(state="visible", timeout=15_000)
    status.filter(has_text=re.compile(r"streaming \(round 1\) · \d+ words")).first.wait_for(state="visible",
                                                                                             timeout=15_000)
    assert page.get_by_role("button", name="Run", exact=True).is_disabled()  # inputs are locked mid-run
    query_box = page.get_by_test_id("stTextArea").filter(has_text="Query").locator("textarea[disabled]")
    bs.expect(query_box).to_have_value(query)  # the question stays visible, locked, while it runs

    # Finished: the stored run is shown with every answer and the partial banner.
    bs.wait_for_run_view(page, query)
    panel = bs.answers(page)
    alpha = bs.card(panel, "[1] alpha")
    bs.expect(alpha).to_contain_text("The notice period is 30 days from written notice.")
    bs.expect(alpha.locator("strong", has_text="30 days")).to_be_visible()  # markdown renders
    bs.expect(bs.card(panel, "[2] beta")).to_contain_text("Clause 7 requires 90 days for termination at renewal.")
    bs.expect(bs.card(panel, "[3] gamma")).to_contain_text("failed")
    bs.expect(bs.card(panel, "Synthesis · agg")).to_contain_text(SYNTHESIS)
    banner = page.get_by_test_id("stAlert").filter(has_text="synthesized from 2 of 3")
    bs.expect(banner).to_be_visible()
    bs.expect(banner).to_contain_text("partial")
    assert page.get_by_role("button", name="Run", exact=True).is_enabled()
    # The query box shows what was asked, ready to be edited for the next run.
    bs.expect(page.get_by_test_id("stTextArea").filter(has_text="Query").locator("textarea")).to_have_value(query)

    record = store.get_run(run_id_of(store, query))
    assert record.status == "partial"
    gamma = [c for c in record.calls if c.label == "gamma"]
    assert gamma and gamma[0].status == "failed" and gamma[0].attempts == 3  # 1 try + 2 retries


def test_rating_a_proposal_is_stored_at_once(page, store):
    query = unique("Rate me: what is the notice period?")
    run_loopback(page, query)
    run_id = run_id_of(store, query)

    beta = bs.card(bs.answers(page), "[2] beta")
    beta.get_by_test_id("stFeedback").get_by_role("radio", name="4 out of 5 stars").click()  # no name yet
    bs.expect(bs.card(bs.answers(page), "[2] beta").get_by_test_id("stAlert")).to_contain_text("Type your name first")
    assert store.ratings.ratings_for(run_id) == []
    name = page.get_by_test_id("stSidebar").get_by_label("Your name (stored with your ratings and votes)")
    name.fill("Ann")
    name.press("Enter")
    bs.expect(page).to_have_url(re.compile(r"reviewer=Ann"))  # kept in the address: a reload keeps it
    bs.wait_for_app(page)
    beta = bs.card(bs.answers(page), "[2] beta")
    beta.get_by_test_id("stFeedback").get_by_role("radio", name="4 out of 5 stars").click()
    bs.expect(page.get_by_test_id("stToast").filter(has_text="Rating saved for beta").first).to_be_visible()
    stars = bs.eventually(lambda: [(r.rater, r.stars) for r in store.ratings.ratings_for(run_id)])
    assert stars == [("Ann", 4)]

    comment = bs.card(bs.answers(page), "[2] beta").get_by_placeholder("Comment (saved with the stars)")
    comment.fill("Cites clause 7; the renewal case matters.")
    comment.press("Enter")
    latest = bs.eventually(lambda: [r for r in store.ratings.ratings_for(run_id) if r.comment])
    assert latest, "the comment was not stored"
    assert latest[-1].stars == 4 and latest[-1].comment == "Cites clause 7; the renewal case matters."
    call = next(c for c in store.get_run(run_id).calls if c.label == "beta")
    assert latest[-1].call_id == call.call_id
    bs.expect(bs.card(bs.answers(page), "[2] beta").get_by_role("radio", name="4 out of 5 stars")).to_have_attribute(
        "aria-checked", "true")
    page.reload()  # a new session: the name comes back from the address, with Ann's own stars
    bs.wait_for_app(page)
    bs.expect(name).to_have_value("Ann")
    bs.expect(bs.card(bs.answers(page), "[2] beta").get_by_role("radio", name="4 out of 5 stars")).to_have_attribute(
        "aria-checked", "true")


def test_history_finds_the_run_after_a_reload(page, app, store):
    query = unique("History: notice period?")
    run_loopback(page, query)
    run_id = run_id_of(store, query)

    page.reload()  # the run's id is in the address: a reload shows the same run again, never re-runs it
    bs.wait_for_app(page)
    bs.expect(page.get_by_test_id("stCaptionContainer").filter(has_text=f"Query: {query}")).to_have_count(1)
    assert len(store.list_runs(search=query)) == 1
    bs.go_to(page, "History")
    search = page.get_by_test_id("stTextInput").filter(has_text="Search queries").locator("input")
    search.fill(query.split("[")[1].rstrip("]"))  # the unique tag: exactly this run
    search.press("Enter")
    bs.expect(page.get_by_text("1 run, newest first")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    bs.click_table_row(page, table, query)

    bs.expect(page.get_by_role("heading", name=re.compile(f"Run {run_id}"))).to_be_visible()
    panel = bs.answers(page)
    bs.expect(bs.card(panel, "[1] alpha")).to_contain_text("The notice period is 30 days from written notice.")
    bs.expect(bs.card(panel, "[2] beta")).to_contain_text("Clause 7 requires 90 days")
    bs.expect(bs.card(panel, "Synthesis · agg")).to_contain_text(SYNTHESIS)
    bs.expect(page.get_by_test_id("stAlert").filter(has_text="synthesized from 2 of 3")).to_be_visible()

    # The same run by address, as a link to it would open it.
    bs.open_page(page, f"{app.url}/history?run={run_id}")
    bs.expect(page.get_by_role("heading", name=re.compile(f"Run {run_id}"))).to_be_visible()
    bs.expect(bs.card(bs.answers(page), "Synthesis · agg")).to_contain_text(SYNTHESIS)


def test_model_output_is_text_not_html(page, app, store):
    query = unique("Say something risky")
    run_loopback(page, query, lineup="untrusted")
    run_id = run_id_of(store, query)

    def check() -> None:
        panel = bs.answers(page)
        evil = bs.card(panel, "[1] evil")
        bs.expect(evil).to_contain_text('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">')
        bs.expect(evil.locator("strong", has_text="bold")).to_be_visible()
        bs.expect(bs.card(panel, "Synthesis · agg-evil")).to_contain_text("<script>window.__pwned=1</script>")
        main = page.get_by_test_id("stMain")
        assert main.locator("img[src='x']").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"

    check()  # live view and finished view of this session
    bs.open_page(page, f"{app.url}/history?run={run_id}")
    bs.expect(page.get_by_role("heading", name=re.compile(f"Run {run_id}"))).to_be_visible()
    check()  # read back from the database


def test_empty_query_is_refused(page, store):
    before = len(store.list_runs(limit=500))
    run = page.get_by_role("button", name="Run", exact=True)
    run.click()
    bs.expect(page.get_by_test_id("stAlert").filter(has_text="Type a query first.")).to_be_visible()
    refused = page.get_by_test_id("stAlert").filter(has_text="Type a query first.")
    area = page.get_by_test_id("stTextArea").filter(has_text="Query").locator("textarea")
    area.fill("   \n  ")
    area.press("Control+Enter")  # commit: the rerun clears the message
    bs.expect(refused).to_have_count(0)
    run.click()
    bs.expect(page.get_by_test_id("stAlert").filter(has_text="Type a query first.")).to_be_visible()
    bs.wait_for_app(page)
    assert len(store.list_runs(limit=500)) == before


def test_leaving_a_run_and_coming_back_never_runs_it_again(page, app, store, llm):
    """Issue 17.1: start a run, open History at once, come back: it is shown live or finished, run once."""
    query = unique("Leave and come back?")
    before = {m: llm.request_count(m) for m in ("alpha", "beta", "agg")}
    bs.pick_option(page, "Start from a lineup", "loopback")
    bs.run_query(page, query)
    bs.expect(page.get_by_test_id("stMain").get_by_test_id("stAlert").filter(
        has_text="Running 3 proposers")).to_be_visible(timeout=15_000)
    bs.go_to(page, "History")
    bs.expect(page.get_by_role("heading", name="History")).to_be_visible()
    bs.go_to(page, "Run")
    bs.wait_for_run_view(page, query)
    bs.expect(bs.card(bs.answers(page), "Synthesis · agg")).to_contain_text(SYNTHESIS)
    runs = store.list_runs(search=query)
    assert [r.status for r in runs] == ["partial"]  # one run, finished, not interrupted
    assert {m: llm.request_count(m) - before[m] for m in before} == {"alpha": 1, "beta": 1, "agg": 1}
