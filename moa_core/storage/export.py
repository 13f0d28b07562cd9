"""Exports the user owns: JSONL (one run per line, with its calls and ratings) and CSV (one row per call).

JSONL keeps everything a run recorded, for re-import or notebooks; CSV flattens to one call per
row with its run's columns beside it, for spreadsheets. Neither holds API keys: the records
never had them (only model names, base URLs and the *name* of a key's environment variable), and
every string is redacted again on the way out as a last guard. CSV cells that a spreadsheet would
run as a formula are neutralised (`csv_safe`).
"""
from __future__ import annotations

import csv
import json
from typing import IO, Any, Iterable

from ..csv_safe import safe_row
from ..metrics.ratings import answer_stars, comments_text, final_call_id, run_stars
from ..records import RunRecord
from ..redact import redact_all
from .schema import Rating

RUN_COLUMNS = ["run_id", "run_started_at", "run_status", "run_query", "run_note", "run_error", "run_final",
               "run_wall_s", "run_critical_path_s", "run_cost_usd", "run_lineup_name", "run_document_name",
               "run_avg_stars", "run_comments"]
CALL_COLUMNS = ["call_id", "role", "round", "index", "model", "label", "status", "started_s", "first_token_s",
                "ended_s", "duration_s", "prompt_tokens", "completion_tokens", "cost_usd", "cached", "saved_usd",
                "attempts", "retry_errors", "error", "api_base", "temperature", "call_avg_stars", "call_comments",
                "text", "messages"]


def rating_dict(rating: Rating) -> dict[str, Any]:
    data = rating.model_dump()
    data["created_at"] = rating.created_at.isoformat() if rating.created_at else None
    return data


def run_dict(record: RunRecord, ratings: Iterable[Rating] = ()) -> dict[str, Any]:
    """A run as one JSON object: the record's own dict plus its ratings."""
    return redact_all(record.to_dict() | {"ratings": [rating_dict(r) for r in ratings]})


def write_jsonl(runs: Iterable[tuple[RunRecord, list[Rating]]], out: IO[str]) -> int:
    """One run per line; returns how many runs were written."""
    n = 0
    for record, ratings in runs:
        out.write(json.dumps(run_dict(record, ratings), ensure_ascii=False) + "\n")
        n += 1
    return n


def _stars(mean_and_count: tuple[float | None, int]) -> float | None:
    mean = mean_and_count[0]
    return None if mean is None else round(mean, 3)


def csv_rows(record: RunRecord, ratings: list[Rating]) -> list[dict[str, Any]]:
    """The run's calls as flat rows; a run without calls still gets one row, so none is lost."""
    full = record.to_dict()
    run = {"run_id": record.run_id, "run_lineup_name": record.lineup_snapshot.name or None,
           "run_avg_stars": _stars(run_stars(ratings, record.calls, record.status))}
    final = final_call_id(record.calls, record.status)
    run["run_comments"] = comments_text(ratings, None, final)
    run |= {column: full[column.removeprefix("run_")] for column in RUN_COLUMNS if column not in run}
    rows = []
    for call in record.calls:
        data = call.to_dict()
        data["duration_s"] = call.duration_s
        data["retry_errors"] = json.dumps(call.retry_errors, ensure_ascii=False)
        data["messages"] = json.dumps(call.messages, ensure_ascii=False)
        data["call_avg_stars"] = _stars(answer_stars(ratings, call.call_id, final))
        data["call_comments"] = comments_text(ratings, call.call_id, final)
        rows.append(run | {k: data.get(k) for k in CALL_COLUMNS})
    return redact_all(rows or [run])


def write_csv(runs: Iterable[tuple[RunRecord, list[Rating]]], out: IO[str]) -> int:
    """One row per call with its run's columns; returns how many rows were written."""
    writer = csv.DictWriter(out, fieldnames=RUN_COLUMNS + CALL_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for record, ratings in runs:
        for row in csv_rows(record, ratings):
            writer.writerow(safe_row(row))
            n += 1
    return n
