"""Find the passage (issue 24): page and paragraph marks, left-out passages shown apart, quoted words
highlighted, model and document text escaped; the fit note lists the shorter of kept and left out."""
from __future__ import annotations

from moa_core.documents import Document
from moa_core.documents.left_out import fit_summary
from moa_core.documents.passages import passages_from_pages
from ui.document_view import document_html, passage_html, quote_spans

PAGES = ["SERVICES AGREEMENT\n9. Termination\n9.1 Either party may terminate on ninety (90) days notice.",
         "10. Keys\nThe <Tenant> returns all keys on the last day."]


def _pdf(left_out=()) -> Document:
    from moa_core.documents import spans_of

    text = "\n\n".join(PAGES)
    return Document("contract.pdf", text, spans_of(text, passages_from_pages("contract.pdf", PAGES)), list(left_out))


def test_the_document_shows_page_and_paragraph_marks_and_the_left_out_text_apart():
    doc = _pdf(left_out=["page 2, paragraph 1"])
    html = document_html(doc)
    assert [p.location for p in doc.passages()] == ["page 1, paragraph 1", "page 1, paragraph 2",
                                                    "page 1, paragraph 3", "page 2, paragraph 1"]
    for mark in ("p. 1 \u00b6 1", "p. 1 \u00b6 3", "p. 2 \u00b6 1"):
        assert mark in html
    assert html.count("moa-out") == 1 + html.count(".moa-out")  # one left-out passage (besides the style rules)
    assert "left out to fit: no model read this" in html
    assert "The &lt;Tenant&gt; returns" in html and "<Tenant>" not in html  # escaped, yet readable


def test_a_quote_opens_its_passage_with_the_quoted_words_highlighted():
    doc = _pdf()
    html = document_html(doc, focus="page 1, paragraph 3", quote="either party may terminate on ninety (90) days")
    assert "<mark>Either party may terminate on ninety (90) days</mark> notice." in html
    assert html.count("moa-hit") == 1 + html.count(".moa-hit")
    spread = document_html(doc, focus="page 1, paragraphs 2-3", quote="x")
    assert spread.count("moa-hit") == 2 + spread.count(".moa-hit")


def test_quote_spans_forgive_spacing_and_mark_pieces_and_near_misses():
    text = "9.1 Either party may terminate\non ninety (90) days notice. The notice is in writing."
    [(a, b)] = quote_spans(text, "either party may terminate on ninety (90) days")
    assert (a, text[a:b]) == (4, "Either party may terminate\non ninety (90) days")
    pieces = quote_spans(text, "Either party \u2026 in writing")
    assert [text[a:b] for a, b in pieces] == ["Either party", "in writing"]
    near = quote_spans(text, "either party may terminate on ninety days notice")  # drops "(90)"
    assert [text[a:b] for a, b in near] == ["Either party may terminate\non ninety"]
    assert quote_spans(text, "the landlord shall repaint") == []
    evil = passage_html('<img src=x onerror="alert(1)"> text', '<img src=x onerror="alert(1)">', "¶ 1")
    assert "<img" not in evil and "onerror=&quot;alert(1" in evil


def test_the_fit_note_lists_what_was_kept_when_that_is_shorter():
    passages = Document("m.txt", "\n\n".join(f"Para {i}." for i in range(1, 1202))).passages()
    kept = {"paragraph 7", "paragraph 400", "paragraph 401", "paragraph 999"}
    note = fit_summary(passages, [p.location for p in passages if p.location not in kept])
    assert note == "kept 4 of 1,201 passages: paragraphs 7, 400-401, 999"
    note = fit_summary(passages, ["paragraph 3", "paragraph 4"])
    assert note == "left out 2 of 1,201 passages: paragraphs 3-4"
    assert fit_summary(passages, []) == ""
