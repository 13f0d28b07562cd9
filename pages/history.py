"""History: every stored run, filterable; open one to see it exactly as it ran; delete; export."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.counts import count
from moa_core.records import RUN_STATUSES
from moa_core.storage.db import default_url
from ui import resources
from ui.exports import export_buttons
from ui.history_table import COLUMNS, UNKNOWN, history_table
from ui.run_view import render_run

LIMIT = 500


@st.cache_data(show_spinner=False, max_entries=16)
def _listing(url: str, version: tuple, status: str | None, model: str | None, search: str | None,
             batch_id: str | None = None) -> list:
    """The newest runs matching the filters, read once per data version (a new run, call or rating reads
    again at once): looking again, or sorting, costs no query over 10,000 runs."""
    return resources.store().list_runs(limit=LIMIT, status=status, model=model, search=search, batch_id=batch_id)


ALL_RUNS, INTERACTIVE = "all runs", "interactive only"


def _batch_choices(store) -> dict[str, str | None]:
    """Label -> batch filter: every run, runs of no batch (""), or one batch's runs (newest batches first)."""
    sets = {s.id: s.name for s in store.catalog.list_eval_sets()}
    choices: dict[str, str | None] = {ALL_RUNS: None, INTERACTIVE: ""}
    for b in store.batches.list_batches(limit=50):
        choices[f"batch {b.id} · {sets.get(b.eval_set_id, 'deleted set')} · {b.status}"] = b.id
    return choices


@st.cache_data(show_spinner=False, max_entries=4)
def _models_used(url: str, version: tuple) -> list[str]:
    return resources.store().analytics.models_used()


store = resources.store()
version = store.analytics.data_version()
st.title("History")

left, middle, right, batch_col, last = st.columns([2, 1, 2, 2, 1])
search = left.text_input("Search queries", placeholder="words in the query")
status = middle.selectbox("Status", ["any", *RUN_STATUSES])
model = right.selectbox("Model used", ["any", *_models_used(default_url(), version)])
batches = _batch_choices(store)
batch = batch_col.selectbox("Runs", list(batches), key="history_batch",
                            help="Batch runs can outnumber the rest: show only runs made here, or one batch's")
to_rate = last.toggle("To rate", help="Only runs with answers nobody has rated yet")
filters = (search.strip(), status, model, batch, to_rate)
runs = _listing(default_url(), version, None if status == "any" else status, None if model == "any" else model,
                search.strip() or None, batches[batch])
if to_rate:
    runs = [r for r in runs if r.unrated_answers]

if not runs:
    if filters == ("", "any", "any", ALL_RUNS, False):
        st.info("No runs yet. Run a lineup on the **Run** page (or `moa run` on the command line); "
                "every run is stored here with its calls.")
    else:
        st.info("No run matches these filters. Clear a filter to see more runs.")
    st.stop()

table, priced_note = history_table(runs, store.catalog.price_book().price)
st.caption(f"{count(len(runs), 'run')}, newest first; click a column to sort, a row to open the run.")
if priced_note:
    st.caption(priced_note)
# The table's key follows the filters: a selection never outlives the rows it pointed at.
picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                      key=f"history_table_{abs(hash(filters))}", placeholder=UNKNOWN,  # not the word "None"
                      column_config=COLUMNS)
export_buttons(store)

rows = [i for i in (picked.selection.rows if picked else []) if 0 <= i < len(table)]
run_id = table.iloc[rows[0]]["run_id"] if rows else st.query_params.get("run")
if run_id:
    record = store.get_run(run_id)
    if record is None:
        st.warning(f"Run {run_id} no longer exists.")
        st.stop()
    st.divider()
    st.subheader(f"Run {record.run_id} · {record.started_at:%Y-%m-%d %H:%M} UTC")
    render_run(record, key=f"history-{record.run_id}")
    with st.expander("Delete this run"):
        st.write("Deletes the run with its calls and ratings. This cannot be undone.")
        if st.button("Delete run", type="secondary", key=f"delete-{record.run_id}"):
            store.delete_run(record.run_id)
            st.query_params.pop("run", None)  # the reviewer's name stays in the URL
            st.toast(f"Deleted run {record.run_id}")
            st.rerun()
