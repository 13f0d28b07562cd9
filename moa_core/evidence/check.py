"""The result of one quote or reference check, shared by `quotes` and `references`."""
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
