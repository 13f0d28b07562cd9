"""A download button for the run's review report (HTML, Markdown or Word), built on click."""
from __future__ import annotations

import streamlit as st

from moa_core.conversation import earlier_turns
from moa_core.records import RunRecord
from moa_core.report import MIME, build_report, render

from . import resources

LABELS = {"html": "HTML", "md": "Markdown", "docx": "Word (DOCX)"}


def report_download(run: RunRecord, *, key: str) -> None:
    """Format choice and one download button; the report is rendered only when asked for."""
    left, right = st.columns([1, 3])
    fmt = left.selectbox("Review report", list(LABELS), format_func=LABELS.get, key=f"{key}-report-format")

    def data() -> bytes:
        store = resources.store()
        return render(build_report(run, store.ratings.ratings_for(run.run_id), earlier=earlier_turns(store, run)), fmt)

    right.download_button(f"Download review report ({LABELS[fmt]})", data=data, mime=MIME[fmt],
                          file_name=f"review-{run.run_id[:8]}.{fmt}", key=f"{key}-report-download",
                          on_click="ignore")
