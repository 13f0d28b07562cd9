"""The document as a voice in the agreement map: every claim of the proposals and the synthesis
is compared with the documents' sentences, with the same slot checks. A synthesis that says
"30 days" where the contract says "90 days" contradicts the document; a claim a passage states
is supported. Also: a synthesis sentence that takes one side of a contested claim names the
other side ("proposal 2 says: ...") instead of looking plainly supported.
"""
from __future__ import annotations

from typing import Sequence

from .align import LEXICAL, Thresholds, claim_similarity, coverage
from .claims import Claim, make_claims
from .result import AgreementResult, DocumentLink
from .slots import slot_conflicts


def document_claims(documents: Sequence, entities: frozenset) -> list[tuple[Claim, object]]:
    """Each sentence of each passage as a claim (source -2), with the passage it comes from."""
    out = []
    for doc in documents:
        for passage in doc.passages:
            for claim in make_claims(passage.text, -2, entities):
                out.append((claim, passage))
    return out


def link(claim: Claim, doc_claims: list[tuple[Claim, object]], sim=claim_similarity,
         thresholds: Thresholds = LEXICAL) -> DocumentLink | None:
    """The best document sentence for a claim: a contradiction (a slot differs) wins over support."""
    best_support, best_conflict = None, None
    for d, passage in doc_claims:
        s = sim(claim, d)
        contains = coverage(d, claim) >= 0.8
        if s < thresholds.align and not contains:
            continue
        kinds = slot_conflicts(claim.slots, d.slots)
        if kinds:
            if (s >= thresholds.conflict or contains) and (best_conflict is None or s > best_conflict[0]):
                best_conflict = (s, d, passage, kinds)
        elif best_support is None or s > best_support[0]:
            best_support = (s, d, passage, [])
    if best_conflict and (best_support is None or best_conflict[0] >= best_support[0]):
        s, d, passage, kinds = best_conflict
        return DocumentLink("contradicts", passage.document, passage.location, d.text, passage.text, kinds)
    if best_support:
        s, d, passage, _ = best_support
        return DocumentLink("supported", passage.document, passage.location, d.text, passage.text)
    return None


def add_document_voice(result: AgreementResult, claims: list[list[Claim]], final_claims: list[Claim],
                       documents: Sequence, entities: frozenset, sim=claim_similarity,
                       thresholds: Thresholds = LEXICAL) -> None:
    """Fill `document` on every proposal claim and synthesis sentence (in place)."""
    doc_claims = document_claims(documents, entities)
    if not doc_claims:
        return
    by_position = {(c.source, c.position): c for per in claims for c in per}
    for per in result.proposal_claims:
        for pc in per:
            source = by_position.get((pc.proposal, pc.position))
            if source is not None:
                pc.document = link(source, doc_claims, sim, thresholds)
    for sentence, claim in zip(result.final_sentences, final_claims):
        sentence.document = link(claim, doc_claims, sim, thresholds)


def add_contest_notes(result: AgreementResult, claims: list[list[Claim]], final_claims: list[Claim],
                      sim=claim_similarity) -> None:
    """For each synthesis sentence some proposal contradicts: "proposal N says: <its version>"."""
    for sentence, claim in zip(result.final_sentences, final_claims):
        notes = []
        for p in sentence.conflicts_with:
            rivals = [c for c in claims[p] if slot_conflicts(claim.slots, c.slots)]
            if rivals:
                rival = max(rivals, key=lambda c: sim(claim, c))
                notes.append(f"proposal {p + 1} says: {rival.text}")
        sentence.contested = notes
