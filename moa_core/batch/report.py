"""Loading a batch's figures from the store, its progress (ETA, running cost), and exports.

CSV cells that a spreadsheet would run as a formula (= + - @, tab, CR at the start) get a
leading single quote: answers are model output and may be crafted.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..csv_safe import safe_cell
from ..costs import saved_total
from ..providers.prices import at_current_prices, format_cost
from ..records import utcnow
from ..storage.rows import as_utc
from ..storage.batches import JUDGE_PREFIX, BatchAnswer
from .summary import judge_failures, summarize
from .systems import canonical_names


def progress(store, batch_id: str) -> dict[str, Any]:
    """Counts, fraction done, running cost, elapsed and ETA of the current session (from the database).

    `cost_usd` is None as soon as one finished item had no known price; `known_cost_usd` and
    `unknown_cost_items` say what is known and how much is not (`cost_text` puts them in words)."""
    batch = store.batches.get_batch(batch_id)
    if batch is None:
        raise ValueError(f"no batch {batch_id}")
    counts = store.batches.batch_counts(batch_id)
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
            "fraction": finished / total if total else 1.0, **batch_cost(batch),
            "elapsed_s": max(0.0, elapsed), "eta_s": eta, "error": batch.error,
            "budget_usd": config.get("budget_usd"), **judge_progress(store, batch_id)}


def batch_cost(batch) -> dict[str, Any]:
    """A batch row's cost as every reader shows it: the total only while every finished item's is known."""
    known, unknown = float(batch.cost_usd or 0.0), int(getattr(batch, "unknown_cost_items", 0) or 0)
    return {"cost_usd": None if unknown else known, "known_cost_usd": known, "unknown_cost_items": unknown}


def cost_text(known_usd: float | None, unknown_items: int) -> str:
    """"$0.42", "$0.42 + 3 answers of unknown price", or "unknown (3 answers without a price)": a batch
    whose models have no price never reads "$0"."""
    unknown = f"{unknown_items} answer{'' if unknown_items == 1 else 's'}"
    if unknown_items and not known_usd:
        return f"unknown ({unknown} without a price)"
    text = format_cost(known_usd or 0.0)
    return f"{text} + {unknown} of unknown price" if unknown_items else text


def judge_progress(store, batch_id: str) -> dict[str, Any]:
    """The judge's share of the work: its items, how many failed and why (shown beside "N failed")."""
    failures = judge_failures(store.batches.judge_items(batch_id))
    return {"judge_items": failures["items"], "judge_failed": failures["failed"],
            "judge_reasons": failures["reasons"]}


def _parse(value: str | None) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None


def batch_summary(store, batch_ids: list[str], style_bootstrap: int = 100) -> dict:
    """The summary over one batch, or over every batch of a set (systems merged by `identity` id and
    named as the leaderboard names them, old batches' names included)."""
    batches = [b for b in (store.batches.get_batch(i) for i in batch_ids) if b is not None]
    vote_rows, names = _system_names(store, batches)
    systems, answers, seen = [], [], set()
    for batch in batches:
        for s in batch.config.get("systems", []):
            system_id, name = names[(batch.id, s["name"])]
            if system_id not in seen:
                seen.add(system_id)
                systems.append({"name": name, "kind": s["kind"]})
        answers += [replace(r, system=names.get((batch.id, r.system), (None, r.system))[1])
                    for r in priced_now(store, store.batches.batch_runs(batch.id))]
    finals = {a.run_id: a.final or "" for a in answers if a.run_id}
    votes = [{"prompt_id": v.prompt_id, "system_a": v.system_a, "system_b": v.system_b, "winner": v.winner,
              "reviewer": v.reviewer, "rater_kind": v.rater_kind,
              "judge_order1": v.judge_order1, "judge_order2": v.judge_order2,
              "a_text": finals.get(v.run_a_id, ""), "b_text": finals.get(v.run_b_id, "")} for v in vote_rows]
    summary = summarize(systems, answers, votes, style_bootstrap=style_bootstrap)
    failures = judge_failures([r | {"pair": tuple(names.get((b.id, n), (None, n))[1] for n in (
        b.config.get("primary"), r["system"].removeprefix(JUDGE_PREFIX)))} for b in batches
        for r in store.batches.judge_items(b.id)])
    for s in summary["systems"]:  # a system whose pairs the judge could not judge says why, beside W/L/T
        failed = failures["by_system"].get(s["name"])
        s["judge_failed"], s["judge_error"] = (failed["failed"], failed["error"]) if failed else (0, None)
    summary["judge_failures"] = {k: v for k, v in failures.items() if k != "by_system"}
    return summary


def priced_now(store, rows: list[BatchAnswer]) -> list[BatchAnswer]:
    """`batch_runs` answers whose cost (or a cache hit's saving) was unknown, costed at today's prices where
    there is one now (`providers.prices.at_current_prices`, the one rule): `priced_now` names those models.
    Only such answers read their run again; the stored cost stays None."""
    book, out = None, []
    for row in rows:
        run = None
        if row.run_id is not None and row.status == "done" and (row.cost_usd is None or row.saved_usd is None):
            run = store.get_run(row.run_id)
        if run is not None:
            book = book or store.catalog.price_book()
            (run,), priced = at_current_prices([run], book.price)
            if priced:
                row = replace(row, cost_usd=run.cost_usd, saved_usd=saved_total(run.calls),
                              priced_now=tuple(priced[run.run_id]))
        out.append(row)
    return out


def _system_names(store, batches) -> tuple[list, dict[tuple[str, str], tuple[str, str]]]:
    """The batches' votes, and (batch id, stored system name) -> (system id, the name its votes carry)."""
    vote_rows = store.votes.list_votes(batch_ids=[b.id for b in batches], with_texts=False)
    known = {i: n for v in vote_rows for i, n in ((v.system_a_id, v.system_a), (v.system_b_id, v.system_b))}
    return vote_rows, canonical_names([((b.id, s["name"]), s) for b in batches
                                       for s in b.config.get("systems", [])], known)


def set_summary(store, eval_set_id: int) -> dict:
    """Every system the set has seen, across all its batches (the cost against win-rate chart)."""
    return batch_summary(store, [b.id for b in store.batches.list_batches(limit=1000, eval_set_id=eval_set_id)])


SUMMARY_COLUMNS = ("name", "kind", "items", "done", "failed", "win_rate", "ci_low", "ci_high", "wins", "losses",
                   "ties", "style_rating", "style_low", "style_high", "cost_usd", "cost_per_item", "cost_per_win",
                   "paid_usd", "saved_usd", "cached_items", "p50_s", "p95_s", "queue_p50_s", "recommended",
                   "judge_failed", "judge_error", "priced_now")


def summary_csv(summary: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SUMMARY_COLUMNS)
    for s in summary["systems"]:
        writer.writerow([safe_cell(s.get(c)) for c in SUMMARY_COLUMNS])
    return out.getvalue()


def answers_csv(store, batch_id: str) -> str:
    """One row per answer: eval item, query, system, status, cost, wall, the answer text; then one per judge
    item ("judge:" + the compared system), its error saying why a pair got no verdict."""
    items = {}
    batch = store.batches.get_batch(batch_id)
    if batch and batch.eval_set_id:
        items = {i.id: i for i in store.catalog.eval_set_items(batch.eval_set_id)}
    names = _system_names(store, [batch])[1] if batch else {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("eval_item_id", "query", "reference", "system", "status", "run_id", "cost_usd", "wall_s",
                     "error", "answer"))
    for r in store.batches.batch_runs(batch_id):
        item = items.get(r.eval_item_id)
        writer.writerow([safe_cell(v) for v in (r.eval_item_id, item.query if item else "",
                         (item.reference or "") if item else "",
                         names.get((batch_id, r.system), (None, r.system))[1], r.status, r.run_id,
                         r.cost_usd, r.wall_s, r.error or "", r.final or "")])
    for r in store.batches.judge_items(batch_id):  # the judge's items too: a pair it could not judge says why
        item = items.get(r["eval_item_id"])
        compared = r["system"].removeprefix(JUDGE_PREFIX)
        writer.writerow([safe_cell(v) for v in (r["eval_item_id"], item.query if item else "",
                         (item.reference or "") if item else "",
                         JUDGE_PREFIX + names.get((batch_id, compared), (None, compared))[1], r["status"], "",
                         "", "", r["error"] or "", "")])
    return out.getvalue()


def summary_json(store, batch_id: str) -> str:
    return json.dumps({"progress": progress(store, batch_id), **batch_summary(store, [batch_id])},
                      ensure_ascii=False, indent=2, default=str)
