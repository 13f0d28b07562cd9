"""Review queues in the app: make one from a filter over runs, see its progress, work through it."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pandas as pd
import streamlit as st

from moa_core.counts import count
from moa_core.review.pairs import KIND_LABELS, KINDS
from moa_core.storage.queues import ORDERS

from . import resources
from .blind_pair import render_blind_pair
from .safe_text import plain


def new_queue_form() -> None:
    """The filter, reviewers per item and order; one clear line when nothing matches."""
    with st.form("new-queue", border=True):
        st.markdown("**New queue**")
        name = st.text_input("Name", placeholder="e.g. contracts, week 49")
        c1, c2, c3 = st.columns(3)
        lineup = c1.text_input("Lineup (name or signature)", placeholder="any")
        model = c2.text_input("Model used in the run", placeholder="any")
        text = c3.text_input("Query contains", placeholder="any")
        d1, d2, d3, d4 = st.columns(4)
        since = d1.date_input("From", value=None)
        until = d2.date_input("Until (inclusive)", value=None)
        per_item = d3.number_input("Reviewers per item", min_value=1, max_value=20, value=1, step=1)
        order = d4.selectbox("Order", ORDERS, format_func={"newest": "newest first",
                                                           "disagreement": "most disagreement first"}.get)
        kinds = st.multiselect("Pairs", list(KINDS), default=["baseline", "best_proposal", "runs"],
                               format_func=KIND_LABELS.get)
        if st.form_submit_button("Create queue", type="primary"):
            source = {"lineup": lineup.strip(), "model": model.strip(), "text": text.strip(), "kinds": kinds}
            if since:
                source["since"] = datetime.combine(since, time.min, timezone.utc).isoformat()
            if until:
                source["until"] = (datetime.combine(until, time.max, timezone.utc)).isoformat()
            try:
                with st.spinner("Building the queue…"):
                    qid = resources.store().queues.create_queue(name, source, reviewers_per_item=int(per_item),
                                                         order=order)
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.session_state["review-queue"] = qid
                st.success(f"Queue made with {count(len(resources.store().queues.queue_items(qid)), 'item')}.")


def progress(queue_id: int, reviewer: str) -> None:
    """"12 of 40 done", overall and for this reviewer, and a table of votes per reviewer."""
    p = resources.store().queues.queue_progress(queue_id)
    st.progress(p.done / p.total if p.total else 0.0, text=f"Overall: {p.summary()}")
    mine = p.per_reviewer.get(reviewer, 0)
    st.caption(f"You ({plain(reviewer)}): {mine} of {p.total} reviewed")
    if p.per_reviewer:
        with st.expander("Per reviewer"):
            st.dataframe(pd.DataFrame([{"reviewer": r, "items reviewed": n, "of": p.total}
                                       for r, n in p.per_reviewer.items()]), hide_index=True)


def _leave(queue_id: int, item_id: int, skip: bool) -> None:
    st.session_state.pop(f"queue-current-{queue_id}", None)
    if skip:
        st.session_state.setdefault(f"queue-skipped-{queue_id}", []).append(item_id)
    for k in [k for k in st.session_state if str(k).startswith(f"q{queue_id}-")]:
        del st.session_state[k]


def work(queue_id: int, reviewer: str) -> None:
    """The current item of this reviewer, blind until voted; then Next (N). Skip (S) moves on."""
    store = resources.store()
    current = st.session_state.get(f"queue-current-{queue_id}")
    item = next((i for i in store.queues.queue_items(queue_id) if i.id == current), None) if current else None
    if item is None:
        item = store.queues.next_item(queue_id, reviewer, skip=st.session_state.get(f"queue-skipped-{queue_id}", []))
    if item is None:
        st.success("Nothing left for you in this queue.")
        return
    st.session_state[f"queue-current-{queue_id}"] = item.id
    pair = store.queues.item_pair(item)
    if pair is None:
        st.warning("This item's run was deleted.")
        st.button("Skip", key="skip-item", on_click=_leave, args=(queue_id, item.id, True))
        return
    st.caption(f"Item {item.position + 1}")
    revealed = render_blind_pair(pair, reviewer, key=f"q{queue_id}-{item.id}", queue_id=queue_id)
    if revealed:
        st.button("Next item", key="next-item", shortcut="N", type="primary", on_click=_leave,
                  args=(queue_id, item.id, False))
    else:
        st.button("Skip this item", key="skip-item", shortcut="S", on_click=_leave, args=(queue_id, item.id, True))
