"""Fit documents to a token budget: keep the passages most relevant to the query, in document order.

When the documents are longer than the smallest context window of a lineup allows, the user may
choose to fit them instead of being refused. Each passage (a paragraph; a paragraph of a page for
PDFs) is scored against the query by meaning (MiniLM embeddings, when the model loads) and by
keywords (BM25), the best ones are kept while they fit, and the models read the kept passages
in their original order with each gap marked, so they know something is missing. Exactly what
was left out is reported per document ("page 3", "paragraphs 5-7").

Pure and deterministic: same inputs, same selection. Scoring by meaning is passed in (`semantic`:
`agreement.embeddings.semantic_scores` in a run), so this package needs no model; what was left out is
described by `left_out`.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace
from typing import Callable, Sequence

from .document import Document
from .left_out import GAP

SEMANTIC_WEIGHT = 0.5  # the rest is the keyword score; both are scaled to 0..1 first
SEMANTIC_LIMIT = 500  # passages scored by meaning at most: 10-20 ms each on 2 cores (bench/fit_documents.py)
SEPARATOR_TOKENS = 2  # the blank line between two kept passages
BM25_K1, BM25_B = 1.5, 0.75

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


def fit_documents(query: str, documents: Sequence[Document], budget: int, count: Callable[[str], int],
                  semantic: Callable[[str, Sequence[str]], list[float] | None]) -> tuple[list[Document], str]:
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
