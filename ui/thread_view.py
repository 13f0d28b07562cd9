"""A conversation in the run view: earlier turns as a thread (each turn's proposals expandable),
a follow-up box, and the whole conversation as one export."""
from __future__ import annotations

import json

import streamlit as st

from moa_core.conversation import thread_of
from moa_core.engine import RunInputError, preflight
from moa_core.lineup import Lineup, LineupError
from moa_core.records import RunRecord
from moa_core.storage.export import run_dict
from moa_core.jobs.runs import submit_run

from . import resources
from .safe_text import model_markdown, plain


def render_thread(run: RunRecord, key: str) -> None:
    """The turns before this one, oldest first, when the run continues a conversation."""
    if not run.parent_run_id:
        return
    thread = thread_of(resources.store(), run.run_id)
    earlier = thread.runs[:-1]
    with st.expander(f"Conversation: {len(thread.runs)} turns (this is turn {len(thread.runs)})", expanded=True):
        for turn, past in enumerate(earlier, 1):
            st.markdown(f"**Turn {turn}** · {plain(past.query)}")
            st.markdown(model_markdown(past.final or "(no answer)"))
            with st.expander(f"Proposals of turn {turn}"):
                for call in past.calls_for("proposer"):
                    st.markdown(f"**{plain(call.display_name)}** (round {call.round})")
                    st.markdown(model_markdown(call.text or f"({call.status})"))
        store = resources.store()
        lines = [json.dumps(run_dict(r, store.ratings.ratings_for(r.run_id)), ensure_ascii=False) for r in thread.runs]
        st.download_button("Export this conversation (JSONL)", data="\n".join(lines) + "\n",
                           file_name=f"moa-conversation-{thread.thread_id}.jsonl", mime="application/json",
                           key=f"{key}-thread-export", on_click="ignore", icon=":material/download:")


def follow_up_box(run: RunRecord, key: str) -> None:
    """Ask a follow-up: a new run in the same conversation, with this run's lineup, queued for a worker
    (it rebuilds the conversation from the store); checked here first, so a refusal is said at once."""
    if not run.final or run.status == "running":
        return
    with st.form(f"{key}-follow-up", clear_on_submit=True, border=False):
        question = st.text_input("Follow-up question", placeholder="Ask a follow-up in this conversation")
        asked = st.form_submit_button("Ask the follow-up", icon=":material/forum:")
    if not asked:
        return
    if not question.strip():
        st.error("Type a follow-up question first.")
        return
    store = resources.store()
    try:
        lineup = Lineup.from_dict(run.lineup)
        thread = thread_of(store, run.run_id)
        preflight(question, lineup, None, thread.history())
    except (LineupError, ValueError, RunInputError) as exc:
        st.error(f"The follow-up could not start: {exc}")
        return
    new_run = submit_run(store, question, lineup, parent_run_id=run.run_id)
    st.session_state["active_run"] = new_run
    st.query_params["run"] = new_run
    st.rerun()
