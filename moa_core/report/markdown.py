"""The review report as Markdown (model text is quoted as block quotes, never as live markup).

Markdown viewers render raw HTML, even inside a block quote, so `&` and `<` are written as
entities throughout (a model's `<script>` or `<img onerror=...>` shows as those characters),
and image syntax `![..](url)` is shown as text rather than fetched, as in the app."""
from __future__ import annotations

from .cells import shown
from ..evidence import Check
from .model import QUOTE_LABELS, Report


def _quote_block(text: str) -> str:
    return "\n".join("> " + line for line in (text or "").strip().splitlines()) or "> (empty)"


def _check_line(q: Check, status: str | None = None) -> str:
    where = f" — {shown(q.document)}, {shown(q.location)}" if q.document else ""
    status = status or QUOTE_LABELS.get(q.status, q.status)
    return f"- **{status}** · {shown(q.source)}: \u201c{shown(q.text)}\u201d{where}"


def _cell(text: str | None) -> str:
    return " ".join(shown(text).split()).replace("|", "\\|")


def render_markdown(r: Report) -> str:
    out = [f"# {_cell(r.title)}", ""]
    out += [f"- **{k}**: {shown(v)}" for k, v in r.facts] + [""]
    if r.summary:
        out += ["## Summary", ""] + [f"- {line}" for line in r.summary] + [""]
    if r.conversation:
        out += ["## Earlier turns of this conversation", ""]
        out += [f"- **{which}**: {_cell(question)}" for which, question in r.conversation] + [""]
    out += ["## Query", "", _quote_block(r.query), ""]
    out += ["## Documents", ""] + ([f"- {shown(name)} ({shown(size)})" for name, size in r.documents] or ["- none"]) + [""]
    out += ["## Synthesis", "", f"_{r.method_note}_ — [n] = proposals that support the sentence.", ""]
    for s in r.synthesis:
        flags = "".join(f" **[{f}]**" for f in s.flags) + (f" **[{s.verdict.with_quote}]**" if s.verdict else "")
        out.append(f"- {s.text} {s.marks}{flags}")
    if not r.synthesis:
        out.append(_quote_block(r.synthesis_text))
    out += ["", "## Quotes checked against the documents", ""]
    out += [_check_line(q) for q in r.quotes] or ["- no quotes"]
    if r.references:
        out += ["", "### Clause references", ""]
        out += [_check_line(q, "verified" if q.status == "found" else QUOTE_LABELS["not_found"]) for q in r.references]
    out += ["", "## Disagreements", ""]
    for i, (kinds, versions) in enumerate(r.disagreements):
        out += [f"**Differs in: {kinds}**", "", "| proposals | says |", "|---|---|"]
        out += [f"| {_cell(who)} | {_cell(text)} |" for who, text in versions] + [""]
        if i < len(r.document_sides) and r.document_sides[i]:
            out += [r.document_sides[i], ""]
    if not r.disagreements:
        out.append("No claim where the proposals contradict each other.")
    if r.dropped:
        out += ["", "### Dropped by the synthesis although most proposals said it", ""] + [f"- {t}" for t in r.dropped]
    for answer in ([r.final] if r.final else []) + ([r.baseline] if r.baseline else []) + r.proposals:
        out += ["", f"## {shown(answer.title)} ({shown(answer.model)})", "", f"Rating: {shown(answer.stars)}", ""]
        out += [f"- comment — {c}" for c in answer.comments]
        out += ["", _quote_block(answer.text)]
    out += ["", "## Calls", ""]
    header, *rows = r.calls
    out += ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(x) for x in row) + " |" for row in rows]
    return _inert("\n".join(out) + "\n")


def _inert(markdown: str) -> str:
    """No HTML tag, entity or image can come alive: the report's own markup uses none of them."""
    return markdown.replace("&", "&amp;").replace("<", "&lt;").replace("![", "!\\[")
