"""What a review report says, independent of its format: built once from a stored run, its
ratings and its agreement analysis, then rendered as Markdown, HTML or DOCX."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from moa_core import agreement
from moa_core.documents.left_out import describe, summarise
from moa_core.evidence import Check, run_documents, run_proposals
from moa_core.metrics.ratings import answer_stars, final_call_id, run_stars
from moa_core.providers.prices import format_cost
from moa_core.records import RunRecord
from moa_core.redact import redact

from .verdicts import Verdict, sentence_verdict, side_line

QUOTE_LABELS = {"exact": "verified", "approximate": "approximate (close wording)",
                "not_found": "NOT IN THE DOCUMENTS"}


@dataclass
class Sentence:
    text: str
    marks: str                 # "[1][3]": the proposals that support it
    flags: list[str]           # contested: what another proposal says instead
    verdict: Verdict | None = None  # the one verdict: what the documents say, "no proposal says this"


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
    quotes: list[Check]
    references: list[Check]
    disagreements: list[tuple[str, list[tuple[str, str]]]]   # (kinds, [(who, text)])
    dropped: list[str]
    proposals: list[Answer]
    final: Answer | None
    calls: list[list[str]]                          # the calls table, first row the header
    method_note: str = ""
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)    # what a reader must know first: checks that failed
    baseline: Answer | None = None
    conversation: list[tuple[str, str]] = field(default_factory=list)  # earlier turns: (which, question)
    document_sides: list[str] = field(default_factory=list)  # per disagreement: which side the documents back


def _stars(value: tuple[float | None, int]) -> str:
    mean, n = value
    return "not rated" if mean is None else f"{mean:.1f} / 5 ({n} rater{'s' if n != 1 else ''})"


def _comments(ratings: Iterable[Any], call_ids: set[str], whole_run: bool = False) -> list[str]:
    """Each rater's latest word on the answer, once: a rating saves the stars with the comment as it
    stands, so an earlier comment was replaced, and the same comment on the run and its answer is one."""
    latest: dict[str, str] = {}
    for r in ratings:  # oldest first
        if r.call_id in call_ids or (whole_run and r.target == "run"):
            latest[r.rater or "anonymous"] = redact((r.comment or "").strip())  # older rows stored keys as typed
    return [f"{redact(who)}: {comment}" for who, comment in latest.items() if comment]


TITLE_CHARS = 120


def _title(query: str, run_id: str) -> str:
    """The question is the title: its first line, cut at a word when long."""
    line = next((ln.strip() for ln in (query or "").splitlines() if ln.strip()), "")
    if not line:
        return f"Review of run {run_id[:8]}"
    if len(line) <= TITLE_CHARS:
        return line
    return line[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _document_side(group, labels: list[str]) -> str:
    """Which side of a disagreement the documents back, with the passage's words, as the verdict engine
    decides it (`ClaimGroup.document`, issue 24); "" when the documents were not checked."""
    return side_line(group, labels)


def _summary(result, quotes: list[Check], references: list[Check], synthesis: list[Sentence],
             sides: list[str], with_documents: bool) -> list[str]:
    """The report's opening lines: what failed a check, counted from the checks themselves."""
    lines = []
    if with_documents:
        missing = [q for q in quotes if q.status == "not_found"]
        close = sum(q.status == "approximate" for q in quotes)
        lines.append(f"Quotes: {len(quotes)} checked, {len(missing)} not in the documents"
                     + (f", {close} approximate" if close else "") if quotes else "Quotes: none in the answers")
        if references:
            absent = list(dict.fromkeys(r.text for r in references if r.status != "found"))
            lines.append(f"Clause references: {len(references)} checked, {len(absent)} not in the documents"
                         + (f" ({', '.join(absent)})" if absent else ""))
        contradicting = sum(s.verdict is not None and s.verdict.tone == "contradicts" for s in synthesis)
        lines.append(f"Synthesis sentences that contradict the documents: {contradicting}")
    if result is not None:
        lines.append(f"Disagreements between proposals: {len(sides)}")
        lines += [side for side in sides if side.startswith("The documents back ")]
    return lines


def _turns(earlier: list[RunRecord]) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """The earlier turns of a follow-up as (which, question), and each turn's run id -> its turn number."""
    numbers = {r.run_id: i for i, r in enumerate(earlier, 1)}
    return [(f"turn {numbers[r.run_id]} \u00b7 run {r.run_id[:8]}", r.query) for r in earlier], numbers


def _sentence(s: agreement.FinalSentence) -> Sentence:
    return Sentence(s.text, "".join(f"[{i + 1}]" for i in s.sources), [f"contested: {note}" for note in s.contested],
                    sentence_verdict(s))


def _size(doc) -> str:
    n = len(doc.passages)
    return f"{sum(len(p.text) for p in doc.passages):,} characters, {n} passage{'s' if n != 1 else ''}"


def _left_out(run: RunRecord, i: int) -> str:
    """"; left out to fit the context window: pages 3-4" when the models did not read all of document i."""
    doc = run.documents[i] if i < len(run.documents) else None
    if doc is None or not doc.left_out:
        return ""
    return f"; left out to fit the context window: {summarise(describe(doc.passages(), doc.left_out))}"


def build_report(run: RunRecord, ratings: list, method: str = "semantic",
                 earlier: list[RunRecord] | None = None) -> Report:
    """Everything a reviewer needs from one run, with the agreement and evidence checks computed;
    `earlier`: a follow-up's earlier turns, oldest first (`conversation.earlier_turns`)."""
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
    disagreements, sides = [], []
    if result:
        for g in result.disagreements:
            versions = [(", ".join(labels[p] for p in v.proposals if p < len(labels)), v.text) for v in g.versions]
            disagreements.append((", ".join(g.conflict_kinds) or "content", versions))
            sides.append(_document_side(g, labels))
    baseline_call = next((c for c in run.calls_for("baseline") if c.ok), None)
    baseline = Answer("Baseline", baseline_call.model, baseline_call.text,
                      _stars(answer_stars(ratings, baseline_call.call_id, final_id)),
                      _comments(ratings, {baseline_call.call_id})) if baseline_call else None
    conversation, turn_numbers = _turns(list(earlier or []))
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
    synthesis = [_sentence(s) for s in result.final_sentences] if result else []
    quotes = (result.quotes or []) if result else []
    references = (result.references or []) if result else []
    return Report(
        title=_title(run.query, run.run_id), facts=facts, query=run.query,
        documents=[(d.name, _size(d) + _left_out(run, i) + _carried(run, i, turn_numbers)) for i, d in enumerate(docs)],
        synthesis=synthesis, synthesis_text=run.final, quotes=quotes, references=references,
        disagreements=disagreements, dropped=list(result.dropped_consensus) if result else [], proposals=answers,
        final=final, calls=calls,
        method_note=(f"Agreement method: {result.method_used}. {result.note}".strip() if result else
                     "No proposals to compare."),
        summary=_summary(result, quotes, references, synthesis, sides, bool(docs)), baseline=baseline,
        conversation=conversation, document_sides=sides)


def _carried(run: RunRecord, i: int, turn_numbers: dict[str, int]) -> str:
    """"; sent with turn 1 (run 1a2b3c4d)" for a follow-up's document that an earlier turn sent."""
    doc = run.documents[i] if i < len(run.documents) else None
    source = getattr(doc, "carried_from", None)
    if not source:
        return ""
    turn = f"turn {turn_numbers[source]}" if source in turn_numbers else "an earlier turn"
    return f"; sent with {turn} (run {source[:8]})"
