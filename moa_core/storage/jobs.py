"""The job queue's verbs: submit, claim under a lease, heartbeat, finish, cancel, take over.

A repository of `RunStore` (`store.jobs`).

The app submits work here and `moa worker` processes (on this machine or any other that reaches the
database) claim it, so a run belongs to no web process. The rules, the same on both databases (the
shape of procrastinate's and Oban's queues):

- **Claim**: one statement, `UPDATE job ... WHERE id = (SELECT id ... WHERE status='queued' ORDER BY
  created_at LIMIT 1 FOR UPDATE SKIP LOCKED) AND status='queued' RETURNING ...`. PostgreSQL skips rows
  another worker is claiming; on SQLite the writer's `BEGIN IMMEDIATE` serialises the statement (SQLAlchemy
  renders no FOR UPDATE there) and the `status='queued'` guard makes a double claim impossible either way.
- **Lease**: the claimer's owner token (host:pid:start) and `lease_expires_at`; the worker's heartbeat
  renews both every second and reads `cancel_requested` in the same statement (Stop is obeyed within a second).
- **Takeover**: a `running` job whose lease ran out, or whose owner process on this host is gone, is settled
  by whoever looks next: a run that recorded a call is closed as `interrupted` with those calls kept (runs do
  not resume mid-call); one that recorded none goes back to the queue, up to `MAX_ATTEMPTS` claims. A job with
  no run (a batch, whose items keep their progress) goes back, Stop pressed or not, with the dead owner noted in
  its payload (`lapsed_owners`): its next holder gives that owner's claims back and resumes or closes it. Only
  takeovers without progress count: after `MAX_STALLED_TAKEOVERS` in a row with no item newly done (a poison
  item that kills its worker, OOM) the job fails, the dead owners' claims are given back and the batch row is
  `failed` saying why (finished items kept, resumable). The done count at the last takeover (or at submit) is
  in the payload (`done_at_takeover`), the stalled count too (`stalled_takeovers`).
- **Wake-up**: queueing a job (submit, hand back, re-queue) sends a notice at commit on PostgreSQL
  (`notify.py`), so an idle worker claims it at once; on SQLite workers poll.
- **Payload**: what the worker needs (the lineup with its real base URLs); cleared when the job ends, since
  the run row keeps everything else, with its URLs masked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from sqlalchemy import delete, func, select, update

from ..records import utcnow
from .batches import Batches
from .busy import retry_when_locked
from .database import Database, Repository
from .liveness import owner_gone
from .notify import notify_queued
from .rows import as_utc
from .schema import Batch, BatchItem, Call, Job, Run

LEASE_S = 30.0  # a claim lives this long without a heartbeat (another host's worker is judged by this alone)
MAX_ATTEMPTS = 3  # claims of one job whose workers all died before it recorded a call: then it fails
MAX_STALLED_TAKEOVERS = 3  # takeovers in a row of a batch job with no item newly done: then it fails
ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled", "interrupted")


@dataclass
class JobView:
    """A job as read: plain values, safe to keep after the session closed."""

    id: str
    kind: str
    status: str
    payload: dict
    run_id: str | None
    attempts: int
    cancel_requested: bool
    lease_owner: str | None
    lease_expires_at: datetime | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _view(row: Job) -> JobView:
    return JobView(id=row.id, kind=row.kind, status=row.status, payload=dict(row.payload or {}), run_id=row.run_id,
                   attempts=row.attempts, cancel_requested=row.cancel_requested, lease_owner=row.lease_owner,
                   lease_expires_at=as_utc(row.lease_expires_at), error=row.error, created_at=as_utc(row.created_at),
                   started_at=as_utc(row.started_at), finished_at=as_utc(row.finished_at))


class Jobs(Repository):
    """The queue's verbs. A job taken over closes its run through `close_run` (`RunStore.close_interrupted`)."""

    def __init__(self, database: Database, close_run: Callable[..., bool]):
        super().__init__(database)
        self._close_run = close_run

    @retry_when_locked
    def submit_job(self, job_id: str, kind: str, payload: dict[str, Any], run_id: str | None = None) -> str:
        """Queue a job; on PostgreSQL a notice wakes an idle worker at commit, on SQLite one finds it at its poll."""
        with self._write() as s:
            s.add(Job(id=job_id, kind=kind, payload=payload, run_id=run_id))
            notify_queued(s)
        return job_id

    def get_job(self, job_id: str | None) -> JobView | None:
        if not job_id:
            return None
        with self._read() as s:
            row = s.get(Job, job_id)
            return _view(row) if row is not None else None

    def job_for_run(self, run_id: str | None) -> JobView | None:
        """The newest job recording this run (the Run page has the run id in its address)."""
        if not run_id:
            return None
        with self._read() as s:
            row = s.execute(select(Job).where(Job.run_id == run_id).order_by(Job.created_at.desc())
                            .limit(1)).scalars().first()
            return _view(row) if row is not None else None

    def list_jobs(self, status: Iterable[str] | None = None, limit: int = 100) -> list[JobView]:
        """Newest first; only those of the given statuses when asked."""
        q = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
        if status is not None:
            q = q.where(Job.status.in_(tuple(status)))
        with self._read() as s:
            return [_view(r) for r in s.execute(q).scalars()]

    def has_queued_jobs(self, kinds: Iterable[str] | None = None) -> bool:
        """A cheap read before a claim: an idle worker polling must not take SQLite's write lock for nothing."""
        q = select(Job.id).where(Job.status == "queued").limit(1)
        if kinds is not None:
            q = q.where(Job.kind.in_(tuple(kinds)))
        with self._read() as s:
            return s.execute(q).first() is not None

    @retry_when_locked  # one statement: a retry never claims twice
    def claim_job(self, owner: str, lease_s: float = LEASE_S, kinds: Iterable[str] | None = None) -> JobView | None:
        """The oldest queued job, now `running` under `owner`'s lease; None when nothing is queued."""
        now = utcnow()
        pick = (select(Job.id).where(Job.status == "queued").order_by(Job.created_at, Job.id).limit(1)
                .with_for_update(skip_locked=True))
        if kinds is not None:
            pick = pick.where(Job.kind.in_(tuple(kinds)))
        with self._write() as s:
            row = s.execute(
                update(Job).where(Job.id == pick.scalar_subquery(), Job.status == "queued")
                .values(status="running", lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_s),
                        heartbeat_at=now, attempts=Job.attempts + 1, started_at=func.coalesce(Job.started_at, now))
                .returning(Job.id).execution_options(synchronize_session=False)).first()
            if row is None:
                return None
            return _view(s.get(Job, row[0]))

    @retry_when_locked
    def heartbeat_jobs(self, owner: str, job_ids: Iterable[str], lease_s: float = LEASE_S) -> dict[str, bool]:
        """Renew `owner`'s leases; job id -> cancel requested, for the jobs still held. A job missing from the
        answer was lost (taken over after a lapse, or ended): its worker must drop it."""
        ids = list(job_ids)
        if not ids:
            return {}
        now = utcnow()
        with self._write() as s:
            rows = s.execute(
                update(Job).where(Job.id.in_(ids), Job.lease_owner == owner, Job.status == "running")
                .values(heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_s))
                .returning(Job.id, Job.cancel_requested).execution_options(synchronize_session=False)).all()
        return {job_id: bool(cancel) for job_id, cancel in rows}

    @retry_when_locked
    def finish_job(self, job_id: str, owner: str, status: str, error: str | None = None) -> bool:
        """Close a job this worker holds (done, failed, cancelled, interrupted); False when the lease is no longer
        its own (taken over meanwhile: the new holder decides)."""
        assert status in FINAL, status
        with self._write() as s:
            return s.execute(
                update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
                .values(status=status, error=error, finished_at=utcnow(), lease_owner=None, lease_expires_at=None,
                        payload={}).execution_options(synchronize_session=False)).rowcount > 0

    @retry_when_locked
    def release_job(self, job_id: str, owner: str) -> bool:
        """Hand a job back to the queue (a worker shutting down before the run recorded a call). Its half-started
        run row, with no call, goes: the next claim starts the run again under the same id."""
        with self._write() as s:
            row = s.get(Job, job_id)
            if row is None or row.lease_owner != owner or row.status != "running":
                return False
            _requeue(s, row)
            return True

    @retry_when_locked
    def request_cancel(self, job_id: str) -> str | None:
        """The Stop button: a queued job is cancelled at once, a running one is flagged for its worker (it stops
        within a heartbeat, keeps the finished calls and closes the run as cancelled). The job's status after."""
        with self._write() as s:
            row = s.get(Job, job_id)
            if row is None:
                return None
            if row.status == "queued":
                row.status, row.finished_at, row.payload = "cancelled", utcnow(), {}
                row.error = "stopped before a worker started it"
            elif row.status == "running":
                row.cancel_requested = True
            return row.status

    def take_over_expired(self, now: datetime | None = None) -> dict[str, str]:
        """Settle the running jobs whose lease ran out or whose worker on this host is gone: job id -> what
        became of it (queued again, interrupted, cancelled, failed). Any worker calls this now and then."""
        now = now or utcnow()
        with self._read() as s:
            candidates = [r.id for r in s.execute(select(Job).where(Job.status == "running")).scalars()
                          if _lapsed(r, now)]
        settled: dict[str, str] = {}
        for job_id in candidates:
            outcome = self._settle_lapsed(job_id, now)
            if outcome:
                settled[job_id] = outcome
        return settled

    @retry_when_locked
    def _settle_lapsed(self, job_id: str, now: datetime) -> str | None:
        with self._write() as s:
            # the job row locked first, as a fenced batch write locks it first (storage/batches.py): one order
            row = s.get(Job, job_id, with_for_update=True)
            if row is None or row.status != "running" or not _lapsed(row, now):  # renewed meanwhile
                return None
            if not row.run_id:  # a batch: its items keep their progress, so it goes back to the queue,
                # the dead owner noted for its next holder to give that owner's claims back
                return _settle_lapsed_batch(s, row, now)
            calls = s.execute(select(func.count()).select_from(Call).where(Call.run_id == row.run_id)).scalar()
            if row.cancel_requested or calls:
                status = "cancelled" if row.cancel_requested else "interrupted"
                row.status, row.finished_at, row.payload = status, now, {}
                row.error = f"its worker stopped ({row.lease_owner}); the finished calls are kept"
                row.lease_owner = row.lease_expires_at = None
            elif row.attempts >= MAX_ATTEMPTS:
                row.status, row.finished_at, row.payload = "failed", now, {}
                row.error = f"its worker stopped {row.attempts} times before the run recorded a call"
                row.lease_owner = row.lease_expires_at = None
            else:
                _requeue(s, row)
                return "queued"
            status, run_id = row.status, row.run_id
        self.close_interrupted_run(run_id, status)
        return status

    def close_interrupted_run(self, run_id: str | None, status: str) -> bool:
        """The run of a job taken over, closed with its finished calls (cancelled when Stop was pressed)."""
        if not run_id or not self._close_run(run_id, note="its worker stopped"):
            return False
        if status == "cancelled":
            with self._write() as s:
                s.execute(update(Run).where(Run.id == run_id).values(status="cancelled"))
        return True


def _lapsed(row: Job, now: datetime) -> bool:
    """The lease ran out, or the owner is a process of this host that is gone (no need to wait the lease)."""
    expires = as_utc(row.lease_expires_at)
    return (expires is not None and expires < now) or owner_gone(row.lease_owner) is True


def batch_done_count(s, batch_id: str | None) -> int:
    """Items of a batch that are done: the progress a takeover is judged by."""
    if not batch_id:
        return 0
    return s.execute(select(func.count()).select_from(BatchItem)
                     .where(BatchItem.batch_id == batch_id, BatchItem.status == "done")).scalar() or 0


def _settle_lapsed_batch(s, row: Job, now: datetime) -> str:
    """A batch job whose worker stopped: queued again for the next holder, unless its workers stopped
    `MAX_STALLED_TAKEOVERS` times in a row without an item newly done (then it fails, the batch saying why).
    Stop pressed: always queued, its next holder closes it without asking anything."""
    payload = dict(row.payload or {})
    owners = [*payload.get("lapsed_owners", []), row.lease_owner]
    batch_id = payload.get("batch_id")
    done = batch_done_count(s, batch_id)
    before = payload.get("done_at_takeover")
    progressed = before is not None and done > before
    stalled = 0 if progressed else int(payload.get("stalled_takeovers", 0)) + 1
    if stalled >= MAX_STALLED_TAKEOVERS and not row.cancel_requested:
        error = f"its worker stopped {stalled} times without finishing an item"
        for item in s.execute(select(BatchItem).where(BatchItem.batch_id == batch_id, BatchItem.status == "running",
                                                      BatchItem.claimed_by.in_(owners))).scalars():
            Batches._settle(s, item)  # the dead workers' claims go back (a finished run makes its item done)
        batch = s.get(Batch, batch_id) if batch_id else None
        if batch is not None and batch.status in ("running", "cancelling", "interrupted"):
            batch.status, batch.updated_at = "failed", now
            batch.error = f"{error}; finished items are kept: resume to try the rest again"
        row.status, row.finished_at, row.payload, row.error = "failed", now, {}, error
        row.lease_owner = row.lease_expires_at = None
        return "failed"
    row.payload = {**payload, "lapsed_owners": owners, "done_at_takeover": done, "stalled_takeovers": stalled}
    _requeue(s, row)
    return "queued"


def _requeue(s, row: Job) -> None:
    if row.run_id:  # a run row with no call: nothing to keep, the next attempt writes it afresh
        has_calls = s.execute(select(Call.call_id).where(Call.run_id == row.run_id).limit(1)).first()
        if has_calls is None:
            s.execute(delete(Run).where(Run.id == row.run_id))
    row.status, row.lease_owner, row.lease_expires_at, row.heartbeat_at = "queued", None, None, None
    notify_queued(s)  # handed back or taken over: another worker may claim it now
