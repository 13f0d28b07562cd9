"""Long documents stay quick (issue 24): the documents are indexed once per text, a claim is compared only
with its best keyword candidates, and the documents' sentences are never embedded."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from moa_core.agreement import analyze, embeddings
from moa_core.agreement.document_record import CANDIDATES, build_record
from moa_core.agreement.document_voice import verdict
from moa_core.evidence import SourceDocument, passages_from_paragraphs

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.long_document import amendment, answers, contract_pages  # noqa: E402


def long_record_documents(pages: int):
    texts = contract_pages(pages)
    termination = f"{pages // 2 + 1}.{texts[pages // 2].count(chr(10)) - 1}"
    return [SourceDocument.from_pdf_pages("contract.pdf", texts),
            SourceDocument("amendment-1.docx", passages_from_paragraphs(
                "amendment-1.docx", amendment(termination).split("\n\n")))], termination


def test_a_300_page_record_is_indexed_without_reading_every_sentence():
    docs, termination = long_record_documents(300)
    record = build_record(docs)
    assert len(record.sentences) > 8000
    assert all(s._claim is None for s in record.sentences)  # nothing parsed up front
    link = verdict("Either party may terminate on 30 days notice.", record)
    # the amendment's new text of the termination clause, found among thousands of similar sentences
    assert link.status == "supported" and link.document == "amendment-1.docx"
    assert link.replaces.clause == termination and link.replaces.values == "90 days"
    parsed = sum(s._claim is not None for s in record.sentences)
    assert 0 < parsed <= CANDIDATES  # one claim read at most its candidates
    # the same documents again: the same record (one index per document text)
    assert build_record(docs) is record
    changed = [docs[0], SourceDocument("amendment-1.docx", passages_from_paragraphs("amendment-1.docx", ["2. Other."]))]
    assert build_record(changed) is not record


def test_the_candidate_filter_ranks_rare_shared_words_first():
    paragraphs = [f"The Supplier shall deliver the Goods to the Customer in batch {i}." for i in range(200)]
    paragraphs.insert(120, "The Supplier shall insure the escrow materials against fire.")
    record = build_record([SourceDocument("c.txt", passages_from_paragraphs("c.txt", paragraphs))])
    from moa_core.agreement.document_record import index_words
    picked = record.candidates(index_words("The Supplier insures the escrow materials."), limit=5)
    assert len(picked) == 5
    assert "The Supplier shall insure the escrow materials against fire." in [record.sentences[i].text for i in picked]
    # a record smaller than the limit: every sentence sharing a word is a candidate
    assert len(record.candidates(index_words("Goods"), limit=500)) == 200


def test_a_long_runs_analysis_reads_only_candidates_and_keeps_the_verdicts():
    docs, termination = long_record_documents(120)
    proposals, final = answers(termination)
    result = analyze(proposals, final, method="offline", documents=docs)
    first = result.final_sentences[0].document  # "... 30 days notice, because the amendment replaced ..."
    assert first is not None and first.document == "amendment-1.docx"
    record = build_record(docs)
    claims = sum(len(p) for p in result.proposal_claims) + len(result.final_sentences)
    parsed = sum(s._claim is not None for s in record.sentences)
    assert parsed <= claims * CANDIDATES < len(record.sentences) / 2


@pytest.mark.skipif(not embeddings.available(), reason="embedding model not installed")
def test_the_semantic_method_judges_documents_as_the_offline_one_and_embeds_none_of_them(monkeypatch):
    """Document verdicts are lexical in both methods (precision first: docs/agreement.md, fifth pass), so
    a long document's sentences are never embedded."""
    paragraphs = ["9.1 Either party may terminate this Agreement by giving ninety (90) days' written notice.",
                  "9.2 The Customer shall pay the Supplier a monthly fee of $12,000."]
    docs = [SourceDocument("a.txt", passages_from_paragraphs("a.txt", paragraphs))]
    proposals = ["Either party may terminate on 90 days notice.", "The monthly fee is $12,000."]
    embedded = []
    real = embeddings.embed
    monkeypatch.setattr(embeddings, "embed", lambda texts, **kw: embedded.extend(texts) or real(texts, **kw))
    semantic = analyze(proposals, "", method="semantic", documents=docs)
    offline = analyze(proposals, "", method="offline", documents=docs)
    assert not set(embedded) & {p.split(" ", 1)[1] for p in paragraphs}
    assert [[c.document.summary if c.document else None for c in per] for per in semantic.proposal_claims] == \
        [[c.document.summary if c.document else None for c in per] for per in offline.proposal_claims]
    assert semantic.proposal_claims[0][0].document.status == "supported"
