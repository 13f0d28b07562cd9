"""The document as a voice in the agreement map: what the documents say about each claim.

Precision first, because an analyst who sees one wrong "contradicts" stops reading:
- **supported** only when one document sentence states the same fact: every value of the claim
  (amount, percentage, duration, number, date, place, party) is in it, anchored to the same predicate
  (the "30 days" of "not remedied within 30 days" does not support "terminate on 30 days' notice"),
  with the same polarity clause by clause, and the claim's content words mostly there;
- **contradicts** only for the opposite fact about the same subject: the same content words, and a value
  of the same kind on the same predicate that differs, a role swap, or a negation of the same clause;
  never on a tie with a supporting passage;
- **superseded** when the claim matches a clause a later document replaced; **related** for a passage
  on the topic that settles nothing. A claim citing a clause the reference check cannot find is
  never supported.
Several documents are one record in order (upload order, or `prevails` names the ones that win): an
amendment's text replaces the clause it amends (`evidence.amendments`), and where two documents
disagree the later one wins.

The record (`document_record`) and the checks (`verdict_checks`) live beside this module; here they
become verdicts, links and the sides the documents back.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Sequence

from moa_core.documents.defined_terms import name_parties
from moa_core.evidence.amendments import Unit
from moa_core.evidence.references import check_references, find_references

from .align import LEXICAL, Thresholds, claim_similarity, coverage
from .binding import differing_kinds
from .claims import Claim, make_claims
from .document_record import DocSentence, DocumentRecord, build_record, clause_pieces, index_words
from .result import AgreementResult, ClauseRef, DocumentLink, DocumentSide
from .slots import slot_conflicts
from .value_patterns import AMOUNT, DURATION, PERCENT
from .verdict_checks import (NOT_WITHOUT, SAME_MEASURED, VALUE_KINDS, anchored, figure_of_another_period,
                             figures_written, only_roles_differ, other_subject, predicate_stated,
                             qualified_alike, qualifiers_stated, real_words, same_subject, share,
                             slots_stated, subjects_differ)


SUPPORT_COVER = 0.6      # share of the claim's content words a supporting sentence must have


CONTRADICT_COVER = 0.7   # ... and a contradicting one (the same subject)


RELATED_COVER = 0.5


_REFERENCE = re.compile(r"\b(?:(?:the\s+)?(?:amendment|agreement|lease|addendum|contract)(?:'s)?\s+)?"
                        r"\(?(?:clause|section|article|schedule|annex|appendix|paragraph|§)\s*\d+(?:\.\d+)*(?:\s?\([a-z0-9]{1,4}\))*\)?"
                        r"(?:\s+of\s+the\s+(?:agreement|lease|contract|amendment))?", re.IGNORECASE)


def _clean(text: str) -> str:
    """A claim without its clause references: the reference check judges those, the slots must not
    read "12.4" as a figure."""
    return re.sub(r"\s+", " ", _REFERENCE.sub(" ", text)).strip(" ,")


@dataclass
class _Judged:
    kind: str                  # supports | contradicts | related
    score: float
    sentence: DocSentence
    kinds: list = field(default_factory=list)


def _judge(claim: Claim, pieces: tuple, d: DocSentence, s: float, thresholds: Thresholds,
           terms: frozenset = frozenset()) -> _Judged | None:
    """One claim against one document sentence. `terms`: the record's defined party terms."""
    cover = share(real_words(claim), real_words(d.claim))
    relevant = s >= thresholds.align or cover >= 0.8 or coverage(d.claim, claim) >= 0.8
    if not relevant:
        return None
    conflicts = slot_conflicts(claim.slots, d.claim.slots)
    all_found, differs = anchored(pieces, d.pieces)
    if (not conflicts and cover >= SUPPORT_COVER and all_found and slots_stated(claim, d.claim, terms)
            and predicate_stated(claim, d) and qualified_alike(claim.text, d)):
        return _Judged("supports", s + cover, d)
    if cover >= CONTRADICT_COVER and conflicts:
        kinds = [k for k in conflicts if k not in SAME_MEASURED or k in differs]
        if "party" in kinds or "place" in kinds:
            if cover < 0.8:
                kinds = [k for k in kinds if k not in ("party", "place")]
        if "party" in kinds and only_roles_differ(claim, d) and not subjects_differ(claim, d):
            kinds.remove("party")  # "notify the insurer" / "notify the Lender": another recipient, not a denial
        if "negation" in kinds and len(conflicts) > 1:
            kinds = []  # denied and a different figure: "does not expect it before 2025" vs "expects it in 2026"
        if "negation" in kinds and NOT_WITHOUT.search(claim.text) is None and NOT_WITHOUT.search(d.text) \
                and not re.search(r"\bwithout\b", claim.text, re.I):
            kinds.remove("negation")  # "not permitted without a permit" is "needs a permit", not its denial
        if "negation" in kinds and not (predicate_stated(claim, d) and slots_stated(claim, d.claim)):
            # the opposite fact needs the same fact: the claim's predicate and every value in the sentence
            # ("did not approve the acquisition" says nothing against "discussed the acquisition")
            kinds.remove("negation")
        if kinds and other_subject(claim, d, conflicts):
            kinds = []
        value_kinds = [k for k in kinds if k in VALUE_KINDS | {"date", "place"}]
        if value_kinds:
            # the differing value must stand where the claim's does, and a bare number the sentence
            # writes in another form ("37.5" of "37.5 hours", "1.6x" of "1.6 times") is no conflict
            keep = differing_kinds(claim.text, d.text, value_kinds, d.entities)
            if "number" in keep and figures_written(claim, d.text):
                keep.discard("number")
            kinds = [k for k in kinds if k not in value_kinds or k in keep]
            if any(k in VALUE_KINDS for k in kinds) and not (same_subject(claim, d) and qualifiers_stated(claim, d)):
                # "The rent deposit ... is reduced to £19,750" is not about "the rent"; "Revenue in North
                # America grew by 12%" is not denied by the group's revenue growth
                kinds = [k for k in kinds if k not in VALUE_KINDS]
        if kinds == ["date"] and figure_of_another_period(claim, d):
            kinds = []
        if kinds:
            return _Judged("contradicts", s + cover, d, sorted(set(kinds)))
    if cover >= RELATED_COVER:
        return _Judged("related", s + cover, d, sorted(differs))
    return None


def verdict(claim: Claim | str, record: DocumentRecord, sim=claim_similarity,
            thresholds: Thresholds = LEXICAL, entities: frozenset = frozenset()) -> DocumentLink | None:
    """What the record says about one claim (a Claim or its text): a DocumentLink, or None.
    `entities`: names known from the answers, added to the documents' own."""
    text = claim if isinstance(claim, str) else claim.text
    entities = record.entities | entities
    # "Marlow Optics pays" is judged as "the Tenant pays" when the parties clause defines it so
    cleaned = make_claims(_clean(name_parties(text, record.parties)), -3, entities)
    if not cleaned or not record.sentences:
        return None
    c = cleaned[0]
    pieces = clause_pieces(c.text, entities)
    candidates = [record.sentences[i] for i in record.candidates(real_words(c) | index_words(c.text))]
    words = real_words(c)
    # below RELATED_COVER a sentence is not even related, whatever its similarity: no need to embed it
    candidates = [d for d in candidates if d.claim and share(words, real_words(d.claim)) >= RELATED_COVER]
    prepare = getattr(sim, "prepare", None)
    if prepare is not None:  # embed the claim and its candidates in one batch
        prepare([c.text] + [d.claim.text for d in candidates])
    terms = frozenset(t.lower() for t in record.parties.values())
    judged = [j for d in candidates if (j := _judge(c, pieces, d, sim(c, d.claim), thresholds, terms))]
    link = _decide(judged)
    missing = _missing_reference(text, record)
    if link and missing:
        link.status, link.kinds, link.reference = "related", [], missing
        link.summary = f"related passage: {_where(link)}; cites {missing}, which the documents do not have"
    return link


def _decide(judged: list[_Judged]) -> DocumentLink | None:
    best = lambda xs: max(xs, key=lambda j: (j.score, j.sentence.order))  # noqa: E731
    supports = [j for j in judged if j.kind == "supports" and not j.sentence.superseded]
    old = [j for j in judged if j.kind == "supports" and j.sentence.superseded]
    against = [j for j in judged if j.kind == "contradicts" and not j.sentence.superseded]
    related = [j for j in judged if j.kind == "related" and not j.sentence.superseded]
    if supports and against:
        top_s, top_k = max(j.sentence.order for j in supports), max(j.sentence.order for j in against)
        if top_k > top_s:  # a later document says otherwise: it prevails
            k = best([j for j in against if j.sentence.order == top_k])
            return _link("contradicts", k, matches=best(supports))
        if top_s > top_k or best(supports).score > best(against).score:
            return _link("supported", best([j for j in supports if j.sentence.order == top_s]))
        return _link("related", best(supports), note="the documents state this both ways")
    if supports:
        return _link("supported", best(supports))
    if against:
        return _link("contradicts", best(against), matches=best(old) if old else None)
    if old:
        # it states the replaced clause; the clause's new text gives the same predicate another value
        o = best(old)
        newer = [j for j in judged if j.sentence.replaces is o.sentence.superseded and j.kinds]
        if newer:
            return _link("contradicts", best(newer), matches=o)
        return _link("superseded", best(old))
    if related:
        return _link("related", best(related))
    return None


def _clause_ref(unit: Unit | None, passage=None, clause: str = "", text: str = "") -> ClauseRef:
    if unit is not None:
        passage, clause, text = unit.passage, unit.clause, unit.text
    return ClauseRef(passage.document, passage.location, clause, text.strip(), _values(text))


def _values(text: str) -> str:
    """The figures of a clause as a reader names them: "ninety (90) days'" -> "90 days"."""
    found = []
    for pattern in (DURATION, AMOUNT, PERCENT):
        for m in pattern.finditer(text):
            v = re.sub(r"\b[\w-]+(?:\s+and\s+[\w-]+)*\s*\((\d+)\)", r"\1", m.group(0)).strip(" '")
            if v not in found and not any(v in f for f in found):
                found.append(v)
    return ", ".join(found)


def _where(link) -> str:
    return f"{link.document}, {link.location}"


def _named(ref: ClauseRef) -> str:
    where = f"{ref.document} clause {ref.clause}" if ref.clause else f"{ref.document}, {ref.location}"
    return where + (f" ({ref.values})" if ref.values else "")


def _link(status: str, j: _Judged, matches: _Judged | None = None, note: str = "") -> DocumentLink:
    d = j.sentence
    link = DocumentLink(status, d.passage.document, d.passage.location, d.text, d.passage.text,
                        list(j.kinds))
    if d.replaces is not None:
        a = d.replaces
        link.replaces = _clause_ref(a.target) if a.target else ClauseRef("", "", a.clause, "", "")
    if status == "superseded":
        a = d.superseded
        link.superseded = _clause_ref(None, d.passage, d.clause, d.text)
        link.document, link.location = a.passage.document, a.passage.location
        link.sentence, link.passage = a.new_text, a.passage.text
        link.summary = f"matches {_named(link.superseded)}, replaced by {_where(link)}"
        return link
    if matches is not None:
        m = matches.sentence
        link.superseded = _clause_ref(None, m.passage, m.clause, m.text)
    verb = {"supported": "supported by", "contradicts": "contradicts", "related": "related passage:"}[status]
    summary = f"{verb} {_where(link)}"
    if link.replaces is not None:
        summary += f", which replaces {_named(link.replaces) if link.replaces.document else 'clause ' + link.replaces.clause}"
    if status == "contradicts" and link.kinds:
        summary += f" ({', '.join(link.kinds)})"
    if link.superseded is not None:
        ref = link.superseded
        if m.superseded is not None:
            summary += f"; matches {_named(ref)}, replaced by {m.superseded.passage.document}, {m.superseded.passage.location}"
        else:
            summary += f"; matches {_named(ref)}, which the later {link.document} prevails over"
    if note:
        summary += f"; {note}"
    link.summary = summary
    return link


def _missing_reference(text: str, record: DocumentRecord) -> str:
    """The first clause the sentence cites that no document of the record has ("" when all are found)."""
    if not find_references(text):
        return ""
    if text not in record.missing:
        checks = check_references([("claim", text)], list(record.documents))
        record.missing[text] = next((c.text for c in checks if c.status == "not_found"), "")
    return record.missing[text]


def document_side(texts: Sequence[str], record: DocumentRecord, sim=claim_similarity,
                  thresholds: Thresholds = LEXICAL, judge=None) -> DocumentSide:
    """Which of competing versions of one claim ("30 days" / "90 days") the documents support."""
    links = [judge(t) if judge else verdict(t, record, sim, thresholds) for t in texts]
    backed = [i for i, link in enumerate(links) if link and link.status == "supported"]
    if len(backed) == 1:
        link = links[backed[0]]
        summary = f"the documents back version {backed[0] + 1}: {link.summary}"
    elif backed:
        summary = "the documents support more than one version"
    else:
        summary = "the documents back no version"
    return DocumentSide(backed, links, summary)


def add_document_voice(result: AgreementResult, claims: list[list[Claim]], final_claims: list[Claim],
                       documents: Sequence, entities: frozenset, sim=claim_similarity,
                       thresholds: Thresholds = LEXICAL, prevails: Sequence[str] | str | None = None) -> None:
    """Fill `document` on every proposal claim, synthesis sentence and claim group (in place)."""
    record = build_record(documents, entities, prevails)
    if not record.sentences:
        return
    seen: dict[str, DocumentLink | None] = {}

    def judge(text: str) -> DocumentLink | None:
        """One verdict per distinct text (a claim, its group's version and the synthesis often repeat)."""
        if text not in seen:
            seen[text] = verdict(text, record, sim, thresholds, entities)
        return copy.copy(seen[text])

    by_position = {(c.source, c.position): c for per in claims for c in per}
    for per in result.proposal_claims:
        for pc in per:
            source = by_position.get((pc.proposal, pc.position))
            if source is not None:
                pc.document = judge(source.text)
    for sentence, claim in zip(result.final_sentences, final_claims):
        sentence.document = judge(claim.text)
    for group in result.claims:
        group.document = document_side([v.text for v in group.versions], record, sim, thresholds, judge)
