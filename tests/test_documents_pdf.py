"""PDFs as users have them: AES-encrypted ones that open in a viewer, password-protected ones, broken ones."""
import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject, DictionaryObject

from moa_core.documents import DocumentError, extract_text


def _pdf(text: str, user_password: str | None = None, owner_password: str = "owner-secret") -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    content = StreamObject()
    content.set_data(f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(content)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_plain_pdf_reads():
    assert "Clause seven" in extract_text("a.pdf", _pdf("Clause seven"))


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_encrypted_pdf_with_an_empty_user_password_opens(algorithm):
    writer_data = _pdf("Termination notice", user_password="")
    assert "Termination notice" in extract_text("enc.pdf", writer_data)


def test_a_pdf_that_needs_a_password_says_so():
    with pytest.raises(DocumentError, match=r"^locked\.pdf is password-protected"):
        extract_text("locked.pdf", _pdf("secret", user_password="open-sesame"))


def test_a_corrupt_pdf_is_one_line_without_pypdf_noise(capsys, caplog):
    data = _pdf("hello")
    broken = data[: len(data) // 2] + b"garbage" + data[len(data) // 2 + 40:]
    with pytest.raises(DocumentError) as info:
        extract_text("broken.pdf", b"%PDF-1.4\n" + b"\x00" * 50 + broken[60:])
    captured = capsys.readouterr()
    assert "\n" not in str(info.value) and captured.err == "" and captured.out == ""
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
