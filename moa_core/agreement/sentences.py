"""Splitting a text into claims: sentences, list items and table rows, markdown stripped.

Pure and lexical; headings, code, lead-in lines and fragments are not claims.
"""
from __future__ import annotations

import re


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_HRULE = re.compile(r"^\s*([-*_]\s*){3,}$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)]|[a-zA-Z][.)](?=\s)|\(\w{1,3}\))\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Emphasis is removed only where it pairs up around text (`**x**`, `__x__`, `*x*`, `~~x~~`, `x`),
# so identifiers such as window.__x or a_b_c keep their underscores.
_EMPH = re.compile(r"(\*\*|__|~~|\*|`)(?=\S)(.+?)(?<=\S)\1")
_ABBREV = ("e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "no.", "inc.", "ltd.",
           "co.", "corp.", "st.", "approx.", "fig.", "sec.", "art.", "para.", "cf.", "u.s.", "jr.")
_COMPANY = ("inc.", "ltd.", "co.", "corp.", "plc.", "llc.", "llp.")
# Words that open a sentence, not a name: after "Ltd." they start the next one.
_STARTER = re.compile(r"(?:The|A|An|This|That|These|Those|It|Its|We|They|He|She|Our|Their|In|On|At|If|"
                      r"After|Before|During|However|Following)\b")
# A sentence ends at . ! ? followed by space and something that can start a sentence.
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def strip_markdown(line: str) -> str:
    """Remove list markers, quote marks, emphasis and link syntax from one line."""
    line = _QUOTE.sub("", line)
    line = _BULLET.sub("", line, count=1)
    line = _LINK.sub(r"\1", line)
    line = _EMPH.sub(lambda m: m[2] if m[1] != "__" or not _intraword(line, m) else m[0], line)
    return re.sub(r"\s+", " ", line).strip()


def _intraword(line: str, m: re.Match) -> bool:
    """`__` glued to a word on either side is part of an identifier, not emphasis."""
    before = line[m.start() - 1] if m.start() else " "
    after = line[m.end()] if m.end() < len(line) else " "
    return before.isalnum() or before in "._" or after.isalnum()


def _sentences(paragraph: str) -> list[str]:
    parts, start = [], 0
    for m in _SENT_END.finditer(paragraph):
        before = paragraph[start:m.start()].lower()
        last = before.rsplit(None, 1)[-1] if before.strip() else ""
        if last.lstrip("(\"'") in _COMPANY and _STARTER.match(paragraph, m.end()):
            pass  # "... of Linden Packaging Ltd. The Board did not ...": a company's name ends the sentence
        elif last.lstrip("(\"'") in _ABBREV or re.fullmatch(r"[a-z]\.", last):
            continue  # "e.g. X" or an initial: not a sentence end
        parts.append(paragraph[start:m.start()].strip())
        start = m.end()
    parts.append(paragraph[start:].strip())
    return [p for p in parts if p]


def split_claims(text: str) -> list[str]:
    """Split text into claims: sentences of paragraphs, list items, table rows.

    Headings, code blocks, rules and short lead-in lines ("Key terms:") are not claims.
    """
    claims: list[str] = []
    paragraph: list[str] = []
    in_code = False

    def flush():
        if paragraph:
            claims.extend(_sentences(" ".join(paragraph)))
            paragraph.clear()

    lines = (text or "").replace("\u2019", "'").splitlines()
    for n, raw in enumerate(lines):
        if _FENCE.match(raw):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if not raw.strip() or _HEADING.match(raw) or _HRULE.match(raw) or _TABLE_SEP.match(raw):
            flush()
            continue
        if raw.lstrip().startswith("|"):  # table row: one claim, cells joined
            flush()
            if n + 1 < len(lines) and _TABLE_SEP.match(lines[n + 1]):
                continue  # the header row names columns, it claims nothing
            cells = [strip_markdown(c) for c in raw.strip().strip("|").split("|")]
            claims.append("; ".join(c for c in cells if c))
            continue
        if _BULLET.match(raw) or _QUOTE.match(raw):
            flush()  # each list item starts its own claim (continuation lines join it)
        paragraph.append(strip_markdown(raw))
    flush()
    return [c for c in claims if not _is_lead_in(c)]


def _is_lead_in(claim: str) -> bool:
    words = claim.split()
    return claim.endswith(":") and len(words) <= 8 or not re.search(r"[A-Za-z0-9]", claim)
