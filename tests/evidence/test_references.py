"""References: each written form is found, and "not_found" when the document has no such number."""
from __future__ import annotations

import pytest

from moa_core.evidence import SourceDocument, check_references, find_references

CONTRACT = """SERVICES AGREEMENT

1. DEFINITIONS
1.1 "Services" means the services in Schedule 2.

Clause 3 Payment
The Customer shall pay each invoice within 30 days.

4. Liability
(a) Neither party excludes liability for fraud.
(c) Each party's total liability is capped at the fees paid.

5. Term
(a) This Agreement lasts two years.
(b) It renews unless terminated under clause
7.2 above or by notice.

Section 7 Termination

7.1 Either party may terminate for convenience.
7.2 Either party may terminate for material breach:
(a) on 30 days notice; or
(b) at once, if the breach cannot be remedied.

§ 12 Governing law
English law applies.

ARTICLE IV Disputes
Disputes go to arbitration.

SCHEDULE 2 - Services
Support and maintenance.

Annex A
Service levels.

APPENDIX B: Prices"""


@pytest.fixture
def contract() -> list[SourceDocument]:
    return [SourceDocument.from_text("msa.txt", CONTRACT)]


def status(reference_text: str, documents) -> list[tuple[str, str]]:
    return [(c.text, c.status) for c in check_references([("final", reference_text)], documents)]


def test_find_references_each_form():
    text = ("See clause 7.2, Clause 7.2(a), section 4(b), Section 12, § 12, §§ 3-4, article 5, paragraph 3.1, "
            "schedule 2, annex A, appendix B and ARTICLE IV; also clauses 7.1 and 7.3, Sections 9\u201311.")
    assert find_references(text) == [
        "clause 7.2", "Clause 7.2(a)", "section 4(b)", "Section 12", "§ 12", "§ 3", "§ 4", "article 5",
        "paragraph 3.1", "schedule 2", "annex A", "appendix B", "ARTICLE IV", "clause 7.1", "clause 7.3",
        "Section 9", "Section 10", "Section 11"]


def test_find_references_ignores_ordinary_words():
    assert find_references("We should schedule a call about this section and annex the notes.") == []
    assert find_references("Clause 7.2.") == ["Clause 7.2"]


def test_found_for_each_heading_style(contract):
    answer = ("Under clause 1.1, Clause 3, section 4, Section 7, clause 7.2, § 12, article IV, "
              "paragraph 5, schedule 2, annex A and appendix B.")
    checks = check_references([("final", answer)], contract)
    assert [(c.text, c.status) for c in checks] == [(r, "found") for r in find_references(answer)]
    where = {c.text: c.location for c in checks}
    assert where["clause 7.2"] == "paragraph 7"
    assert where["§ 12"] == "paragraph 8"
    assert where["Section 7"] == "paragraph 6"
    assert where["article IV"] == "paragraph 9"


def test_roman_and_arabic_article_numbers_are_one(contract):
    assert status("Article 4", [SourceDocument.from_text("a.txt", "ARTICLE IV Disputes")]) == [("Article 4", "found")]
    assert status("Article II", [SourceDocument.from_text("a.txt", "Article 2. Scope")]) == [("Article II", "found")]


def test_not_found_numbers(contract):
    assert status("clause 7.5, section 8, § 13, article 6, schedule 3, annex B, appendix C, clause 12.1",
                  contract) == [(r, "not_found") for r in
                                ["clause 7.5", "section 8", "§ 13", "article 6", "schedule 3", "annex B",
                                 "appendix C", "clause 12.1"]]


def test_sub_items_inside_their_section(contract):
    assert status("Clause 7.2(a) and clause 7.2(b)", contract) == [("Clause 7.2(a)", "found"),
                                                                  ("clause 7.2(b)", "found")]
    assert status("section 4(a), section 4(c)", contract) == [("section 4(a)", "found"), ("section 4(c)", "found")]
    # section 4 exists but has no (b); the (b) of section 5 must not count for it
    assert status("section 4(b)", contract) == [("section 4(b)", "not_found")]
    assert status("section 5(b)", contract) == [("section 5(b)", "found")]
    assert status("clause 7.1(a)", contract) == [("clause 7.1(a)", "not_found")]
    located = check_references([("final", "clause 7.2(b)")], contract)[0]
    assert "(b) at once" in located.passage


def test_wrapped_reference_is_not_a_heading():
    doc = SourceDocument.from_text("x.txt", "1. Scope\nAs set out in clause\n7.2 above, nothing else applies.")
    assert status("clause 7.2", [doc]) == [("clause 7.2", "not_found")]


def test_running_text_starting_with_a_number_is_not_a_heading():
    doc = SourceDocument.from_text("x.txt", "1. Notice\nThe notice period is\n30 days from receipt.")
    assert status("section 30", [doc]) == [("section 30", "not_found")]
    assert status("section 1", [doc]) == [("section 1", "found")]


def test_parent_exists_when_only_children_are_numbered():
    doc = SourceDocument.from_text("x.txt", "8.1 The Supplier warrants the Goods.\n\n8.2 Remedies are limited.")
    assert status("clause 8", [doc]) == [("clause 8", "found")]


def test_first_document_with_the_number_and_dedup_per_source():
    a = SourceDocument.from_text("a.txt", "1. Intro")
    b = SourceDocument.from_text("b.txt", "Intro\n\n2. Fees\nPay them.")
    checks = check_references([("proposal 1", "clause 2 and Clause 2 and section 2"), ("final", "clause 2")], [a, b])
    assert [(c.source, c.text, c.status, c.document, c.location) for c in checks] == [
        ("proposal 1", "clause 2", "found", "b.txt", "paragraph 2"),
        ("proposal 1", "section 2", "found", "b.txt", "paragraph 2"),
        ("final", "clause 2", "found", "b.txt", "paragraph 2")]


def test_pdf_page_location_for_a_heading():
    doc = SourceDocument.from_pdf_pages("c.pdf", ["1. Parties\nA and B.", "2. Term\nTwo years.\n3. Fees\nMonthly."])
    checks = check_references([("final", "clause 3 and clause 1")], [doc])
    assert [(c.text, c.location) for c in checks] == [("clause 3", "page 2, paragraph 2"),
                                                      ("clause 1", "page 1, paragraph 1")]


# ---- issue 24 ------------------------------------------------------------------------------------------

AGREEMENT = "SERVICES AGREEMENT\n\n2. Term\nThis Agreement lasts three years.\n\n9. Termination\n" \
            "9.1 Either party may terminate on ninety (90) days notice."
AMENDMENT = "AMENDMENT No. 1\n\n1. Background\nThe parties wish to change the notice period.\n\n" \
            "2. Notice\nClause 9.1 of the Agreement is replaced: thirty (30) days notice."


def test_a_reference_that_names_a_document_resolves_in_that_document():
    docs = [SourceDocument.from_text("services-agreement.txt", AGREEMENT),
            SourceDocument.from_text("amendment-1.txt", AMENDMENT)]
    checks = check_references([("final", "Under the amendment (section 2) notice is 30 days.")], docs)
    assert [(c.status, c.document, c.location) for c in checks] == [("found", "amendment-1.txt", "paragraph 3")]
    checks = check_references([("final", "Section 2 of the amendment sets 30 days; clause 2 says three years.")],
                              docs)
    assert [(c.text, c.document) for c in checks] == [("Section 2", "amendment-1.txt"),
                                                      ("clause 2", "services-agreement.txt")]
    checks = check_references([("final", "The amendment's clause 7 changes this.")], docs)
    assert [(c.status, c.document) for c in checks] == [("not_found", None)]  # the amendment has no clause 7


def test_the_apps_left_out_marker_is_not_a_reference():
    docs = [SourceDocument.from_text("a.txt", AGREEMENT)]
    answer = "The text shows [... paragraphs 901-902 left out ...] and then clause 9.1 applies."
    assert find_references("[\u2026 page 3, paragraphs 4-5 left out to fit the context window \u2026]") == []
    assert [c.text for c in check_references([("final", answer)], docs)] == ["clause 9.1"]
