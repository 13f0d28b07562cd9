"""Loading a batch's figures from the store, its progress (ETA, running cost), and exports.

CSV cells that a spreadsheet would run as a formula (= + - @, tab, CR at the start) get a
leading single quote: answers are model output and may be crafted.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from ..records import utcnow
from ..storage.rows import as_utc
from .summary import summarize

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def progress(store, batch_id: str) -> dict[str, Any]:
    """Counts, fraction done, running cost, elapsed and ETA of the current session (from the database)."""
    batch = store.get_batch(batch_id)
    if batch is None:
        raise ValueError(f"no batch {batch_id}")
    counts = store.batch_counts(batch_id)
    total = sum(counts.values())
    finished = counts["done"] + counts["failed"]
    config = batch.config or {}
    started = _parse(config.get("session_started_at")) or as_utc(batch.created_at)
    ended = batch.status != "running" and batch.status != "cancelling"
    elapsed = ((as_utc(batch.updated_at) if ended else utcnow()) - started).total_seconds()
    session_done = counts["done"] - int(config.get("session_done") or 0) + counts["failed"]
    remaining = counts["pending"] + counts["running"]
    eta = elapsed / session_done * remaining if session_done > 0 and remaining and not ended else None
    return {"batch_id": batch_id, "status": batch.status, "items": total, **counts,
            "fraction": finished / total if total else 1.0, "cost_usd": batch.cost_usd or 0.0,
            "elapsed_s": max(0.0, elapsed), "eta_s": eta, "error": batch.error,
            "budget_usd": config.get("budget_usd")}


def _parse(value: str | None) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None


def batch_summary(store, batch_ids: list[str], style_bootstrap: int = 100) -> dict:
    """The summary over one batch, or over every batch of a set (systems merged by name)."""
    systems, answers, seen = [], [], set()
    for batch_id in batch_ids:
        batch = store.get_batch(batch_id)
        if batch is None:
            continue
        for s in batch.config.get("systems", []):
            if s["name"] not in seen:
                seen.add(s["name"])
                systems.append({"name": s["name"], "kind": s["kind"]})
        answers += store.batch_runs(batch_id)
    finals = {a["run_id"]: a.get("final") or "" for a in answers if a.get("run_id")}
    votes = [{"prompt_id": v.prompt_id, "system_a": v.system_a, "system_b": v.system_b, "winner": v.winner,
              "reviewer": v.reviewer, "rater_kind": v.rater_kind, "comment": v.comment,
              "a_text": finals.get(v.run_a_id, ""), "b_text": finals.get(v.run_b_id, "")}
             for v in store.batch_votes(batch_ids)]
    return summarize(systems, answers, votes, style_bootstrap=style_bootstrap)


def set_summary(store, eval_set_id: int) -> dict:
    """Every system the set has seen, across all its batches (the cost against win-rate chart)."""
    return batch_summary(store, [b.id for b in store.list_batches(limit=1000, eval_set_id=eval_set_id)])


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


SUMMARY_COLUMNS = ("name", "kind", "items", "done", "failed", "win_rate", "ci_low", "ci_high", "wins", "losses",
                   "ties", "style_rating", "style_low", "style_high", "cost_usd", "cost_per_item", "cost_per_win",
                   "paid_usd", "saved_usd", "cached_items", "p50_s", "p95_s", "queue_p50_s", "recommended")


def summary_csv(summary: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SUMMARY_COLUMNS)
    for s in summary["systems"]:
        writer.writerow([safe_cell(s.get(c)) for c in SUMMARY_COLUMNS])
    return out.getvalue()


def answers_csv(store, batch_id: str) -> str:
    """One row per answer: eval item, query, system, status, cost, wall, the answer text."""
    items = {}
    batch = store.get_batch(batch_id)
    if batch and batch.eval_set_id:
        items = {i.id: i for i in store.eval_set_items(batch.eval_set_id)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("eval_item_id", "query", "reference", "system", "status", "run_id", "cost_usd", "wall_s",
                     "error", "answer"))
    for r in store.batch_runs(batch_id):
        item = items.get(r["eval_item_id"])
        writer.writerow([safe_cell(v) for v in (r["eval_item_id"], item.query if item else "",
                         (item.reference or "") if item else "", r["system"], r["status"], r["run_id"],
                         r["cost_usd"], r["wall_s"], r["error"] or "", r["final"] or "")])
    return out.getvalue()


def summary_json(store, batch_id: str) -> str:
    return json.dumps({"progress": progress(store, batch_id), **batch_summary(store, [batch_id])},
                      ensure_ascii=False, indent=2, default=str)
