"""The database tables: runs and their calls, documents, ratings, blind pairs and votes, review queues,
eval sets and batches, the response cache, settings.

Shaped for what comes after a run, so later features add rows, not columns: a rating points at
a call, a run or a blind comparison; a run can belong to a batch and come from an eval item;
per-model analytics read the call table alone. Any change here needs an alembic revision
(`tests/storage/test_store.py` checks that models and migrations agree).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from ..records import utcnow

# Named constraints, so later migrations (batch mode on SQLite) can drop or alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RATING_TARGETS = ("call", "run", "comparison")
PREFERENCES = ("a", "b", "tie", "both_bad")


def _when(**kw: Any) -> Any:
    """A timezone-aware timestamp column (SQLite keeps it as text; we read it back as UTC)."""
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kw)


def _fk(target: str, ondelete: str, **kw: Any) -> Any:
    return Field(default=None, sa_column_args=[ForeignKey(target, ondelete=ondelete)], **kw)


def _text(**kw: Any) -> Any:
    """Unbounded text (answers, prompts, documents): VARCHAR limits have no place here."""
    return Field(sa_type=Text, **kw)


class Document(SQLModel, table=True):
    """Extracted text of an uploaded document; the same text is stored once (sha256)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    type: str = ""
    sha256: str = Field(index=True, unique=True, max_length=64)
    text: str = _text(default="")
    size_bytes: int = 0
    created_at: datetime = _when()
    # where each passage lies in `text`, [[page or null, start, end], ...], so a PDF read back still
    # reports pages; null: paragraphs are the blocks between blank lines (migration 0005)
    spans: list | None = Field(default=None, sa_type=JSON)


class Run(SQLModel, table=True):
    """One MoA run. Written at start (status `running`), closed with its totals at the end."""

    id: str = Field(primary_key=True, max_length=64)  # the engine's run_id
    status: str = Field(default="running", max_length=16)
    started_at: datetime = _when()
    ended_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = _when()  # last write: a heartbeat for runs of other hosts
    owner: str | None = Field(default=None, max_length=200)  # host:pid:start of the writing process
    wall_s: float | None = None
    critical_path_s: float | None = None
    cost_usd: float | None = None  # None = unknown, never 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    synthesized_from: int | None = None
    proposers_total: int | None = None
    lineup_name: str | None = None
    document_id: int | None = _fk("document.id", "SET NULL")
    document_name: str | None = None
    batch_id: str | None = Field(default=None, index=True, max_length=64)  # batch runs over an eval set
    eval_item_id: int | None = _fk("evalitem.id", "SET NULL")
    # the previous turn of a conversation (no foreign key: SQLite adds the column without copying the table)
    parent_run_id: str | None = Field(default=None, max_length=64)
    thread_id: str | None = Field(default=None, index=True, max_length=64)  # the conversation's first run
    query: str = _text()
    note: str = _text(default="")
    error: str | None = _text(default=None)
    lineup: dict = Field(default_factory=dict, sa_type=JSON)
    final: str = _text(default="")  # big values last, as in Call

    __table_args__ = (
        Index("ix_run_started_at", "started_at"),
        Index("ix_run_status_started_at", "status", "started_at"),
    )


class RunDocument(SQLModel, table=True):
    """A run's documents in order (migration 0005): several per run, each stored once in `document`,
    with the passages left out to fit a context window. `run.document_id` still names the first."""

    run_id: str = Field(primary_key=True, sa_column_args=[ForeignKey("run.id", ondelete="CASCADE")], max_length=64)
    position: int = Field(default=0, primary_key=True)
    document_id: int | None = _fk("document.id", "SET NULL")
    name: str
    left_out: list = Field(default_factory=list, sa_type=JSON)  # passage locations ("page 3, paragraph 2")
    fit_note: str = _text(default="")
    carried_from: str | None = Field(default=None, max_length=64)  # a follow-up's document: the turn that sent it


class Call(SQLModel, table=True):
    """One LLM call: every field of `CallRecord`, plus its place in the run."""

    call_id: str = Field(primary_key=True, max_length=64)
    run_id: str = Field(sa_column_args=[ForeignKey("run.id", ondelete="CASCADE")], max_length=64)
    position: int = 0  # order in the run's call list, so a run is rebuilt as it ran
    role: str = Field(max_length=16)
    round: int = 1
    index: int = 0
    model: str
    label: str = ""
    status: str = Field(default="running", max_length=16)
    started_s: float | None = None
    first_token_s: float | None = None
    ended_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    attempts: int = 0
    api_base: str | None = None
    temperature: float | None = None
    cached: bool = False  # answered from the response cache (migration 0003)
    saved_usd: float | None = None  # the cost a cache hit saved
    # Big values last: SQLite reads a row's columns in order, so the analytics columns above are
    # reached without walking the overflow pages of prompts and answers.
    error: str | None = _text(default=None)
    retry_errors: list = Field(default_factory=list, sa_type=JSON)
    text: str = _text(default="")
    messages: list = Field(default_factory=list, sa_type=JSON)

    __table_args__ = (
        Index("ix_call_run_id_position", "run_id", "position"),
        Index("ix_call_model_status", "model", "status"),
    )


class Comparison(SQLModel, table=True):
    """A blind pair: two answers shown as A and B; what each side is stays hidden until revealed."""

    id: int | None = Field(default=None, primary_key=True)
    query: str = _text(default="")
    run_a_id: str | None = _fk("run.id", "CASCADE", max_length=64)
    run_b_id: str | None = _fk("run.id", "CASCADE", max_length=64)
    call_a_id: str | None = _fk("call.call_id", "CASCADE", max_length=64)  # None: the run's final answer
    call_b_id: str | None = _fk("call.call_id", "CASCADE", max_length=64)
    label_a: str = ""  # what side A is, e.g. "moa" or "baseline:gpt-4o-mini" (hidden while blind)
    label_b: str = ""
    moa_side: str | None = Field(default=None, max_length=1)  # "a", "b" or None
    revealed: bool = False
    created_at: datetime = _when()


class Rating(SQLModel, table=True):
    """A human judgement of a call, a run or a blind pair. Call ratings also carry their run_id."""

    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(max_length=16)  # one of RATING_TARGETS
    run_id: str | None = _fk("run.id", "CASCADE", max_length=64, index=True)
    call_id: str | None = _fk("call.call_id", "CASCADE", max_length=64, index=True)
    comparison_id: int | None = _fk("comparison.id", "CASCADE", index=True)
    rater: str = ""
    stars: int | None = None  # 1..5
    scores: dict = Field(default_factory=dict, sa_type=JSON)  # rubric criterion -> score
    preference: str | None = Field(default=None, max_length=16)  # one of PREFERENCES
    comment: str = _text(default="")
    created_at: datetime = _when()


class EvalSet(SQLModel, table=True):
    """A named list of queries to run again and again (batch runs, regressions)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    description: str = _text(default="")
    created_at: datetime = _when()


class EvalItem(SQLModel, table=True):
    """One query of an eval set, with an optional document and reference answer."""

    id: int | None = Field(default=None, primary_key=True)
    eval_set_id: int = Field(sa_column_args=[ForeignKey("evalset.id", ondelete="CASCADE")], index=True)
    position: int = 0
    query: str = _text()
    document_id: int | None = _fk("document.id", "SET NULL")
    reference: str | None = _text(default=None)
    tags: list = Field(default_factory=list, sa_type=JSON)


class Setting(SQLModel, table=True):
    """Small key/value settings (aggregator prompt template, base URLs, ...); values are JSON."""

    key: str = Field(primary_key=True, max_length=200)
    value: Any = Field(default=None, sa_column=Column(JSON))
    updated_at: datetime = _when()


class PriceOverride(SQLModel, table=True):
    """The user's price for a model, USD per token; wins over litellm's table."""

    model: str = Field(primary_key=True, max_length=300)
    input_per_token: float
    output_per_token: float
    updated_at: datetime = _when()


class SavedLineup(SQLModel, table=True):
    """A lineup saved under a name, kept as the TOML the user can also edit by hand."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    toml: str = _text()
    updated_at: datetime = _when()


# ---- judging: blind votes, rubric scores, review queues ---------------------------------------

WINNERS = ("a", "b", "tie", "both_bad")  # a vote's winner, oriented to system_a / system_b as stored


class Vote(SQLModel, table=True):
    """One blind A/B judgement by a person or a judge model. `winner` is oriented to system_a/system_b
    as stored (never to the screen's sides); `shown_swapped` says whether A on screen was system_b."""

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: str = Field(index=True, max_length=200)  # groups votes by prompt (bootstrap resamples these)
    system_a: str = Field(max_length=300)
    system_b: str = Field(max_length=300)
    winner: str = Field(max_length=16)  # one of WINNERS
    reviewer: str = Field(default="", index=True, max_length=200)
    rater_kind: str = Field(default="human", max_length=16)  # "human" or "judge"
    shown_swapped: bool = False
    run_a_id: str | None = _fk("run.id", "SET NULL", max_length=64)
    run_b_id: str | None = _fk("run.id", "SET NULL", max_length=64)
    call_a_id: str | None = _fk("call.call_id", "SET NULL", max_length=64)  # None: the run's final answer
    call_b_id: str | None = _fk("call.call_id", "SET NULL", max_length=64)
    comparison_id: int | None = _fk("comparison.id", "SET NULL")
    queue_id: int | None = _fk("reviewqueue.id", "SET NULL", index=True)
    batch_id: str | None = Field(default=None, index=True, max_length=64)
    comment: str = _text(default="")
    reasoning: str = _text(default="")  # a judge's stated reasons
    # A judge asks twice, a shown first then b; each order's verdict (a/b/tie, oriented like `winner`), None
    # when that order gave none (or the vote is a person's). Columns, so the flip rate never parses text.
    judge_order1: str | None = Field(default=None, max_length=16)
    judge_order2: str | None = Field(default=None, max_length=16)
    created_at: datetime = _when()


class RubricScore(SQLModel, table=True):
    """A 1-5 score of one side of a vote on one criterion (accuracy, completeness, clarity)."""

    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(sa_column_args=[ForeignKey("vote.id", ondelete="CASCADE")], index=True)
    system: str = Field(max_length=300)
    criterion: str = Field(max_length=50)
    score: int


class ReviewQueue(SQLModel, table=True):
    """A queue of A/B items built from a filter over runs or from a batch; done after N votes each."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    source: dict = Field(default_factory=dict, sa_type=JSON)  # the filter or {"batch_id": ...}
    reviewers_per_item: int = 1
    order: str = Field(default="newest", max_length=32)  # or "disagreement"
    created_at: datetime = _when()


class QueueItem(SQLModel, table=True):
    """One pair to judge in a queue: the two answers and where they come from."""

    id: int | None = Field(default=None, primary_key=True)
    queue_id: int = Field(sa_column_args=[ForeignKey("reviewqueue.id", ondelete="CASCADE")], index=True)
    position: int = 0
    prompt_id: str = Field(max_length=200)
    system_a: str = Field(max_length=300)
    system_b: str = Field(max_length=300)
    run_a_id: str | None = _fk("run.id", "CASCADE", max_length=64)
    run_b_id: str | None = _fk("run.id", "CASCADE", max_length=64)
    call_a_id: str | None = _fk("call.call_id", "CASCADE", max_length=64)
    call_b_id: str | None = _fk("call.call_id", "CASCADE", max_length=64)
    disagreement: float | None = None  # how much the run's proposals disagree (queue order)


# ---- batches over eval sets, and the response cache ---------------------------------------------

class Batch(SQLModel, table=True):
    """A lineup and comparison systems run over an eval set; resumable, shared by several workers."""

    id: str = Field(primary_key=True, max_length=64)
    eval_set_id: int | None = _fk("evalset.id", "SET NULL")
    status: str = Field(default="running", max_length=16)  # running, done, cancelled, failed, interrupted
    config: dict = Field(default_factory=dict, sa_type=JSON)  # systems, judge, concurrency, budget, cache
    items: int = 0  # work items (eval items x systems)
    cost_usd: float | None = None  # what its finished work items cost, those of a known price
    unknown_cost_items: int = 0  # finished work items whose price is unknown (migration 0008): never read as $0
    error: str | None = _text(default=None)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class BatchItem(SQLModel, table=True):
    """One unit of batch work: an eval item answered by one system under one configuration."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(sa_column_args=[ForeignKey("batch.id", ondelete="CASCADE")], max_length=64)
    eval_item_id: int | None = _fk("evalitem.id", "SET NULL")
    system: str = Field(max_length=300)
    config_key: str = Field(max_length=64)  # hash of the system's configuration
    status: str = Field(default="pending", max_length=16)  # pending, running, done, failed
    run_id: str | None = _fk("run.id", "SET NULL", max_length=64)
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attempts: int = 0
    error: str | None = _text(default=None)

    __table_args__ = (
        Index("ix_batchitem_batch_id_status", "batch_id", "status"),
        Index("uq_batchitem_work", "batch_id", "eval_item_id", "system", "config_key", unique=True),
    )


class CachedResponse(SQLModel, table=True):
    """A successful answer keyed by the exact request (model, endpoint, messages, parameters)."""

    key: str = Field(primary_key=True, max_length=64)  # sha256 of the canonical request
    model: str = Field(max_length=300)
    text: str = _text(default="")
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None  # what the original call cost: what a hit saves
    hits: int = 0
    created_at: datetime = _when()


# ---- the job queue: work the app submits and `moa worker` processes run --------------------------

JOB_STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")


class Job(SQLModel, table=True):
    """One unit of work for a worker process (a run, a follow-up), claimed under a lease.

    A worker holds `lease_owner` (host:pid:start) until `lease_expires_at`, renewed by its heartbeat;
    a lease that runs out (or whose process is gone) is taken over. `cancel_requested` is the Stop
    button: the worker reads it with each heartbeat. `run_id` is the result (the run it records)."""

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)  # run, follow-up
    payload: dict = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="queued", max_length=16)  # one of JOB_STATES
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    heartbeat_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attempts: int = 0
    cancel_requested: bool = False
    run_id: str | None = Field(default=None, index=True, max_length=64)
    error: str | None = _text(default=None)
    created_at: datetime = _when()
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    __table_args__ = (Index("ix_job_status_created_at", "status", "created_at"),)
