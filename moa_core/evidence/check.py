"""The results of quote and reference checks, shared by `quotes` and `references`: typed, with
`to_dict` for the JSON the CLI prints (`moa run --json`, `moa agreement --json`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Check:
    """One quote or reference from one answer, and where (if anywhere) the documents support it."""
    source: str
    text: str
    status: str
    document: str | None = None
    location: str | None = None
    passage: str | None = None
    score: float = 0.0

    def to_dict(self) -> dict:
        """The product's JSON shape; the score stays internal (it means different things per kind)."""
        data = asdict(self)
        del data["score"]
        return data


@dataclass(frozen=True)
class Checks:
    """Both checks of a set of answers: each quote, then each clause reference, in answer order."""
    quotes: tuple[Check, ...] = ()
    references: tuple[Check, ...] = ()

    def to_dict(self) -> dict:
        """{"quotes": [...], "references": [...]} of `Check.to_dict()`: the product's JSON shape."""
        return {"quotes": [c.to_dict() for c in self.quotes], "references": [c.to_dict() for c in self.references]}
