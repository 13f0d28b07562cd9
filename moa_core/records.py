"""The vocabulary shared by engine, storage, CLI and UI: call and run records, and run events.

Times are seconds from the run's start (`started_s`, `first_token_s`, `ended_s`) so a record
reads as a timeline; wall-clock dates live on the run only.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from .documents import Document
from .documents.left_out import describe
from .costs import critical_path, total_cost
from .lineup import LineupSnapshot

ROLES = ("proposer", "aggregator", "baseline", "fallback")
CALL_STATUSES = ("running", "ok", "failed", "cancelled")
RUN_STATUSES = ("running", "ok", "partial", "fallback", "failed", "interrupted", "cancelled")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class CallRecord:
    """One LLM call as it was made: who, what was sent, what came back, when, and at what cost."""

    role: str
    round: int
    index: int  # position within its role and round (proposer 0..n-1); 0 for the others
    model: str
    label: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    call_id: str = field(default_factory=new_id)
    status: str = "running"
    started_s: float | None = None
    first_token_s: float | None = None
    ended_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None  # None = unknown price, never guessed as 0
    error: str | None = None
    text: str = ""
    attempts: int = 0
    retry_errors: list[str] = field(default_factory=list)
    api_base: str | None = None
    temperature: float | None = None
    cached: bool = False  # answered from the response cache: no request sent, cost 0
    saved_usd: float | None = None  # what the cached answer cost when it was first made

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def display_name(self) -> str:
        """How every view names a call: "[2] beta" for a proposer, "aggregator: agg" otherwise."""
        if self.role == "proposer":
            return f"[{self.index + 1}] {self.label}"
        return f"{self.role}: {self.label}"

    @property
    def duration_s(self) -> float | None:
        if self.started_s is None or self.ended_s is None:
            return None
        return self.ended_s - self.started_s

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CallRecord":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class RunRecord:
    """A whole MoA run: the query, the lineup it ran with, every call, and the outcome."""

    query: str
    lineup: dict[str, Any]  # as stored (JSON); read it through `lineup_snapshot`
    run_id: str = field(default_factory=new_id)
    document_name: str | None = None
    document_text: str | None = None
    status: str = "running"
    final: str = ""
    note: str = ""  # human-readable outcome, e.g. "synthesized from 2 of 3 proposals"
    error: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    wall_s: float | None = None
    calls: list[CallRecord] = field(default_factory=list)
    synthesized_from: int | None = None
    proposers_total: int | None = None
    rounds_run: int | None = None  # proposer rounds that ran (adaptive rounds may stop early)
    rounds_note: str = ""  # why adaptive rounds stopped, and what that saved
    parent_run_id: str | None = None  # the previous turn, when this run continues a conversation
    thread_id: str | None = None  # the conversation's first run
    # every document of the run, in order; document_name/document_text mirror the first (older callers)
    documents: list[Document] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.documents and self.document_text:
            self.documents = [Document(self.document_name or "document", self.document_text)]
        elif self.documents and self.document_name is None and self.document_text is None:
            self.document_name, self.document_text = self.documents[0].name, self.documents[0].text

    @property
    def lineup_snapshot(self) -> LineupSnapshot:
        """The lineup it ran with, typed (`lineup` stays the stored JSON dict; old shapes read leniently)."""
        return LineupSnapshot.from_dict(self.lineup)

    def prompt_documents(self) -> list[tuple[str, str]]:
        """(name, text the models read) per document: what `prompts.user_content` fences (a follow-up's
        documents from earlier turns are already in the conversation history)."""
        return [(d.name, d.prompt_text()) for d in self.documents if not d.carried_from]

    @property
    def cost_usd(self) -> float | None:
        """Sum of call costs; unknown if any call that used tokens has an unknown price."""
        return total_cost(self.calls)

    @property
    def critical_path_s(self) -> float | None:
        return critical_path(self.calls)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens or 0 for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens or 0 for c in self.calls)

    def calls_for(self, role: str, round: int | None = None) -> list[CallRecord]:
        return [c for c in self.calls if c.role == role and (round is None or c.round == round)]

    def to_dict(self) -> dict[str, Any]:
        """The run as one JSON-ready object: its fields, totals and every call in order (the one serializer)."""
        return {
            "run_id": self.run_id, "started_at": self.started_at.isoformat(), "status": self.status,
            "query": self.query, "document_name": self.document_name, "lineup": self.lineup,
            "final": self.final, "note": self.note, "error": self.error, "wall_s": self.wall_s,
            "critical_path_s": self.critical_path_s, "cost_usd": self.cost_usd,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "synthesized_from": self.synthesized_from, "proposers_total": self.proposers_total,
            "rounds_run": self.rounds_run or max((c.round for c in self.calls if c.role == "proposer"), default=None),
            "rounds_note": self.rounds_note, "parent_run_id": self.parent_run_id, "thread_id": self.thread_id,
            "documents": [document_summary(d) for d in self.documents],
            "calls": [c.to_dict() for c in self.calls],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRecord":
        """The inverse of `to_dict` (totals are recomputed from the calls)."""
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known and k not in ("calls", "started_at", "documents")}
        record = cls(**values, calls=[CallRecord.from_dict(c) for c in data.get("calls") or []])
        if data.get("started_at"):
            record.started_at = datetime.fromisoformat(data["started_at"])
        return record

    def summary(self) -> dict[str, Any]:
        """The stable JSON shape of `moa run --json`: a subset of `to_dict`."""
        full = self.to_dict()
        keys = ("role", "round", "model", "label", "started_s", "first_token_s", "ended_s",
                "prompt_tokens", "completion_tokens", "cost_usd", "error", "text", "status")
        return {k: full[k] for k in ("run_id", "status", "final", "note", "cost_usd", "rounds_run",
                                     "rounds_note")} | {
            "wall_s": _round(self.wall_s), "critical_path_s": _round(self.critical_path_s),
            "calls": [{k: c[k] for k in keys} for c in full["calls"]],
        }


def document_summary(doc: Document) -> dict[str, Any]:
    """A run's document in JSON (no text): its size and exactly what was left out to fit the budget."""
    passages = doc.passages()
    return {"name": doc.name, "characters": len(doc.text), "passages": len(passages),
            "passages_left_out": len(doc.left_out), "left_out": describe(passages, doc.left_out),
            "fit_note": doc.fit_note, "carried_from": doc.carried_from}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# ---- events: what the engine emits while a run goes on ----------------------------------

@dataclass
class RunStarted:
    run: RunRecord


@dataclass
class CallStarted:
    call: CallRecord


@dataclass
class TokenDelta:
    call: CallRecord
    text: str


@dataclass
class CallRetrying:
    """The call failed transiently and starts over: consumers should clear its streamed text."""

    call: CallRecord
    error: str
    wait_s: float


@dataclass
class CallFinished:
    call: CallRecord


@dataclass
class CallFailed:
    call: CallRecord  # status "failed" or "cancelled", error says why


@dataclass
class RunFinished:
    run: RunRecord


Event = RunStarted | CallStarted | TokenDelta | CallRetrying | CallFinished | CallFailed | RunFinished
