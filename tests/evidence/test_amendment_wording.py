"""Variation wording that states the new value in the sentence itself (written for this test)."""
from moa_core.agreement.document_record import build_record
from moa_core.agreement.document_voice import verdict
from moa_core.documents.passages import SourceDocument, passages_from_paragraphs
from moa_core.evidence.amendments import _instructions

LEASE = "3. Rent\n3.1 The Tenant shall pay a rent of £40,000 per annum.\n4. Deposit\n4.1 The Tenant shall pay a deposit of £10,000."
LETTER = ["SIDE LETTER",
          "1. Rent. With effect from 1 May 2026, the rent shall be £36,000 per annum, and clause 3.1 of the Lease shall be read accordingly.",
          "2. Deposit. The deposit in clause 4.1 of the Lease is reduced to £8,000."]


def test_read_accordingly_and_reduced_to_are_amendments():
    assert _instructions(LETTER[1], "")[0][:2] == ("3.1", "replace")
    assert _instructions(LETTER[2], "")[0][:2] == ("4.1", "replace")
    assert _instructions("2. Clause 7 (Hours) is varied: you will work 30 hours a week.", "")[0] == \
        ("7", "replace", "You will work 30 hours a week.")


def test_the_varied_value_prevails_over_the_original():
    record = build_record([SourceDocument.from_text("lease.txt", LEASE),
                           SourceDocument("letter.docx", passages_from_paragraphs("letter.docx", LETTER))])
    new = verdict("The rent is £36,000 per annum.", record)
    old = verdict("The rent is £40,000 per annum.", record)
    assert new is not None and new.status == "supported" and new.document == "letter.docx"
    assert old is None or old.status != "supported"
