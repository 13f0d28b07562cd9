"""Worked by hand: an agreement and a later amendment that replaces one of its clauses, and the precision
the bench reports for a handful of cases, awkward ones included (a right verdict from the wrong passage,
a superseded value, an invented clause)."""
import sys
from pathlib import Path

from moa_core.agreement.document_record import build_record
from moa_core.agreement.document_voice import verdict
from moa_core.documents.passages import SourceDocument, passages_from_paragraphs

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.document_verdicts import score  # noqa: E402

AGREEMENT = ("9. Termination\n9.1 Either party may terminate this Agreement by giving ninety (90) days' written notice.\n"
             "9.2 The Customer shall pay a monthly fee of $12,000.")
AMENDMENT = ["AMENDMENT NO. 1", "1. Clause 9.1 of the Agreement is deleted and replaced with: \"Either party may "
             "terminate this Agreement by giving thirty (30) days' written notice.\""]


def record():
    return build_record([SourceDocument.from_text("agreement.txt", AGREEMENT),
                         SourceDocument("amendment.docx", passages_from_paragraphs("amendment.docx", AMENDMENT))])


def test_the_amendment_prevails_and_every_verdict_says_where():
    r = record()
    # the amendment's paragraph 2 (paragraph 1 is its title) is clause 9.1 now; 9.1 said 90 days
    new = verdict("Either party may terminate on 30 days' notice.", r)
    assert (new.status, new.summary) == (
        "supported", "supported by amendment.docx, paragraph 2, which replaces agreement.txt clause 9.1 (90 days)")
    # the old value states the replaced clause: it contradicts the text in force, and says which clause it matches
    old = verdict("Either party may terminate on 90 days' notice.", r)
    assert old.status == "contradicts" and old.kinds == ["duration"] and old.document == "amendment.docx"
    assert "matches agreement.txt clause 9.1 (90 days), replaced by amendment.docx, paragraph 2" in old.summary
    # 9.2 was not amended: the agreement itself answers for the fee, both ways
    assert verdict("The monthly fee is $12,000.", r).summary == "supported by agreement.txt, paragraph 1"
    assert verdict("The monthly fee is $15,000.", r).summary == "contradicts agreement.txt, paragraph 1 (amount)"
    # an invented clause is never supported, whatever its words match
    invented = verdict("Clause 14.2 allows termination on 7 days' notice.", r)
    assert invented.status == "related" and "cites Clause 14.2, which the documents do not have" in invented.summary


def test_precision_counts_a_right_verdict_from_the_wrong_passage_as_wrong():
    r = record()
    cases = [  # (case, its verdict), as bench/document_verdicts.py pairs them
        {"label": "supports", "expect": "thirty (30)", "claim": "Either party may terminate on 30 days' notice."},
        {"label": "supports", "expect": "ninety (90)", "claim": "Either party may terminate on 30 days' notice."},
        {"label": "contradicts", "expect": "thirty (30)", "claim": "Either party may terminate on 90 days' notice."},
        {"label": "neither", "expect": "", "claim": "Clause 14.2 allows termination on 7 days' notice."},
        {"label": "supports", "expect": "$12,000", "claim": "The Supplier must insure the premises."},
    ]
    figures = score([(c, verdict(c["claim"], r)) for c in cases])
    # supports: 2 predicted, only the first cites the passage its label names (the second expects the
    # replaced 90-day text) -> precision 1/2; 3 labelled supports, 1 right -> recall 1/3
    assert figures["supports"] == {"tp": 1, "predicted": 2, "labelled": 3, "precision": 0.5, "recall": 1 / 3}
    # contradicts: 1 predicted, right and citing the amendment's text -> 1/1
    assert figures["contradicts"] == {"tp": 1, "predicted": 1, "labelled": 1, "precision": 1.0, "recall": 1.0}
