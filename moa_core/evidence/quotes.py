"""Quotes in model answers, checked word for word against the uploaded documents.

A quote is "exact" when its normalised text occurs in the documents, "approximate" when a fuzzy match
scores >= threshold and no number or negation differs, else "not_found". Normalising forgives what
copying and PDF extraction change (quote marks, dashes, case, line breaks, hyphenation), never wording.
"""
from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from moa_core.documents.passages import Passage, SourceDocument, span_location
from moa_core.evidence.check import Check

MIN_WORDS = 4  # shorter quoted spans are defined terms ("Tenant"), not evidence
CANDIDATES = 4  # passages aligned fuzzily per quote; picked by shared rare words

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00ad": None, "\u00a0": " ",
})
_DASH = re.compile(r"\s*-\s*")
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_SPACE = re.compile(r"\s+")
_ELLIPSIS = re.compile(r"\s*(?:\[\s*)?(?:\.\s*){3}(?:\s*\])?\s*")
_WORD = re.compile(r"\w+")

_LINE = r"(?:[^{0}\n]|\n(?![ \t]*\n))"  # any character but the marks, never across a blank line
_DOUBLE_MARK = re.compile('["\u201c\u201d\u201e]')
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
MAX_BREAKS = 2  # a quote may run over two paragraph breaks (three paragraphs); a longer "quote" is a stray mark
# The app's own marker for passages left out to fit (fitting.GAP), as a model may echo it, shortened or not:
# "[… page 3, paragraphs 4-5 left out to fit the context window …]", "[... paragraphs 901-902 left out ...]".
LEFT_OUT_MARKER = re.compile(r"\[\s*(?:\u2026|\.{3})?[^\[\]\n]{0,160}?\bleft out\b[^\[\]\n]{0,80}\]", re.IGNORECASE)
_RESTATED = re.compile(r"\b(\w+) ?\((\w+)\)")  # "ninety (90)", "30 (thirty)": one number written twice
_CURLY_SINGLE = re.compile(rf"(?<![\w\u2019])\u2018(\S{_LINE.format(chr(0x2018))}*?\S)\u2019(?!\w)")
_OPENER = re.compile(r"(?:(?<=^)|(?<=[\s(\[]))'(?=\w)", re.MULTILINE)  # 'quote, never don't or dogs'
_CLOSER = re.compile(r"(?<=[\w.,;:!?])'(?!\w)")
_BLOCKQUOTE = re.compile(r"^ {0,3}(?:> ?)+(.*)$")
_CITATION = re.compile(r"(?:\n\s*[-\u2013\u2014].{0,60}|\s*\((?:clause|section|§|article|paragraph|schedule|annex|"
                       r"appendix|page|p\.)[^()]{0,40}\))\s*$", re.IGNORECASE)

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
         "sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_NUMBER_WORDS = {**{w: n for n, w in enumerate(_UNITS)}, **_TENS, "hundred": 100, "thousand": 1000,
                 "million": 1_000_000, "half": 0.5, "once": 1, "twice": 2, "first": 1, "second": 2, "third": 3,
                 **{t + u: v + n for t, v in _TENS.items() for n, u in enumerate(_UNITS[1:10], 1)}}  # "thirtyfive"
_NEGATIONS = {"not", "no", "never", "nor", "neither", "without", "cannot", "none", "nothing", "nobody", "t"}


def normalise(text: str) -> str:
    """Text as compared: NFKC, straight quotes, one dash, hyphenation joined, one space, lower case.

    Dashes lose their spaces and a dash between letters goes: "termi-\nnation", "non-disclosure" and
    "cost — to" become "termination", "nondisclosure", "costto" on both sides, whoever typed what.
    """
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _WORD_HYPHEN.sub("", _DASH.sub("-", text))
    return _SPACE.sub(" ", text).strip().casefold()


def find_quotes(text: str) -> list[str]:
    """Quoted spans of 4+ words, in order: "…", “…”, ‘…’, '…' (only around whole words), "> " lines."""
    quotes: list[str] = []
    rest: list[str] = []
    block: list[str] = []

    def close_block() -> None:
        if block:
            content = "\n".join(block)
            quotes.extend(_inline_quotes(content) or [_strip_markup(_CITATION.sub("", content))])
            block.clear()

    for line in text.splitlines():
        match = _BLOCKQUOTE.match(line)
        if match:
            block.append(match.group(1))
            rest.append("")
        else:
            close_block()
            rest.append(line)
    close_block()
    quotes.extend(_inline_quotes("\n".join(rest)))
    return [q for q in quotes if _word_count(q) >= MIN_WORDS]


def _inline_quotes(text: str) -> list[str]:
    """Quoted spans in reading order; a span inside an earlier one (a 'term' in a "quote") is not separate."""
    spans = _double_quotes(text) + [(m.start(), m.end(), m.group(1)) for m in _CURLY_SINGLE.finditer(text)]
    found: list[tuple[int, int, str]] = []
    for start, end, content in spans + _straight_single(text):
        if not any(s <= start < e for s, e, _ in found):
            found.append((start, end, _strip_markup(content)))
    return [quote for _, _, quote in sorted(found)]


def _double_quotes(text: str) -> list[tuple[int, int, str]]:
    """Double-quoted spans, outermost first. Marks are paired as a reader pairs them: a straight mark
    before a word opens, after one closes, and marks nest, so '... (the "Agreement") ...' is one quote,
    a quote over a paragraph break keeps the next quote's marks paired, and a mark never closed is dropped
    without taking its neighbours with it."""
    spans: list[tuple[int, int, str]] = []
    open_at: list[int] = []
    for match in _DOUBLE_MARK.finditer(text):
        at, mark = match.start(), match.group()
        role = "open" if mark in "\u201c\u201e" else "close" if mark == "\u201d" else _straight_role(text, at)
        if role == "either":
            role = "close" if open_at else "open"
        if role == "open":
            open_at.append(at)
        elif role == "close" and open_at:
            start = open_at.pop()
            if len(_BLANK_LINE.findall(text, start, at)) <= MAX_BREAKS:
                spans.append((start, at + 1, text[start + 1:at]))
    return sorted(spans, key=lambda s: (s[0], -s[1]))


def _straight_role(text: str, at: int) -> str | None:
    """A straight double mark opens before a word ('("Agreement'), closes after one ('party."'), and is
    either when words touch it on both sides; a mark between spaces is neither."""
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    opens = not after.isspace() and after not in ".,;:!?)]}"
    closes = not before.isspace() and before not in "([{"
    return "either" if opens and closes else "open" if opens else "close" if closes else None


def _straight_single(text: str) -> list[tuple[int, int, str]]:
    """'...' pairs within one line, each opener with the next closer: linear, unlike one backtracking regex."""
    closers = [m.start() for m in _CLOSER.finditer(text)]
    spans, after = [], -1
    for opener in (m.start() for m in _OPENER.finditer(text)):
        if opener <= after:
            continue
        i = bisect_right(closers, opener)
        if i < len(closers) and text.find("\n", opener, closers[i]) < 0:
            after = closers[i]
            spans.append((opener, after + 1, text[opener + 1:after]))
    return spans


def _strip_markup(text: str) -> str:
    """Markdown emphasis and stray quote marks around a quote are not part of it."""
    return text.strip().strip("*_`").strip().strip("\"'\u201c\u201d\u2018\u2019").strip()


def _word_count(quote: str) -> int:
    return len(_WORD.findall(_ELLIPSIS.sub(" ", quote)))


@dataclass
class _Unit:
    """One page (PDF) or one document: normalised passages joined by spaces, with where each begins."""
    passages: list[Passage]
    text: str
    starts: list[int]

    def covered(self, start: int, end: int) -> list[Passage]:
        first = bisect_right(self.starts, start) - 1
        last = bisect_right(self.starts, max(start, end - 1)) - 1
        return self.passages[first:last + 1]


class _Index:
    """The documents prepared once per check: units for exact search, rare words to pick fuzzy candidates."""

    def __init__(self, documents: list[SourceDocument]):
        self.units: list[_Unit] = []
        self.cells: list[tuple[int, int]] = []  # (unit, passage index in unit) for each passage
        self.words: defaultdict[str, set[int]] = defaultdict(set)
        for doc in documents:
            groups: dict[int | None, list[Passage]] = {}
            for passage in doc.passages:
                groups.setdefault(passage.page, []).append(passage)
            for passages in groups.values():
                parts, starts, offset = [], [], 0
                for i, passage in enumerate(passages):
                    norm = normalise(passage.text)
                    parts.append(norm)
                    starts.append(offset)
                    offset += len(norm) + 1
                    for word in set(_WORD.findall(norm)):
                        self.words[word].add(len(self.cells))
                    self.cells.append((len(self.units), i))
                self.units.append(_Unit(passages, " ".join(parts), starts))

    def candidates(self, query: str) -> list[int]:
        """Passages sharing the most rare words with the query (IDF-weighted), best first; words in over
        half the passages say little and cost most, so they only count when under 3 rarer ones are shared."""
        scores: Counter = Counter()
        total = len(self.cells) + 1
        hits = [self.words[w] for w in set(_WORD.findall(query)) if w in self.words]
        rare = [h for h in hits if len(h) * 2 <= total]
        for cells in rare if len(rare) >= 3 else hits:
            weight = math.log(total / len(cells))
            for cell in cells:
                scores[cell] += weight
        return [cell for cell, _ in scores.most_common(CANDIDATES)]

    def window(self, cell: int) -> tuple[_Unit, int, int]:
        """The candidate passage with its neighbours on the same page, for quotes across a paragraph break."""
        unit_no, i = self.cells[cell]
        unit = self.units[unit_no]
        lo, hi = max(0, i - 1), min(len(unit.passages), i + 2)
        end = unit.starts[hi] - 1 if hi < len(unit.starts) else len(unit.text)
        return unit, unit.starts[lo], end


def _pieces(quote: str) -> list[str]:
    """A quote split at its ellipses ("…", "...", "[...]"): text left out in between. Markdown emphasis
    an answer adds inside a quote ("shall **not** assign") is not the document's text."""
    quote = LEFT_OUT_MARKER.sub(" ... ", quote)  # the app's gap marker echoed in a quote: text left out
    text = normalise(re.sub(r"\*+|`+|(?<!\w)_+|_+(?!\w)", "", quote))
    return [p for p in (piece.strip(" .,;:!?\"'") for piece in _ELLIPSIS.split(text)) if p]


def _find_exact(pieces: list[str], index: _Index) -> tuple[_Unit, int, int] | None:
    """Every piece in order, as whole words; with an ellipsis, all within two consecutive passages."""
    for unit in index.units:
        start = _find_words(unit.text, pieces[0], 0)
        while start >= 0:
            end = start + len(pieces[0])
            for piece in pieces[1:]:
                at = _find_words(unit.text, piece, end)
                if at < 0:
                    break
                end = at + len(piece)
            else:
                if len(pieces) == 1 or len(unit.covered(start, end)) <= 2:
                    return unit, start, end
                start = _find_words(unit.text, pieces[0], start + 1)
                continue
            break
    return None


def _find_words(text: str, piece: str, start: int) -> int:
    """str.find that will not match inside a word: "within 1" is not in "within 10 days"."""
    at = text.find(piece, start)
    while at >= 0 and ((at > 0 and text[at - 1].isalnum() and piece[0].isalnum())
                       or (at + len(piece) < len(text) and text[at + len(piece)].isalnum() and piece[-1].isalnum())):
        at = text.find(piece, at + 1)
    return at


def _find_fuzzy(pieces: list[str], index: _Index, threshold: float) -> tuple[float, bool, _Unit, int, int] | None:
    """Best alignment (>= threshold) of the pieces, in order, in a candidate window, and whether it keeps
    the quote's numbers and negations; a window that keeps them beats a closer one that does not."""
    best: tuple[float, bool, _Unit, int, int] | None = None
    for cell in index.candidates(" ".join(pieces)):
        unit, lo, hi = index.window(cell)
        pos, total, weight, first, spans = lo, 0.0, 0, lo, []
        for n, piece in enumerate(pieces):
            window = unit.text[pos:hi]
            found = fuzz.partial_ratio_alignment(piece, window) if len(window) >= len(piece) else None
            if found is None:
                score, start, end = fuzz.ratio(piece, window), pos, hi
            else:
                score, start, end = found.score, pos + found.dest_start, pos + found.dest_end
            start, end = _widen(unit.text, start, end)
            spans.append((piece, unit.text[start:end]))
            total += score * len(piece)
            weight += len(piece)
            first = start if n == 0 else first
            pos = end
        score = total / max(weight, 1)
        if score < threshold:
            continue
        safe = all(_same_facts(piece, span) for piece, span in spans)
        if best is None or (safe, score) > (best[1], best[0]):
            best = (score, safe, unit, first, pos)
    return best


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Alignment bounds trimmed of spaces then pushed out to whole words, so "30" is not read as "0"
    and the "1" of a neighbouring "7.1" is not pulled in."""
    start, end = start + len(text[start:end]) - len(text[start:end].lstrip()), start + len(text[start:end].rstrip())
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def _same_facts(quote: str, span: str) -> bool:
    return _facts(quote) == _facts(span)


def _facts(text: str) -> tuple[Counter, int]:
    """The numbers (digits or words) and negations in a text: what a near-miss quote must not change."""
    numbers: Counter = Counter()
    negations = 0
    text = _RESTATED.sub(lambda m: m.group(1) if _value(m.group(1)) == _value(m.group(2)) is not None
                         else m.group(0), text)  # "ninety (90)" states one number: a quote may drop "(90)"
    for word in _WORD.findall(text.replace(",", "")):
        negations += word in _NEGATIONS or (word.startswith("non") and len(word) > 5 and word != "nonetheless")
        value = _value(word)
        if value is not None:
            numbers[value] += 1
    return numbers, negations


def _value(word: str) -> float | None:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word.casefold())


def check_quotes(answers: list[tuple[str, str]], documents: list[SourceDocument], threshold: float = 90) -> list[Check]:
    """Each quote of each answer, located.

    A fuzzy match that changes a number or a negation ("30 days" for "90 days", "shall" for "shall not")
    scores high yet says the opposite of the document, so it is "not_found", never "approximate":
    only harmless drift (punctuation, a typo, an article) counts as approximate.
    """
    index = _Index(documents)
    cache: dict[str, tuple[str, float, list[Passage] | None]] = {}
    checks: list[Check] = []
    for source, text in answers:
        seen: set[str] = set()
        for quote in find_quotes(text):
            key = normalise(quote)
            if key in seen:
                continue
            seen.add(key)
            if key not in cache:
                cache[key] = _match(quote, index, threshold)
            status, score, covered = cache[key]
            if not covered:
                checks.append(Check(source, quote, status, score=score))
                continue
            passage = "\n\n".join(p.text for p in covered)
            checks.append(Check(source, quote, status, covered[0].document, span_location(covered), passage, score))
    return checks


def _match(quote: str, index: _Index, threshold: float) -> tuple[str, float, list[Passage] | None]:
    pieces = _pieces(quote)
    if not pieces:
        return "not_found", 0.0, None
    exact = _find_exact(pieces, index)
    if exact:
        unit, start, end = exact
        return "exact", 100.0, unit.covered(start, end)
    fuzzy = _find_fuzzy(pieces, index, threshold)
    if fuzzy is None:
        return "not_found", 0.0, None
    score, safe, unit, start, end = fuzzy
    if not safe:  # close wording, different facts: the document does not say this
        return "not_found", score, None
    return "approximate", score, unit.covered(start, end)
