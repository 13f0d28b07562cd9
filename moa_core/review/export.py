"""Votes out of the app: CSV that a spreadsheet cannot turn into formulas, and JSON.

Model text and reviewer comments are untrusted: a cell a spreadsheet would run as a formula gets a
leading single quote (`csv_safe.safe_cell`, the guard every CSV of the project uses).
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from ..csv_safe import safe_cell
COLUMNS = ("id", "created_at", "prompt_id", "query", "system_a", "system_b", "winner", "reviewer", "rater_kind",
           "shown_swapped", "run_a_id", "call_a_id", "run_b_id", "call_b_id", "queue_id", "batch_id", "comment",
           "a_text", "b_text")


def neutralise(value: Any) -> Any:
    """A string cell a spreadsheet would read as a formula, made literal; other values unchanged."""
    return safe_cell(value)


def votes_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(row.get(k)) for k in COLUMNS})
    return out.getvalue()


def votes_json(rows: Iterable[dict[str, Any]], **extra: Any) -> str:
    """{"votes": [...], ...extra}: the raw rows, plus whatever figures the caller adds."""
    return json.dumps({"votes": list(rows), **extra}, ensure_ascii=False, indent=1, default=str)
