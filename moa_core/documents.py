"""Documents the query is about: text extracted from TXT, Markdown, PDF or DOCX, with a clear error."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

TEXT_TYPES = {".txt", ".md", ".markdown", ".text", ".csv", ".json", ".py", ".rst", ""}
SUPPORTED = "TXT, Markdown, PDF or DOCX"


@dataclass
class Document:
    """A document a run is about: its name and the text the models read."""

    name: str
    text: str


class DocumentError(ValueError):
    """A document we cannot read, with the reason."""


def extract_text(name: str, data: bytes) -> str:
    """The text a model should read; refuses empty or unreadable documents instead of sending noise."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(name, data)
    elif suffix == ".docx":
        text = _docx_text(name, data)
    elif suffix in TEXT_TYPES:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DocumentError(f"{name} is not UTF-8 text") from None
    else:
        raise DocumentError(f"{name}: unsupported type {suffix}; use {SUPPORTED}")
    if not text.strip():
        raise DocumentError(f"{name} has no extractable text")
    return text


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise DocumentError(f"{name} is not a readable PDF ({exc})") from None


def _docx_text(name: str, data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for a bad file
        raise DocumentError(f"{name} is not a readable DOCX ({type(exc).__name__})") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(paragraphs)
