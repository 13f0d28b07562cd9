"""Issue 24's done-when in headless Chromium against `streamlit run` and the loopback server: a services
agreement (PDF: clause 9.1 ninety days' notice, 9.2 a breach "not remedied within thirty (30) days") and an
amendment (DOCX: clause 2 replaces 9.1 with thirty days) are uploaded; proposers answer 30 days, 90 days
and an invented clause 12.4. The Agreement tab shows the 30-day answer supported by the amendment that
replaces clause 9.1 (green, opening the amendment's passage with its words highlighted), the disagreement
backed on the 30-day side, 90 days contradicted, and the invented clause never supported."""
from __future__ import annotations

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer
from tests import browser_support as bs
from tests.report import termination_scenario as sc

pytestmark = pytest.mark.browser

BEHAVIOURS = {**{label: dict(text=text, latency_s=0.2) for label, text in sc.PROPOSALS.items()},
              "agg": dict(text=sc.SYNTHESIS, latency_s=0.2)}
SCREENSHOT = bs.ROOT / "docs" / "screenshots" / "document-verdicts.png"


@pytest.fixture(scope="module")
def llm():
    with LLMServer(behaviours=BEHAVIOURS) as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory, llm):
    path = tmp_path_factory.mktemp("browser-verdicts")
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    bs.save_lineup(path, "contracts", Lineup(proposers=[spec(label) for label in sc.PROPOSALS],
                                             aggregator=spec("agg"), timeout_s=90, max_retries=1))
    with bs.StreamlitApp(path) as server:
        yield server


def test_the_amendment_backs_30_days_and_the_invented_clause_is_never_supported(browser, app, tmp_path):
    pdf, docx = sc.write_documents(tmp_path)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(90_000)  # a shared 2-core machine: the first script run can take a while
    page = context.new_page()
    bs.open_page(page, app.url, timeout_ms=180_000)
    bs.pick_option(page, "Start from a lineup", "contracts")
    page.get_by_test_id("stFileUploader").locator("input[type='file']").set_input_files([str(pdf), str(docx)])
    bs.expect(page.get_by_text("Extracted text of amendment-1.docx")).to_be_visible()
    bs.wait_for_app(page, 90_000)
    bs.run_query(page, sc.QUESTION)
    bs.wait_for_run_view(page, sc.QUESTION, timeout_ms=120_000)

    page.get_by_role("tab", name="Agreement").click()
    panel = page.get_by_role("tabpanel", name="Agreement")
    bs.expect(panel.get_by_text("Disagreements (1)")).to_be_visible(timeout=120_000)
    bs.wait_for_app(page, 120_000)

    # the synthesis, sentence by sentence: one verdict each
    thirty = panel.locator(".moa-verdict.moa-supported")
    bs.expect(thirty).to_have_count(1)
    bs.expect(thirty).to_have_text(f"[{sc.SUPPORTED_BY_AMENDMENT}]")
    bs.expect(thirty).to_have_css("color", "rgb(24, 122, 47)")  # green: support
    invented = panel.locator(".moa-verdict.moa-related")
    bs.expect(invented).to_have_count(1)
    bs.expect(invented).to_contain_text("cites Clause 12.4, which the documents do not have")
    bs.expect(invented).to_have_css("color", "rgb(119, 119, 119)")  # grey: settles nothing
    bs.expect(panel.get_by_text("[unsupported]")).to_have_count(0)
    bs.expect(panel.get_by_text("[in amendment-1.docx", exact=False)).to_have_count(0)

    # which side of the disagreement the documents back, with the amendment's words
    side = panel.locator(".moa-side")
    bs.expect(side).to_have_count(1)
    bs.expect(side).to_contain_text(f"The documents back [1] alpha (“{sc.THIRTY}”): {sc.SUPPORTED_BY_AMENDMENT}")
    bs.expect(side).to_contain_text(sc.AMENDED)
    verdicts = panel.get_by_test_id("stExpander")
    supported = verdicts.filter(has_text=f"✔ {sc.SUPPORTED_BY_AMENDMENT}")
    bs.expect(supported).to_have_count(2)  # the synthesis sentence and the 30-day version of the disagreement
    contradicted = verdicts.filter(has_text="✘ contradicts amendment-1.docx, paragraph 4")
    bs.expect(contradicted).to_have_count(1)  # the 90-day version
    bs.expect(contradicted).to_contain_text("matches services-agreement.pdf clause 9.1 (90 days)")
    bs.expect(verdicts.filter(has_text="✔").filter(has_text="12.4")).to_have_count(0)

    # a verdict opens its passage: the amendment's clause 2 with the new text highlighted
    version = supported.last
    version.locator("summary").click()
    bs.expect(version.get_by_text("[1] alpha says:")).to_be_visible()
    bs.expect(version.locator(".moa-mark")).to_have_text("amendment-1.docx, paragraph 4")
    bs.expect(version.locator("mark")).to_have_text(sc.AMENDED.rstrip("."))
    contradicted.locator("summary").click()
    bs.expect(contradicted.get_by_text("The document says (duration):")).to_be_visible()

    # the picture for the README: from the synthesis's verdicts to the disagreement, its passages open
    bs.fit_viewport_to_content(page, 1400)
    bs.wait_for_app(page)
    area = panel.bounding_box()
    top = panel.get_by_text("Synthesis, sentence by sentence").bounding_box()["y"] - 12
    bottom = panel.get_by_test_id("stPlotlyChart").bounding_box()["y"] - 4
    shot = bs.ROOT / "test-results" / "document-verdicts.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), clip={"x": area["x"] - 12, "y": top, "width": area["width"] + 24,
                                          "height": bottom - top})
    context.close()
