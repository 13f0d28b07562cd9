"""The Results page's figures: head-to-head win rates, the Bradley-Terry board with and without
style control, synthesis gain, reviewer agreement, judge-human agreement, counts and exports.

The statistics are cached on (votes version, filter), so after the first load a rerun only reads
`max(vote.id), count(*)` and draws. Labels are model and lineup names: escaped for plotly's HTML.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from moa_core.counts import count
from moa_core.metrics.agreement_stats import cohen_kappa, krippendorff_alpha, labels_by_item
from moa_core.metrics.leaderboard import leaderboard
from moa_core.metrics.preference import pair_results, reviewer_counts
from moa_core.metrics.rating_intervals import group_warning, interval_notes
from moa_core.metrics.review_stats import interval_sentence, judge_human_agreement
from moa_core.metrics.style_control import style_controlled_leaderboard
from moa_core.metrics.synthesis_gain import synthesis_gains
from moa_core.review.export import votes_csv, votes_json
from moa_core.storage.db import default_url
from moa_core.storage.votes import VoteRow

from . import resources
from .safe_text import plain

BOOTSTRAP = 200
BEST_PROPOSAL_HELP = ("Decisive votes of the synthesis against the best proposal of the same run. Best: the last "
                      "round's proposal with the most stars; with no stars, the consensus proposal (the one whose "
                      "words overlap most with the other proposals').")
STYLE_BOOTSTRAP = 50  # style control refits a logistic model per sample: fewer samples, same page budget


@dataclass(frozen=True)
class Filter:
    systems: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def keep(self, row: VoteRow) -> bool:
        if self.systems and not (row.system_a in self.systems and row.system_b in self.systems):
            return False
        if self.reviewers and row.rater_kind == "human" and row.reviewer not in self.reviewers:
            return False
        day = row.created_at.date()
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


@st.cache_resource(max_entries=4, show_spinner="Reading votes…")
def _all_votes(url: str, version: tuple[int, int]) -> list[VoteRow]:
    """Every vote with texts, once per votes version (shared, never mutated: no copy per rerun)."""
    return resources.store().votes.list_votes()


def all_votes() -> list[VoteRow]:
    return _all_votes(default_url(), resources.store().votes.votes_version())


@st.cache_data(max_entries=32, show_spinner="Computing ratings and intervals…")
def figures(url: str, version: tuple[int, int], flt: Filter) -> dict:
    """Every statistic of the page for one filter; cached, so reruns cost nothing."""
    rows = [r for r in _all_votes(url, version) if flt.keep(r)]
    human = [r for r in rows if r.rater_kind == "human"]
    judge = [r for r in rows if r.rater_kind == "judge"]
    votes = [r.preference() for r in human]
    labels = labels_by_item(votes)
    counts = reviewer_counts(votes)
    top_two = tuple(list(counts)[:2])
    kappa = cohen_kappa(labels, top_two) if len(top_two) == 2 else None
    gain_votes = [r.preference() for r in human if r.run_a_id and r.run_a_id == r.run_b_id
                  and {r.system_a_kind, r.system_b_kind} == {"moa", "proposal"}]  # kinds: moa_core.identity
    lineups = {n for r in human for n, k in ((r.system_a, r.system_a_kind), (r.system_b, r.system_b_kind))
               if k == "moa"}
    return {
        "n": len(human), "judge_n": len(judge),
        "pairs": pair_results(votes),
        "board": leaderboard(votes, n_bootstrap=BOOTSTRAP, seed=0),
        "style": style_controlled_leaderboard(votes, n_bootstrap=STYLE_BOOTSTRAP, seed=0),
        "gains": synthesis_gains(gain_votes, lineups.__contains__),
        "alpha": krippendorff_alpha(labels), "multi_items": sum(len(v) >= 2 for v in labels.values()),
        "kappa": kappa, "kappa_between": top_two,
        "judge": judge_human_agreement(votes, [r.preference() for r in judge]) if judge else None,
        "reviewers": counts,
    }


def filters(rows: list[VoteRow]) -> Filter:
    systems = sorted({r.system_a for r in rows} | {r.system_b for r in rows})
    reviewers = sorted({r.reviewer for r in rows if r.rater_kind == "human"})
    c1, c2, c3, c4 = st.columns([3, 2, 1, 1])
    chosen = c1.multiselect("Systems (lineups and models)", systems, placeholder="all",
                            help="Votes where both sides are among these")
    who = c2.multiselect("Reviewers", reviewers, placeholder="all")
    since = c3.date_input("From", value=None)
    until = c4.date_input("Until", value=None)
    return Filter(tuple(chosen), tuple(who), since, until)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def head_to_head(pairs) -> None:
    st.subheader("Head to head")
    st.caption("Win rate of the first system on decisive votes (ties and both-bad left out), 95% Wilson "
               "interval, two-sided sign test.")
    if not pairs:
        st.info("No votes match.")
        return
    st.dataframe(pd.DataFrame([{
        "system": p.a, "against": p.b, "wins": p.wins_a, "losses": p.wins_b, "ties": p.ties,
        "both bad": p.both_bad, "decisive": p.decisive, "win rate": _pct(p.win_rate_a),
        "95% interval": f"{100 * p.ci_low:.0f}-{100 * p.ci_high:.0f}%", "p (sign test)": round(p.p_value, 4),
        "verdict": p.verdict,
    } for p in pairs]), hide_index=True, width="stretch")
    fewest = min(p.decisive for p in pairs)
    if any(p.too_few for p in pairs):
        st.caption(f"Too few to call: {interval_sentence(fewest)} (Wilson, at a 50% win rate).")


def board_chart(raw, styled) -> go.Figure:
    """Ratings with interval bars, raw and style-controlled side by side per system."""
    names = [s.name for s in raw]
    fig = go.Figure()
    for label, ratings in (("raw", {s.name: s for s in raw}), ("style-controlled", {s.name: s for s in styled})):
        rs = [ratings.get(n) for n in names]
        fig.add_trace(go.Scatter(
            x=[r.rating if r else None for r in rs], y=[html.escape(n) for n in names], mode="markers",
            name=label, marker=dict(size=10, symbol="circle" if label == "raw" else "diamond"),
            error_x=dict(type="data", symmetric=False,
                         array=[r.ci_high - r.rating if r and r.ci_high is not None else 0 for r in rs],
                         arrayminus=[r.rating - r.ci_low if r and r.ci_low is not None else 0 for r in rs]),
            hovertemplate="%{y}: %{x:.0f}<extra>" + label + "</extra>"))
    fig.update_layout(height=max(260, 34 * len(names) + 120), margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title="rating (Bradley-Terry, Elo scale, mean 1000), 95% bootstrap interval",
                      yaxis=dict(autorange="reversed"), legend=dict(orientation="h", y=1.08))
    return fig


def leaderboard_section(fig_data: dict) -> None:
    raw, styled = fig_data["board"], fig_data["style"]
    st.subheader("Leaderboard")
    if not raw:
        st.info("No votes match.")
        return
    st.caption(f"Bradley-Terry ratings from {fig_data['n']} human votes; intervals resample prompts "
               f"({BOOTSTRAP} samples; style control {STYLE_BOOTSTRAP}). Systems whose intervals overlap share a rank, "
               "and so do chains of overlapping intervals; a system seen on one prompt has no interval and no rank.")
    for warning in (group_warning(raw), interval_notes(raw)):
        if warning:
            st.warning(plain(warning), icon=":material/warning:")
    st.plotly_chart(board_chart(raw, styled.systems), width="stretch", key="board")
    style_rank = {s.name: s for s in styled.systems}
    grouped = len({s.group for s in raw}) > 1
    st.dataframe(pd.DataFrame([{
        **({"group": s.group} if grouped else {}),
        "rank": _rank(s), "system": s.name, "rating": round(s.rating),
        "interval": "none" if s.ci_low is None else f"{s.ci_low:.0f}-{s.ci_high:.0f}", "prompts": s.prompts,
        "votes": s.votes, "rank (style-controlled)": _rank(style_rank.get(s.name)),
        "rating (style-controlled)": round(style_rank[s.name].rating) if s.name in style_rank else None,
    } for s in raw]), hide_index=True, width="stretch")
    with st.expander("What style control holds equal"):
        if styled.note:
            st.markdown(plain(styled.note[0].upper() + styled.note[1:]) + ".")
        for c in styled.coefficients:
            st.markdown(f"- {plain(c.summary)}")


def _rank(rating) -> str:
    return "—" if rating is None or rating.rank is None else str(rating.rank)


def quality_section(fig_data: dict) -> None:
    c1, c2, c3 = st.columns(3)
    with c1.container(border=True):
        st.markdown("**Synthesis gain**")
        gains = fig_data["gains"]
        if not gains:
            st.caption("No votes of a synthesis against a proposal of its own run yet.")
        for lineup, gain in gains.items():  # one figure per lineup: pooled lineups describe none of them
            st.metric("Synthesis beats the best proposal" + (f" ({plain(lineup)})" if len(gains) > 1 else ""),
                      _pct(gain.share), help=BEST_PROPOSAL_HELP)
            st.caption(f"{plain(lineup)}: {gain.wins}-{gain.losses} ({gain.ties} ties, {gain.both_bad} both bad); "
                       f"interval {100 * gain.ci_low:.0f}-{100 * gain.ci_high:.0f}%, p = {gain.p_value:.3g}. "
                       + (plain(gain.note) if gain.note else ""))
    with c2.container(border=True):
        st.markdown("**Reviewers agree?**")
        alpha, kappa, who = fig_data["alpha"], fig_data["kappa"], fig_data["kappa_between"]
        st.metric("Krippendorff's alpha", "—" if alpha is None else f"{alpha:.2f}",
                  help="Nominal, over items with 2+ reviewers; 1 = full agreement, 0 = chance")
        st.caption(f"{count(fig_data['multi_items'], 'item')} with two or more reviewers. " + (
            f"Cohen's kappa {plain(who[0])} vs {plain(who[1])}: {kappa:.2f}." if kappa is not None else
            "Cohen's kappa needs two reviewers on two or more shared items."))
    with c3.container(border=True):
        st.markdown("**Judge vs people**")
        judge = fig_data["judge"]
        if judge is None or not judge.items:
            st.caption(f"{fig_data['judge_n']} judge votes; none on items people rated." if fig_data["judge_n"]
                       else "No judge votes yet (batches add them).")
        else:
            st.metric("Judge agrees with the human majority", _pct(judge.share))
            st.caption(f"{judge.agree} of {judge.items} shared items"
                       + (f"; kappa {judge.kappa:.2f}" if judge.kappa is not None else ""))


def reviewers_section(fig_data: dict) -> None:
    st.subheader("Reviewers")
    counts = fig_data["reviewers"]
    if counts:
        st.dataframe(pd.DataFrame([{"reviewer": r or "(anonymous)", "votes": n} for r, n in counts.items()]),
                     hide_index=True)


def export_section(all_rows: list[VoteRow], flt: Filter, fig_data: dict) -> None:
    """Built only when clicked (10,000 votes with texts are megabytes): the filtered votes."""
    def rows():
        return [r for r in all_rows if flt.keep(r)]

    left, right, _ = st.columns([1, 1, 4])
    left.download_button("Export votes CSV", data=lambda: votes_csv(r.to_dict() for r in rows()), file_name="moa-votes.csv", mime="text/csv",
                         on_click="ignore", help="One row per vote; formula-like cells are made literal")
    right.download_button("Export JSON", data=lambda: votes_json(
        [r.to_dict() for r in rows()], systems=[s.to_dict() for s in fig_data["board"]],
        pairs=[p.to_dict() for p in fig_data["pairs"]]),
                          file_name="moa-votes.json", mime="application/json", on_click="ignore")
