"""The store's verbs for batches: their rows and work items, claimed item by item by several
workers at once. A repository of `RunStore` (`store.batches`); the response cache is `cache.py`.

Claiming is the one place concurrency matters: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`
hands each pending item to exactly one worker; on SQLite the writer's `BEGIN IMMEDIATE` makes
the select-and-update one serialised step (SQLAlchemy renders no FOR UPDATE there).

Fencing: a batch run as a queue job passes `fence=(job id, owner)` to every write (claim, finish, release,
status, recover). The write checks, in its own transaction, that the job is still `running` under that owner
(the job row read FOR SHARE on PostgreSQL, so a takeover's settle waits for the write, or the write sees the
takeover); when it is not, nothing is written. A worker frozen past its lease (SIGSTOP, a long pause) that
wakes after another worker took its job over therefore cannot mark the batch interrupted, give claims back,
claim items or close one: the new holder decides.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import and_, case, func, select, update

from ..records import utcnow
from .busy import retry_when_locked
from .database import Database, Repository
from .liveness import owner_gone
from .rows import as_utc
from .schema import Batch, BatchItem, Call, Job, Run

if TYPE_CHECKING:
    from .votes import Votes

JUDGE_PREFIX = "judge:"  # a judge work item's system: "judge:" + the compared system's name
DONE_RUNS = ("ok", "partial", "fallback")
STALE_CLAIM_S = 3600.0  # a claim from another host with no finish for this long is abandoned
Fence = tuple[str, str] | None  # (job id, lease owner) of a batch run as a job; None: not run as a job


def holds_job(s, fence: Fence) -> bool:
    """Inside a write: is the job still running under this owner? (True without a fence.) Read FOR SHARE so
    a concurrent takeover (an UPDATE of the job row) waits for this transaction on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serialises the two."""
    if fence is None:
        return True
    job_id, owner = fence
    return s.execute(select(Job.id).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
                     .with_for_update(read=True)).first() is not None


@dataclass(frozen=True, kw_only=True)
class BatchAnswer:
    """One answer of a batch (a done or failed non-judge item) as the summary, exports and judge read it;
    typed so a misspelt field fails at once instead of reading as a missing key. Defaults are what a row
    without that fact means: not cached, nothing saved, its wall time its own."""

    system: str
    status: str  # the item's: done or failed
    item_id: int | None = None
    eval_item_id: int | None = None
    error: str | None = None
    run_id: str | None = None  # None: the item never stored a run
    run_status: str | None = None
    wall_s: float | None = None
    cost_usd: float | None = None  # None: unknown (tokens at no known price)
    final: str | None = None
    cached: bool = False  # a call came from the response cache
    saved_usd: float | None = 0.0  # what the cached calls cost when bought; None when unknown
    own_s: float | None = None  # the calls' own time (critical path, or a lone call's); None: wall is own
    priced_now: tuple[str, ...] = ()  # models whose unknown cost is shown at today's prices (batch.report)


class Batches(Repository):
    """Batches and their items; a judge item's vote is stored through `votes`, in the item's transaction."""

    def __init__(self, database: Database, votes: "Votes"):
        super().__init__(database)
        self.votes = votes

    def create_batch(self, batch_id: str, eval_set_id: int, config: dict,
                     work: Iterable[tuple[int, str, str]]) -> None:
        """The batch row and one pending item per (eval item, system, config key)."""
        work = list(work)
        with self._write() as s:
            s.add(Batch(id=batch_id, eval_set_id=eval_set_id, config=config, items=len(work), cost_usd=0.0))
            s.flush()
            s.add_all(BatchItem(batch_id=batch_id, eval_item_id=e, system=system, config_key=key)
                      for e, system, key in work)

    def get_batch(self, batch_id: str) -> Batch | None:
        with self._read() as s:
            return s.get(Batch, batch_id)

    def list_batches(self, limit: int = 100, eval_set_id: int | None = None) -> list[Batch]:
        q = select(Batch).order_by(Batch.created_at.desc(), Batch.id.desc()).limit(limit)
        if eval_set_id is not None:
            q = q.where(Batch.eval_set_id == eval_set_id)
        with self._read() as s:
            return list(s.execute(q).scalars())

    def batch_counts(self, batch_id: str) -> dict[str, int]:
        """Work items by status: pending, running, done, failed (zeros included)."""
        with self._read() as s:
            rows = s.execute(select(BatchItem.status, func.count()).where(BatchItem.batch_id == batch_id)
                             .group_by(BatchItem.status)).all()
        return {"pending": 0, "running": 0, "done": 0, "failed": 0} | {k: n for k, n in rows}

    def batch_items(self, batch_id: str) -> list[BatchItem]:
        with self._read() as s:
            return list(s.execute(select(BatchItem).where(BatchItem.batch_id == batch_id)
                                  .order_by(BatchItem.id)).scalars())

    def set_batch_status(self, batch_id: str, status: str, error: str | None = None, *,
                         only_if: tuple[str, ...] | None = None, fence: Fence = None, **config: Any) -> bool:
        """Change the status (and merge keys into config); with `only_if`, only from those statuses; with
        `fence`, only while that job is still held by its owner."""
        with self._write() as s:
            if not holds_job(s, fence):
                return False
            row = s.get(Batch, batch_id)
            if row is None or (only_if is not None and row.status not in only_if):
                return False
            row.status, row.error, row.updated_at = status, error, utcnow()
            if config:
                row.config = {**row.config, **config}  # reassign: JSON columns miss in-place edits
            return True

    def batch_cost(self, batch_id: str) -> tuple[float, int]:
        """(known cost, finished work items of unknown price): unknown is counted apart, never added as $0."""
        with self._read() as s:
            row = s.execute(select(Batch.cost_usd, Batch.unknown_cost_items).where(Batch.id == batch_id)).first()
        return (float(row[0] or 0.0), int(row[1] or 0)) if row else (0.0, 0)

    def recover_batch(self, batch_id: str, stale_after_s: float = STALE_CLAIM_S, retry_failed: bool = True,
                      fence: Fence = None) -> int:
        """Before resuming: claims of dead workers go back to pending, unless their run finished (then
        the item is done: a finished answer is never asked again); failed items are retried."""
        now, changed = utcnow(), 0
        with self._write() as s:
            if not holds_job(s, fence):
                return 0
            for item in s.execute(select(BatchItem).where(BatchItem.batch_id == batch_id,
                                                          BatchItem.status == "running")).scalars():
                if not _claim_abandoned(item, now, stale_after_s):
                    continue
                self._settle(s, item)
                changed += 1
            if retry_failed:
                changed += s.execute(update(BatchItem).where(BatchItem.batch_id == batch_id,
                                                             BatchItem.status == "failed")
                                     .values(status="pending", error=None, claimed_by=None)).rowcount
        return changed

    def mark_batches_interrupted(self, stale_after_s: float = STALE_CLAIM_S) -> list[str]:
        """On open, after the runs of dead processes are closed: the claims of dead workers (a killed
        app or `moa batch-worker`) go back, an item whose run had finished being done; a batch left
        with no live claim is `interrupted` (`cancelled` if a cancel was pending), resumable.
        Returns the batch ids closed. A batch between two claims of a live worker has no claim to
        judge by and is left alone (the Batches page offers Resume for it once nothing runs)."""
        now, closed = utcnow(), []
        with self._write() as s:
            for batch in list(s.execute(select(Batch).where(Batch.status.in_(("running", "cancelling")))).scalars()):
                claims = list(s.execute(select(BatchItem).where(BatchItem.batch_id == batch.id,
                                                                BatchItem.status == "running")).scalars())
                dead = [item for item in claims if _claim_abandoned(item, now, stale_after_s)]
                for item in dead:
                    self._settle(s, item)
                if dead and len(dead) == len(claims):
                    batch.status = "cancelled" if batch.status == "cancelling" else "interrupted"
                    batch.error = (f"its worker stopped with {len(dead)} item(s) in flight (given back); "
                                   "finished items are kept: resume to finish the rest")
                    batch.updated_at = now
                    closed.append(batch.id)
        return closed

    @retry_when_locked  # one transaction: a retry never claims twice
    def claim_items(self, batch_id: str, worker: str, limit: int = 1, primary: str | None = None,
                    fence: Fence = None) -> list[BatchItem]:
        """Hand up to `limit` pending items to `worker`: answers first, then judge items whose two
        answers are done (a judge item whose answer failed fails too, saying which). None with a fence
        whose job was lost."""
        with self._write() as s:
            if not holds_job(s, fence):
                return []
            base = (select(BatchItem).where(BatchItem.batch_id == batch_id, BatchItem.status == "pending")
                    .order_by(BatchItem.id).with_for_update(skip_locked=True))
            rows = list(s.execute(base.where(~BatchItem.system.startswith(JUDGE_PREFIX)).limit(limit)).scalars())
            if not rows and primary is not None:
                rows = self._ready_judge_items(s, base, batch_id, primary, limit)
            now = utcnow()
            for row in rows:
                row.status, row.claimed_by, row.claimed_at = "running", worker, now
                row.attempts += 1
            return rows

    def _ready_judge_items(self, s, base, batch_id: str, primary: str, limit: int) -> list[BatchItem]:
        judges = list(s.execute(base.where(BatchItem.system.startswith(JUDGE_PREFIX)).limit(200)).scalars())
        if not judges:
            return []
        answers = {(e, system): status for e, system, status in s.execute(
            select(BatchItem.eval_item_id, BatchItem.system, BatchItem.status)
            .where(BatchItem.batch_id == batch_id, ~BatchItem.system.startswith(JUDGE_PREFIX)))}
        ready = []
        for item in judges:
            pair = (primary, item.system[len(JUDGE_PREFIX):])
            states = [answers.get((item.eval_item_id, system)) for system in pair]
            if all(state == "done" for state in states):
                ready.append(item)
            elif "failed" in states:
                item.status = "failed"
                item.error = "no answer to judge: " + ", ".join(sys for sys, st in zip(pair, states) if st == "failed")
            if len(ready) >= limit:
                break
        return ready

    @retry_when_locked
    def finish_item(self, item_id: int, worker: str, status: str, *, run_id: str | None = None,
                    error: str | None = None, cost_usd: float | None = None,
                    eval_item_id: int | None = None, vote: dict[str, Any] | None = None,
                    fence: Fence = None) -> bool:
        """Close a claimed item, tie its run to the batch and add its cost, in one transaction: a known
        cost to `cost_usd`, an unknown one (None: tokens at no known price) to `unknown_cost_items`.
        A judge item's `vote` (`Votes.add_vote`'s fields) is stored in that same transaction: stored in
        one of its own, a crash between the two left a vote whose item a resume judged again (the pair
        counted twice in every win rate). False, and nothing stored, when the claim is no longer this
        worker's (it was recovered meanwhile), or `fence`'s job is no longer held."""
        with self._write() as s:  # plain statements: this runs once per item, a thousand times a batch
            if not holds_job(s, fence):
                return False
            stored = run_id is not None and s.execute(select(Run.id).where(Run.id == run_id)).first() is not None
            batch_id = s.execute(
                update(BatchItem)
                .where(BatchItem.id == item_id, BatchItem.claimed_by == worker, BatchItem.status == "running")
                .values(status=status, error=error, **({"run_id": run_id} if stored else {}))
                .returning(BatchItem.batch_id).execution_options(synchronize_session=False)).scalar_one_or_none()
            if batch_id is None:
                return False
            if vote is not None:
                self.votes._insert_vote(s, **vote)
            if stored:
                s.execute(update(Run).where(Run.id == run_id).values(batch_id=batch_id, eval_item_id=eval_item_id)
                          .execution_options(synchronize_session=False))
            if cost_usd is None or cost_usd:
                s.execute(update(Batch).where(Batch.id == batch_id)
                          .values(**_cost_added(cost_usd), updated_at=utcnow())
                          .execution_options(synchronize_session=False))
            return True

    def release_claims(self, batch_id: str, worker: str, stopped: str = "interrupted", fence: Fence = None) -> None:
        """Give back every unfinished claim of `worker` (cancel, Ctrl-C): pending again for a resume,
        unless its run did finish (then done). By worker, not by id: a claim whose answer the
        cancelled worker never received is given back too. A run it stopped mid-way is stored as
        `stopped` ("cancelled" when a person asked) and stays linked to the batch. Nothing with a fence
        whose job was lost (its new holder gives the claims back)."""
        with self._write() as s:
            if not holds_job(s, fence):
                return
            for item in s.execute(select(BatchItem).where(BatchItem.batch_id == batch_id,
                                                          BatchItem.claimed_by == worker,
                                                          BatchItem.status == "running")).scalars():
                self._settle(s, item, stopped)

    @staticmethod
    def _settle(s, item: BatchItem, stopped: str = "interrupted") -> None:
        run_id = item_run_id(item.batch_id, item.id, item.attempts)
        run = s.get(Run, run_id)
        if run is not None:  # History shows it under its batch, whatever became of it
            run.batch_id, run.eval_item_id = item.batch_id, item.eval_item_id
        if run is not None and run.status in DONE_RUNS and not item.system.startswith(JUDGE_PREFIX):
            item.status, item.run_id = "done", run_id  # finished before its worker could say so
            s.execute(update(Batch).where(Batch.id == item.batch_id).values(**_cost_added(run.cost_usd)))
        else:
            item.status = "pending"
            if run is not None:
                _close_stopped_run(s, run, stopped)
        item.claimed_by = None

    def batch_runs(self, batch_id: str) -> list[BatchAnswer]:
        """Per done or failed answer item: system, eval item, its run's status, wall, cost and final text;
        `cached` (a call came from the response cache), `saved_usd` (what those calls cost when bought;
        None when unknown) and `own_s` (the calls' own time: the critical path, or a lone call's time)."""
        used = func.coalesce(Call.prompt_tokens, 0) + func.coalesce(Call.completion_tokens, 0) > 0
        calls = (select(Call.run_id, func.sum(case((Call.cached, 1), else_=0)).label("hits"),
                        func.sum(case((Call.cached, Call.saved_usd), else_=None)).label("saved"),
                        func.sum(case((and_(Call.cached, Call.saved_usd.is_(None), used), 1), else_=0))
                        .label("unknown_saved"),
                        func.max(Call.ended_s - Call.started_s).label("longest_s"))
                 .where(Call.run_id.in_(select(BatchItem.run_id).where(BatchItem.batch_id == batch_id)))
                 .group_by(Call.run_id).subquery())
        q = (select(BatchItem.id.label("item_id"), BatchItem.system, BatchItem.eval_item_id, BatchItem.status,
                    BatchItem.error, Run.id.label("run_id"), Run.status.label("run_status"), Run.wall_s,
                    Run.cost_usd, Run.final, Run.critical_path_s, calls.c.hits, calls.c.saved,
                    calls.c.unknown_saved, calls.c.longest_s)
             .join(Run, Run.id == BatchItem.run_id, isouter=True)
             .join(calls, calls.c.run_id == Run.id, isouter=True)
             .where(BatchItem.batch_id == batch_id, ~BatchItem.system.startswith(JUDGE_PREFIX)))
        with self.engine.connect() as conn:
            rows = [dict(m) for m in conn.execute(q).mappings()]
        out = []
        for row in rows:
            hits, saved, unknown = row.pop("hits"), row.pop("saved"), row.pop("unknown_saved")
            longest, path = row.pop("longest_s"), row.pop("critical_path_s")
            out.append(BatchAnswer(**row, cached=bool(hits), saved_usd=None if unknown else float(saved or 0.0),
                                   own_s=path if path is not None else longest))
        return out

    def judge_items(self, batch_id: str) -> list[dict[str, Any]]:
        """The batch's judge work items: system ("judge:" + the compared system), eval item, status, error."""
        q = (select(BatchItem.system, BatchItem.eval_item_id, BatchItem.status, BatchItem.error)
             .where(BatchItem.batch_id == batch_id, BatchItem.system.startswith(JUDGE_PREFIX)).order_by(BatchItem.id))
        with self.engine.connect() as conn:
            return [dict(m) for m in conn.execute(q).mappings()]


def _cost_added(cost_usd: float | None) -> dict[str, Any]:
    """The batch row's update for one finished item's cost: known costs add up, an unknown one is counted."""
    if cost_usd is None:
        return {"unknown_cost_items": Batch.unknown_cost_items + 1}
    return {"cost_usd": func.coalesce(Batch.cost_usd, 0.0) + cost_usd}


def _close_stopped_run(s, run: Run, stopped: str) -> None:
    """A batch run its worker stopped: never left `running`, nor any of its calls (a call whose task
    ended after the run's last write, or a killed process, would otherwise run forever in History)."""
    if run.status in ("running", "interrupted") and run.status != stopped:
        run.status = stopped
        run.note = ("the batch was cancelled before this run finished" if stopped == "cancelled"
                    else "interrupted before it finished")
        run.ended_at, run.owner = run.ended_at or utcnow(), None
    s.execute(update(Call).where(Call.run_id == run.id, Call.status == "running")
              .values(status="cancelled", error=f"the run was {stopped} before this call finished"))


def _claim_abandoned(item: BatchItem, now, stale_after_s: float) -> bool:
    """A claim whose worker is dead (this host), or from another host and older than `stale_after_s`."""
    gone = owner_gone(item.claimed_by)
    old = item.claimed_at is None or now - as_utc(item.claimed_at) > timedelta(seconds=stale_after_s)
    return gone is True or (gone is None and old)


def item_run_id(batch_id: str, item_id: int, attempt: int) -> str:
    """A work item's run id is known before the run starts, so a resume can find a finished run."""
    return f"{batch_id}-{item_id}-{attempt}"
