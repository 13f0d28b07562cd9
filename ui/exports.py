"""Download buttons for every stored run with its calls and ratings (JSONL or CSV), built on demand."""
from __future__ import annotations

import io

import streamlit as st

from moa_core.storage.export import write_csv, write_jsonl


def _export(store, fmt: str) -> str:
    out = io.StringIO()
    (write_jsonl if fmt == "jsonl" else write_csv)(store.iter_runs(), out)
    return out.getvalue()


def export_buttons(store) -> None:
    left, right, _ = st.columns([1, 1, 4])
    left.download_button("Export JSONL", data=lambda: _export(store, "jsonl"), file_name="moa-runs.jsonl",
                         mime="application/json", help="One run per line with its calls and ratings",
                         on_click="ignore")
    right.download_button("Export CSV", data=lambda: _export(store, "csv"), file_name="moa-runs.csv",
                          mime="text/csv", help="One row per call, with its run's columns", on_click="ignore")
