"""Where the proposals agree and disagree, claim by claim, and which proposals back each synthesis sentence.

Everything shown here is model text: it is escaped with html.escape before it goes into HTML.
"""
from __future__ import annotations

import html

import plotly.express as px
import streamlit as st

from moa_core import agreement
from moa_core.providers import endpoints
from moa_core.lineup import ModelSpec
from moa_core.records import RunRecord

COLOURS = {"all": "#c8ecd0", "some": "#d6e6fb", "only": "#eeeeee", "contested": "#fbd0cc"}
MEANING = {"all": "shared by all proposals", "some": "shared by some", "only": "only in this proposal",
           "contested": "contested: another proposal says otherwise"}


@st.cache_data(show_spinner="Comparing claims…", max_entries=64)
def _offline(proposals: tuple[str, ...], final: str) -> agreement.AgreementResult:
    return agreement.analyze_offline(list(proposals), final)


def _inputs(run: RunRecord) -> tuple[list[str], list[str], str]:
    """The proposals the synthesis was made from (last round's good ones), their labels, and the final text."""
    proposers = run.calls_for("proposer")
    last = max((c.round for c in proposers), default=1)
    used = [c for c in run.calls_for("proposer", last) if c.ok]
    return [c.text for c in used], [c.display_name for c in used], run.final


def _span(text: str, category: str) -> str:
    return (f'<span title="{MEANING[category]}" style="background:{COLOURS[category]};'
            f'border-radius:3px;padding:1px 2px">{html.escape(text)}</span>')


def _legend() -> str:
    items = " ".join(_span(MEANING[c], c) for c in agreement.CATEGORIES)
    return (f'<div style="font-size:0.85rem;margin-bottom:0.5rem">{items} '
            f'<span style="text-decoration:underline wavy #d33">unsupported by any proposal</span></div>')


def render_agreement(run: RunRecord, *, key: str) -> None:
    proposals, labels, final = _inputs(run)
    if len(proposals) < 2:
        st.info("Agreement needs at least two successful proposals in the last round.")
        return
    method = st.radio("Method", ["Offline (instant, lexical)", "LLM-assisted"], horizontal=True, key=f"{key}-method",
                      help="The LLM method asks a model for structured JSON and falls back to offline on bad output")
    result = _offline(tuple(proposals), final)
    if method == "LLM-assisted":
        models = list(dict.fromkeys(c.model for c in run.calls))
        model = st.selectbox("Model", models, key=f"{key}-agreement-model")
        state_key = f"{key}-llm-agreement-{model}"
        if st.button("Analyse with this model", key=f"{key}-agreement-go"):
            api_base = next((c.api_base for c in run.calls if c.model == model), None)
            target = endpoints.resolve(ModelSpec(model, api_base=api_base))
            with st.spinner(f"Asking {model}…"):
                st.session_state[state_key] = agreement.analyze(
                    proposals, final, method="llm", model=target.model, api_base=target.api_base,
                    api_key=target.api_key)
        result = st.session_state.get(state_key, result)
    if result.note:
        st.caption(f"Method: {result.method_used}. {result.note}")

    st.html(_legend())
    for start in range(0, len(proposals), 3):
        for column, i in zip(st.columns(min(3, len(proposals) - start)), range(start, len(proposals))):
            with column.container(border=True):
                st.markdown(f"**{labels[i]}**")
                st.html(" ".join(_span(c.text, c.category) for c in result.proposal_claims[i]))

    if final:
        st.markdown("**Synthesis, sentence by sentence** — [n] = proposals that support it")
        parts = []
        for sentence in result.final_sentences:
            marks = "".join(f"[{s + 1}]" for s in sentence.sources)
            text = html.escape(sentence.text)
            if sentence.unsupported:
                text = (f'<span style="text-decoration:underline wavy #d33" title="no proposal supports this: '
                        f'the aggregator added it">{text}</span> <b style="color:#d33">[unsupported]</b>')
            parts.append(f'{text} <sup style="color:#555">{html.escape(marks)}</sup>')
        st.html(f'<div style="line-height:1.7">{" ".join(parts)}</div>')

    _disagreements(result, labels)
    if result.dropped_consensus:
        st.markdown("**Dropped by the synthesis although most proposals said it**")
        for text in result.dropped_consensus:
            st.text(f"• {text}")
    _heatmap(result, labels)


def _disagreements(result: agreement.AgreementResult, labels: list[str]) -> None:
    contested = [g for g in result.claims if g.contested]
    st.markdown(f"**Disagreements** ({len(contested)})")
    if not contested:
        st.caption("No claim where proposals contradict each other (numbers, dates, parties, negation).")
    for group in contested:
        kinds = ", ".join(group.conflict_kinds) or "conflict"
        with st.container(border=True):
            st.caption(f"Differs in: {kinds}")
            for column, version in zip(st.columns(len(group.versions)), group.versions):
                who = ", ".join(labels[p] for p in version.proposals)
                column.html(f'<div style="font-size:0.8rem;color:#555">{html.escape(who)}</div>'
                            f'<div>{html.escape(version.text)}</div>')


def _heatmap(result: agreement.AgreementResult, labels: list[str]) -> None:
    labels = [html.escape(label) for label in labels]  # plotly reads axis text as markup
    fig = px.imshow(result.similarity, x=labels, y=labels, zmin=0, zmax=1, color_continuous_scale="Blues",
                    text_auto=".2f", title="How similar the proposals are (0 = nothing shared, 1 = same)")
    fig.update_layout(height=320 + 20 * len(labels), margin=dict(l=10, r=10, t=50, b=10))
    st.plotly_chart(fig, width="stretch")
