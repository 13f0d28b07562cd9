"""Exports the user owns: JSONL (one run per line, with its calls and ratings) and CSV (one row per call).

JSONL keeps everything a run recorded, for re-import or notebooks; CSV flattens to one call per
row with its run's columns beside it, for spreadsheets. Neither holds API keys: the records
never had them (only model names, base URLs and the *name* of a key's environment variable).
"""
from __future__ import annotations

import csv
import json
from typing import IO, Any, Iterable

from ..records import RunRecord
from .models import Rating

RUN_COLUMNS = ["run_id", "run_started_at", "run_status", "run_query", "run_note", "run_error", "run_final",
               "run_wall_s", "run_critical_path_s", "run_cost_usd", "run_lineup_name", "run_document_name",
               "run_avg_stars"]
CALL_COLUMNS = ["call_id", "role", "round", "index", "model", "label", "status", "started_s", "first_token_s",
                "ended_s", "duration_s", "prompt_tokens", "completion_tokens", "cost_usd", "attempts",
                "retry_errors", "error", "api_base", "temperature", "call_avg_stars", "text", "messages"]


def rating_dict(rating: Rating) -> dict[str, Any]:
    data = rating.model_dump()
    data["created_at"] = rating.created_at.isoformat() if rating.created_at else None
    return data


def run_dict(record: RunRecord, ratings: Iterable[Rating] = ()) -> dict[str, Any]:
    """A run as one JSON object: its fields, totals, every call in order, and its ratings."""
    return {
        "run_id": record.run_id,
        "started_at": record.started_at.isoformat(),
        "status": record.status,
        "query": record.query,
        "document_name": record.document_name,
        "lineup": record.lineup,
        "final": record.final,
        "note": record.note,
        "error": record.error,
        "wall_s": record.wall_s,
        "critical_path_s": record.critical_path_s,
        "cost_usd": record.cost_usd,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "synthesized_from": record.synthesized_from,
        "proposers_total": record.proposers_total,
        "calls": [c.to_dict() for c in record.calls],
        "ratings": [rating_dict(r) for r in ratings],
    }


def write_jsonl(runs: Iterable[tuple[RunRecord, list[Rating]]], out: IO[str]) -> int:
    """One run per line; returns how many runs were written."""
    n = 0
    for record, ratings in runs:
        out.write(json.dumps(run_dict(record, ratings), ensure_ascii=False) + "\n")
        n += 1
    return n


def _avg_stars(ratings: Iterable[Rating]) -> float | None:
    stars = [r.stars for r in ratings if r.stars is not None]
    return round(sum(stars) / len(stars), 3) if stars else None


def csv_rows(record: RunRecord, ratings: list[Rating]) -> list[dict[str, Any]]:
    """The run's calls as flat rows; a run without calls still gets one row, so none is lost."""
    run = {
        "run_id": record.run_id, "run_started_at": record.started_at.isoformat(), "run_status": record.status,
        "run_query": record.query, "run_note": record.note, "run_error": record.error,
        "run_final": record.final, "run_wall_s": record.wall_s, "run_critical_path_s": record.critical_path_s,
        "run_cost_usd": record.cost_usd, "run_lineup_name": (record.lineup or {}).get("name"),
        "run_document_name": record.document_name,
        "run_avg_stars": _avg_stars(r for r in ratings if r.target == "run"),
    }
    rows = []
    for call in record.calls:
        data = call.to_dict()
        data["duration_s"] = call.duration_s
        data["retry_errors"] = json.dumps(call.retry_errors, ensure_ascii=False)
        data["messages"] = json.dumps(call.messages, ensure_ascii=False)
        data["call_avg_stars"] = _avg_stars(r for r in ratings if r.call_id == call.call_id)
        rows.append(run | {k: data.get(k) for k in CALL_COLUMNS})
    return rows or [run]


def write_csv(runs: Iterable[tuple[RunRecord, list[Rating]]], out: IO[str]) -> int:
    """One row per call with its run's columns; returns how many rows were written."""
    writer = csv.DictWriter(out, fieldnames=RUN_COLUMNS + CALL_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for record, ratings in runs:
        for row in csv_rows(record, ratings):
            writer.writerow(row)
            n += 1
    return n
