"""Clause, section and schedule references in answers, checked against the documents' own numbering.

A reference is "found" when some document has a heading or numbered paragraph with that number
("7.2 Rent", "Clause 7.2", "§ 12", "12.", "SCHEDULE 2"); "4(b)" also needs a "(b)" inside section 4.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from moa_core.documents.passages import Passage, SourceDocument
from moa_core.evidence.check import Check
from moa_core.evidence.quotes import LEFT_OUT_MARKER

PROVISIONS = {"clause", "section", "article", "paragraph", "§"}  # interchangeable: documents often number bare
ATTACHMENTS = {"schedule", "annex", "appendix", "exhibit"}  # named by their own word ("Schedule 2")
_PLURALS = {"clauses": "clause", "sections": "section", "articles": "article", "paragraphs": "paragraph",
            "§§": "§", "schedules": "schedule", "annexes": "annex", "appendices": "appendix", "exhibits": "exhibit"}

_NUM = r"\d+(?:\.\d+)*(?:\s?\([a-z0-9]{1,4}\))*"
_ROMAN = r"(?-i:[IVXL]{1,6})\b"
_ID = rf"(?:{_NUM}|{_ROMAN}|(?-i:[A-Z])\b)"
_KEYWORD = r"§§|§|clauses?|sections?|articles?|paragraphs?|schedules?|annex(?:es)?|appendix|appendices|exhibits?"
_SEPARATOR = r"\s*(?:,|and|or|to|through|-|\u2013|\u2014|&)\s*"
_REFERENCE = re.compile(rf"(?<![\w§])({_KEYWORD})\s*({_ID}(?:{_SEPARATOR}{_ID})*)", re.IGNORECASE)
_ONE_ID = re.compile(rf"({_ID})|({_SEPARATOR})", re.IGNORECASE)
_SUB = re.compile(r"\(([a-z0-9]{1,4})\)", re.IGNORECASE)

_HEADING = re.compile(
    rf"^[\s#*_>|]*(?:(?P<kw>§|{'|'.join(sorted(PROVISIONS - {'§'} | ATTACHMENTS))})\s*)?"
    r"(?P<id>\d+(?:\.\d+)*|[IVXL]{1,6}\b|[A-Z]\b)(?P<subs>(?:\s?\([a-z0-9]{1,4}\))*)(?P<after>.?.?)",
    re.IGNORECASE)


@dataclass(frozen=True)
class _Ref:
    kind: str  # "provision" or the attachment word
    number: str  # "7.2", "12", "A", "IV" (upper case)
    subs: tuple[str, ...]  # ("b",) for 4(b)


@dataclass(frozen=True)
class _Heading:
    word: str  # as labelled in the document ("article"), "" for a bare number
    kind: str
    number: str
    subs: tuple[str, ...]
    passage: int  # index into the document's passages
    line: int


# Words of a file name that do not tell one document from another.
_NAME_NOISE = {"pdf", "docx", "txt", "md", "markdown", "doc", "final", "draft", "copy", "signed", "version", "the",
               "and", "for", "with", "scan", "file", "document"}
_NAMED_AFTER = re.compile(r"\s*(?:of|in|under|to)\s+(?:the\s+|this\s+|that\s+)?([\w-]+)", re.IGNORECASE)
NAMING_WINDOW = 40  # characters before a reference where "the amendment (section 2)" names its document


def find_references(text: str) -> list[str]:
    """References as written, one per number: "§§ 3-4" gives "§ 3" and "§ 4"; "clauses 7.2 and 7.3" both."""
    return [reference for reference, _, _ in _references(text)]


def _references(text: str) -> list[tuple[str, int, int]]:
    """Each reference with where its match lies in `text`. The app's own "[… paragraphs 4-5 left out …]"
    marker, echoed by a model, is the app's note, not a reference to check: blanked out first."""
    text = LEFT_OUT_MARKER.sub(lambda m: " " * len(m.group()), text)
    found: list[tuple[str, int, int]] = []
    for match in _REFERENCE.finditer(text):
        word = match.group(1)
        singular = _PLURALS.get(word.lower())
        ids, range_next, previous = [], False, None
        for part in _ONE_ID.finditer(match.group(2)):
            if part.group(2):
                range_next = part.group(2).strip() in ("-", "\u2013", "\u2014", "to", "through")
                continue
            ident = re.sub(r"\s+", "", part.group(1))
            if range_next and previous:
                ids.extend(_expand(previous, ident))
            ids.append(ident)
            previous, range_next = ident, False
        if singular is None and len(ids) > 1:  # "section 3 and 4": only the first is certainly a section
            ids = ids[:1]
        keyword = word
        if singular:
            keyword = singular.upper() if word.isupper() else singular.capitalize() if word[0].isupper() else singular
        for ident in ids:
            found.append((f"{keyword} {ident}", match.start(), match.end()))
    return found


def _name_words(name: str) -> set[str]:
    """The words that identify a document by its file name: "services-agreement.pdf" -> services, agreement."""
    words = re.findall(r"[a-z]+", name.casefold())
    return {w for w in words if len(w) >= 4 and w not in _NAME_NOISE}


def named_document(text: str, start: int, end: int, names: list[str]) -> str | None:
    """The document a reference names around it: "the amendment (section 2)", "the Agreement's clause 9",
    "section 2 of the amendment"; the name nearest before the reference wins, then one after "of the".
    None when no document is named (or the text names a word several documents share)."""
    words = [_name_words(n) for n in names]
    before = re.split(r"[;:\n]|\.\s", text[max(0, start - NAMING_WINDOW):start])[-1].casefold()  # this clause only
    best: tuple[int, str] | None = None
    for name, own in zip(names, words):
        for word in own:
            if sum(word in other for other in words) > 1:
                continue
            for m in re.finditer(rf"\b{re.escape(word)}(?:'s|s)?\b", before):
                if best is None or m.start() > best[0]:
                    best = (m.start(), name)
    if best is not None:
        return best[1]
    after = _NAMED_AFTER.match(text, end)
    if after:
        word = after.group(1).casefold().removesuffix("'s")
        owners = [name for name, own in zip(names, words) if word in own]
        if len(owners) == 1:
            return owners[0]
    return None


def _expand(first: str, last: str) -> list[str]:
    """The numbers strictly between the ends of a short range ("7.2-7.5" gives 7.3, 7.4)."""
    a, b = first.split("."), last.split(".")
    if len(a) != len(b) or a[:-1] != b[:-1] or not (a[-1].isdigit() and b[-1].isdigit()):
        return []
    lo, hi = int(a[-1]), int(b[-1])
    if not 0 < hi - lo <= 20:
        return []
    return [".".join(a[:-1] + [str(n)]) for n in range(lo + 1, hi)]


def _parse(reference: str) -> tuple[str, _Ref] | None:
    """The written word (so "section 4" and "article IV" stay two references) and what to look for."""
    match = re.match(rf"\s*({_KEYWORD})\s*(.+)", reference, re.IGNORECASE)
    if not match:
        return None
    word = _PLURALS.get(match.group(1).lower(), match.group(1).lower())
    ident = match.group(2).strip()
    number = _SUB.sub("", ident).strip().upper()
    subs = tuple(s.lower() for s in _SUB.findall(ident))
    kind = "provision" if word in PROVISIONS else word
    return word, _Ref(kind, _roman(number) if kind == "provision" else number, subs)


def _roman(number: str) -> str:
    """ARTICLE IV and Article 4 are one article."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50}
    if not number or any(c not in values for c in number):
        return number
    total = 0
    for c, nxt in zip(number, number[1:] + " "):
        total += -values[c] if values.get(nxt, 0) > values[c] else values[c]
    return str(total)


def _headings(doc: SourceDocument) -> list[_Heading]:
    """Lines that open a numbered provision or an attachment, in reading order."""
    headings: list[_Heading] = []
    for p, passage in enumerate(doc.passages):
        previous = ""
        for n, line in enumerate(passage.text.split("\n")):
            heading = _heading(line, previous)
            if heading:
                headings.append(_Heading(*heading, p, n))
            previous = line
    return headings


def _heading(line: str, previous: str) -> tuple[str, str, str, tuple[str, ...]] | None:
    match = _HEADING.match(line)
    if not match or re.search(rf"(?:{_KEYWORD})\s*$", previous, re.IGNORECASE):
        return None  # "...set out in clause" / "7.2 above" is a wrapped reference
    word, ident, after = (match.group("kw") or "").lower(), match.group("id"), match.group("after")
    subs = tuple(s.lower() for s in _SUB.findall(match.group("subs")))
    if not word:
        # A bare number opens a provision only as "7.2 ...", "12. ...", "12) ..." or "12 Term".
        if not ident[0].isdigit():
            return None
        if "." not in ident and not subs and not re.match(r"[.)]|\s[A-Z(\"]|\s*$", after):
            return None
        return "", "provision", ident, subs
    if word in PROVISIONS:
        return word, "provision", _roman(ident.upper()), subs
    return word, word, ident.upper(), subs


def _level(number: str) -> int:
    return number.count(".") + 1


def _locate(word: str, ref: _Ref, doc: SourceDocument, headings: list[_Heading]) -> Passage | None:
    """The passage holding the reference: its heading, a child's heading, or the sub-item in its scope.
    A heading labelled with the answer's own word wins over a bare number, which wins over another word."""
    ranked = sorted(range(len(headings)), key=lambda i: (headings[i].word != word, headings[i].word != ""))
    for i in ranked:
        heading = headings[i]
        if heading.kind != ref.kind:
            continue
        if heading.number == ref.number and heading.subs[: len(ref.subs)] == ref.subs:
            return doc.passages[heading.passage]
        if heading.number == ref.number and not heading.subs:
            found = _sub_item(ref.subs, doc, heading, _scope_end(headings, i))
            if found:
                return found
    if not ref.subs:  # "7.2" exists if "7.2.1" does
        for heading in headings:
            if heading.kind == ref.kind and heading.number.startswith(ref.number + "."):
                return doc.passages[heading.passage]
    return None


def _scope_end(headings: list[_Heading], i: int) -> tuple[int, int] | None:
    """Where the provision opened by headings[i] ends: the next heading of the same or a higher level."""
    level = _level(headings[i].number)
    for heading in headings[i + 1:]:
        if heading.kind == headings[i].kind and not heading.subs and _level(heading.number) <= level:
            return heading.passage, heading.line
    return None


def _sub_item(subs: tuple[str, ...], doc: SourceDocument, heading: _Heading,
              end: tuple[int, int] | None) -> Passage | None:
    """Each of "(b)", "(ii)" in order within the provision's text, as an item marker, not mid-word."""
    want, where = list(subs), None
    for p in range(heading.passage, len(doc.passages) if end is None else end[0] + 1):
        lines = doc.passages[p].text.split("\n")
        first = heading.line if p == heading.passage else 0
        last = end[1] if end is not None and p == end[0] else len(lines)
        text = "\n".join(lines[first:last])
        pos = 0
        while want:
            item = re.escape(want[0])
            marker = re.compile(rf"(?:^|(?<=[\s:;,.—-]))\({item}\)|^[\s*_-]*{item}[.)]\s", re.I | re.M)
            match = marker.search(text, pos)
            if not match:
                break
            want.pop(0)
            pos, where = match.end(), doc.passages[p]
        if not want:
            return where
    return None


def check_references(answers: list[tuple[str, str]], documents: list[SourceDocument]) -> list[Check]:
    """Each reference of each answer, "found" at the first document that has it, else "not_found".
    A reference that names a document ("the amendment (section 2)") is looked up in that document only:
    the agreement's "2. Term" does not answer for the amendment's section 2."""
    indexed = [(doc, _headings(doc)) for doc in documents]
    names = [doc.name for doc in documents]
    checks: list[Check] = []
    for source, text in answers:
        seen: set[tuple[str | None, str, _Ref]] = set()
        for reference, start, end in _references(text):
            parsed = _parse(reference)
            named = named_document(text, start, end, names) if len(names) > 1 else None
            if parsed is None or (named, *parsed) in seen:
                continue
            seen.add((named, *parsed))
            ref = parsed[1]
            passage = next((p for doc, heads in indexed if named in (None, doc.name)
                            and (p := _locate(parsed[0], ref, doc, heads)) is not None), None)
            if passage is None:
                checks.append(Check(source, reference, "not_found"))
            else:
                checks.append(Check(source, reference, "found", passage.document, passage.location, passage.text,
                                    100.0))
    return checks
