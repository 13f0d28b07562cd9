"""Screenshots of the app for the docs: the Run page mid-stream and finished, History, Settings.

    .venv/bin/python -m bench.screenshots [--out docs/screenshots] [--width 1400]

Starts the app exactly as the browser tests do (`streamlit run app.py` on loopback with a
throw-away MOA_DATA_DIR, headless Debian Chromium) with the models served by the loopback
LLM server (moa_core/testing/llm_server.py) under the names of an OpenAI-compatible server's models.
The answers are scripted, not generated: a contract question over a short agreement, three
proposers that disagree on a number (30 days vs 90 days), a synthesis that reconciles them, a
baseline single model, and a few earlier runs with ratings so History has something to show.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

from moa_core.engine import Document, stream_run
from moa_core.lineup import Lineup, ModelSpec
from moa_core.records import RunFinished
from tests import browser_support as bs
from moa_core.testing.llm_server import LLMServer

ROOT = Path(__file__).resolve().parents[1]
TWENTY_WORDS_OR_MORE = re.compile(r"streaming \(round 1\) · ([2-9]\d|\d{3,}) words")

# Ollama-style names: litellm would try to download a Hugging Face tokenizer for "llama-3..." names
SMALL_1, SMALL_2, SMALL_3 = "llama3.1:8b", "qwen2.5:7b", "mistral-small3.1:24b"
AGGREGATOR, BASELINE = "qwen2.5:32b", "llama3.3:70b"
PRICES = {  # USD per 1M tokens (input, output): illustrative hosted prices, shown in Settings
    SMALL_1: (0.05, 0.08), SMALL_2: (0.04, 0.10), SMALL_3: (0.10, 0.30),
    AGGREGATOR: (0.20, 0.60), BASELINE: (0.59, 0.79),
}

DOCUMENT_NAME = "msa-excerpt.md"
DOCUMENT = """# Master Services Agreement (excerpt)

Between Northwind Analytics Ltd ("Customer") and Brightline Data Services Inc. ("Vendor").

## 4. Term and termination
4.1 **Term.** This Agreement starts on 1 March 2025 and runs for an initial term of twelve (12) months.
4.2 **Termination for convenience.** Either party may terminate this Agreement at any time by giving the
other party not less than thirty (30) days' written notice.
4.3 **Termination for cause.** Either party may terminate immediately if the other party materially breaches
this Agreement and fails to cure the breach within fifteen (15) days of written notice.

## 5. Work product
5.1 All deliverables created by Vendor specifically for Customer under a Statement of Work are owned by
Customer upon payment in full.
5.2 Vendor retains its pre-existing tools, libraries and know-how, and grants Customer a non-exclusive
licence to use them as part of the deliverables.

## 7. Renewal
7.1 This Agreement renews automatically for successive twelve (12) month terms unless either party gives
written notice of non-renewal at least ninety (90) days before the end of the then-current term.

## 8. Indemnification
8.1 Vendor shall indemnify Customer against third-party claims that the deliverables infringe intellectual
property rights.
8.2 Customer shall indemnify Vendor against third-party claims arising from data supplied by Customer.

## 9. Fees on termination
9.3 On any termination, Customer shall pay all fees for services performed up to the effective date of
termination.

## 10. Limitation of liability
10.1 Except for indemnification obligations, each party's total liability is capped at the fees paid in
the twelve (12) months before the claim.
"""

NOTICE_Q = "How much notice do we need to give to get out of this contract, and by when?"
INDEMNITY_Q = "Summarize the indemnification clause in two sentences."
OWNERSHIP_Q = "Who owns the work product created under section 5?"
EMAIL_Q = "Draft a short, polite non-renewal notice to the vendor."
LIABILITY_Q = "Is the limitation of liability mutual?"

# query -> model -> answer.  The aggregator is told the proposals; here it simply has its script.
SCRIPT: dict[str, dict[str, str]] = {
    NOTICE_Q: {
        SMALL_1: "You can leave at any time with **30 days' written notice** under clause 4.2 (termination for "
                 "convenience). Send the notice in writing to Brightline; the agreement ends 30 days after they "
                 "receive it. Under clause 9.3 you still pay for the services performed up to that date.",
        SMALL_2: "You must give **90 days' notice** before the end of the current term (clause 7.1). The first "
                 "term runs twelve months from 1 March 2025, so the notice is due by **30 November 2025** at the "
                 "latest. If you miss that date, the agreement renews automatically for another twelve months.",
        SMALL_3: "There are two different exits here.\n\n"
                 "- **Termination for convenience (4.2):** 30 days' written notice, at any time.\n"
                 "- **Non-renewal (7.1):** written notice at least 90 days before the term ends, so by "
                 "30 November 2025 for the first term.\n\n"
                 "One caveat: the excerpt does not say how notice must be delivered. Check the notices clause "
                 "before relying on an email.",
        AGGREGATOR: "**Short answer: 30 days' written notice, at any time** (clause 4.2, termination for "
                    "convenience).\n\n"
                    "The proposals disagree on the number. [2] says 90 days, but that figure comes from clause 7.1, "
                    "which governs **non-renewal** at the end of a term, not termination. Both routes exist:\n\n"
                    "| Route | Notice | Deadline |\n|---|---|---|\n"
                    "| Terminate for convenience (4.2) | 30 days, written | any time |\n"
                    "| Let it lapse at the end of the term (7.1) | 90 days, written | by 30 November 2025 |\n\n"
                    "Fees for services performed up to the effective date remain payable (9.3). As [3] notes, "
                    "check the notices clause for how notice must be delivered.",
        BASELINE: "Under clause 7.1 you need to give written notice at least 90 days before the end of the term, "
                  "so by 30 November 2025 for the first term. Otherwise the agreement renews automatically for "
                  "another year.",
    },
    INDEMNITY_Q: {
        SMALL_1: "Brightline must cover Northwind against third-party IP infringement claims about the "
                 "deliverables (8.1). Northwind must cover Brightline against claims arising from the data it "
                 "supplies (8.2).",
        SMALL_2: "Each side indemnifies the other: the vendor for intellectual property claims, the customer for "
                 "claims about its data.",
        SMALL_3: "The vendor indemnifies for IP infringement by the deliverables; the customer indemnifies for "
                 "claims caused by its data. Note that these obligations sit outside the liability cap (10.1).",
        AGGREGATOR: "Brightline indemnifies Northwind against third-party claims that the deliverables infringe "
                    "IP rights (8.1), and Northwind indemnifies Brightline against claims arising from data it "
                    "supplied (8.2). Both obligations are excluded from the liability cap in clause 10.1.",
        BASELINE: "The vendor indemnifies the customer for IP infringement claims, and the customer indemnifies "
                  "the vendor for claims arising from customer data.",
    },
    OWNERSHIP_Q: {
        SMALL_1: "Northwind owns the deliverables made specifically for it, but only **once it has paid in full** "
                 "(5.1). Brightline keeps its pre-existing tools and licenses them to Northwind (5.2).",
        SMALL_2: "The customer owns all work product under section 5.",
        AGGREGATOR: "Northwind owns the deliverables created specifically for it under a Statement of Work, "
                    "**from payment in full** (5.1). Brightline keeps ownership of its pre-existing tools, "
                    "libraries and know-how and grants Northwind a non-exclusive licence to use them within the "
                    "deliverables (5.2).",
        BASELINE: "Deliverables belong to the customer after full payment; the vendor keeps its own tools.",
    },
    EMAIL_Q: {
        SMALL_1: "Subject: Notice of non-renewal\n\nDear Brightline team,\n\nUnder clause 7.1 of our Master "
                 "Services Agreement, we give notice that we will not renew the agreement at the end of the "
                 "current term. Thank you for your work this year.\n\nKind regards,\nNorthwind Analytics",
        SMALL_2: "Dear Vendor, we are writing to inform you that we do not wish to renew. Best regards.",
        SMALL_3: "Subject: Non-renewal of the Master Services Agreement\n\nDear Brightline,\n\nPlease accept "
                 "this letter as our written notice of non-renewal under clause 7.1. The agreement will end at "
                 "the close of the current term. We would be glad to agree a handover plan.\n\nBest regards,\n"
                 "Northwind Analytics",
        AGGREGATOR: "**Subject:** Notice of non-renewal, Master Services Agreement\n\nDear Brightline team,\n\n"
                    "In accordance with clause 7.1 of our Master Services Agreement, please accept this letter as "
                    "our written notice that Northwind Analytics will not renew the agreement at the end of the "
                    "current term. We appreciate your work this year and would be glad to agree a handover plan "
                    "for the remaining deliverables.\n\nKind regards,\nNorthwind Analytics Ltd",
        BASELINE: "Dear Brightline, per clause 7.1 we will not renew the agreement at the end of this term. "
                  "Thank you for your service. Regards, Northwind",
    },
    LIABILITY_Q: {
        SMALL_1: "Yes. Clause 10.1 caps **each party's** total liability at the fees paid in the previous twelve "
                 "months, so the cap applies to both sides.",
        SMALL_2: "Yes, the cap in 10.1 applies to each party, except for the indemnification obligations.",
        AGGREGATOR: "Yes. Clause 10.1 applies to **each party**: total liability is capped at the fees paid in "
                    "the twelve months before the claim. The indemnities in section 8 are excluded from the cap "
                    "for both sides.",
    },
}


def reply_for(model: str):
    """The server's reply callable for `model`: the scripted answer to whichever question was asked."""
    def reply(messages: list[dict]) -> str:
        user = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
        for query, answers in SCRIPT.items():
            if query in str(user) and model in answers:
                return answers[model]
        return f"({model} has no scripted answer for this question.)"
    return reply


def behave(llm: LLMServer, *, live: bool = False, failing: set[str] = frozenset()) -> None:
    """Fast answers for seeding; slow, staggered ones for the live screenshot."""
    timing = {  # (ttft_s, latency_s)
        SMALL_1: (0.6, 6.0), SMALL_2: (1.2, 7.0), SMALL_3: (4.0, 8.5), AGGREGATOR: (0.5, 5.0), BASELINE: (0.8, 4.5),
    } if live else {SMALL_1: (0.2, 0.9), SMALL_2: (0.1, 0.6), SMALL_3: (0.3, 1.2), AGGREGATOR: (0.2, 1.0),
                    BASELINE: (0.2, 0.8)}
    for model, (ttft, latency) in timing.items():
        llm.set(model, reply=reply_for(model), ttft_s=ttft, latency_s=latency,
                fail_times=10 ** 9 if model in failing else 0)


def lineup(llm: LLMServer, proposers: list[tuple[str, str, float]], *, baseline: bool = True,
           name: str = "") -> Lineup:
    def spec(model: str, label: str, temperature: float, system_prompt: str | None = None) -> ModelSpec:
        return ModelSpec(model=model, api_base=llm.base_url, label=label, temperature=temperature,
                         max_tokens=512, system_prompt=system_prompt)
    personas = {"careful": "You are careful and concise. Cite the clause you rely on.",
                "skeptical": "You are skeptical. Answer, then point out one thing that could be wrong or missing."}
    return Lineup(
        proposers=[spec(m, label, t, next((p for k, p in personas.items() if k in label), None))
                   for m, label, t in proposers],
        aggregator=spec(AGGREGATOR, "Qwen 2.5 32B · aggregator", 0.2),
        baseline=spec(BASELINE, "Llama 3.3 70B · baseline", 0.3) if baseline else None,
        timeout_s=30, max_retries=1, name=name,
    )


def contract_lineup(llm: LLMServer) -> Lineup:
    return lineup(llm, [(SMALL_1, "Llama 3.1 8B · careful", 0.2), (SMALL_2, "Qwen 2.5 7B", 0.7),
                        (SMALL_3, "Mistral Small 3.1 · skeptical", 0.6)], name="contract-review")


def seed(data_dir: Path, llm: LLMServer) -> None:
    """Settings, prices, a saved lineup and four earlier runs (one partial) with ratings."""
    store = bs.open_store(data_dir)
    try:
        store.catalog.set_setting("base_urls", [{"url": llm.base_url, "kind": "openai"}])
        for model, (inp, out) in PRICES.items():
            store.catalog.set_price(model, inp / 1e6, out / 1e6)
        full = contract_lineup(llm)
        store.catalog.save_lineup("contract-review", full.to_toml())
        pair = lineup(llm, [(SMALL_1, "Llama 3.1 8B · careful", 0.2), (SMALL_2, "Qwen 2.5 7B", 0.7)],
                      baseline=False, name="two-small")
        store.catalog.save_lineup("two-small", pair.to_toml())
        document = Document(DOCUMENT_NAME, DOCUMENT)
        ratings = {  # query -> [(label or "run", stars, comment)]
            INDEMNITY_Q: [("Qwen 2.5 32B · aggregator", 4, "Adds the liability-cap point; good."),
                          ("Qwen 2.5 7B", 2, "Too vague")],
            OWNERSHIP_Q: [("Qwen 2.5 32B · aggregator", 5, "Payment condition kept"),
                          ("Qwen 2.5 7B", 1, "Misses the payment condition")],
            EMAIL_Q: [("Qwen 2.5 32B · aggregator", 5, "Ready to send"), ("run", 4, "")],
            LIABILITY_Q: [("run", 5, "")],
        }
        plan = [(INDEMNITY_Q, full, set()), (OWNERSHIP_Q, full, {SMALL_3}), (EMAIL_Q, full, set()),
                (LIABILITY_Q, pair, set())]
        for query, plan_lineup, failing in plan:
            behave(llm, failing=failing)
            record = asyncio.run(_run(store, query, plan_lineup, document))
            for label, stars, comment in ratings.get(query, []):
                if label == "run":
                    store.ratings.add_rating("run", run_id=record.run_id, stars=stars, comment=comment)
                else:
                    call = next(c for c in record.calls if c.label == label)
                    store.ratings.add_rating("call", call_id=call.call_id, stars=stars, comment=comment)
            time.sleep(1.1)  # distinct start times (History shows seconds)
    finally:
        store.close()


async def _run(store, query: str, plan_lineup: Lineup, document: Document):
    record = None
    async for event in stream_run(query, plan_lineup, document=document, prices=store.catalog.price_book()):
        store.observe(event)
        if isinstance(event, RunFinished):
            record = event.run
    return record


def shot(page, path: Path, width: int) -> None:
    page.mouse.move(0, 0)  # no hover effects or tooltips
    page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
    bs.fit_viewport_to_content(page, width)
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    page.set_viewport_size({"width": width, "height": 900})
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def capture(app: bs.StreamlitApp, llm: LLMServer, out: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_default_timeout(60_000)
            bs.open_page(page, app.url)
            bs.pick_option(page, "Start from a lineup", "contract-review")
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                files=[{"name": DOCUMENT_NAME, "mimeType": "text/markdown", "buffer": DOCUMENT.encode()}])
            bs.expect(page.get_by_text(f"Extracted text of {DOCUMENT_NAME}")).to_be_visible()
            bs.wait_for_app(page)

            behave(llm, live=True)
            bs.run_query(page, NOTICE_Q)
            status = page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer")
            status.filter(has_text="waiting").first.wait_for(state="visible")
            status.filter(has_text=TWENTY_WORDS_OR_MORE).first.wait_for(state="visible")
            shot(page, out / "run-live.png", width)

            bs.wait_for_run_view(page, NOTICE_Q, timeout_ms=60_000)
            behave(llm)
            panel = bs.answers(page)
            rate(page, "Synthesis · Qwen 2.5 32B · aggregator", 5, "Catches the renewal trap; table is clear.")
            rate(page, "[2] Qwen 2.5 7B", 2, "Confuses non-renewal with termination.")
            second = bs.card(panel, "[2] Qwen 2.5 7B").get_by_role("radio", name="2 out of 5 stars")
            bs.expect(second).to_have_attribute("aria-checked", "true")
            bs.expect(page.get_by_test_id("stToast")).to_have_count(0, timeout=15_000)
            shot(page, out / "run-finished.png", width)

            bs.go_to(page, "History")
            bs.click_table_row(page, page.get_by_test_id("stDataFrame").first, NOTICE_Q)
            bs.expect(page.get_by_role("heading", name="Run ")).to_be_visible()
            bs.wait_for_app(page)
            shot(page, out / "history.png", width)

            bs.go_to(page, "Settings")
            bs.pick_option(page, "Lineup", "contract-review")
            toml = page.get_by_role("textbox", name="TOML")
            bs.expect(toml).to_have_count(1)  # the "new lineup" editor is gone
            bs.expect(toml).to_have_value(re.compile("qwen2.5:32b"))
            shot(page, out / "settings.png", width)
            page.get_by_role("tab", name="Providers and servers").click()
            providers = page.get_by_role("tabpanel", name="Providers and servers")
            bs.expect(providers.get_by_test_id("stCode").filter(has_text=llm.base_url)).to_be_visible()
            providers.get_by_role("button", name="Check").click()  # asks the server for its models
            bs.expect(providers.get_by_test_id("stAlert").filter(has_text="models:")).to_be_visible()
            bs.wait_for_app(page)
            shot(page, out / "settings-providers.png", width)
        finally:
            browser.close()


def rate(page, title: str, stars: int, comment: str) -> None:
    box = bs.card(bs.answers(page), title)
    box.get_by_test_id("stFeedback").get_by_role("radio", name=f"{stars} out of 5 stars").click()
    bs.wait_for_app(page)
    field = bs.card(bs.answers(page), title).get_by_placeholder("Comment (saved with the stars)")
    field.fill(comment)
    field.press("Enter")
    bs.expect(field).to_have_value(comment)
    bs.wait_for_app(page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args(argv)
    if problem := bs.chromium_problem():
        print(f"cannot take screenshots: {problem}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with LLMServer() as llm, tempfile.TemporaryDirectory(prefix="moa-screens-") as tmp:
        data_dir = Path(tmp)
        behave(llm)
        seed(data_dir, llm)
        with bs.StreamlitApp(data_dir) as app:
            try:
                capture(app, llm, args.out, args.width)
            except Exception:
                print(f"--- streamlit log tail ---\n{app.log_tail()}", file=sys.stderr)
                raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
