"""The review report as one self-contained HTML file: inline CSS, no scripts, no external
resources; every piece of model and document text goes through html.escape."""
from __future__ import annotations

from html import escape

from .cells import shown
from ..evidence import Check
from .model import QUOTE_LABELS, Report


def _e(value) -> str:
    """Escaped text; unknown (None) as "—"."""
    return escape(shown(value))

_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.facts td{padding:.1rem .8rem .1rem 0}.box{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;margin:.5rem 0}
.flag{font-weight:600;color:#b35c00}.bad{font-weight:600;color:#c62828}.good{color:#187a2f}
.verified{background:#e3f4e6}.approx{background:#fff6da}.missing{background:#fde3e1;border-color:#c62828}
.pre{white-space:pre-wrap}table.grid{border-collapse:collapse}table.grid td,table.grid th{border:1px solid #ddd;padding:.2rem .5rem;vertical-align:top}
.side{display:flex;gap:.6rem}.side>div{flex:1}sup{color:#555}.muted{color:#666;font-size:.9rem}
.note{color:#1f4e79}"""
_QUOTE_CLASS = {"exact": "verified", "approximate": "approx", "not_found": "missing", "found": "verified"}


_TONE_CLASS = {"supported": "good", "contradicts": "bad", "unsupported": "bad", "superseded": "note",
               "related": "muted"}


def _flag(text: str, cls: str = "flag") -> str:
    return f' <span class="{cls}">[{escape(text)}]</span>'


def _verdict(v) -> str:
    """The sentence's one verdict, coloured by its tone (only support is green, only a contradiction red)."""
    return _flag(v.with_quote, _TONE_CLASS.get(v.tone, "flag")) if v else ""


def _check(q: Check, label: str) -> str:
    where = f" — {_e(q.document)}, {_e(q.location)}" if q.document else ""
    passage = (f'<details><summary>the passage</summary><div class="pre">{escape(q.passage)}</div></details>'
               if q.passage else '<div class="muted">No passage of the documents says this.</div>')
    return (f'<div class="box {_QUOTE_CLASS.get(q.status, "")}"><b>{escape(label)}</b> · {_e(q.source)}: '
            f'\u201c{_e(q.text)}\u201d{where}{passage}</div>')


def render_html(r: Report) -> str:
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(r.title)}</title>",
           f"<style>{_CSS}</style></head><body><h1>{escape(r.title)}</h1><table class='facts'>"]
    out += [f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>" for k, v in r.facts]
    out.append("</table>")
    if r.summary:
        out.append("<h2>Summary</h2><ul>" + "".join(f"<li>{escape(line)}</li>" for line in r.summary) + "</ul>")
    if r.conversation:
        out.append("<h2>Earlier turns of this conversation</h2><ul>" + "".join(
            f"<li><b>{escape(which)}</b>: {escape(question)}</li>" for which, question in r.conversation) + "</ul>")
    out.append(f"<h2>Query</h2><div class='box pre'>{escape(r.query)}</div><h2>Documents</h2><ul>")
    out += [f"<li>{_e(name)} <span class='muted'>({_e(size)})</span></li>" for name, size in r.documents] \
        or ["<li>none</li>"]
    out.append(f"</ul><h2>Synthesis</h2><p class='muted'>{escape(r.method_note)} [n] = proposals that support "
               "the sentence.</p><div class='box' style='line-height:1.7'>")
    if r.synthesis:
        out += [f"{escape(s.text)} <sup>{escape(s.marks)}</sup>{''.join(_flag(f) for f in s.flags)}{_verdict(s.verdict)} "
                for s in r.synthesis]
    else:
        out.append(f"<div class='pre'>{escape(r.synthesis_text)}</div>")
    out.append("</div><h2>Quotes checked against the documents</h2>")
    out += [_check(q, QUOTE_LABELS.get(q.status, q.status)) for q in r.quotes] or ["<p>No quotes.</p>"]
    if r.references:
        out.append("<h3>Clause references</h3>")
        out += [_check(q, "found" if q.status == "found" else "NOT IN THE DOCUMENTS") for q in r.references]
    out.append("<h2>Disagreements</h2>")
    for i, (kinds, versions) in enumerate(r.disagreements):
        cells = "".join(f"<div class='box'><div class='muted'>{_e(who)}</div>{_e(text)}</div>"
                        for who, text in versions)
        side = r.document_sides[i] if i < len(r.document_sides) else ""
        tone = "good" if side.startswith("The documents back ") else "muted"
        backed = f"<p class='{tone}'>{escape(side)}</p>" if side else ""
        out.append(f"<div><b>Differs in: {escape(kinds)}</b><div class='side'>{cells}</div>{backed}</div>")
    if not r.disagreements:
        out.append("<p>No claim where the proposals contradict each other.</p>")
    if r.dropped:
        out.append("<h3>Dropped by the synthesis although most proposals said it</h3><ul>")
        out += [f"<li>{escape(t)}</li>" for t in r.dropped] + ["</ul>"]
    for a in ([r.final] if r.final else []) + ([r.baseline] if r.baseline else []) + r.proposals:
        out.append(f"<h2>{_e(a.title)} <span class='muted'>({_e(a.model)})</span></h2>"
                   f"<p>Rating: {_e(a.stars)}</p>")
        out += [f"<p class='muted'>comment — {escape(c)}</p>" for c in a.comments]
        out.append(f"<div class='box pre'>{escape(a.text)}</div>")
    header, *rows = r.calls
    out.append("<h2>Calls</h2><table class='grid'><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>")
    out += ["<tr>" + "".join(f"<td>{_e(x)}</td>" for x in row) + "</tr>" for row in rows]
    out.append("</table></body></html>")
    return "\n".join(out)
