"""The Batches tab: every batch, one batch's progress (bar, ETA, running cost, cancel, resume) read
from the database, its summary per system, the cost-against-win-rate chart of the set, exports."""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from moa_core.batch.report import (answers_csv, batch_summary, cost_text, progress, set_summary, summary_csv,
                                   summary_json)
from moa_core.providers.prices import format_cost, price_note
from ui.batch_jobs import cancel_batch, live_job, start_batch
from ui.live import queued_notice
from ui.safe_text import plain

RESUMABLE = ("interrupted", "cancelled", "budget reached", "failed", "cancelling")
LIVE = ("running", "cancelling")
REFRESH_S = 2.0
PICK = "batch_pick"
STARTED = "batch_started"  # set by the New batch tab: the batch to open on the next run
TAB = "batches_tab"


def open_next(batch_id: str) -> None:
    """Call before `st.rerun()` once a batch is started: the page then opens the Batches tab on it."""
    st.session_state[STARTED] = batch_id
    st.session_state[f"{TAB}-next"] = "Batches"


def batches(store) -> None:
    rows = store.batches.list_batches(limit=200)
    if not rows:
        st.info("No batches yet: start one in the **New batch** tab, or `moa batch SET_FILE --lineup FILE.toml`.",
                icon=":material/info:")
        _cache_controls(store)
        return
    sets = {s.id: s.name for s in store.catalog.list_eval_sets()}
    table = []
    for b in rows:
        counts = store.batches.batch_counts(b.id)
        table.append({"batch": b.id, "eval set": sets.get(b.eval_set_id, "(deleted)"), "status": b.status,
                      "done": f"{counts['done']}/{sum(counts.values())}", "failed": counts["failed"],
                      "cost": cost_text(b.cost_usd, b.unknown_cost_items), "started": b.created_at})
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    ids = [b.id for b in rows]
    started = st.session_state.pop(STARTED, None)
    if started in ids:  # the picker keeps its own value: without this it showed the batch open before
        st.session_state[PICK] = started
    elif st.session_state.get(PICK) not in ids:  # first visit (newest first), or the open batch is gone
        st.session_state[PICK] = ids[0]
    batch_id = st.selectbox("Open batch", ids, key=PICK)
    st.session_state["batch_open"] = batch_id
    if store.batches.get_batch(batch_id).status in LIVE or live_job(store, batch_id) is not None:
        _live(store, batch_id)
    else:
        _progress(store, batch_id, None)
    _summary(store, batch_id)
    _cache_controls(store)


@st.fragment(run_every=REFRESH_S)
def _live(store, batch_id: str) -> None:
    """Redrawn from the database while a worker runs the batch or its job waits for one."""
    job = live_job(store, batch_id)
    if store.batches.get_batch(batch_id).status not in LIVE and job is None:
        st.rerun()
    _progress(store, batch_id, job)


def _progress(store, batch_id: str, job) -> None:
    """`job`: the batch's queued or running job, None when no worker of the queue has it."""
    if job is not None and job.status == "queued":
        queued_notice(job)
    p = progress(store, batch_id)
    finished = p["done"] + p["failed"]
    eta = f" · ETA {p['eta_s']:.0f} s" if p["eta_s"] is not None else ""
    budget = f" of {format_cost(p['budget_usd'])} budget" if p.get("budget_usd") else ""
    judge = f" ({p['judge_failed']} by the judge)" if p["judge_failed"] else ""
    st.progress(p["fraction"], text=f"{p['status']}: {finished}/{p['items']} work items · {p['failed']} failed{judge}"
                f" · {cost_text(p['known_cost_usd'], p['unknown_cost_items'])}{budget} · {p['elapsed_s']:.0f} s{eta}")
    if p["error"]:
        st.error(plain(p["error"]))
    if p["judge_failed"]:
        _judge_failures(p)
    running = p["status"] in LIVE
    left, right, _ = st.columns([1, 1, 4])
    if (running or job is not None) and left.button(
            "Cancel", icon=":material/stop_circle:", key=f"cancel-{batch_id}",
            help="Stop the batch: the calls in flight are cancelled, finished items kept, the rest resumable"):
        cancel_batch(store, batch_id)
        st.rerun()
    retry = p["status"] in RESUMABLE or (p["status"] == "done" and p["judge_failed"])  # the judge may answer now
    if job is None and (retry or (running and p["running"] == 0)) and p["pending"] + p["failed"]:
        if right.button("Resume", icon=":material/play_arrow:", key=f"resume-{batch_id}",
                        help="Finish the remaining items; nothing that finished is asked again"):
            start_batch(store, batch_id, resume=True)
            st.rerun()


def _judge_failures(p: dict) -> None:
    """Why the judge gave no verdict, on the page (it was only in the database: W/L/T read 0/0/0)."""
    reasons = "\n".join(f"- {r['count']} × {plain(r['example'])}" for r in p["judge_reasons"][:5])
    st.warning(f"The judge gave no verdict on **{p['judge_failed']} of {p['judge_items']}** pairs; those pairs "
               f"are not in the win rates.\n\n{reasons}", icon=":material/gavel:")


def _summary(store, batch_id: str) -> None:
    summary = batch_summary(store, [batch_id])
    systems = summary["systems"]
    if not any(s["items"] for s in systems):
        return
    st.subheader("Per system")
    st.dataframe(_table(systems), hide_index=True, width="stretch")
    st.caption(COLUMNS_NOTE)
    priced = list(dict.fromkeys(m for s in systems for m in (s.get("priced_now") or "").split(", ") if m))
    if priced:
        st.caption(f"Costs at current prices (unknown when the batch ran): "
                   f"{plain(price_note(priced, store.catalog.price_book().price))}.")
    judge = summary["judge"]
    if judge["judged"]:
        st.caption(f"Judge: {judge['judged']} pairs judged in both orders; the verdict flipped with the order on "
                   f"{judge['flipped']} ({judge['flip_rate']:.0%}), counted as ties. Win rates count decisive "
                   "verdicts; the style-controlled rating holds answer length and markdown equal.")
        _judge_queue(store, batch_id, judge["judged"])
    batch = store.batches.get_batch(batch_id)
    if batch.eval_set_id is not None:
        overall = set_summary(store, batch.eval_set_id)
        fig = cost_win_figure(overall["systems"], overall["recommended"])
        if fig is not None:
            st.plotly_chart(fig, width="stretch", key=f"costwin-{batch_id}")
            if overall["recommended"]:
                st.success(f"Recommended for this set: **{plain(overall['recommended'])}**, the cheapest system "
                           "whose win rate is within the interval of the best one.")
            elif overall.get("recommend_note"):
                st.info(plain(overall["recommend_note"][0].upper() + overall["recommend_note"][1:]) + ".",
                        icon=":material/info:")
    left, mid, right, _ = st.columns([1, 1, 1, 3])
    left.download_button("Summary CSV", data=lambda: summary_csv(batch_summary(store, [batch_id])),
                         file_name=f"batch-{batch_id}-summary.csv", mime="text/csv", on_click="ignore")
    mid.download_button("Answers CSV", data=lambda: answers_csv(store, batch_id),
                        file_name=f"batch-{batch_id}-answers.csv", mime="text/csv", on_click="ignore")
    right.download_button("JSON", data=lambda: summary_json(store, batch_id),
                          file_name=f"batch-{batch_id}.json", mime="application/json", on_click="ignore")


def _judge_queue(store, batch_id: str, judged: int) -> None:
    """People check the judge: its verdicts become a review queue, the flipped ones first."""
    from moa_core.batch.queue import seed_review_queue

    if st.button(f"Check the judge: queue its {judged} verdicts for human review", key=f"judge-queue-{batch_id}",
                 icon=":material/rate_review:", help="The pairs whose two orders disagreed come first; votes from "
                 "the queue meet the judge's on the Results page (judge-human agreement)"):
        try:
            queue_id = seed_review_queue(store, batch_id)
            st.success(f"Review queue {queue_id} made: open it on the **Review** page.")
        except ValueError as exc:
            st.info(f"{exc}. Open it on the **Review** page.", icon=":material/info:")


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _style_cell(s: dict) -> str:
    """The style-controlled rating; never a zero-width interval: none, or why the fit cannot give one."""
    if s["style_rating"] is None:
        return s.get("style_note") or "—"
    if s["style_low"] is None:
        return f"{s['style_rating']:.0f} (no interval)"
    return f"{s['style_rating']:.0f} ({s['style_low']:.0f}–{s['style_high']:.0f})"


def _table(systems: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "system": ("★ " if s["recommended"] else "") + s["name"],
        "win rate": _pct(s["win_rate"]),
        "95% interval": "—" if s["ci_low"] is None else f"{_pct(s['ci_low'])}–{_pct(s['ci_high'])}",
        "W/L/T": f"{s['wins']}/{s['losses']}/{s['ties']}",
        "verdict": s.get("note") or "enough votes to call",
        "style-controlled": _style_cell(s),
        "cost/item": _money(s, "cost_per_item"), "cost/win": _money(s, "cost_per_win"),
        "paid by this batch": _money(s, "paid_usd"), "saved by the cache": _money(s, "saved_usd"),
        "cached answers": s.get("cached_items", 0),
        "p50 (the calls)": _seconds(s["p50_s"]), "p95 (the calls)": _seconds(s["p95_s"]),
        "queue wait p50": _seconds(s.get("queue_p50_s")),
        "done": s["done"], "failed": s["failed"],
    } for s in systems])


def _seconds(value) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _money(s: dict, key: str) -> str:
    """A cost cell; "(at current prices)" when unknown costs were priced after the batch ran."""
    text = format_cost(s.get(key))
    return f"{text} (at current prices)" if s.get("priced_now") and s.get(key) is not None else text


COLUMNS_NOTE = ("Cost/item is what the system costs per answer (a cached answer at what it cost when bought); "
                "paid is what this batch spent, saved what the cache saved. p50/p95 are the calls' own time "
                "over the answers that asked the models (cached answers left out); the queue wait (for a "
                "concurrency slot or a rate limit) is apart.")


def cost_win_figure(systems: list[dict], recommended: str | None) -> go.Figure | None:
    """Cost per item against win rate, every system the set has seen; the recommendation ringed."""
    points = [s for s in systems if s["win_rate"] is not None and s["cost_per_item"] is not None]
    if not points:
        return None
    fig = go.Figure()
    fig.add_scatter(
        x=[s["cost_per_item"] for s in points], y=[100 * s["win_rate"] for s in points], mode="markers+text",
        text=[html.escape(s["name"][:40]) for s in points], textposition="top center", name="systems",
        error_y=dict(type="data", symmetric=False, array=[100 * (s["ci_high"] - s["win_rate"]) for s in points],
                     arrayminus=[100 * (s["win_rate"] - s["ci_low"]) for s in points]),
        hovertext=[f"{html.escape(s['name'])}<br>{format_cost(s['cost_per_item'])} per item · win rate "
                   f"{_pct(s['win_rate'])} ({_pct(s['ci_low'])}–{_pct(s['ci_high'])})" for s in points],
        hoverinfo="text", marker=dict(size=11))
    best = [s for s in points if s["name"] == recommended]
    if best:
        fig.add_scatter(x=[best[0]["cost_per_item"]], y=[100 * best[0]["win_rate"]], mode="markers",
                        name="recommended", marker=dict(size=22, symbol="circle-open", line=dict(width=3)))
    fig.update_layout(title="Cost against win rate (every system this set has seen)",
                      xaxis_title="cost per item (USD)", yaxis_title="win rate (%)", yaxis_range=[0, 105],
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def _cache_controls(store) -> None:
    with st.expander("Response cache"):
        stats = store.cache.stats()
        st.caption(f"{stats['entries']} cached answers, {stats['hits']} hits, saved {format_cost(stats['saved_usd'])}. "
                   "Errors are never cached; a batch can bypass the cache (uncheck *Use cached answers*).")
        if st.button("Clear the cache", key="cache_clear"):
            st.toast(f"Cleared {store.cache.clear()} cached answers")
            st.rerun()
