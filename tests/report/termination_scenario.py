"""Issue 24's scenario as real files: a services agreement as a PDF (clause 9.1: ninety days' notice; 9.2:
a breach "not remedied within thirty (30) days") and an amendment as a DOCX whose clause 2 replaces 9.1
with thirty days; three proposals (30 days, 90 days, an invented clause 12.4) and a synthesis.
Shared by the report, CLI and browser tests of the document verdicts."""
from __future__ import annotations

from pathlib import Path

from tests.evidence.test_passages import _tiny_pdf

QUESTION = "How much notice does a party need to terminate the services agreement?"
AGREEMENT_PAGES = [
    ["SERVICES AGREEMENT",
     "This Agreement is made between Acme Ltd (the Supplier) and Beta plc (the Customer).",
     "5. Confidentiality",
     "5.1 This obligation survives termination for five years."],
    ["9. Termination",
     "9.1 Either party may terminate this Agreement by giving ninety (90) days' written notice to the other party.",
     "9.2 Either party may terminate this Agreement immediately by written notice if the other party commits a "
     "material breach which is not remedied within thirty (30) days of notice of the breach."],
]
AMENDMENT = ["AMENDMENT NO. 1 TO THE SERVICES AGREEMENT",
             "Background: the parties entered into the services agreement and wish to amend it.",
             "1. This Amendment takes effect on 1 October 2025.",
             "2. Clause 9.1 of the Agreement is deleted and replaced by the following: \"Either party may "
             "terminate this Agreement by giving thirty (30) days' written notice to the other party.\""]
THIRTY = "Either party may terminate on 30 days notice."
NINETY = "Termination requires 90 days notice."
INVENTED = "Clause 12.4 allows termination on 7 days notice."
PROPOSALS = {"alpha": THIRTY, "beta": NINETY, "gamma": INVENTED}
SYNTHESIS = f"{THIRTY} {INVENTED}"
# the amendment's words the 30-day verdict rests on, and the line the engine gives for it
AMENDED = "Either party may terminate this Agreement by giving thirty (30) days' written notice to the other party."
SUPPORTED_BY_AMENDMENT = ("supported by amendment-1.docx, paragraph 4, which replaces services-agreement.pdf "
                          "clause 9.1 (90 days)")


def write_documents(folder: Path) -> tuple[Path, Path]:
    """services-agreement.pdf (read back with pypdf) and amendment-1.docx (python-docx) in `folder`."""
    import docx

    pdf = folder / "services-agreement.pdf"
    pdf.write_bytes(_tiny_pdf(AGREEMENT_PAGES))
    amendment = docx.Document()
    for paragraph in AMENDMENT:
        amendment.add_paragraph(paragraph)
    path = folder / "amendment-1.docx"
    amendment.save(str(path))
    return pdf, path
