"""A finished run as it ran, read back from the database: banner, proposals, synthesis, ratings, calls."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from moa_core.counts import count
from moa_core.providers.prices import at_current_prices, format_cost, price_note
from moa_core.providers.endpoints import is_local
from moa_core.metrics.verdict import pm_summary
from moa_core.documents.left_out import fit_summary
from moa_core.records import CallRecord, RunRecord
from moa_core.storage import StorageError

from . import resources, reviewer
from .agreement_view import render_agreement
from .charts import run_charts
from .document_view import document_html
from .live import PER_ROW, call_status
from .report_download import report_download
from .safe_text import model_markdown, plain
from .thread_view import render_thread

REFUSED = "rating-refused"  # the star widget whose click was refused for want of a name
BANNERS = {"ok": st.success, "partial": st.warning, "fallback": st.warning, "failed": st.error,
           "interrupted": st.error, "cancelled": st.warning, "running": st.info}


def offline_notice_if_local(run: RunRecord) -> None:
    if any(is_local(c.model) for c in run.calls):
        from moa_core.providers.local_model import OFFLINE_NOTICE

        st.info(OFFLINE_NOTICE, icon=":material/info:")


def render_run(run: RunRecord, *, key: str = "run") -> None:
    """The whole run view; `key` keeps widget keys apart when two runs are on one page. A cost unknown when
    the run was made is shown at today's prices where there is one now, and labelled so."""
    (run,), priced = at_current_prices([run], resources.store().catalog.price_book().price)
    render_thread(run, key)
    BANNERS.get(run.status, st.info)(f"**{run.status}** — {plain(run.note or run.error or '')}")
    offline_notice_if_local(run)
    ratings = resources.store().ratings.ratings_for(run.run_id)
    if summary := pm_summary(run, ratings, resources.store().votes.votes_for_run(run.run_id)):  # stars and blind votes
        st.markdown(f":material/compare_arrows: {plain(summary)}")
    cp = run.critical_path_s
    cols = st.columns(3)
    cols[0].metric("Wall time", f"{run.wall_s:.2f} s" if run.wall_s is not None else "—")
    cols[1].metric("Critical path", f"{cp:.2f} s" if cp is not None else "—",
                   help="Slowest proposer of each round plus the synthesis: the best a parallel run can do")
    now = priced.get(run.run_id)
    cols[2].metric("Cost" + (" (at current prices)" if now else ""), format_cost(run.cost_usd),
                   help=(f"Unknown when it ran; at current prices: {price_note(now, resources.store().catalog.price_book().price)}"
                         if now else "unknown = a model without a known price was used"))
    st.caption(f"{count(len(run.calls), 'call')} · tokens {run.prompt_tokens:,} in → {run.completion_tokens:,} out")
    st.caption(f"Query: {plain(run.query)}")
    _documents(run)

    report_download(run, key=key)

    answers, agreement_tab, timing, calls = st.tabs(
        ["Answers", "Agreement", "Timeline and cost", "Calls and messages"])
    with answers:
        _answers_beside_documents(run, key)
    with agreement_tab:
        render_agreement(run, key=key)
    with timing:
        run_charts(run, key=f"{key}-charts")
    with calls:
        _calls_table(run)


def _documents(run: RunRecord) -> None:
    """Each document by name, what the models read of it (the shorter of kept and left out) and how it
    was fitted (budget, scoring), as the CLI says it; the text under page and paragraph marks, the
    left-out passages shown greyed beside the kept ones."""
    for i, doc in enumerate(run.documents, 1):
        passages = doc.passages()
        label = f"Document {i}: {doc.name} · {count(len(doc.text), 'character')}, {count(len(passages), 'passage')}"
        if doc.carried_from:
            label += f" · sent with an earlier turn (run {doc.carried_from[:8]})"
        if doc.left_out:
            st.warning(f"{plain(doc.name)}: fitted to the context window, {plain(fit_summary(passages, doc.left_out))}",
                       icon=":material/content_cut:")
            if doc.fit_note:
                st.caption(plain(doc.fit_note))
        with st.expander(plain(label)):
            with st.container(height=480, border=False):
                st.html(document_html(doc))


def _answers_beside_documents(run: RunRecord, key: str) -> None:
    """The answers, and on request the documents beside them, to check a claim against its passage."""
    if not run.documents or not st.toggle("Read the documents beside the answers", key=f"{key}-beside"):
        _answers(run, key)
        return
    left, right = st.columns([3, 2])
    with left:
        _answers(run, key)
    with right:
        names = [d.name for d in run.documents]
        pick = st.selectbox("Document", range(len(names)), format_func=lambda i: names[i],
                            key=f"{key}-beside-doc") if len(names) > 1 else 0
        with st.container(height=720, border=True):
            st.html(document_html(run.documents[pick]))


def _answers(run: RunRecord, key: str) -> None:
    name = reviewer.current()  # asked in the sidebar on every page (app.py)
    _forget_other_reviewers_stars(run, key, name)
    ratings = _latest_ratings(run.run_id, name)
    rounds = sorted({c.round for c in run.calls_for("proposer")})
    for round_no in rounds:
        if len(rounds) > 1:
            st.markdown(f"#### Round {round_no}")
        proposals = run.calls_for("proposer", round_no)
        for start in range(0, len(proposals), PER_ROW):
            row = proposals[start:start + PER_ROW]
            for column, call in zip(st.columns(len(row)), row):
                with column.container(border=True):
                    _card(call, call.display_name, ratings, key)
    finals = run.calls_for("aggregator") + run.calls_for("fallback") + run.calls_for("baseline")
    if finals:
        st.markdown("#### Synthesis" + (" and baseline" if run.calls_for("baseline") else ""))
        for column, call in zip(st.columns(len(finals)), finals):
            with column.container(border=True):
                title = {"aggregator": "Synthesis", "fallback": "Fallback answer", "baseline": "Baseline"}[call.role]
                _card(call, f"{title} · {call.label}", ratings, key)


def _card(call: CallRecord, title: str, ratings: dict, key: str) -> None:
    st.markdown(f"**{title}**")
    st.caption(call_status(call))
    if call.text and call.status != "ok":  # a stream that broke: its text is kept, never used as an answer
        st.caption(":material/warning: partial answer: the model did not finish; not used in the run")
    if call.text:
        long = len(call.text) > (900 if call.role == "proposer" else 1400)  # short answers take their own height
        with st.container(height=(320 if call.role == "proposer" else 420) if long else "content", border=False):
            st.markdown(model_markdown(call.text))  # never raw HTML; images shown as text, not fetched
    if call.status != "ok":
        return
    stars, comment = ratings.get(call.call_id, (None, ""))
    widget = f"{key}-stars-{call.call_id}"
    if st.session_state.get(REFUSED) == widget:
        st.warning(reviewer.NEEDED + " This rating was not stored.", icon=":material/person:")
    st.feedback("stars", key=widget, default=None if stars is None else stars - 1,
                on_change=_save_rating, args=(call, widget, f"{key}-comment-{call.call_id}"))
    st.text_input("Comment", value=comment, key=f"{key}-comment-{call.call_id}", label_visibility="collapsed",
                  placeholder="Comment (saved with the stars)",
                  on_change=_save_rating, args=(call, widget, f"{key}-comment-{call.call_id}"))


def _save_rating(call: CallRecord, stars_key: str, comment_key: str) -> None:
    """Store at once; the latest rating of a call is the one shown."""
    value = st.session_state.get(stars_key)
    comment = st.session_state.get(comment_key, "") or ""
    if value is None and not comment.strip():
        return
    rater = reviewer.current()
    if not rater:  # nothing stored without a name: the star is taken back, the comment kept to retry
        st.session_state[stars_key] = None
        st.session_state[REFUSED] = stars_key
        st.toast("Type your name first: the rating was not stored", icon=":material/person:")
        return
    st.session_state.pop(REFUSED, None)
    try:
        resources.store().ratings.add_rating("call", call_id=call.call_id, stars=None if value is None else value + 1,
                                     comment=comment.strip(), rater=rater)
    except StorageError as exc:  # the database stayed locked through every retry: say so, never a traceback
        st.error(f"Rating for {call.label} not saved: {exc}")
        return
    st.toast(f"Rating saved for {call.label}")


def _latest_ratings(run_id: str, rater: str) -> dict[str, tuple[int | None, str]]:
    """This reviewer's latest stars and comment per call (nobody else's; none without a name)."""
    latest: dict[str, tuple[int | None, str]] = {}
    if not rater:
        return latest
    for rating in resources.store().ratings.ratings_for(run_id, rater=rater):
        if rating.call_id:
            latest[rating.call_id] = (rating.stars, rating.comment or "")
    return latest


def _forget_other_reviewers_stars(run: RunRecord, key: str, name: str) -> None:
    """After a switch of reviewer, the star and comment widgets start again from the new reviewer's own
    ratings (a widget keeps its value otherwise, and would show the previous reviewer's stars)."""
    drawn_for = f"{key}-rated-as"
    if st.session_state.get(drawn_for, name) != name:
        for call in run.calls:
            st.session_state.pop(f"{key}-stars-{call.call_id}", None)
            st.session_state.pop(f"{key}-comment-{call.call_id}", None)
        st.session_state.pop(REFUSED, None)
    st.session_state[drawn_for] = name


def _calls_table(run: RunRecord) -> None:
    rows = [{
        "role": c.role, "round": c.round, "label": c.label, "model": c.model, "status": c.status,
        "started_s": c.started_s, "first_token_s": c.first_token_s, "ended_s": c.ended_s,
        "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
        "cost": format_cost(c.cost_usd), "attempts": c.attempts, "error": c.error or "",
    } for c in run.calls]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for c in run.calls:
        with st.expander(f"Messages sent to {c.role} {c.label} (round {c.round})"):
            st.code(json.dumps(c.messages, indent=2, ensure_ascii=False), language="json")
            if c.retry_errors:
                st.caption("Retried after: " + "; ".join(c.retry_errors))
