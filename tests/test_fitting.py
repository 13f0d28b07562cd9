"""Fitting documents to a token budget: within budget, the relevant passage kept, left-out reported exactly."""
import random

import pytest

from moa_core.documents import Document, read_document
from moa_core.agreement.embeddings import semantic_scores
from moa_core.documents.fitting import combine, fit_documents, keyword_scores, select
from moa_core.documents.left_out import GAP, describe, fitted_text, summarise
from moa_core.documents.passages import passages_from_pages

words = lambda text: len(text.split())  # noqa: E731  a token counter that is easy to check by hand
no_model = lambda query, texts: None  # noqa: E731

FILLER = ["The parties met on a Tuesday to discuss the catering for the annual picnic.",
          "Parking is available behind the building for visitors with a permit.",
          "The colour of the logo was changed to a darker shade of blue last spring.",
          "Invoices are printed on recycled paper and filed in the archive room.",
          "The office plants are watered every Friday by the facilities team."]
GAP_COST = len(GAP.format(what="page 9999, paragraphs 9999-9999").split()) + 2  # charged per kept passage
NOTICE = "Either party may terminate this agreement by giving ninety days written notice to the other party."


def contract(n_filler=5):
    paragraphs = FILLER[:n_filler // 2] + [NOTICE] + FILLER[n_filler // 2:n_filler]
    return Document("contract.txt", "\n\n".join(paragraphs))


def test_selection_never_exceeds_the_budget_and_is_deterministic():
    rng = random.Random(7)
    for _ in range(200):
        costs = [rng.randint(1, 40) for _ in range(rng.randint(0, 30))]
        scores = [rng.random() for _ in costs]
        budget = rng.randint(0, 300)
        keep = select(costs, scores, budget)
        assert sum(c for c, k in zip(costs, keep) if k) <= budget
        assert keep == select(costs, scores, budget)
        # greedy: a dropped passage did not fit in what was left when its turn came
        if budget >= sum(costs):
            assert all(keep)


def test_select_prefers_relevance_and_breaks_ties_by_order():
    assert select([5, 5, 5], [0.1, 0.9, 0.5], 10) == [False, True, True]
    assert select([5, 5, 5], [0.5, 0.5, 0.5], 10) == [True, True, False]
    assert select([20, 5], [1.0, 0.1], 10) == [False, True]  # too big to fit is skipped, the next one still fits


def test_keyword_scores_find_the_notice_paragraph():
    texts = FILLER + [NOTICE]
    scores = keyword_scores("How much notice is needed to terminate?", texts)
    assert scores[-1] == 1.0 and max(scores[:-1]) < 1.0
    assert keyword_scores("zebra", texts) == [0.0] * len(texts)
    assert keyword_scores("q", []) == []


def test_combine_scales_meaning_and_keeps_keywords_alone_without_a_model():
    assert combine([1.0, 0.0], None) == [1.0, 0.0]
    assert combine([1.0, 0.0], [0.2, 0.6]) == [0.5, 0.5]
    assert combine([0.0, 1.0], [0.2, 0.6]) == [0.0, 1.0]


def test_fit_keeps_the_relevant_passage_in_document_order_and_reports_the_rest():
    doc = contract()
    passages = doc.passages()
    budget = words(NOTICE) + 2 + words(FILLER[0]) + 2 + 3 * GAP_COST
    [fitted], how = fit_documents("How much notice to terminate the agreement?", [doc], budget, words, no_model)
    assert how.startswith("keywords only")
    kept = [p for p in passages if p.location not in fitted.left_out]
    assert NOTICE in [p.text for p in kept]
    assert sum(words(p.text) + 2 for p in kept) <= budget
    assert set(fitted.left_out) | {p.location for p in kept} == {p.location for p in passages}
    text = fitted.prompt_text()
    assert NOTICE in text and all(p.text not in text for p in passages if p.location in fitted.left_out)
    # kept passages appear in the order of the document
    positions = [text.index(p.text) for p in kept]
    assert positions == sorted(positions)


def test_fit_is_a_no_op_when_everything_fits():
    doc = contract()
    [fitted], _ = fit_documents("notice", [doc], 10_000, words, no_model)
    assert fitted.left_out == [] and fitted.prompt_text() == doc.text


def test_fit_across_documents_names_each_documents_left_out_parts():
    a = Document("a.txt", "\n\n".join(FILLER))
    b = Document("b.txt", "\n\n".join([FILLER[0], NOTICE]))
    fitted, _ = fit_documents("termination notice days", [a, b], words(NOTICE) + 2 + 3 * GAP_COST, words, no_model)
    assert fitted[0].left_out == [f"paragraph {n}" for n in range(1, 6)]
    assert fitted[1].left_out == ["paragraph 1"]
    assert describe(a.passages(), fitted[0].left_out) == ["paragraphs 1-5"]


def test_describe_merges_whole_pages_and_paragraph_runs():
    passages = passages_from_pages("r.pdf", ["one\n\ntwo", "three\n\nfour", "five\n\nsix\n\nseven", "eight"])
    gone = {"page 1, paragraph 1", "page 1, paragraph 2", "page 2, paragraph 1", "page 2, paragraph 2",
            "page 3, paragraph 2", "page 3, paragraph 3"}
    assert describe(passages, gone) == ["pages 1-2", "page 3, paragraphs 2-3"]
    assert describe(passages, {"page 4, paragraph 1"}) == ["page 4"]
    assert describe(passages, {"page 3, paragraph 1", "page 3, paragraph 3"}) == [
        "page 3, paragraph 1", "page 3, paragraph 3"]


def test_summarise_reads_as_one_line():
    assert summarise(["paragraphs 1-22", "paragraphs 24-27", "paragraph 29"]) == "paragraphs 1-22, 24-27, 29"
    assert summarise(["pages 1-2", "page 5", "page 7, paragraphs 2-3", "page 7, paragraph 6", "page 9"]) == \
        "pages 1-2, 5; page 7, paragraphs 2-3, 6; page 9"
    assert summarise(["paragraph 3"]) == "paragraph 3" and summarise([]) == ""


def test_fitted_text_marks_each_gap():
    passages = passages_from_pages("r.pdf", ["one\n\ntwo", "three"])
    text = fitted_text(passages, {"page 1, paragraph 2", "page 2, paragraph 1"})
    assert text == "one\n\n" + GAP.format(what="page 1, paragraph 2, page 2")


def test_semantic_scores_rank_a_paraphrase_first():
    from moa_core.agreement import embeddings

    if not embeddings.available():
        pytest.skip("embedding model not installed")
    texts = FILLER + ["A party can end the contract if it tells the other side three months ahead."]
    scores = semantic_scores("How can the agreement be terminated?", texts)
    assert max(range(len(texts)), key=scores.__getitem__) == len(texts) - 1
    assert semantic_scores("q", texts) == semantic_scores("q", texts)


def _pdf(pages):
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    font_ref = writer._add_object(font)
    for lines in pages:
        page = writer.add_blank_page(width=400, height=300)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})})
        content = StreamObject()
        ops = " ".join(f"({line}) Tj 0 -14 Td" for line in lines)
        content.set_data(f"BT /F1 10 Tf 20 260 Td {ops} ET".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_document_keeps_its_pages_through_its_spans():
    data = _pdf([["1. Term", "The term is two years."], ["7.2 Notice", "Notice is ninety days."]])
    doc = read_document("lease.pdf", data)
    assert doc.spans and [s[0] for s in doc.spans] == [1, 2]
    again = Document(doc.name, doc.text, doc.spans)  # as read back from the database
    assert [p.location for p in again.passages()] == ["page 1, paragraph 1", "page 2, paragraph 1"]
    assert "Notice is ninety days." in again.passages()[1].text


def test_beyond_the_semantic_limit_keywords_alone_decide_and_the_note_says_so(monkeypatch):
    import moa_core.documents.fitting as fitting

    monkeypatch.setattr(fitting, "SEMANTIC_LIMIT", 3)
    asked = []
    [fitted], how = fit_documents("notice terminate", [contract()], words(NOTICE) + 2 + 2 * GAP_COST, words,
                                  lambda q, texts: asked.append(texts) or [0.0] * len(texts))
    assert asked == [] and how == "keywords only (6 passages: more than the 3 scored by meaning)"
    assert NOTICE in fitted.prompt_text()


def test_the_fitted_text_with_its_gap_markers_stays_within_the_budget():
    rng = random.Random(3)
    vocabulary = "rent notice keys term landlord tenant repair days party agreement written".split()
    for _ in range(60):
        docs = [Document(f"d{j}.txt", "\n\n".join(" ".join(rng.choices(vocabulary, k=rng.randint(3, 30)))
                                                  for _ in range(rng.randint(1, 25))))
                for j in range(rng.randint(1, 3))]
        budget = rng.randint(20, 600)
        fitted, _ = fit_documents("notice days", docs, budget, words, no_model)
        assert sum(words(d.prompt_text()) for d in fitted) + 2 * (len(fitted) - 1) <= budget or \
            all(len(d.left_out) == len(d.passages()) for d in fitted)  # nothing fits at all: only markers left
        assert fitted == fit_documents("notice days", docs, budget, words, no_model)[0]
