"""What a review report says, independent of its format: built once from a stored run, its
ratings and its agreement analysis, then rendered as Markdown, HTML or DOCX."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from moa_core import agreement
from moa_core.evidence import run_documents, run_proposals
from moa_core.metrics.ratings import answer_stars, final_call_id, run_stars
from moa_core.providers.prices import format_cost
from moa_core.records import RunRecord

QUOTE_LABELS = {"exact": "verified", "approximate": "approximate (close wording)",
                "not_found": "NOT IN THE DOCUMENTS"}


@dataclass
class Sentence:
    text: str
    marks: str                 # "[1][3]": the proposals that support it
    flags: list[str]           # unsupported, contested, contradicts the document ...


@dataclass
class Answer:
    title: str
    model: str
    text: str
    stars: str                 # "4.0 (2 raters)" or "not rated"
    comments: list[str]


@dataclass
class Report:
    """The shared content of every format."""
    title: str
    facts: list[tuple[str, str]]                   # run id, status, date, cost, latency ...
    query: str
    documents: list[tuple[str, str]]               # (name, size)
    synthesis: list[Sentence]
    synthesis_text: str
    quotes: list[dict]
    references: list[dict]
    disagreements: list[tuple[str, list[tuple[str, str]]]]   # (kinds, [(who, text)])
    dropped: list[str]
    proposals: list[Answer]
    final: Answer | None
    calls: list[list[str]]                          # the calls table, first row the header
    method_note: str = ""
    notes: list[str] = field(default_factory=list)


def _stars(value: tuple[float | None, int]) -> str:
    mean, n = value
    return "not rated" if mean is None else f"{mean:.1f} / 5 ({n} rater{'s' if n != 1 else ''})"


def _comments(ratings: Iterable[Any], call_ids: set[str], whole_run: bool = False) -> list[str]:
    out = []
    for r in ratings:
        if (r.call_id in call_ids or (whole_run and r.target == "run")) and (r.comment or "").strip():
            out.append(f"{r.rater or 'anonymous'}: {r.comment.strip()}")
    return out


def _sentence(s: agreement.FinalSentence) -> Sentence:
    flags = []
    if s.unsupported:
        flags.append("unsupported by any proposal")
    flags += [f"contested: {note}" for note in s.contested]
    if s.document and s.document.status == "contradicts":
        flags.append(f"contradicts {s.document.document}, {s.document.location}: \u201c{s.document.sentence}\u201d")
    elif s.document:
        flags.append(f"in {s.document.document}, {s.document.location}")
    return Sentence(s.text, "".join(f"[{i + 1}]" for i in s.sources), flags)


def _size(doc) -> str:
    n = len(doc.passages)
    return f"{sum(len(p.text) for p in doc.passages):,} characters, {n} passage{'s' if n != 1 else ''}"


def _left_out(run: RunRecord, i: int) -> str:
    """"; left out to fit the context window: pages 3-4" when the models did not read all of document i."""
    from moa_core.fitting import describe, summarise

    doc = run.documents[i] if i < len(run.documents) else None
    if doc is None or not doc.left_out:
        return ""
    return f"; left out to fit the context window: {summarise(describe(doc.passages(), doc.left_out))}"


def build_report(run: RunRecord, ratings: list, method: str = "semantic") -> Report:
    """Everything a reviewer needs from one run, with the agreement and evidence checks computed."""
    docs = run_documents(run)
    proposals = run_proposals(run)
    last = max((c.round for c in run.calls_for("proposer")), default=1)
    used = [c for c in run.calls_for("proposer", last) if c.ok]
    result = agreement.analyze(proposals, run.final, method=method, documents=docs or None) \
        if proposals else None
    final_id = final_call_id(run.calls, run.status)
    labels = [c.display_name for c in used]
    answers = [Answer(c.display_name, c.model, c.text, _stars(answer_stars(ratings, c.call_id, final_id)),
                      _comments(ratings, {c.call_id})) for c in used]
    final_call = next((c for c in run.calls if c.call_id == final_id), None)
    final = Answer("Synthesis" if run.status != "fallback" else "Fallback answer",
                   final_call.model if final_call else "", run.final, _stars(run_stars(ratings, run.calls, run.status)),
                   _comments(ratings, {final_id} if final_id else set(), whole_run=True)) if run.final else None
    disagreements = []
    if result:
        for g in result.disagreements:
            versions = [(", ".join(labels[p] for p in v.proposals if p < len(labels)), v.text) for v in g.versions]
            disagreements.append((", ".join(g.conflict_kinds) or "content", versions))
    calls = [["role", "round", "label", "model", "status", "latency s", "tokens in/out", "cost"]]
    for c in run.calls:
        latency = f"{c.ended_s - c.started_s:.2f}" if c.ended_s is not None and c.started_s is not None else "—"
        calls.append([c.role, str(c.round), c.label, c.model, c.status, latency,
                      f"{c.prompt_tokens or 0}/{c.completion_tokens or 0}", format_cost(c.cost_usd)])
    facts = [("Run", run.run_id), ("Date", run.started_at.strftime("%Y-%m-%d %H:%M UTC")),
             ("Status", f"{run.status}" + (f" — {run.note}" if run.note else "")),
             ("Models", ", ".join(dict.fromkeys(c.model for c in run.calls)) or "—"),
             ("Cost", format_cost(run.cost_usd)),
             ("Wall time", f"{run.wall_s:.2f} s" if run.wall_s is not None else "—"),
             ("Critical path", f"{run.critical_path_s:.2f} s" if run.critical_path_s is not None else "—")]
    return Report(
        title=f"Review of run {run.run_id[:8]}", facts=facts, query=run.query,
        documents=[(d.name, _size(d) + _left_out(run, i)) for i, d in enumerate(docs)],
        synthesis=[_sentence(s) for s in result.final_sentences] if result else [],
        synthesis_text=run.final, quotes=(result.quotes or []) if result else [],
        references=(result.references or []) if result else [], disagreements=disagreements,
        dropped=list(result.dropped_consensus) if result else [], proposals=answers, final=final, calls=calls,
        method_note=(f"Agreement method: {result.method_used}. {result.note}".strip() if result else
                     "No proposals to compare."))
