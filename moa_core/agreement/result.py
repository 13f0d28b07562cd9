"""What an agreement analysis returns: claim groups, per-proposal claims, traced synthesis
sentences, dropped consensus, similarity; and its JSON shape. The UI renders these as they are.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..evidence.check import Check


CATEGORIES = ("all", "some", "only", "contested")  # ProposalClaim.category, for a legend


@dataclass
class ClaimVersion:
    """One competing version of a contested claim and the proposals that state it."""
    text: str
    proposals: list[int]


@dataclass
class ClaimGroup:
    """Claims from several proposals aligned as one; `text` is the majority version's."""
    id: int
    text: str
    supported_by: list[int]
    conflicts_with: list[int]
    versions: list[ClaimVersion]       # versions[0] is `text`; more than one means a conflict
    conflict_kinds: list[str] = field(default_factory=list)
    document: DocumentSide | None = None  # with documents: which version they support

    @property
    def contested(self) -> bool:
        return bool(self.conflicts_with)


@dataclass
class ProposalClaim:
    """One claim as it appears in one proposal, with its support category for highlighting."""
    text: str
    proposal: int
    position: int
    group: int                         # index into AgreementResult.claims
    category: str                      # all | some | only | contested
    supported_by: list[int]
    conflicts_with: list[int]
    document: DocumentLink | None = None  # what the documents say about it (with documents)


@dataclass
class ClauseRef:
    """A provision of one document: where it is, its number, its text and its figures ("90 days")."""
    document: str
    location: str
    clause: str                        # "9.1", "" when the document does not number it
    text: str
    values: str = ""


@dataclass
class DocumentLink:
    """What the documents say about one claim. Only `supported` and `contradicts` are verdicts;
    `superseded` (it matches a clause a later document replaced) and `related` (a passage on the
    topic that settles nothing) must not be shown as support. `summary` is the line to show."""
    status: str                        # supported | contradicts | superseded | related
    document: str
    location: str
    sentence: str                      # the document's sentence that matched (an amendment: the new text)
    passage: str                       # the whole passage, to show
    kinds: list[str] = field(default_factory=list)  # for contradicts: duration, amount, ...
    replaces: ClauseRef | None = None  # the passage is a later document's text replacing this clause
    superseded: ClauseRef | None = None  # the claim matches this earlier text, which the passage replaced
    reference: str = ""                # a clause the claim cites that no document has ("Clause 12.4")
    summary: str = ""                  # "supported by amendment-1.docx, paragraph 5, which replaces ..."

    @property
    def supports(self) -> bool:
        return self.status == "supported"

    @property
    def contradicts(self) -> bool:
        return self.status == "contradicts"


@dataclass
class DocumentSide:
    """Which competing version of a claim the documents support (`backed`: indices into the group's
    versions), with the verdict on every version, in the versions' order."""
    backed: list[int]
    versions: list[DocumentLink | None]
    summary: str


@dataclass
class FinalSentence:
    """One synthesis sentence and the proposals that support (or contradict) it."""
    text: str
    sources: list[int]
    unsupported: bool
    conflicts_with: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    contested: list[str] = field(default_factory=list)   # "proposal 2 says: ..." for each other side
    document: DocumentLink | None = None


@dataclass
class AgreementResult:
    """Everything the CLI and the UI render; `to_json` gives the CLI's shape."""
    claims: list[ClaimGroup]
    proposal_claims: list[list[ProposalClaim]]
    final_sentences: list[FinalSentence]
    dropped_consensus: list[str]
    similarity: list[list[float]]
    method_used: str = "offline"
    note: str = ""
    quotes: list[Check] | None = None       # moa_core.evidence checks; None when no document was given
    references: list[Check] | None = None

    @property
    def disagreements(self) -> list[ClaimGroup]:
        return [g for g in self.claims if g.contested]


def to_json(result: AgreementResult) -> dict:
    """The CLI's JSON shape: claims, final_sentences, dropped_consensus, similarity; when documents
    were checked, also quotes and references, and per synthesis sentence `contested` and `document`."""
    with_docs = result.quotes is not None
    out = {
        "claims": [claim for g in result.claims for claim in _json_claims(g, with_docs)],
        "final_sentences": [_json_sentence(s, with_docs) for s in result.final_sentences],
        "dropped_consensus": list(result.dropped_consensus),
        "similarity": [[round(x, 4) for x in row] for row in result.similarity],
    }
    if with_docs:
        out["quotes"] = [c.to_dict() for c in result.quotes or []]
        out["references"] = [c.to_dict() for c in result.references or []]
    return out


def _json_sentence(s: FinalSentence, with_docs: bool) -> dict:
    out = {"text": s.text, "sources": s.sources, "unsupported": s.unsupported}
    if with_docs:
        out["contested"] = list(s.contested)
        out["document"] = asdict(s.document) if s.document else None
    return out


def _json_claims(group: ClaimGroup, with_docs: bool = False) -> list[dict]:
    """One entry per competing version, so "30 days" and "90 days" both appear, each naming the other side;
    with documents each has `document` (what the documents say about that version, or null) and
    `documents_back` (true for the version the documents support)."""
    side = group.document

    def doc_fields(i: int) -> dict:
        if not with_docs:
            return {}
        link = side.versions[i] if side and i < len(side.versions) else None
        return {"document": asdict(link) if link else None, "documents_back": bool(side and i in side.backed)}

    if len(group.versions) < 2:
        return [{"text": group.text, "supported_by": group.supported_by, "conflicts_with": group.conflicts_with,
                 **doc_fields(0)}]
    out = []
    for i, version in enumerate(group.versions):
        others = sorted({p for v in group.versions if v is not version for p in v.proposals} - set(version.proposals))
        out.append({"text": version.text, "supported_by": sorted(version.proposals), "conflicts_with": others,
                    **doc_fields(i)})
    return out


def to_dict(result: AgreementResult) -> dict:
    """Every field of the result as plain data (for storage or a richer export)."""
    return asdict(result)
