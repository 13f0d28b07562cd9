"""What was left out of a fitted document, said the way a reader looks it up ("pages 3-4",
"page 5, paragraphs 2-3"), and the text the models read with each gap marked.

Pure: the run's records, its report and the views describe a fitted document with these.
"""
from __future__ import annotations

import re
from typing import Sequence

from .passages import Passage

GAP = "[… {what} left out to fit the context window …]"


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
