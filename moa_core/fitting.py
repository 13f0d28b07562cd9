"""Fit documents to a token budget: keep the passages most relevant to the query, in document order.

When the documents are longer than the smallest context window of a lineup allows, the user may
choose to fit them instead of being refused. Each passage (a paragraph; a paragraph of a page for
PDFs) is scored against the query by meaning (MiniLM embeddings, when the model loads) and by
keywords (BM25), the best ones are kept while they fit, and the models read the kept passages
in their original order with each gap marked, so they know something is missing. Exactly what
was left out is reported per document ("page 3", "paragraphs 5-7").

Everything but `semantic_scores` is pure and deterministic: same inputs, same selection.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace
from typing import Callable, Sequence

from .documents import Document
from .evidence.passages import Passage

SEMANTIC_WEIGHT = 0.5  # the rest is the keyword score; both are scaled to 0..1 first
SEMANTIC_LIMIT = 500  # passages scored by meaning at most: 10-20 ms each on 2 cores (bench/fit_documents.py)
SEPARATOR_TOKENS = 2  # the blank line between two kept passages
BM25_K1, BM25_B = 1.5, 0.75
GAP = "[… {what} left out to fit the context window …]"

_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset("""a an and are as at be by can do does for from has have how i if in is it its may
must of on or shall should so that the their there these this those to under was were what when where which
who why will with would you your""".split())


def terms(text: str) -> list[str]:
    """Lower-case words that carry meaning (no stopwords, no single letters)."""
    return [w for w in _WORD.findall(text.casefold()) if len(w) > 1 and w not in _STOPWORDS]


def keyword_scores(query: str, texts: Sequence[str]) -> list[float]:
    """BM25 of each text for the query's words, scaled so the best text scores 1 (all 0 if none match)."""
    docs = [Counter(terms(t)) for t in texts]
    if not docs:
        return []
    lengths = [sum(d.values()) for d in docs]
    average = (sum(lengths) / len(docs)) or 1.0
    n = len(docs)
    words = set(terms(query))
    df = {w: sum(1 for d in docs if w in d) for w in words}
    raw = []
    for doc, length in zip(docs, lengths):
        score = 0.0
        for word in words:
            tf = doc.get(word, 0)
            if not tf:
                continue
            idf = math.log(1 + (n - df[word] + 0.5) / (df[word] + 0.5))
            score += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * length / average))
        raw.append(score)
    top = max(raw)
    return [round(s / top, 6) if top > 0 else 0.0 for s in raw]


def semantic_scores(query: str, texts: Sequence[str]) -> list[float] | None:
    """Cosine of each text with the query (MiniLM); None when the model cannot load here."""
    from .agreement import embeddings

    if not texts:
        return []
    try:
        vectors = embeddings.embed([query, *texts])
    except embeddings.EmbeddingUnavailable:
        return None
    return [round(float(vectors[0] @ v), 6) for v in vectors[1:]]


def combine(keyword: Sequence[float], semantic: Sequence[float] | None) -> list[float]:
    """One relevance per passage: keywords alone, or half keywords, half meaning (scaled min..max to 0..1)."""
    if semantic is None:
        return list(keyword)
    lo, hi = min(semantic, default=0.0), max(semantic, default=0.0)
    scaled = [(s - lo) / (hi - lo) if hi > lo else 0.0 for s in semantic]
    return [round(SEMANTIC_WEIGHT * s + (1 - SEMANTIC_WEIGHT) * k, 6) for s, k in zip(scaled, keyword)]


def select(costs: Sequence[int], scores: Sequence[float], budget: int) -> list[bool]:
    """Which passages to keep: the most relevant first (ties: the earlier one), each while it still fits,
    so the kept costs never sum above `budget`. Deterministic."""
    keep = [False] * len(costs)
    left = budget
    for i in sorted(range(len(costs)), key=lambda i: (-scores[i], i)):
        if costs[i] <= left:
            keep[i] = True
            left -= costs[i]
    return keep


def describe(passages: Sequence[Passage], left_out: set[str] | Sequence[str]) -> list[str]:
    """What was left out, as a reader looks it up: whole pages ("pages 3-4"), else paragraph runs
    ("page 5, paragraphs 2-3", "paragraphs 7-9"), in document order."""
    left_out = set(left_out)
    pieces: list[tuple[int | None, int, int, bool]] = []  # (page, first, last, whole page)
    pages: dict[int | None, list[Passage]] = {}
    for p in passages:
        pages.setdefault(p.page, []).append(p)
    for page, group in pages.items():
        gone = [p for p in group if p.location in left_out]
        if not gone:
            continue
        if page is not None and len(gone) == len(group):
            pieces.append((page, page, page, True))
            continue
        for p in gone:
            last = pieces[-1] if pieces else None
            if last and not last[3] and last[0] == page and last[2] == p.paragraph - 1:
                pieces[-1] = (page, last[1], p.paragraph, False)
            else:
                pieces.append((page, p.paragraph, p.paragraph, False))
    merged: list[tuple[int | None, int, int, bool]] = []
    for piece in pieces:  # consecutive whole pages read as one range
        last = merged[-1] if merged else None
        if last and last[3] and piece[3] and last[2] == piece[1] - 1:
            merged[-1] = (None, last[1], piece[2], True)
        else:
            merged.append(piece)
    out = []
    for page, first, last, whole in merged:
        span = f"{first}" if first == last else f"{first}-{last}"
        if whole:
            out.append(f"page{'s' if first != last else ''} {span}")
        else:
            where = f"paragraph{'s' if first != last else ''} {span}"
            out.append(f"page {page}, {where}" if page is not None else where)
    return out


_LABEL = re.compile(r"^(?:(page \d+), )?(paragraph|page)s? (\d+(?:-\d+)?)$")


def summarise(labels: Sequence[str]) -> str:
    """`describe`'s labels as one line a reader scans: "pages 1-2, 5; page 7, paragraphs 2-3, 6; paragraphs 9-12"."""
    groups: list[tuple[tuple, list[str]]] = []
    for label in labels:
        match = _LABEL.match(label)
        key = (match[1], match[2]) if match else (label, None)
        if groups and groups[-1][0] == key and match:
            groups[-1][1].append(match[3])
        else:
            groups.append((key, [match[3]] if match else []))
    out = []
    for (page, kind), numbers in groups:
        if kind is None:
            out.append(page)
            continue
        plural = "s" if len(numbers) > 1 or "-" in numbers[0] else ""
        out.append(f"{page + ', ' if page else ''}{kind}{plural} {', '.join(numbers)}")
    return "; ".join(out)


def fit_summary(passages: Sequence[Passage], left_out: set[str] | Sequence[str]) -> str:
    """What the models read of a fitted document, in the shorter of two forms: "kept 88 of 1,201
    passages: pages 3, 7; ..." or "left out 12 of 40 passages: paragraphs 5-9"; "" when nothing was left out."""
    passages = list(passages)
    gone = set(left_out) & {p.location for p in passages}
    if not gone:
        return ""
    kept = [p.location for p in passages if p.location not in gone]
    dropped = summarise(describe(passages, gone))
    if kept:
        shown = summarise(describe(passages, kept))
        if len(shown) < len(dropped):
            return f"kept {len(kept):,} of {len(passages):,} passages: {shown}"
    return f"left out {len(gone):,} of {len(passages):,} passages: {dropped}"


def fitted_text(passages: Sequence[Passage], left_out: set[str]) -> str:
    """The kept passages in document order, blank-line separated, each run of left-out ones marked."""
    passages = list(passages)
    parts: list[str] = []
    gap: list[Passage] = []
    for p in passages + [None]:
        if p is not None and p.location in left_out:
            gap.append(p)
            continue
        if gap:
            parts.append(GAP.format(what=", ".join(describe(passages, {g.location for g in gap}))))
            gap = []
        if p is not None:
            parts.append(p.text)
    return "\n\n".join(parts)


def fit_documents(query: str, documents: Sequence[Document], budget: int, count: Callable[[str], int],
                  semantic: Callable[[str, Sequence[str]], list[float] | None] = semantic_scores
                  ) -> tuple[list[Document], str]:
    """Documents whose kept passages cost at most `budget` tokens (by `count`), with `left_out` set,
    and which scoring was used ("meaning and keywords" or "keywords only: <why>")."""
    located = [(d, d.passages()) for d in documents]
    flat = [(i, p) for i, (_, passages) in enumerate(located) for p in passages]
    texts = [p.text for _, p in flat]
    meaning = semantic(query, texts) if len(texts) <= SEMANTIC_LIMIT else None
    scores = combine(keyword_scores(query, texts), meaning)
    # Each kept passage may open one more gap, and each document may start with one: charging a gap
    # marker per passage (and per document) bounds the fitted text's cost, however the gaps fall.
    gap = count(GAP.format(what="page 9999, paragraphs 9999-9999")) + SEPARATOR_TOKENS
    keep = select([count(t) + SEPARATOR_TOKENS + gap for t in texts], scores, budget - gap * len(located))
    out = []
    for i, (doc, _) in enumerate(located):
        gone = [p.location for (j, p), kept in zip(flat, keep) if j == i and not kept]
        out.append(replace(doc, left_out=gone))
    how = "meaning and keywords" if meaning is not None else \
        f"keywords only ({len(texts):,} passages: more than the {SEMANTIC_LIMIT:,} scored by meaning)" \
        if len(texts) > SEMANTIC_LIMIT else "keywords only (the embedding model could not load)"
    return out, how
