"""Pure conversions between the engine's records and table rows (the summary a listing shows: `run_summary`).

No I/O here: the store does the sessions, these functions only map fields, so they are tested
with plain objects and the record <-> row mapping lives in one place.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..records import CallRecord, RunRecord, utcnow
from ..redact import mask_seat_urls, mask_url_credentials, redact, redact_values, secret_values
from .run_summary import RunSummary, as_utc  # noqa: F401 (their home is light: `moa runs` reads them)
from .schema import Call, Run

_CALL_FIELDS = [f for f in CallRecord.__dataclass_fields__]


def run_columns(record: RunRecord) -> dict[str, Any]:
    """The run row's values for a record, totals included: the record's own dict, less its calls."""
    columns = record.to_dict()
    for derived in ("calls", "rounds_run", "rounds_note", "documents"):  # calls and documents have their tables
        columns.pop(derived)
    columns["id"] = columns.pop("run_id")
    columns["started_at"] = record.started_at
    columns["lineup"] = mask_seat_urls(columns["lineup"] or {})
    columns["lineup_name"] = columns["lineup"].get("name") or None
    columns["updated_at"] = utcnow()
    columns["note"], columns["error"] = redact(columns["note"]), redact(columns["error"])
    columns["final"] = redact_values(columns["final"])
    return columns


def call_row(call: CallRecord, run_id: str, position: int) -> Call:
    """The call's row, with secrets redacted: the storage's last guard (errors fully, text by key value)."""
    values = {k: getattr(call, k) for k in _CALL_FIELDS}
    secrets = secret_values()  # once for the row's texts: reading the environment is the cost
    values["error"] = redact(values["error"], secrets)
    values["api_base"] = mask_url_credentials(values["api_base"])
    values["retry_errors"] = [redact(e, secrets) for e in values["retry_errors"] or []]
    values["text"] = redact_values(values["text"], secrets)
    values["messages"] = [m | {"content": redact_values(m.get("content"), secrets)} if isinstance(m, dict) else m
                          for m in values["messages"] or []]
    return Call(run_id=run_id, position=position, **values)


def call_record(row: Call) -> CallRecord:
    return CallRecord(**{k: getattr(row, k) for k in _CALL_FIELDS})


def run_record(row: Run, calls: list[Call], document_text: str | None = None,
               documents: list | None = None) -> RunRecord:
    """The record as it ran: calls in their original order, its documents (or one document text) when stored."""
    if documents:
        document_text = documents[0].text
    return RunRecord(
        query=row.query, lineup=row.lineup or {}, run_id=row.id, document_name=row.document_name,
        document_text=document_text, documents=list(documents or []), status=row.status, final=row.final, note=row.note, error=row.error,
        started_at=as_utc(row.started_at), wall_s=row.wall_s,
        calls=[call_record(c) for c in sorted(calls, key=lambda c: c.position)],
        synthesized_from=row.synthesized_from, proposers_total=row.proposers_total,
        parent_run_id=row.parent_run_id, thread_id=row.thread_id,
    )


def interrupted_note(calls: list[CallRecord]) -> str:
    done = sum(c.status == "ok" for c in calls)
    return f"interrupted before it finished; {done} finished call(s) kept"


def document_type(name: str | None) -> str:
    return Path(name or "").suffix.lstrip(".").lower() or "text"
