"""Located pieces of a document (page, paragraph): what fitting keeps or leaves out, and what the
quote and reference checks (`evidence`) find answers in.

Pure: no file or network access, so the checks can run on text the app already extracted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
# A line that opens a numbered provision ("7.2 Rent", "12. Term", "Clause 4", "§ 3", "SCHEDULE 2").
# PDF pages rarely keep blank lines, so these lines are where a page's paragraphs begin.
_HEADING_LINE = re.compile(
    r"^[ \t#*_]*(?:(?:clause|section|article|schedule|annex|appendix|exhibit)\s+\w|§|\d+(?:\.\d+)+\b|\d+[.)]\s)",
    re.IGNORECASE)


@dataclass(frozen=True)
class Passage:
    """A piece of a document with a location a reader can find again ("page 2, paragraph 3")."""
    document: str
    location: str
    text: str
    page: int | None
    paragraph: int


@dataclass
class SourceDocument:
    """An uploaded document as located passages, in reading order."""
    name: str
    passages: list[Passage] = field(default_factory=list)

    @classmethod
    def from_text(cls, name: str, text: str) -> SourceDocument:
        """Plain text (TXT, Markdown, or any extracted text): paragraphs are separated by blank lines."""
        return cls(name, passages_from_paragraphs(name, split_paragraphs(text)))

    @classmethod
    def from_pdf_pages(cls, name: str, pages: list[str]) -> SourceDocument:
        """PDF text, one string per page, so locations can say which page."""
        return cls(name, passages_from_pages(name, pages))


def split_paragraphs(text: str) -> list[str]:
    """Non-empty blocks between blank lines, as written (line breaks kept for display)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [block.strip("\n") for block in _BLANK_LINE.split(text) if block.strip()]


def split_page(text: str) -> list[str]:
    """A PDF page's paragraphs: blank lines, and also numbered headings, since extractors drop blank lines."""
    paragraphs: list[str] = []
    for block in split_paragraphs(text):
        current: list[str] = []
        for line in block.split("\n"):
            if current and _HEADING_LINE.match(line) and not _ends_with_keyword(current[-1]):
                paragraphs.append("\n".join(current))
                current = []
            current.append(line)
        if current:
            paragraphs.append("\n".join(current))
    return [p for p in paragraphs if p.strip()]


def _ends_with_keyword(line: str) -> bool:
    """'...set out in clause' + '7.2 above' is a wrapped reference, not a new heading."""
    return bool(re.search(r"(?:clause|section|article|paragraph|schedule|annex|appendix|§)\s*$", line, re.I))


def passages_from_paragraphs(name: str, paragraphs: list[str]) -> list[Passage]:
    """Paragraphs numbered from 1 in reading order, ignoring empty ones (a reader does not count those)."""
    kept = [p for p in paragraphs if p.strip()]
    return [Passage(name, f"paragraph {n}", text, None, n) for n, text in enumerate(kept, start=1)]


def passages_from_pages(name: str, pages: list[str]) -> list[Passage]:
    """Pages numbered from 1 (empty pages still count), paragraphs numbered within each page."""
    passages: list[Passage] = []
    for page_number, page in enumerate(pages, start=1):
        for n, text in enumerate(split_page(page), start=1):
            passages.append(Passage(name, f"page {page_number}, paragraph {n}", text, page_number, n))
    return passages


def span_location(passages: list[Passage]) -> str:
    """Location of a match covering one or more consecutive passages of one page or document."""
    first, last = passages[0], passages[-1]
    if first is last:
        return first.location
    where = f"paragraphs {first.paragraph}-{last.paragraph}"
    return f"page {first.page}, {where}" if first.page is not None else where
