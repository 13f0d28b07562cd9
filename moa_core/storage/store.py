"""`RunStore`: the verbs the app and the CLI use to keep runs, calls and ratings.

Every write is its own short transaction, made as the run goes: the run row at start, each
call the moment it ends, the totals at the end. A process killed mid-run leaves a `running`
row with its finished calls; the next `open` marks it `interrupted` and keeps those calls.
Lineups, settings, prices and documents live in `catalog.py`, ratings and blind pairs in
`ratings.py` (mixins of the same store).
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from ..metrics.cost import critical_path, total_cost
from ..metrics.ratings import run_stars
from ..records import CallFailed, CallFinished, CallRecord, Event, RunFinished, RunRecord, RunStarted, utcnow
from . import db
from ..metrics.model_stats import ModelStats, model_stats
from .batches import BatchStore
from .catalog import Catalog
from .ratings import Ratings
from .schema import Call, Document, Rating, Run
from .liveness import owner_gone, owner_token
from .rows import RunSummary, as_utc, call_record, call_row, interrupted_note, run_columns, run_record

log = logging.getLogger(__name__)

STALE_AFTER_S = 3600.0  # a `running` run of another host with no write for this long is dead


class RunStore(Catalog, Ratings, BatchStore):
    """One database (SQLite file or PostgreSQL), migrated on open. Safe to share between threads."""

    def __init__(self, engine):
        self.engine = engine
        self._writer = db.writer(engine)
        self._owner = owner_token()
        self._active: dict[str, RunRecord] = {}  # runs this process is recording now
        self._lock = threading.Lock()

    # ---- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None) -> "RunStore":
        """Connect to `url` (default: `DATABASE_URL` or the SQLite file), migrate, close dead runs."""
        engine = db.create(url or db.default_url())
        db.migrate(engine)
        store = cls(engine)
        store.mark_interrupted()
        return store

    @classmethod
    def open_default(cls) -> "RunStore":
        return cls.open(None)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def url(self) -> str:
        """The database URL without its password."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def _read(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # ---- recording a run as it goes ----------------------------------------------------------

    def observe(self, event: Event) -> None:
        """Feed every engine event here. A failed write is logged, never raised into the run;
        the final `RunFinished` write saves the whole record again, so it repairs earlier misses."""
        try:
            if isinstance(event, RunStarted):
                with self._lock:
                    self._active[event.run.run_id] = event.run
                self._save(event.run, owner=self._owner)
            elif isinstance(event, (CallFinished, CallFailed)):
                self._save_call(event.call)
            elif isinstance(event, RunFinished):
                self._save(event.run, owner=None)
                with self._lock:
                    self._active.pop(event.run.run_id, None)
        except SQLAlchemyError as exc:
            level = logging.ERROR if isinstance(event, RunFinished) else logging.WARNING
            log.log(level, "could not store %s in %s: %s", type(event).__name__, self.url, exc)

    def save_run(self, record: RunRecord) -> None:
        """Write a whole record at once (imports, tests, a run recorded elsewhere)."""
        self._save(record, owner=None)

    def _save(self, record: RunRecord, owner: str | None) -> None:
        columns = run_columns(record)
        if record.status != "running":
            columns["ended_at"] = record.started_at + timedelta(seconds=record.wall_s or 0)
        with self._write() as s:
            row = s.get(Run, record.run_id)
            if row is None:
                row = Run(**columns)
                s.add(row)
            else:
                for key, value in columns.items():
                    setattr(row, key, value)
            row.owner = owner
            if record.document_text and row.document_id is None:
                row.document_id = self._document(s, record.document_name, record.document_text).id
            for position, call in enumerate(record.calls):
                s.merge(call_row(call, record.run_id, position))

    def _save_call(self, call: CallRecord) -> None:
        with self._lock:
            found = [(r.run_id, i) for r in self._active.values() for i, c in enumerate(r.calls) if c is call]
        if not found:
            log.warning("call %s ended outside any run this store saw start; not stored", call.call_id)
            return
        run_id, position = found[0]
        with self._write() as s:
            s.merge(call_row(call, run_id, position))
            s.execute(update(Run).where(Run.id == run_id).values(updated_at=utcnow()))

    def mark_interrupted(self, stale_after_s: float = STALE_AFTER_S) -> list[str]:
        """Close `running` runs whose process is gone (or, from another host, silent for too long).

        Their finished calls stay; totals are computed from them. Returns the run ids closed.
        """
        now = utcnow()
        closed = []
        with self._write() as s:
            for run in s.execute(select(Run).where(Run.status == "running")).scalars():
                with self._lock:
                    if run.id in self._active:
                        continue
                gone = owner_gone(run.owner)
                if gone is False or (gone is None and now - as_utc(run.updated_at) < timedelta(seconds=stale_after_s)):
                    continue
                calls = [call_record(c) for c in s.execute(select(Call).where(Call.run_id == run.id)).scalars()]
                run.status, run.note = "interrupted", interrupted_note(calls)
                run.cost_usd, run.critical_path_s = total_cost(calls), critical_path(calls)
                run.prompt_tokens = sum(c.prompt_tokens or 0 for c in calls)
                run.completion_tokens = sum(c.completion_tokens or 0 for c in calls)
                ends = [c.ended_s for c in calls if c.ended_s is not None]
                run.wall_s = max(ends) if ends else None
                run.ended_at, run.owner = run.updated_at, None
                closed.append(run.id)
        if closed:
            log.info("marked %d run(s) interrupted: %s", len(closed), ", ".join(closed))
        return closed

    # ---- reading runs --------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord | None:
        """The run as it ran, with its calls in order and its document text; None if unknown."""
        with self._read() as s:
            row = s.get(Run, run_id)
            if row is None:
                return None
            calls = list(s.execute(select(Call).where(Call.run_id == run_id)).scalars())
            doc = s.get(Document, row.document_id) if row.document_id else None
            return run_record(row, calls, doc.text if doc else None)

    def list_runs(self, limit: int = 50, offset: int = 0, status: str | None = None,
                  model: str | None = None, search: str | None = None) -> list[RunSummary]:
        """Newest first, with totals, models and average stars; filter by status, model or query text."""
        q = (select(Run.id, Run.started_at, Run.status, Run.query, Run.note, Run.wall_s, Run.critical_path_s,
                    Run.lineup_name, Run.document_name)
             .order_by(Run.started_at.desc(), Run.id.desc()).limit(limit).offset(offset))
        if status:
            q = q.where(Run.status == status)
        if model:
            q = q.where(Run.id.in_(select(Call.run_id).where(Call.model == model)))
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            q = q.where(Run.query.ilike(f"%{escaped}%", escape="\\"))
        with self.engine.connect() as conn:
            runs = conn.execute(q).all()
            ids = [r.id for r in runs]
            if not ids:
                return []
            calls = conn.execute(
                select(Call.run_id, Call.call_id, Call.role, Call.model, Call.status, Call.cost_usd,
                       Call.prompt_tokens, Call.completion_tokens)
                .where(Call.run_id.in_(ids)).order_by(Call.run_id, Call.position)
            ).all()
            ratings = conn.execute(
                select(Rating.id, Rating.run_id, Rating.call_id, Rating.target, Rating.rater, Rating.stars)
                .where(Rating.run_id.in_(ids), Rating.stars.is_not(None))
            ).mappings().all()
        by_run: dict[str, list] = {}
        for c in calls:
            by_run.setdefault(c.run_id, []).append(c)
        ratings_by_run: dict[str, list] = {}
        for rating in ratings:
            ratings_by_run.setdefault(rating["run_id"], []).append(rating)
        out = []
        for r in runs:
            cs = by_run.get(r.id, [])
            avg, count = run_stars(ratings_by_run.get(r.id, []), cs, r.status)
            out.append(RunSummary(
                run_id=r.id, started_at=as_utc(r.started_at), status=r.status, query=r.query, note=r.note,
                models=list(dict.fromkeys(c.model for c in cs)), calls=len(cs),
                failed_calls=sum(c.status == "failed" for c in cs), cost_usd=total_cost(cs),
                wall_s=r.wall_s, critical_path_s=r.critical_path_s,
                prompt_tokens=sum(c.prompt_tokens or 0 for c in cs),
                completion_tokens=sum(c.completion_tokens or 0 for c in cs),
                avg_stars=avg, ratings=count,
                lineup_name=r.lineup_name, document_name=r.document_name))
        return out

    def iter_runs(self, batch_size: int = 200) -> Iterator[tuple[RunRecord, list[Rating]]]:
        """Every run, oldest first, with its ratings, a batch of runs per query (for exports)."""
        offset = 0
        while True:
            with self._read() as s:
                rows = list(s.execute(select(Run).order_by(Run.started_at, Run.id)
                                   .offset(offset).limit(batch_size)).scalars())
                if not rows:
                    return
                ids = [r.id for r in rows]
                calls, ratings = {}, {}
                for c in s.execute(select(Call).where(Call.run_id.in_(ids))).scalars():
                    calls.setdefault(c.run_id, []).append(c)
                for rt in s.execute(select(Rating).where(Rating.run_id.in_(ids)).order_by(Rating.id)).scalars():
                    ratings.setdefault(rt.run_id, []).append(rt)
                docs = {d.id: d.text for d in s.execute(select(Document).where(
                    Document.id.in_({r.document_id for r in rows if r.document_id}))).scalars()}
            for r in rows:
                yield run_record(r, calls.get(r.id, []), docs.get(r.document_id)), ratings.get(r.id, [])
            offset += batch_size

    def delete_run(self, run_id: str) -> bool:
        """Delete a run with its calls and ratings (the database cascades); False if unknown."""
        with self._write() as s:
            return s.execute(delete(Run).where(Run.id == run_id)).rowcount > 0

    def link_run(self, run_id: str, *, batch_id: str | None = None, eval_item_id: int | None = None) -> None:
        """Tie a run to a batch and/or the eval item it answered (batch runs)."""
        with self._write() as s:
            s.execute(update(Run).where(Run.id == run_id).values(batch_id=batch_id, eval_item_id=eval_item_id))

    # ---- analytics -------------------------------------------------------------------------------

    def call_rows(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every call as a plain dict (no prompts or answers), with its run's date and status."""
        q = (select(Call.call_id, Call.run_id, Run.started_at.label("run_started_at"),
                    Run.status.label("run_status"), Run.batch_id, Call.role, Call.round, Call.index,
                    Call.model, Call.label, Call.status, Call.started_s, Call.first_token_s, Call.ended_s,
                    (Call.ended_s - Call.started_s).label("duration_s"),
                    (Call.first_token_s - Call.started_s).label("ttft_s"), Call.prompt_tokens,
                    Call.completion_tokens, Call.cost_usd, Call.attempts, Call.error)
             .join(Run, Run.id == Call.run_id))
        if since is not None:
            q = q.where(Run.started_at >= as_utc(since).astimezone(timezone.utc))
        with self.engine.connect() as conn:
            rows = [dict(m) for m in conn.execute(q).mappings()]
        for row in rows:
            row["run_started_at"] = as_utc(row["run_started_at"])
        return rows

    def model_stats(self, since: datetime | None = None) -> list[ModelStats]:
        """Per model: calls, failures, p50/p95 latency, mean time to first token, cost.

        Reads only the columns the figures need (no join without `since`): this runs on every
        analytics page view, over every call ever made.
        """
        q = select(Call.model, Call.status, (Call.ended_s - Call.started_s).label("duration_s"),
                   (Call.first_token_s - Call.started_s).label("ttft_s"), Call.prompt_tokens,
                   Call.completion_tokens, Call.cost_usd)
        if since is not None:
            q = q.join(Run, Run.id == Call.run_id).where(Run.started_at >= as_utc(since).astimezone(timezone.utc))
        with self.engine.connect() as conn:
            return model_stats(conn.execute(q).mappings())
