"""Documents the query is about: text extracted from TXT, Markdown, PDF or DOCX, with a clear error."""
from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import PurePath

from .left_out import fitted_text
from .passages import Passage, passages_from_pages, passages_from_paragraphs, split_paragraphs

TEXT_TYPES = {".txt", ".md", ".markdown", ".text", ".csv", ".json", ".py", ".rst", ""}
SUPPORTED = "TXT, Markdown, PDF or DOCX"


@dataclass
class Document:
    """A document a run is about: its name, its whole text, where its passages lie in that text
    (so a stored PDF still reports pages), and what was left out to fit a context window."""

    name: str
    text: str
    # [[page or None, start, end], ...] offsets of each passage in `text`, in reading order;
    # None: paragraphs are the blocks between blank lines (plain text, Markdown)
    spans: list[list] | None = None
    left_out: list[str] = field(default_factory=list)  # passage locations the models did not read
    fit_note: str = ""  # how it was fitted ("fitted to 3,100 tokens for agg ..."), "" when whole
    # a follow-up's document sent with an earlier turn (that run's id): the models read it in the
    # conversation history, so it is not fenced again, but the run's quotes and references are checked on it
    carried_from: str | None = None

    def passages(self) -> list[Passage]:
        """The located passages: from the stored spans when there are any, else blank-line paragraphs."""
        if not self.spans:
            return passages_from_paragraphs(self.name, split_paragraphs(self.text))
        out, numbers = [], {}
        for page, start, end in self.spans:
            n = numbers[page] = numbers.get(page, 0) + 1
            location = f"page {page}, paragraph {n}" if page is not None else f"paragraph {n}"
            out.append(Passage(self.name, location, self.text[start:end], page, n))
        return out

    @property
    def fitted(self) -> bool:
        return bool(self.left_out)

    def prompt_text(self) -> str:
        """What the models read: the whole text, or (fitted) the kept passages with each gap marked."""
        if not self.left_out:
            return self.text
        return fitted_text(self.passages(), set(self.left_out))


def spans_of(text: str, passages: list[Passage]) -> list[list] | None:
    """Each passage's [page, start, end] in `text`, found in order; None if one is not a plain substring."""
    spans, cursor = [], 0
    for passage in passages:
        start = text.find(passage.text, cursor)
        if start < 0:
            return None
        cursor = start + len(passage.text)
        spans.append([passage.page, start, cursor])
    return spans


def read_document(name: str, data: bytes) -> Document:
    """Text and located passages from one parse: a PDF keeps its pages, a DOCX its paragraphs."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf":
        pages = _pdf_pages(name, data)
        text, passages = "\n\n".join(pages), passages_from_pages(name, pages)
    elif suffix == ".docx":
        paragraphs = _docx_paragraphs(name, data)
        text, passages = "\n".join(paragraphs), passages_from_paragraphs(name, paragraphs)
    elif suffix in TEXT_TYPES:
        return Document(name, extract_text(name, data))
    else:
        raise DocumentError(f"{name}: unsupported type {suffix}; use {SUPPORTED}")
    if not text.strip() or not passages:
        raise DocumentError(f"{name} has no extractable text")
    return Document(name, text, spans_of(text, passages))


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
        text = _plain_text(name, data)
    else:
        raise DocumentError(f"{name}: unsupported type {suffix}; use {SUPPORTED}")
    if not text.strip():
        raise DocumentError(f"{name} has no extractable text")
    return text


def extract_passages(name: str, data: bytes) -> list[Passage]:
    """The same text in located pieces (PDF: page then paragraph; else paragraph), so answers can be checked."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf":
        passages = passages_from_pages(name, _pdf_pages(name, data))
    elif suffix == ".docx":
        passages = passages_from_paragraphs(name, _docx_paragraphs(name, data))
    elif suffix in TEXT_TYPES:
        passages = passages_from_paragraphs(name, split_paragraphs(_plain_text(name, data)))
    else:
        raise DocumentError(f"{name}: unsupported type {suffix}; use {SUPPORTED}")
    if not passages:
        raise DocumentError(f"{name} has no extractable text")
    return passages


def _plain_text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(f"{name} is not UTF-8 text") from None


def _pdf_text(name: str, data: bytes) -> str:
    return "\n\n".join(_pdf_pages(name, data))


def _pdf_pages(name: str, data: bytes) -> list[str]:
    """Page texts. A PDF a viewer opens without asking (empty user password) opens here too; pypdf's
    own warnings about a damaged file are silenced: the one-line DocumentError says it."""
    from pypdf import PdfReader  # start-up speed: only a PDF upload needs pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentError(f"{name} is password-protected: remove the password and upload it again")
            return [(page.extract_text() or "").strip() for page in reader.pages]
    except DocumentError:
        raise
    except FileNotDecryptedError:
        raise DocumentError(f"{name} is password-protected: remove the password and upload it again") from None
    except DependencyError as exc:
        raise DocumentError(f"{name} cannot be decrypted here ({exc})") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise DocumentError(f"{name} is not a readable PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    finally:
        pypdf_log.setLevel(level)


def _docx_text(name: str, data: bytes) -> str:
    return "\n".join(_docx_paragraphs(name, data))


def _docx_paragraphs(name: str, data: bytes) -> list[str]:
    import docx  # start-up speed: only a DOCX upload needs python-docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for a bad file
        raise DocumentError(f"{name} is not a readable DOCX ({type(exc).__name__})") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(cell.text for cell in row.cells))
    return paragraphs
