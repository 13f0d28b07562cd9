"""The review report as a Word document (python-docx): headings, tables, the checks colour-coded."""
from __future__ import annotations

import io

from .cells import shown
from .model import QUOTE_LABELS, Report

_COLOURS = {"exact": (0x18, 0x7A, 0x2F), "found": (0x18, 0x7A, 0x2F), "approximate": (0x9A, 0x6B, 0x00),
            "not_found": (0xC6, 0x28, 0x28)}
_TONE_COLOURS = {"supported": (0x18, 0x7A, 0x2F), "contradicts": (0xC6, 0x28, 0x28),
                 "unsupported": (0xC6, 0x28, 0x28), "superseded": (0x1F, 0x4E, 0x79), "related": (0x55, 0x55, 0x55)}


def _safe(text) -> str:
    """XML cannot hold control characters; a model's stray \\x00 must not break the file. None is "—"."""
    return "".join(ch for ch in shown(text) if ch in "\t\n" or ord(ch) >= 32)


def render_docx(r: Report) -> bytes:
    import docx
    from docx.shared import RGBColor

    d = docx.Document()
    d.add_heading(_safe(r.title), 0)
    facts = d.add_table(rows=0, cols=2)
    for k, v in r.facts:
        row = facts.add_row().cells
        row[0].text, row[1].text = _safe(k), _safe(v)
    if r.summary:
        d.add_heading("Summary", 1)
        for line in r.summary:
            d.add_paragraph(_safe(line), style="List Bullet")
    if r.conversation:
        d.add_heading("Earlier turns of this conversation", 1)
        for which, question in r.conversation:
            d.add_paragraph(_safe(f"{which}: {question}"), style="List Bullet")
    d.add_heading("Query", 1)
    d.add_paragraph(_safe(r.query))
    d.add_heading("Documents", 1)
    for name, size in r.documents or [("none", "")]:
        d.add_paragraph(_safe(f"{name} ({shown(size)})" if size != "" else name), style="List Bullet")
    d.add_heading("Synthesis", 1)
    d.add_paragraph(_safe(r.method_note + " [n] = proposals that support the sentence."))
    for s in r.synthesis:
        p = d.add_paragraph(style="List Bullet")
        p.add_run(_safe(f"{s.text} {s.marks}"))
        for f in s.flags:
            run = p.add_run(_safe(f" [{f}]"))
            run.bold = True
            run.font.color.rgb = RGBColor(0x9A, 0x6B, 0x00)
        if s.verdict:  # one verdict: only support green, only a contradiction or "no proposal says this" red
            run = p.add_run(_safe(f" [{s.verdict.with_quote}]"))
            run.bold = s.verdict.tone in ("contradicts", "unsupported")
            run.font.color.rgb = RGBColor(*_TONE_COLOURS.get(s.verdict.tone, (0x55, 0x55, 0x55)))
    if not r.synthesis:
        d.add_paragraph(_safe(r.synthesis_text))
    d.add_heading("Quotes checked against the documents", 1)
    for q in r.quotes + r.references:
        label = QUOTE_LABELS.get(q.status, q.status)
        p = d.add_paragraph(style="List Bullet")
        run = p.add_run(_safe(label.upper() if q.status == "not_found" else label))
        run.bold = True
        run.font.color.rgb = RGBColor(*_COLOURS.get(q.status, (0, 0, 0)))
        where = f" — {q.document}, {shown(q.location)}" if q.document else ""
        p.add_run(_safe(f" · {shown(q.source)}: \u201c{shown(q.text)}\u201d{where}"))
    if not (r.quotes or r.references):
        d.add_paragraph("No quotes.")
    d.add_heading("Disagreements", 1)
    for i, (kinds, versions) in enumerate(r.disagreements):
        d.add_paragraph(_safe(f"Differs in: {kinds}"))
        table = d.add_table(rows=1, cols=len(versions))
        table.style = "Table Grid"
        for cell, (who, text) in zip(table.rows[0].cells, versions):
            cell.text = _safe(f"{shown(who)}\n{shown(text)}")
        if i < len(r.document_sides) and r.document_sides[i]:
            d.add_paragraph(_safe(r.document_sides[i]))
    if not r.disagreements:
        d.add_paragraph("No claim where the proposals contradict each other.")
    for t in r.dropped:
        d.add_paragraph(_safe(f"Dropped by the synthesis: {t}"), style="List Bullet")
    for a in ([r.final] if r.final else []) + ([r.baseline] if r.baseline else []) + r.proposals:
        d.add_heading(_safe(f"{a.title} ({shown(a.model)})"), 1)
        d.add_paragraph(_safe(f"Rating: {shown(a.stars)}"))
        for c in a.comments:
            d.add_paragraph(_safe(f"comment — {c}"), style="List Bullet")
        d.add_paragraph(_safe(a.text))
    d.add_heading("Calls", 1)
    header, *rows = r.calls
    table = d.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, h in zip(table.rows[0].cells, header):
        cell.text = _safe(h)
    for row in rows:
        for cell, x in zip(table.add_row().cells, row):
            cell.text = _safe(x)
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()
