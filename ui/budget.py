"""Token budget of a query + document against each chosen model's context window, shown before running."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from moa_core.providers import endpoints
from moa_core.engine import Document
from moa_core.lineup import Lineup
from moa_core.providers.llm import count_tokens
from moa_core.prompts import messages_for, user_content


def budget_rows(query: str, lineup: Lineup, document: Document) -> list[dict]:
    user = user_content(query or "", document.name, document.text)
    rows, seen = [], set()
    for role, spec in lineup.all_specs():
        if spec.model in seen:
            continue
        seen.add(spec.model)
        tokens = count_tokens(endpoints.litellm_model_for(spec), messages_for(user, system_prompt=spec.system_prompt))
        window = endpoints.context_window(spec)
        rows.append({"model": spec.model, "prompt tokens": tokens, "context window": window or "unknown",
                     "fits": "unknown" if window is None else ("yes" if tokens <= window else "NO: too long")})
    return rows


def budget_table(query: str, lineup: Lineup, document: Document) -> None:
    rows = budget_rows(query, lineup, document)
    st.caption("Token budget: the query and document against each model's context window "
               "(unknown = the model's window is not in litellm's table; the provider will refuse an overflow)")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    too_long = [r["model"] for r in rows if r["fits"].startswith("NO")]
    if too_long:
        st.error(f"The document is too long for {', '.join(too_long)}: the run will be refused. "
                 "Shorten it or pick models with larger context windows.")
