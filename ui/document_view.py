"""A document as a reader finds things in it: each passage under its page and paragraph mark, the passages
left out to fit a context window shown apart (greyed, labelled) rather than hidden, and a quote's words
highlighted in the passage it came from.

Pure HTML builders (tested without a browser) plus two small Streamlit helpers. Every piece of document
and model text goes through html.escape before it is placed in HTML.
"""
from __future__ import annotations

import html
import re
from typing import Sequence

from moa_core.documents import Document
from moa_core.documents.passages import Passage
from moa_core.evidence.quotes import LEFT_OUT_MARKER

MAX_PASSAGES = 400  # a reader pane shows this many passages; longer documents say how many more there are
_WORD = re.compile(r"\w+")
_ELLIPSIS = re.compile(r"\u2026|\.\s*\.\s*\.")
STYLE = """<style>
.moa-doc{font-size:.92rem;line-height:1.5}
.moa-doc .moa-p{margin:.2rem 0 .5rem 0;padding:.15rem .4rem;border-left:3px solid transparent;white-space:pre-wrap}
.moa-doc .moa-mark{display:inline-block;min-width:5.5rem;color:#666;font-size:.78rem;font-family:monospace}
.moa-doc .moa-out{color:#888;background:#f4f4f4;border-left-color:#bbb}
.moa-doc .moa-out .moa-tag{color:#a15c00;font-size:.75rem;margin-left:.4rem}
.moa-doc .moa-hit{border-left-color:#f0b400;background:#fffbe6}
.moa-doc mark{background:#ffe27a;padding:0 1px}
</style>"""


def mark_of(passage: Passage) -> str:
    """The passage's mark as printed beside it: "p. 3 ¶ 5" for a PDF page's paragraph, "¶ 12" otherwise."""
    return f"p. {passage.page} \u00b6 {passage.paragraph}" if passage.page is not None else f"\u00b6 {passage.paragraph}"


def quote_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Where a quote's words stand in `text` (case, spacing, punctuation and line breaks forgiven), one
    span per piece between ellipses; a piece that is not there word for word marks its longest run of
    four or more consecutive words that is (an approximate quote still points at its words)."""
    spans: list[tuple[int, int]] = []
    for piece in _ELLIPSIS.split(LEFT_OUT_MARKER.sub(" ... ", quote or "")):
        words = _WORD.findall(piece)[:80]
        if not words:
            continue
        found = _find_run(text, words)
        for size in range(len(words) - 1, 3, -1):
            if found:
                break
            found = next((f for start in range(len(words) - size + 1)
                          if (f := _find_run(text, words[start:start + size]))), None)
        if found:
            spans.append(found)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _find_run(text: str, words: Sequence[str]) -> tuple[int, int] | None:
    pattern = r"(?<!\w)" + r"\W+".join(re.escape(w) for w in words) + r"(?!\w)"
    match = re.search(pattern, text, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def highlighted(text: str, quote: str = "") -> str:
    """`text` as escaped HTML with the quote's words wrapped in <mark>."""
    out, at = [], 0
    for start, end in quote_spans(text, quote) if quote else []:
        out += [html.escape(text[at:start]), f"<mark>{html.escape(text[start:end])}</mark>"]
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def passage_html(passage_text: str, quote: str = "", where: str = "") -> str:
    """One passage (a quote's or a verdict's) with its location and the quoted words highlighted."""
    label = f'<span class="moa-mark">{html.escape(where)}</span><br>' if where else ""
    return (f'{STYLE}<div class="moa-doc"><div class="moa-p moa-hit">{label}{highlighted(passage_text, quote)}'
            "</div></div>")


def document_html(doc: Document, focus: str | None = None, quote: str = "",
                  limit: int = MAX_PASSAGES) -> str:
    """The whole document, passage by passage under its mark. Passages left out to fit are shown greyed
    with a tag (the reader sees the kept and the left-out text); `focus` (a location, or the first of a
    "paragraphs 4-5" span) is tinted and has `quote` highlighted."""
    passages = doc.passages()
    left_out = set(doc.left_out)
    focused = _focused(passages, focus)
    rows = []
    for p in passages[:limit]:
        classes = ["moa-p"] + (["moa-out"] if p.location in left_out else []) + \
            (["moa-hit"] if p.location in focused else [])
        tag = '<span class="moa-tag">left out to fit: no model read this</span>' if p.location in left_out else ""
        body = highlighted(p.text, quote if p.location in focused else "")
        rows.append(f'<div class="{" ".join(classes)}" title="{html.escape(p.location)}">'
                    f'<span class="moa-mark">{html.escape(mark_of(p))}</span>{tag}<br>{body}</div>')
    more = len(passages) - limit
    if more > 0:
        rows.append(f'<div class="moa-p moa-out">… {more:,} more passage{"s" if more != 1 else ""} '
                    "(the whole text is in the exports)</div>")
    return f'{STYLE}<div class="moa-doc">{"".join(rows)}</div>'


def _focused(passages: Sequence[Passage], focus: str | None) -> set[str]:
    """The locations a check's location covers: "page 2, paragraphs 4-5" is two passages."""
    if not focus:
        return set()
    match = re.fullmatch(r"(?:page (\d+), )?paragraphs (\d+)-(\d+)", focus)
    if not match:
        return {focus}
    page = int(match[1]) if match[1] else None
    lo, hi = int(match[2]), int(match[3])
    return {p.location for p in passages if p.page == page and lo <= p.paragraph <= hi}
