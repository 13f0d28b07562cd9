"""Batches: eval sets, batch runs of a lineup against comparison systems, judging and the verdict."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from ui import resources
from ui.batch_results import TAB, batches
from ui.batch_view import eval_sets, new_batch

store = resources.store()
st.title("Batches")
st.caption("Measure the quality gap on representative examples before committing to MoA: run the lineup and "
           "a cheaper system over an eval set, judge them pairwise, and compare win rate with cost.")
if st.session_state.get(f"{TAB}-next"):  # a batch was just started: show it (set before the tabs are drawn)
    st.session_state[TAB] = st.session_state.pop(f"{TAB}-next")
sets_tab, new_tab, batches_tab = st.tabs(["Eval sets", "New batch", "Batches"], key=TAB, on_change="rerun")
with sets_tab:
    eval_sets(store)
with new_tab:
    new_batch(store)
with batches_tab:
    batches(store)
