"""Where the proposals agree and disagree, claim by claim, and which proposals back each synthesis sentence.

Everything shown here is model text: it is escaped with html.escape before it goes into HTML.
"""
from __future__ import annotations

import html

import plotly.express as px
import streamlit as st

from moa_core import agreement
from moa_core.evidence import SourceDocument, run_documents
from moa_core.evidence.runs import unseen_locations
from moa_core.providers import endpoints
from moa_core.lineup import ModelSpec
from moa_core.records import RunRecord
from moa_core.report.verdicts import Verdict, link_verdict, sentence_verdict, side_line
from ui.charts import plotly_text
from ui.document_view import passage_html
from ui.safe_text import plain

COLOURS = {"all": "#c8ecd0", "some": "#d6e6fb", "only": "#eeeeee", "contested": "#fbd0cc"}
MEANING = {"all": "shared by all proposals", "some": "shared by some", "only": "only in this proposal",
           "contested": "contested: another proposal says otherwise"}


QUOTE_MARKS = {"exact": ("✅", "verified in the document"), "approximate": ("≈", "close to the document's wording"),
               "not_found": ("⚠️", "NOT IN THE DOCUMENT")}
METHODS = {"Semantic (meaning + facts)": "semantic", "Offline (lexical, instant)": "offline"}


@st.cache_data(show_spinner="Comparing claims…", max_entries=64)
def _analyse(proposals: tuple[str, ...], final: str, method: str,
             documents: tuple[tuple[str, tuple], ...]) -> agreement.AgreementResult:
    """`documents`: (name, passages) pairs, the passages as stored (PDF pages kept), hashable for the cache."""
    docs = [SourceDocument(name, list(passages)) for name, passages in documents] if documents else None
    return agreement.analyze(list(proposals), final, method=method, documents=docs)


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
    method = st.radio("Method", [*METHODS, "LLM-assisted"], horizontal=True, key=f"{key}-method",
                      help="Semantic aligns claims by meaning (a local embedding model) and keeps facts apart "
                           "with slot checks; the LLM method asks a model for structured JSON and falls back")
    docs = run_documents(run)
    doc_pairs = tuple((d.name, tuple(d.passages)) for d in docs)
    result = _analyse(tuple(proposals), final, METHODS.get(method, "semantic"), doc_pairs)
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
                    api_key=target.api_key, documents=docs or None)
        result = st.session_state.get(state_key, result)
    if result.note:
        st.caption(f"Method: {result.method_used}. {result.note}")

    st.html(_legend())
    for start in range(0, len(proposals), 3):
        for column, i in zip(st.columns(min(3, len(proposals) - start)), range(start, len(proposals))):
            with column.container(border=True):
                st.markdown(f"**{labels[i]}**")
                claims = result.proposal_claims[i]
                if claims:
                    st.html(" ".join(_span(c.text, c.category) for c in claims))
                else:  # too short to hold a claim ("30 days."); st.html("") would raise
                    st.caption("no claim found in this answer")

    if final:
        st.markdown("**Synthesis, sentence by sentence** — [n] = proposals that support it")
        parts = []
        for sentence in result.final_sentences:
            marks = "".join(f"[{s + 1}]" for s in sentence.sources)
            text = html.escape(sentence.text)
            verdict = sentence_verdict(sentence)
            if verdict is not None and verdict.tone == "unsupported":
                text = (f'<span style="text-decoration:underline wavy #d33" title="no proposal supports this: '
                        f'the aggregator added it">{text}</span>')
            parts.append(f'{text} <sup style="color:#555">{html.escape(marks)}</sup>{_sentence_flags(sentence)}')
        st.html(f'<div style="line-height:1.7">{" ".join(parts)}</div>')
        _verdict_passages(result)

    if result.quotes is not None:
        _quotes(result, unseen_locations(run))

    _disagreements(result, labels)
    if result.dropped_consensus:
        st.markdown("**Dropped by the synthesis although most proposals said it**")
        for text in result.dropped_consensus:
            st.text(f"• {text}")
    _heatmap(result, labels)


# one colour per verdict: only support is green, only a contradiction (or "no proposal says this") red
TONE_COLOURS = {"supported": "#187a2f", "contradicts": "#d33", "unsupported": "#d33", "superseded": "#1f4e79",
                "related": "#777"}
# text symbols, not emoji: they render in any font (a browser without an emoji font shows boxes)
TONE_MARKS = {"supported": "✔", "contradicts": "✘", "unsupported": "⚠", "superseded": "↪", "related": "ℹ"}
TONE_LABEL_COLOURS = {"supported": "green", "contradicts": "red", "unsupported": "red", "superseded": "blue",
                      "related": "gray"}
UNSUPPORTED_ONLY = "unsupported: no proposal says this"


def _badge(verdict: Verdict) -> str:
    """A verdict as an inline badge: its summary line in its tone, the document's words on hover; escaped."""
    text = "unsupported" if verdict.text == UNSUPPORTED_ONLY else verdict.text
    weight = "700" if verdict.tone in ("contradicts", "unsupported") else "400"
    size = "0.85em" if verdict.tone == "related" else "1em"
    hover = f' title="{html.escape(verdict.quote)}"' if verdict.quote else ""
    return (f'<span class="moa-verdict moa-{verdict.tone}" style="color:{TONE_COLOURS[verdict.tone]};'
            f'font-weight:{weight};font-size:{size}"{hover}>[{html.escape(text)}]</span>')


def _sentence_flags(sentence: agreement.FinalSentence) -> str:
    """Badges after a synthesis sentence: contested (who says otherwise), then its ONE verdict (what the
    documents say, with "no proposal says this" folded in): never red "unsupported" beside green support."""
    flags = [f'<b style="color:#b35c00" title="the proposals disagree here">[contested: {html.escape(note)}]</b>'
             for note in sentence.contested]
    verdict = sentence_verdict(sentence)
    if verdict is not None:
        flags.append(_badge(verdict))
    return (" " + " ".join(flags)) if flags else ""


def _verdict_label(verdict: Verdict) -> str:
    """An expander label: the verdict's mark and line in its colour (escaped for markdown)."""
    return f":{TONE_LABEL_COLOURS[verdict.tone]}[{TONE_MARKS[verdict.tone]} {plain(verdict.text)}]"


def _open_passage(verdict: Verdict, said: str, who_said: str) -> None:
    """An expander on the verdict's passage, the document's matching words highlighted."""
    link = verdict.link
    with st.expander(_verdict_label(verdict)):
        st.caption(who_said)
        st.text(said)
        kinds = f" ({', '.join(link.kinds)})" if link.status == "contradicts" and link.kinds else ""
        st.caption(f"The document says{kinds}:")
        st.html(passage_html(link.passage, link.sentence, f"{link.document}, {link.location}"))


def _verdict_passages(result: agreement.AgreementResult) -> None:
    """Each document verdict on a synthesis sentence opens its passage with the matched words highlighted."""
    for sentence in result.final_sentences:
        verdict = sentence_verdict(sentence)
        if verdict is not None and verdict.link is not None and verdict.link.passage:
            _open_passage(verdict, sentence.text, "The synthesis says:")


def _quotes(result: agreement.AgreementResult, unseen: set[tuple[str, str]] = frozenset()) -> None:
    """Every quote of the proposals and the synthesis: verified, approximate, or not in the document;
    `unseen` are the (document, location) pairs left out of the prompt to fit the context window."""
    quotes = result.quotes or []
    missing = sum(1 for q in quotes if q.status == "not_found")
    st.markdown(f"**Quotes checked against the documents** ({len(quotes)}; {missing} not found)")
    if not quotes:
        st.caption("No quoted passages in the answers.")
    for q in quotes:
        mark, meaning = QUOTE_MARKS.get(q.status, ("?", q.status))
        where = f" — {q.document}, {q.location}" if q.document else ""
        if (q.document, q.location) in unseen:
            where += " (left out of the prompt to fit: no model was shown this passage)"
        label = f"{mark} {meaning} · {q.source}: “{q.text[:90]}”{where}"
        with st.expander(plain(label)):
            st.text(q.text)
            if q.passage:
                st.caption("The passage, the quoted words highlighted:")
                st.html(passage_html(q.passage, q.text, f"{q.document}, {q.location}"))
            else:
                st.caption("No passage of the documents says this. Treat it as invented until checked.")
    refs = result.references or []
    if refs:
        st.markdown(f"**Clause references** ({len(refs)})")
        for r in refs:
            ok = r.status == "found"
            label = f"{'✅' if ok else '⚠️'} {r.source}: {r.text}" + (
                f" — {r.document}, {r.location}" if r.document else " — not in the documents")
            with st.expander(plain(label)):
                if r.passage:
                    st.html(passage_html(r.passage, "", f"{r.document}, {r.location}"))
                else:
                    st.text("No such clause in the documents.")


def _disagreements(result: agreement.AgreementResult, labels: list[str]) -> None:
    """Each disagreement side by side, with which side the documents back and every version's verdict,
    each opening its passage."""
    contested = [g for g in result.claims if g.contested]
    st.markdown(f"**Disagreements** ({len(contested)})")
    if not contested:
        st.caption("No claim where proposals contradict each other (numbers, dates, parties, negation).")
    for group in contested:
        kinds = ", ".join(group.conflict_kinds) or "conflict"
        with st.container(border=True):
            st.caption(f"Differs in: {kinds}")
            side = side_line(group, labels)
            if side:
                backed = side.startswith("The documents back ")
                st.html(f'<div class="moa-side" style="color:{"#187a2f" if backed else "#555"};'
                        f'font-weight:{600 if backed else 400}">{"✔ " if backed else ""}{html.escape(side)}</div>')
            links = group.document.versions if group.document is not None else []
            for i, (column, version) in enumerate(zip(st.columns(len(group.versions)), group.versions)):
                who = ", ".join(labels[p] for p in version.proposals if p < len(labels))
                column.html(f'<div style="font-size:0.8rem;color:#555">{html.escape(who)}</div>'
                            f'<div>{html.escape(version.text)}</div>')
                verdict = link_verdict(links[i] if i < len(links) else None)
                if verdict is not None and verdict.link.passage:
                    with column:
                        _open_passage(verdict, version.text, f"{who} says:")
                elif group.document is not None:
                    column.caption("No passage of the documents bears on this version.")


def heatmap_figure(result: agreement.AgreementResult, labels: list[str]):
    """How similar each pair of proposals is, labelled with the proposals' labels."""
    labels = [plotly_text(label) for label in labels]  # plotly reads axis text as markup
    fig = px.imshow(result.similarity, x=labels, y=labels, zmin=0, zmax=1, color_continuous_scale="Blues",
                    text_auto=".2f", title="How similar the proposals are (0 = nothing shared, 1 = same)")
    fig.update_layout(height=320 + 20 * len(labels), margin=dict(l=10, r=10, t=50, b=10))
    return fig


def _heatmap(result: agreement.AgreementResult, labels: list[str]) -> None:
    st.plotly_chart(heatmap_figure(result, labels), width="stretch")
