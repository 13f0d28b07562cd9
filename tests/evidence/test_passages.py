"""Located passages: paragraphs from text, pages and paragraphs from PDF page text, DOCX and TXT uploads."""
from __future__ import annotations

import io

import pytest

from moa_core.documents import DocumentError, extract_passages, extract_text
from moa_core.evidence import SourceDocument, check_quotes


def test_from_text_splits_on_blank_lines():
    doc = SourceDocument.from_text("a.md", "Title\n\nFirst line\nsame paragraph\n\n  \n\nLast")
    assert [(p.location, p.text, p.page, p.paragraph) for p in doc.passages] == [
        ("paragraph 1", "Title", None, 1), ("paragraph 2", "First line\nsame paragraph", None, 2),
        ("paragraph 3", "Last", None, 3)]


def test_from_pdf_pages_numbers_pages_and_paragraphs_within():
    pages = ["Cover\n\nContents", "", "1. Term\nThe term is two years.\n1.1 It may be renewed.\n\nSigned"]
    doc = SourceDocument.from_pdf_pages("c.pdf", pages)
    assert [p.location for p in doc.passages] == [
        "page 1, paragraph 1", "page 1, paragraph 2",
        "page 3, paragraph 1", "page 3, paragraph 2", "page 3, paragraph 3"]
    assert doc.passages[3].text == "1.1 It may be renewed."


def test_quote_located_on_page_two():
    pages = ["MASTER AGREEMENT\nbetween the parties",
             "5. Confidentiality\nEach party shall keep the other's Confidential Information secret for five years."]
    doc = SourceDocument.from_pdf_pages("m.pdf", pages)
    check = check_quotes([("final", '"shall keep the other\u2019s Confidential Information secret"')], [doc])[0]
    assert (check.status, check.document, check.location) == ("exact", "m.pdf", "page 2, paragraph 1")


def test_extract_passages_txt_matches_extract_text():
    data = "Intro\n\n2. Fees\nPay monthly.\n".encode()
    passages = extract_passages("terms.txt", data)
    assert [(p.document, p.location, p.text) for p in passages] == [
        ("terms.txt", "paragraph 1", "Intro"), ("terms.txt", "paragraph 2", "2. Fees\nPay monthly.")]
    assert extract_text("terms.txt", data) == data.decode()  # unchanged behaviour


def test_extract_passages_docx_one_passage_per_paragraph():
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Heading")
    document.add_paragraph("")
    document.add_paragraph("The Supplier shall deliver the Goods to the Site.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Fee", "100"
    buffer = io.BytesIO()
    document.save(buffer)
    passages = extract_passages("s.docx", buffer.getvalue())
    assert [(p.location, p.text) for p in passages] == [
        ("paragraph 1", "Heading"), ("paragraph 2", "The Supplier shall deliver the Goods to the Site."),
        ("paragraph 3", "Fee | 100")]
    check = check_quotes([("final", "\u201cthe Supplier shall deliver the Goods\u201d")],
                         [SourceDocument("s.docx", passages)])[0]
    assert (check.status, check.location) == ("exact", "paragraph 2")


def _tiny_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF, one text line per row, so the real pypdf extraction path is exercised."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        body = "BT /F1 11 Tf 14 TL 72 720 Td " + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*" for line in lines) + " ET"
        objects.append(f"<< /Length {len(body)} >>\nstream\n{body}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_extract_passages_real_pdf_pages():
    pytest.importorskip("pypdf")
    data = _tiny_pdf([["SERVICES AGREEMENT", "between A and B"],
                      ["7. Termination", "Either party may termi-", "nate on ninety days notice."]])
    passages = extract_passages("s.pdf", data)
    assert [p.location for p in passages] == ["page 1, paragraph 1", "page 2, paragraph 1"]
    assert passages[1].page == 2 and passages[1].text.startswith("7. Termination")
    assert extract_text("s.pdf", data) == "\n\n".join(
        ["SERVICES AGREEMENT\nbetween A and B", passages[1].text])  # same pages as the model reads
    check = check_quotes([("final", '"Either party may terminate on ninety days notice"')],
                         [SourceDocument("s.pdf", passages)])[0]
    assert (check.status, check.location) == ("exact", "page 2, paragraph 1")


def test_extract_passages_refuses_empty_and_unknown():
    with pytest.raises(DocumentError):
        extract_passages("empty.txt", b"  \n\n ")
    with pytest.raises(DocumentError):
        extract_passages("x.xlsx", b"data")
