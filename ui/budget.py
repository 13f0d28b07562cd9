"""Token budget of a query + documents against each chosen model's context window, shown before running."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import streamlit as st

from moa_core.providers import endpoints
from moa_core.engine import Document
from moa_core.engine.preflight import as_documents, document_tokens, seat_budgets
from moa_core.lineup import Lineup
from moa_core.providers.llm import count_tokens
from moa_core.prompts import messages_for, user_content

FIT_CHOICES = {"Refuse when too long, with the numbers": "refuse",
               "Fit to the budget: keep the passages most relevant to the query": "fit"}


def budget_rows(query: str, lineup: Lineup, documents: Document | Sequence[Document]) -> list[dict]:
    """One row per model: the prompt against its window, and the room left for documents once the
    answer and the proposals it reads (aggregator, later rounds) are kept free."""
    docs = as_documents(documents)
    user = user_content(query or "", documents=[(d.name, d.text) for d in docs])
    room = {s.spec.model: s for s in seat_budgets(query or "", lineup)}
    rows, seen = [], set()
    for role, spec in lineup.all_specs():
        if spec.model in seen:
            continue
        seen.add(spec.model)
        tokens = count_tokens(endpoints.litellm_model_for(spec), messages_for(user, system_prompt=spec.system_prompt))
        window = endpoints.context_window(spec)
        seat = room.get(spec.model)
        doc_tokens = document_tokens(query or "", spec, docs)
        if window is None:
            fits = "unknown"
        elif tokens > window:
            fits = "NO: too long"
        elif seat is not None and doc_tokens > seat.for_documents:
            fits = "no room left for the answers"
        else:
            fits = "yes"
        rows.append({"model": spec.model, "prompt tokens": tokens, "context window": window or "unknown",
                     "document tokens": doc_tokens,
                     "room for documents": seat.for_documents if seat is not None else "unknown", "fits": fits})
    return rows


def budget_table(query: str, lineup: Lineup, documents: Document | Sequence[Document]) -> bool:
    """Show the table; True when the documents are too long for some model (the page then offers to fit)."""
    rows = budget_rows(query, lineup, documents)
    st.caption("Token budget: the query and documents against each model's context window; room for documents "
               "keeps the answer and the proposals it reads free (unknown = the model's window is not in "
               "litellm's table; the provider will refuse an overflow)")
    st.dataframe(pd.DataFrame(rows).astype(str), hide_index=True, width="stretch")
    unknown = [r["model"] for r in rows if r["fits"] == "unknown"]
    if unknown:
        st.info(f"The context window of {', '.join(unknown)} is unknown, so the documents cannot be checked or "
                "fitted for it: set its window in the seats table (Context window column), the lineup's TOML "
                "(context_window = 32768) or the CLI (--context-window).", icon=":material/info:")
    too_long = [r["model"] for r in rows if r["fits"].startswith("NO")]
    tight = [r["model"] for r in rows if r["fits"].startswith("no room")]
    if too_long:
        st.error(f"The documents are too long for {', '.join(too_long)}: choose below whether to refuse the run "
                 "or fit the documents to the budget.")
    elif tight:
        st.warning(f"The documents leave {', '.join(tight)} no room for the answers: a later round or the "
                   "synthesis may not fit. Choose below whether to run as is or fit the documents.")
    return bool(too_long or tight)
