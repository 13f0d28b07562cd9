"""`RunStore`: the verbs the app and the CLI use to keep runs, calls and ratings.

Every write is its own short transaction, made as the run goes: the run row at start, each
call the moment it ends, the totals at the end. A process killed mid-run leaves a `running`
row with its finished calls; the next `open` marks it `interrupted` and keeps those calls.
The other concepts are repositories wired here as attributes, sharing one `Database`:
`store.catalog` (lineups, eval sets, settings, prices, documents), `store.ratings` (stars, blind
pairs), `store.votes` (blind A/B votes), `store.queues` (review queues), `store.batches` (batch
rows, items, claims), `store.cache` (the response cache), `store.analytics` (column reads for
figures) and `store.jobs` (the job queue). A caller that needs one concept takes that one.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any, Iterator

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from ..costs import critical_path, total_cost
from ..records import (CallFailed, CallFinished, CallRecord, CallRetrying, Event, RunFinished, RunRecord,
                       RunStarted, TokenDelta, utcnow)
from ..redact import redact, redact_values
from . import db, unsaved
from .upsert import upsert
from .writer import Writer
from .analytics_reads import AnalyticsReads
from .batches import Batches
from .cache import Cache
from .catalog import Catalog, stored_document
from .database import Database
from .jobs import Jobs
from .queues import Queues
from .run_documents import link_documents, load_documents
from .run_listing import list_runs
from .ratings import Ratings
from .schema import Call, Rating, Run
from .votes import Votes
from .liveness import STALE_AFTER_S, owner_token, run_is_dead
from .rows import (RunSummary, as_utc, call_record, call_row, interrupted_note, run_columns,
                   run_record)

log = logging.getLogger(__name__)

PARTIAL_WRITE_S = 0.25  # a streaming call's text is written at most this often: any process can show it live
OPEN_ATTEMPTS = 3  # opening a locked database: tries, each waiting SQLite's busy timeout


def _locked(exc: Exception) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class RunStore:
    """One database (SQLite file or PostgreSQL), migrated on open. Safe to share between threads."""

    def __init__(self, engine):
        self.engine = engine
        self.database = Database(engine)
        self.catalog = Catalog(self.database)
        self.ratings = Ratings(self.database)
        self.votes = Votes(self.database, self.catalog)
        self.queues = Queues(self.database, self.votes, self.get_run)
        self.batches = Batches(self.database, self.votes)
        self.cache = Cache(self.database)
        self.analytics = AnalyticsReads(self.database)
        self.jobs = Jobs(self.database, close_run=self.close_interrupted)
        self._owner = owner_token()
        self._active: dict[str, RunRecord] = {}  # runs this process is recording now
        self._lock = threading.Lock()
        self._queue = Writer()  # run writes happen here, off the event loop
        self._problems: dict[str, str] = {}  # run id -> why it is not stored (kept in the fallback file)
        self._stored_calls: dict[str, dict] = {}  # call id -> its row's values as last written, while its run goes
        self._unstored: dict[str, RunRecord] = {}  # finished runs neither the database nor the file took: retried
        self._retry_timer: threading.Timer | None = None
        self._partial_at: dict[str, float] = {}  # call id -> when its streamed text was last written

    # ---- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None) -> "RunStore":
        """Connect to `url` (default: `DATABASE_URL` or the SQLite file), migrate, close dead runs,
        and import runs an earlier process could not store. A database locked by another process
        is waited for (each attempt waits SQLite's busy timeout), then refused in one line."""
        engine = db.create(url or db.default_url())
        for attempt in range(OPEN_ATTEMPTS):
            try:
                db.migrate(engine)
                store = cls(engine)
                store.mark_interrupted()
                store.batches.mark_batches_interrupted()  # after the runs: a killed item's run is interrupted by now
                break
            except (db.StorageError, SQLAlchemyError) as exc:
                if not _locked(exc):
                    if isinstance(exc, db.StorageError):
                        raise
                    raise db.StorageError(f"cannot open database {db.describe(str(engine.url))}: "
                                          f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
                if attempt == OPEN_ATTEMPTS - 1:
                    raise db.StorageError(f"database {db.describe(str(engine.url))} is locked by another process "
                                          f"(waited {OPEN_ATTEMPTS} times); try again once it is free") from None
                time.sleep(0.5 * (attempt + 1))
        store.import_unsaved()
        return store

    @classmethod
    def open_default(cls) -> "RunStore":
        return cls.open(None)

    RETRY_UNSTORED_S = 5.0  # how often a finished run that could not be kept anywhere is tried again

    def close(self) -> None:
        self.flush()
        if self._unstored:
            self.retry_unstored()
        if self._retry_timer is not None:
            self._retry_timer.cancel()
        for run_id in self._unstored:
            log.error("run %s was never stored: %s", run_id, redact(self._problems.get(run_id, "")))
        self.engine.dispose()

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every write handed to the background writer is done."""
        return self._queue.flush(timeout_s)

    def save_problem(self, run_id: str) -> str | None:
        """Why this run is not in the database (and where it was kept instead), or None when it is."""
        return self._problems.get(run_id)

    def import_unsaved(self) -> list[str]:
        """Store the runs an earlier process kept in the fallback file, then remove the file."""
        imported = unsaved.import_into(self.save_run)
        if imported:
            log.info("imported %d run(s) kept while the database was unavailable: %s", len(imported),
                     ", ".join(imported))
        return imported

    @property
    def url(self) -> str:
        """The database URL without its password."""
        return self.engine.url.render_as_string(hide_password=True)

    def _write(self):
        return self.database.write()

    def _read(self) -> Session:
        return self.database.read()

    # ---- recording a run as it goes ----------------------------------------------------------

    def observe(self, event: Event) -> None:
        """Feed every engine event here. Writes go to a background thread, so a slow or locked
        database never stalls the run; `RunFinished` waits until the run is durable (call it off
        the event loop: `await asyncio.to_thread(store.observe, event)`). A write that still fails
        after retries is never raised into the run: the final `RunFinished` write saves the whole
        record again, and if that fails too the run is kept in the fallback file."""
        if isinstance(event, RunStarted):
            with self._lock:
                self._active[event.run.run_id] = event.run
            snapshot = self._snapshot(event.run)
            self._queue.submit(lambda: self._store(snapshot, owner=self._owner))
        elif isinstance(event, (CallFinished, CallFailed)):
            with self._lock:
                self._partial_at.pop(event.call.call_id, None)
            self._observe_call(event.call)
        elif isinstance(event, (TokenDelta, CallRetrying)):
            self._observe_partial(event.call, force=isinstance(event, CallRetrying))
        elif isinstance(event, RunFinished):
            record = event.run
            snapshot = self._snapshot(record, skip_stored=True)
            self._problems.pop(record.run_id, None)
            self._queue.submit(lambda: self._store(snapshot, owner=None), on_fail=lambda exc: self._keep(record, exc))
            self._queue.flush()
            with self._lock:
                self._active.pop(record.run_id, None)
                for call in record.calls:
                    self._stored_calls.pop(call.call_id, None)

    def save_run(self, record: RunRecord) -> None:
        """Write a whole record at once, synchronously (imports, tests, a run recorded elsewhere)."""
        self._store(self._snapshot(record), owner=None)

    def _keep(self, record: RunRecord, exc: Exception | None) -> None:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}" if exc else "unknown error"
        try:
            where = unsaved.keep(record)
            self._problems[record.run_id] = (f"run {record.run_id} could not be stored in {self.url} ({reason}); "
                                             f"kept in {where}, imported on the next start")
        except OSError as os_exc:
            with self._lock:
                self._unstored[record.run_id] = record
            self._problems[record.run_id] = (
                f"run {record.run_id} could not be stored in {self.url} ({reason}) nor kept in {unsaved.path()} "
                f"({os_exc.strerror or os_exc}); kept in memory and tried again every {self.RETRY_UNSTORED_S:g} s "
                "until there is room (keep this process running)")
            self._schedule_retry()
        except Exception as keep_exc:  # the record itself cannot be written (text that is not valid Unicode)
            self._problems[record.run_id] = (
                f"run {record.run_id} could not be stored in {self.url} ({reason}) nor kept in {unsaved.path()} "
                f"({type(keep_exc).__name__}: {str(keep_exc).splitlines()[0]})")
        log.error("%s", redact(self._problems[record.run_id]))

    def _schedule_retry(self) -> None:
        with self._lock:
            if self._retry_timer is not None and self._retry_timer.is_alive():
                return
            self._retry_timer = threading.Timer(self.RETRY_UNSTORED_S, self._retry_loop)
            self._retry_timer.daemon = True
            self._retry_timer.start()

    def _retry_loop(self) -> None:
        self.retry_unstored()
        with self._lock:
            self._retry_timer = None
        if self._unstored:
            self._schedule_retry()

    def retry_unstored(self) -> list[str]:
        """Try again to store the finished runs held in memory (database, then the fallback file);
        returns the run ids now safe."""
        with self._lock:
            waiting = list(self._unstored.values())
        saved = []
        for record in waiting:
            try:
                self.save_run(record)
                self._problems.pop(record.run_id, None)
            except Exception:
                try:
                    where = unsaved.keep(record)
                    self._problems[record.run_id] = (f"run {record.run_id} could not be stored in {self.url}; "
                                                     f"kept in {where}, imported on the next start")
                except OSError:
                    continue
            with self._lock:
                self._unstored.pop(record.run_id, None)
            log.info("run %s is safe now (held in memory until there was room)", record.run_id)
            saved.append(record.run_id)
        return saved

    def _snapshot(self, record: RunRecord, skip_stored: bool = False) -> dict[str, Any]:
        """What a run write needs, taken now on the caller's thread: the record keeps changing as the run goes.
        With `skip_stored`, calls already written exactly as they are now are left out (the final write
        of a run would otherwise write every call a second time)."""
        columns = run_columns(record)
        if record.status != "running":
            columns["ended_at"] = record.started_at + timedelta(seconds=record.wall_s or 0)
        rows = [call_row(call, record.run_id, i) for i, call in enumerate(list(record.calls))]
        if skip_stored:
            with self._lock:
                rows = [row for row in rows if self._stored_calls.get(row.call_id) != row.model_dump()]
        return {"columns": columns, "documents": list(record.documents), "calls": rows}

    def _store(self, snapshot: dict[str, Any], owner: str | None) -> None:
        columns = snapshot["columns"]
        with self._write() as s:
            row = s.get(Run, columns["id"])
            if row is None:
                row = Run(**columns)
                s.add(row)
            else:
                for key, value in columns.items():
                    setattr(row, key, value)
            row.owner = owner
            link_documents(s, row, snapshot["documents"], stored_document)
            s.flush()  # the run row before its calls (their foreign key)
            upsert(s, Call, [call.model_dump() for call in snapshot["calls"]])

    def _observe_call(self, call: CallRecord) -> None:
        with self._lock:
            found = [(r.run_id, i) for r in self._active.values() for i, c in enumerate(r.calls) if c is call]
        if not found:
            log.warning("call %s ended outside any run this store saw start; not stored", call.call_id)
            return
        run_id, position = found[0]
        values = call_row(call, run_id, position).model_dump()

        def write() -> None:
            with self._write() as s:
                upsert(s, Call, [values])
                s.execute(update(Run).where(Run.id == run_id).values(updated_at=utcnow()))
            with self._lock:
                self._stored_calls[values["call_id"]] = values
        self._queue.submit(write)

    def _observe_partial(self, call: CallRecord, force: bool = False) -> None:
        """A streaming call's text so far, at most every `PARTIAL_WRITE_S` (a retry at once): the first write is
        the whole row, later ones only what streaming changes (the messages, documents included, are not
        redacted and sent again four times a second)."""
        now = time.monotonic()
        with self._lock:
            last = self._partial_at.get(call.call_id)
            if last is not None and not force and now - last < PARTIAL_WRITE_S:
                return
            self._partial_at[call.call_id] = now
        if last is None:
            self._observe_call(call)
            return
        values = {"text": redact_values(call.text), "first_token_s": call.first_token_s, "attempts": call.attempts,
                  "retry_errors": [redact(e) for e in call.retry_errors]}

        def write() -> None:
            with self._write() as s:
                s.execute(update(Call).where(Call.call_id == call.call_id).values(**values)
                          .execution_options(synchronize_session=False))
        self._queue.submit(write)

    def mark_interrupted(self, stale_after_s: float = STALE_AFTER_S) -> list[str]:
        """Close `running` runs whose process is gone (or, from another host, silent for too long).

        Their finished calls stay; totals are computed from them. Returns the run ids closed.
        """
        now = utcnow()
        closed = []
        with self._write() as s:
            for run in s.execute(select(Run).where(Run.status == "running")).scalars():
                with self._lock:
                    if run.id in self._active or run.id in self._unstored:  # ours, finished, waiting for room
                        continue
                if not run_is_dead(run.owner, as_utc(run.updated_at), now, stale_after_s):
                    continue
                _close_interrupted(s, run)
                closed.append(run.id)
        if closed:
            log.info("marked %d run(s) interrupted: %s", len(closed), ", ".join(closed))
        return closed

    def close_interrupted(self, run_id: str, note: str | None = None) -> bool:
        """Close one `running` run now as interrupted, its finished calls kept (a worker that lost its job's
        lease: the job queue knows the run is dead before its owner can be judged). False if not running."""
        with self._write() as s:
            run = s.get(Run, run_id)
            if run is None or run.status != "running":
                return False
            _close_interrupted(s, run, note)
            return True

    # ---- reading runs --------------------------------------------------------------------------

    def get_run(self, run_id: str, documents: bool = True) -> RunRecord | None:
        """The run as it ran, with its calls in order and its document text; None if unknown. A live view
        redrawing a few times a second asks without `documents` (their text can be megabytes)."""
        with self._read() as s:
            row = s.get(Run, run_id)
            if row is None:
                return None
            calls = list(s.execute(select(Call).where(Call.run_id == run_id)).scalars())
            return run_record(row, calls, documents=load_documents(s, [row])[row.id] if documents else None)

    def list_runs(self, limit: int = 50, offset: int = 0, status: str | None = None,
                  model: str | None = None, search: str | None = None,
                  batch_id: str | None = None) -> list[RunSummary]:
        """Newest first, with totals, models and average stars; filter by status, model, query text, or
        batch (`batch_id`; "" for interactive runs only, those of no batch)."""
        return list_runs(self.engine, limit=limit, offset=offset, status=status, model=model, search=search,
                         batch_id=batch_id)

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
                docs = load_documents(s, rows)
            for r in rows:
                yield run_record(r, calls.get(r.id, []), documents=docs[r.id]), ratings.get(r.id, [])
            offset += batch_size

    def delete_run(self, run_id: str) -> bool:
        """Delete a run with its calls and ratings (the database cascades); False if unknown."""
        with self._write() as s:
            return s.execute(delete(Run).where(Run.id == run_id)).rowcount > 0

    def link_run(self, run_id: str, *, batch_id: str | None = None, eval_item_id: int | None = None) -> None:
        """Tie a run to a batch and/or the eval item it answered (batch runs)."""
        with self._write() as s:
            s.execute(update(Run).where(Run.id == run_id).values(batch_id=batch_id, eval_item_id=eval_item_id))


def _close_interrupted(s, run: Run, note: str | None = None) -> None:
    """Close a dead `running` run: totals from its finished calls; a call still `running` (its partial text
    was being written as it streamed) is failed with the reason, its text kept."""
    rows = list(s.execute(select(Call).where(Call.run_id == run.id)).scalars())
    for row in rows:
        if row.status == "running":
            row.status, row.error = "failed", "interrupted: the process running it stopped"
    calls = [call_record(c) for c in rows]
    run.status, run.note = "interrupted", interrupted_note(calls) + (f" ({note})" if note else "")
    run.cost_usd, run.critical_path_s = total_cost(calls), critical_path(calls)
    run.prompt_tokens = sum(c.prompt_tokens or 0 for c in calls)
    run.completion_tokens = sum(c.completion_tokens or 0 for c in calls)
    ends = [c.ended_s for c in calls if c.ended_s is not None]
    run.wall_s = max(ends) if ends else None
    run.ended_at, run.owner = run.updated_at, None
