"""One blind A/B judgement: the query, two answers as A and B with their names hidden, four
choices with keyboard shortcuts 1-4, an optional rubric and comment; the names only after the vote.

Sides come from `review.shown_swapped(reviewer, pair)`, so a reload shows the same sides and
different reviewers see different orders. Nothing about other reviewers' votes is shown here.
Keys use Streamlit's own button shortcuts (no injected script, no model text near any script).
A page draws at most one pair with its buttons at a time (a hidden pair's shortcuts would still
fire), and every vote carries the key of the pair last drawn under its `key`: the store refuses a
vote whose answers are not that pair.
"""
from __future__ import annotations

import streamlit as st

from moa_core.review.pairs import Pair, shown_swapped
from moa_core.storage import StorageError
from moa_core.storage.votes import RUBRIC, VoteLocked, VoteRow

from . import resources
from .safe_text import model_markdown, plain

CHOICES = (("a", "A is better", "1"), ("b", "B is better", "2"), ("tie", "Tie", "3"), ("both_bad", "Both bad", "4"))
SAID = {"a": "A is better", "b": "B is better", "tie": "a tie", "both_bad": "both bad"}


def own_vote(reviewer: str, pair: Pair) -> VoteRow | None:
    """This reviewer's vote on this pair (to reveal after a reload), else None."""
    run_ids = [r for r in {pair.run_a_id, pair.run_b_id} if r]
    for row in resources.store().votes.list_votes(reviewers=[reviewer], rater_kind="human", with_texts=False):
        if row.key == pair.key and (row.run_a_id in run_ids or row.run_b_id in run_ids):
            return row
    return None


def _sides(pair: Pair, reviewer: str) -> tuple[bool, tuple[str, str], tuple[str, str]]:
    """(swapped, (name, text) on the left as A, (name, text) on the right as B)."""
    swapped = shown_swapped(reviewer, pair.key)
    a, b = (pair.system_a, pair.text_a), (pair.system_b, pair.text_b)
    return (swapped, b, a) if swapped else (swapped, a, b)


def _cast(pair: Pair, reviewer: str, screen_choice: str, key: str, queue_id: int | None,
          batch_id: str | None) -> None:
    """Button callback: store the vote oriented to the stored systems, then the page reveals."""
    swapped, left, right = _sides(pair, reviewer)
    winner = {"a": "b", "b": "a"}.get(screen_choice, screen_choice) if swapped else screen_choice
    rubric: dict[str, dict[str, int]] = {}
    for side, (name, _) in (("A", left), ("B", right)):
        scores = {c: st.session_state.get(f"{key}-{side}-{c}") for c in RUBRIC}
        rubric[name] = {c: int(v) for c, v in scores.items() if v is not None}
    shown = st.session_state.get(f"{key}-shown")  # what the last script run drew under this key
    try:
        resources.store().votes.add_vote(
            prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b, winner=winner,
            reviewer=reviewer, shown_swapped=swapped, run_a_id=pair.run_a_id, run_b_id=pair.run_b_id,
            call_a_id=pair.call_a_id, call_b_id=pair.call_b_id, queue_id=queue_id, batch_id=batch_id,
            comment=str(st.session_state.get(f"{key}-comment") or ""), rubric=rubric, shown_pair=shown)
    except VoteLocked:
        st.session_state[f"{key}-message"] = "You have already voted on this pair; here is what it was."
    except (ValueError, StorageError) as exc:  # bad input, not the pair shown, deleted meanwhile, a busy database
        st.session_state[f"{key}-message"] = f"The vote was not stored: {exc}"
        return
    st.session_state[f"{key}-revealed"] = pair.key


def render_blind_pair(pair: Pair, reviewer: str, *, key: str = "pair", queue_id: int | None = None,
                      batch_id: str | None = None) -> bool:
    """Draw the pair blind, or revealed once this reviewer has voted. Returns True when revealed."""
    message = st.session_state.pop(f"{key}-message", None)
    if message:
        st.warning(message)
    st.markdown(f"**Query:** {plain(pair.query)}")
    voted = own_vote(reviewer, pair)
    swapped, left, right = _sides(pair, reviewer)
    for column, side, (name, text) in zip(st.columns(2), "AB", (left, right)):
        with column.container(border=True):
            title = f"**Answer {side}**" + (f" · {plain(name)}" if voted else "")
            st.markdown(title)
            with st.container(height=380, border=False):
                st.markdown(model_markdown(text) if text.strip() else "_(empty answer)_")
            if not voted:
                with st.expander(f"Rubric for {side} (optional)"):
                    for criterion in RUBRIC:
                        st.pills(criterion.capitalize(), [1, 2, 3, 4, 5], key=f"{key}-{side}-{criterion}")
    if voted:
        _reveal(voted, swapped, left[0], right[0])
        return True
    st.session_state[f"{key}-shown"] = pair.key
    st.text_input("Comment (optional)", key=f"{key}-comment", placeholder="Why? (stored with the vote)")
    st.caption("Keys 1-4 vote (when no text box has the focus). The names appear after your vote; "
               "you vote on each pair once.")
    for column, (choice, label, shortcut) in zip(st.columns(4), CHOICES):
        column.button(label, key=f"{key}-vote-{shortcut}", shortcut=shortcut, width="stretch",
                      type="primary" if choice in ("a", "b") else "secondary",
                      on_click=_cast, args=(pair, reviewer, choice, key, queue_id, batch_id))
    return False


def _reveal(vote: VoteRow, swapped: bool, left: str, right: str) -> None:
    screen = {"a": "b", "b": "a"}.get(vote.winner, vote.winner) if vote.shown_swapped else vote.winner
    st.success(f"You said **{SAID[screen]}**. A was **{plain(left)}**, B was **{plain(right)}**.",
               icon=":material/visibility:")
