"""Compare page: two answers to one query as A and B, names hidden until you vote (keys 1-4).

Pairs come from stored runs (synthesis vs baseline, best proposal or fallback; two runs of the
same query), or from the demo: a MoA lineup and a single model run now, judged blind when done. The demo is
a queued run like the Run page's (a `moa worker` process runs it, `?demo=ID` keeps it across a reload); this
page only submits it and reads it from the store.
"""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.engine import RunInputError, preflight
from moa_core.jobs.runs import query_of, submit_run
from moa_core.lineup import LineupError
from moa_core.service import effective_lineup
from ui import compare_sources as src
from ui import resources, reviewer
from ui.blind_pair import render_blind_pair
from ui.live import REFRESH_S, queued_notice, seconds_since, stop_button
from ui.safe_text import plain

DEMO_TAB = "Demo: MoA against one model"

st.title("Compare blind")
name = reviewer.ask(st.container(), key="reviewer_compare")
if not name:
    st.info("Type your name above (then Enter) to start: each vote is stored with it, and you vote on a pair once.")
    st.stop()


@st.fragment(run_every=REFRESH_S)
def demo_live(run_id: str) -> None:
    """The demo's progress from the store, redrawn until the run ends (then the whole page shows the pair).
    Blind: which calls are done, never their text."""
    store = resources.store()
    job = store.jobs.job_for_run(run_id)
    if job is None or not job.active:
        st.rerun()
    stop_button(store, job, key="demo-stop")
    if job.status == "queued":
        queued_notice(job)  # no worker: said after a few seconds; the app never runs it itself
        return
    record = store.get_run(run_id, documents=False)
    st.progress(min(0.95, seconds_since(job.started_at) / 30), text=f"Running both… {src.demo_progress(record)}")


def stored_tab(name: str) -> None:
    """The next stored pair this reviewer has not voted on or skipped."""
    kinds = src.kind_picker()
    pair = src.next_pair(name, kinds)
    if pair is None:
        st.info("No pair left for you: run more queries (with a baseline), or open the Review page's queues.")
    else:
        revealed = render_blind_pair(pair, name, key="cmp-stored")
        if revealed:
            st.button("Next pair", key="next-pair", shortcut="N", type="primary", on_click=src.move_on)
        else:
            st.button("Skip this pair", key="skip-pair", shortcut="S", on_click=src.move_on, args=(True,))


def demo_tab(name: str) -> None:
    """A MoA lineup and one model run now on the same query, judged blind when both are done."""
    store = resources.store()
    lineups = [saved.name for saved in store.catalog.list_lineups()]
    run_id = src.demo_run_id()
    job = store.jobs.job_for_run(run_id) if run_id else None
    running = job is not None and job.active
    if running and not st.session_state.get("demo-query"):
        st.session_state["demo-query"] = query_of(job.payload)  # a reload, or a link: the query asked
    query = st.text_area("Query", key="demo-query", height=90, disabled=running,
                         placeholder="Ask something; MoA and the single model answer it side by side")
    left, right = st.columns(2)
    lineup_name = left.selectbox("MoA lineup", lineups, key="demo-lineup", disabled=running,
                                 help="Saved lineups (Settings)") if lineups else None
    single = right.selectbox("Single model", resources.model_options(), key="demo-model", disabled=running)
    if not lineups:
        st.info("Save a lineup in Settings first: the demo runs it against one model.")
    if st.button("Run both", key="demo-run-button", type="primary", disabled=running or not lineups or not single):
        if not query.strip():
            st.error("Type a query first.")
        else:
            try:
                lineup = effective_lineup(src.demo_lineup(lineup_name, single), store)
                preflight(query, lineup, None)
            except (LineupError, RunInputError) as exc:
                st.error(f"The demo could not start: {exc}")
            else:
                src.remember_demo(submit_run(store, query, lineup))
                st.rerun()

    if running:
        demo_live(run_id)
    elif run_id:
        demo_result(run_id, job, name)


def demo_result(run_id: str, job, name: str) -> None:
    """A finished demo: its blind pair, or why there is none."""
    record = resources.store().get_run(run_id, documents=False)
    if job is not None and job.status == "failed" and job.error:
        st.error(f"The demo could not start: {plain(job.error)}" if record is None
                 else f"The demo failed: {plain(job.error)}")
    elif job is not None and job.status == "cancelled":
        st.warning("Demo stopped: nothing to compare." if record is None else
                   "Demo stopped: nothing to compare; what finished is in History.")
    elif job is None and record is None:
        st.warning(f"No demo run {plain(run_id)} in this database.")
    elif (pair := src.demo_pair(run_id)) is None:
        st.warning("One of the two answers is missing (a call failed), so there is nothing to compare; "
                   "the run is in History.")
    else:
        render_blind_pair(pair, name, key="cmp-demo")


# Only the open tab is drawn: both tabs hold a blind pair, and the hidden pair's buttons kept their 1-4
# shortcuts (a key once stored a vote on a pair nobody was shown; the same keys also clashed).
stored, demo = st.tabs(["From stored runs", DEMO_TAB], key="compare-source", on_change="rerun",
                       default=DEMO_TAB if st.query_params.get(src.DEMO_PARAM) else None)  # a reloaded demo
if stored.open:
    with stored:
        stored_tab(name)
if demo.open:
    with demo:
        demo_tab(name)
