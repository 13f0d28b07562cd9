"""Review reports of a stored run: one content model (`model.build_report`), three renderers.

    report = build_report(run, store.ratings.ratings_for(run.run_id))
    data = render(report, "html")     # bytes, self-contained
"""
from __future__ import annotations

from .model import Report, build_report

FORMATS = ("md", "html", "docx")
MIME = {"md": "text/markdown", "html": "text/html",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def render(report: Report, fmt: str) -> bytes:
    """The report in one format as bytes (UTF-8 for md and html)."""
    if fmt == "md":
        from .markdown import render_markdown  # each renderer loads only when its format is asked for
        return render_markdown(report).encode("utf-8")
    if fmt == "html":
        from .html import render_html
        return render_html(report).encode("utf-8")
    if fmt == "docx":
        from .docx import render_docx
        return render_docx(report)
    raise ValueError(f"unknown report format {fmt!r} ({', '.join(FORMATS)})")


__all__ = ["FORMATS", "MIME", "Report", "build_report", "render"]
