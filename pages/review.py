"""Review page: queues of blind pairs built from a filter over runs, several reviewers per item,
skip, and progress overall and per reviewer."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from ui import queue_view, resources, reviewer

st.title("Review queues")
name = reviewer.ask(st.container(), key="reviewer_review")
with st.expander("New queue", expanded=not resources.store().queues.list_queues()):
    queue_view.new_queue_form()
queues = resources.store().queues.list_queues()
if not queues:
    st.info("No queue yet: make one above from the stored runs.")
    st.stop()
ids = [q.id for q in queues]
chosen = st.session_state.get("review-queue")
names = {q.id: f"{q.name} · {q.reviewers_per_item} reviewer(s) per item · {q.order}" for q in queues}
qid = st.selectbox("Queue", ids, index=ids.index(chosen) if chosen in ids else 0, format_func=names.get)
st.session_state["review-queue"] = qid
if not name:
    st.info("Type your name above (then Enter) to review.")
    st.stop()
queue_view.progress(qid, name)
queue_view.work(qid, name)
