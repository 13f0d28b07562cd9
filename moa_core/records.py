"""The vocabulary shared by engine, storage, CLI and UI: call and run records, and run events.

Times are seconds from the run's start (`started_s`, `first_token_s`, `ended_s`) so a record
reads as a timeline; wall-clock dates live on the run only.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

ROLES = ("proposer", "aggregator", "baseline", "fallback")
CALL_STATUSES = ("running", "ok", "failed", "cancelled")
RUN_STATUSES = ("running", "ok", "partial", "fallback", "failed", "interrupted")


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

    @property
    def ok(self) -> bool:
        return self.status == "ok"

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
    lineup: dict[str, Any]
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

    def summary(self) -> dict[str, Any]:
        """The stable JSON shape of `moa run --json`."""
        keys = ("role", "round", "model", "label", "started_s", "first_token_s", "ended_s",
                "prompt_tokens", "completion_tokens", "cost_usd", "error", "text")
        return {
            "run_id": self.run_id,
            "status": self.status,
            "final": self.final,
            "note": self.note,
            "wall_s": _round(self.wall_s),
            "critical_path_s": _round(self.critical_path_s),
            "cost_usd": self.cost_usd,
            "calls": [{k: getattr(c, k) for k in keys} | {"status": c.status} for c in self.calls],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def total_cost(calls: list[CallRecord]) -> float | None:
    """Known costs add up; one priced-unknown call that consumed tokens makes the total unknown."""
    total = 0.0
    for call in calls:
        if call.cost_usd is None:
            if (call.prompt_tokens or 0) + (call.completion_tokens or 0) > 0:
                return None
            continue
        total += call.cost_usd
    return total


def critical_path(calls: list[CallRecord]) -> float | None:
    """Sum over proposer rounds of the slowest call the next stage waited for, plus synthesis.

    Cancelled stragglers end when the quorum was reached, so they count only up to that point.
    The baseline runs beside the proposers and is not on the path.
    """
    durations: dict[int, float] = {}
    for call in calls:
        if call.role == "proposer" and call.duration_s is not None:
            durations[call.round] = max(durations.get(call.round, 0.0), call.duration_s)
    tail = [c.duration_s for c in calls if c.role in ("aggregator", "fallback") and c.duration_s is not None]
    if not durations and not tail:
        return None
    return sum(durations.values()) + sum(tail)


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
