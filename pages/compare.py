"""Compare page: two answers to one query as A and B, names hidden until you vote (keys 1-4).

Pairs come from stored runs (synthesis vs baseline, best proposal or fallback; two runs of the
same query), or from the demo: a MoA lineup and a single model run now, judged blind when done.
"""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.engine import RunInputError, preflight
from moa_core.lineup import LineupError
from moa_core.service import effective_lineup
from moa_core.worker import WORKER
from ui import compare_sources as src
from ui import resources, reviewer
from ui.blind_pair import render_blind_pair
from ui.live import REFRESH_S

st.title("Compare blind")
name = reviewer.ask(st.container(), key="reviewer_compare")
if not name:
    st.info("Type your name above (then Enter) to start: each vote is stored with it, and you vote on a pair once.")
    st.stop()


@st.fragment(run_every=REFRESH_S)
def demo_live() -> None:
    """The demo's progress, redrawn until both answers are in (then the whole page shows the pair)."""
    live = src.demo_job()
    if live is None or not live.running:
        st.rerun()
    st.progress(min(0.95, live.elapsed_s / 30), text=f"Running both… {src.demo_progress(live)}")


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
    lineups = [saved.name for saved in resources.store().catalog.list_lineups()]
    job = src.demo_job()
    running = job is not None and job.running
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
                lineup = effective_lineup(src.demo_lineup(lineup_name, single), resources.store())
                preflight(query, lineup, None)
            except (LineupError, RunInputError) as exc:
                st.error(f"The demo could not start: {exc}")
            else:
                job = WORKER.start_run(query, lineup, store=resources.store())
                st.session_state["demo-run"] = job.job_id
                st.rerun()

    if running:
        demo_live()
    elif job is not None:
        pair = src.demo_pair(job.job_id)
        if job.state == "failed" and job.error:
            st.error(f"The demo could not start: {job.error}")
        elif pair is None:
            st.warning("One of the two answers is missing (a call failed), so there is nothing to compare; "
                       "the run is in History.")
        else:
            render_blind_pair(pair, name, key="cmp-demo")


# Only the open tab is drawn: both tabs hold a blind pair, and the hidden pair's buttons kept their 1-4
# shortcuts (a key once stored a vote on a pair nobody was shown; the same keys also clashed).
stored, demo = st.tabs(["From stored runs", "Demo: MoA against one model"], key="compare-source", on_change="rerun")
if stored.open:
    with stored:
        stored_tab(name)
if demo.open:
    with demo:
        demo_tab(name)
