"""Issue 14 end to end in headless Chromium against `streamlit run` and the loopback server: upload two
documents, run a lineup whose proposals quote them correctly and incorrectly, and see each quote marked
in the Agreement tab (verified, with its document and place, or NOT IN THE DOCUMENT)."""
from __future__ import annotations

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs

pytestmark = pytest.mark.browser

LEASE = ("7.2 Notice\nEither party may terminate this lease by giving ninety days written notice.\n\n"
         "8. Keys\nThe landlord keeps a spare key.")
ANNEX = "Annex B\n\nThe tenant receives three keys at the start of the term."
BEHAVIOURS = {
    "alpha": dict(text='Clause 7.2 says "either party may terminate this lease by giving ninety days written '
                       'notice" and Annex B adds "the tenant receives three keys".', latency_s=0.2),
    "beta": dict(text='The lease says "the tenant may leave at any time without notice".', latency_s=0.2),
    "agg": dict(text="Notice is ninety days under clause 7.2; the tenant gets three keys.", latency_s=0.2),
}


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory, llm):
    path = tmp_path_factory.mktemp("browser-documents")
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(path, "quoting", Lineup(proposers=[spec("alpha"), spec("beta")], aggregator=spec("agg"),
                                           timeout_s=90, max_retries=1))  # a loaded machine must not fail the run
    with bs.StreamlitApp(path) as server:
        yield server


def test_uploaded_documents_are_named_and_every_quote_is_marked(browser, app, tmp_path):
    (tmp_path / "lease.txt").write_text(LEASE)
    (tmp_path / "annex.md").write_text(ANNEX)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(90_000)  # a shared 2-core machine: the first script run can take a while
    page = context.new_page()
    bs.open_page(page, app.url, timeout_ms=180_000)
    bs.pick_option(page, "Start from a lineup", "quoting")
    page.get_by_test_id("stFileUploader").locator("input[type='file']").set_input_files(
        [str(tmp_path / "lease.txt"), str(tmp_path / "annex.md")])
    bs.expect(page.get_by_text("Extracted text of annex.md")).to_be_visible()
    bs.wait_for_app(page, 90_000)
    bs.run_query(page, "How much notice, and how many keys?")
    bs.wait_for_run_view(page, "How much notice, and how many keys?", timeout_ms=120_000)

    expanders = page.get_by_test_id("stExpander")
    bs.expect(expanders.filter(has_text="Document 1: lease.txt")).to_be_visible()
    bs.expect(expanders.filter(has_text="Document 2: annex.md")).to_be_visible()
    lease_view = expanders.filter(has_text="Document 1: lease.txt")
    lease_view.locator("summary").click()  # issue 24: the text under its paragraph marks
    bs.expect(lease_view.get_by_text("\u00b6 2", exact=True)).to_be_visible()
    page.get_by_text("Read the documents beside the answers").click()
    bs.expect(page.get_by_role("tabpanel", name="Answers").get_by_text("The landlord keeps a spare key.")).to_be_visible()

    page.get_by_role("tab", name="Agreement").click()
    panel = page.get_by_role("tabpanel", name="Agreement")
    bs.expect(panel.get_by_text("Quotes checked against the documents (3; 1 not found)")).to_be_visible(
        timeout=120_000)
    quotes = panel.get_by_test_id("stExpander")
    verified_lease = quotes.filter(has_text="✅ verified in the document · proposal 1").filter(
        has_text="lease.txt, paragraph 1")
    verified_annex = quotes.filter(has_text="✅ verified in the document · proposal 1").filter(
        has_text="annex.md, paragraph 2")
    invented = quotes.filter(has_text="⚠️ NOT IN THE DOCUMENT · proposal 2")
    for quote in (verified_lease, verified_annex, invented):
        bs.expect(quote).to_have_count(1)
    verified_lease.locator("summary").click()
    bs.expect(verified_lease.get_by_text("The passage, the quoted words highlighted:")).to_be_visible()
    bs.expect(verified_lease.locator("mark")).to_have_text(  # issue 24: the quoted words, highlighted
        "Either party may terminate this lease by giving ninety days written notice")
    invented.locator("summary").click()
    bs.expect(invented.get_by_text("No passage of the documents says this")).to_be_visible()
    bs.expect(quotes.filter(has_text="✅ proposal 1: Clause 7.2 — lease.txt, paragraph 1")).to_have_count(1)
    page.screenshot(path=str(bs.ROOT / "test-results" / "documents-agreement.png"), full_page=True)
    context.close()
