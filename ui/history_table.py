"""History's run table: rows and column settings, with unknown costs priced at today's prices (issue 23)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from moa_core.providers.prices import format_cost, price_note, summaries_at_current_prices

UNKNOWN = "—"  # what a missing cost, rating or latency shows in the table
PRICED_NOW = "*"  # marks a cost that was unknown when the run was made and is priced at today's prices


def _turn(r) -> str:
    if r.turn is None:
        return ""
    return "question" if r.turn == 1 else f"follow-up {r.turn - 1}"


def _cost(r, priced: dict) -> str | None:
    """"$0.0123", "$0.0123*" when priced now, None (shown as the dash) when still unknown."""
    if r.cost_usd is None:
        return None
    return format_cost(r.cost_usd) + (PRICED_NOW if r.run_id in priced else "")


def history_table(runs, price_of) -> tuple[pd.DataFrame, str]:
    """The table of runs, and a note naming the prices used for costs marked `PRICED_NOW` ("" if none):
    a price saved after a run reaches it here, while the stored run keeps its unknown cost."""
    runs, priced = summaries_at_current_prices(runs, price_of)
    table = pd.DataFrame([{
        "date (UTC)": r.started_at.strftime("%Y-%m-%d %H:%M"), "status": r.status, "query": r.query[:80],
        "rating": float("nan") if r.avg_stars is None else r.avg_stars, "ratings": r.ratings,
        "cost": _cost(r, priced), "latency_s": r.wall_s, "to rate": r.unrated_answers,
        "conversation": _turn(r), "calls": r.calls, "failed": r.failed_calls, "models": ", ".join(r.models),
        "run_id": r.run_id,
    } for r in runs])
    models = list(dict.fromkeys(m for ms in priced.values() for m in ms))
    note = (f"{PRICED_NOW} cost unknown when the run was made, at current prices: {price_note(models, price_of)}."
            if models else "")
    return table, note


COLUMNS = {
    "query": st.column_config.TextColumn("query", width="medium"),
    "conversation": st.column_config.TextColumn(
        "conversation", help="Turn of a conversation: open a follow-up to see the whole thread"),
    "cost": st.column_config.TextColumn(
        "cost (USD)", help=f"{PRICED_NOW} = unknown when it ran, priced at today's prices; "
                           f"{UNKNOWN} = unknown: a model without a known price was used"),
    "latency_s": st.column_config.NumberColumn("latency (s)", format="%.2f",
                                               help=f"{UNKNOWN} = the run did not finish"),
    "rating": st.column_config.NumberColumn("★ answer", format="%.1f",
                                            help="Stars of the run's final answer (synthesis or fallback): "
                                                 "the mean over raters of each one's latest rating; "
                                                 f"{UNKNOWN} = not rated yet"),
    "ratings": st.column_config.NumberColumn("raters", help="People who rated the final answer"),
}
