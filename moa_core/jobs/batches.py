"""A batch as a job: the Batches page submits it (the batch rows already made by `create_batch`) and a `moa worker`
runs it through `batch.runner.run_batch`, the same code `moa batch` and `moa batch-worker` run.

A batch keeps its progress item by item in the database, so a batch job is never lost with its worker:
- **Stop**: the job's cancel flag (the page's Cancel, read by the worker's heartbeat within a second) cancels the
  calls in flight; their runs are stored as cancelled, finished items kept, the batch `cancelled`.
- **Shutdown** (SIGTERM): the batch gives its claims back and the job goes back to the queue (it starts no run of
  its own, so the runner counts no call), for this or another worker to resume.
- **A dead worker**: the queue re-queues the job noting the lapsed lease's owner (`storage/jobs.py`); its next
  holder gives that owner's item claims back (an item whose run had finished is done) and resumes the batch, so
  nothing that finished is asked again. One asked to stop while its worker died is closed as cancelled. Workers
  that keep dying without finishing an item (a poison item, OOM) fail the job after `MAX_STALLED_TAKEOVERS`.
- **A frozen worker** (SIGSTOP, a long pause) whose job was taken over meanwhile writes nothing when it wakes:
  its item claims are made under the job's lease owner and every batch write carries the job as a fence
  (`storage/batches.py`), a no-op once another worker holds it.
- **Off the loop**: every store call of the batch runs in a thread, so a locked SQLite or a slow PostgreSQL never
  stalls the other jobs streaming on the same worker.
"""
from __future__ import annotations

import asyncio
from typing import Callable, Sequence

from ..records import Event, new_id

BATCH_KIND = "batch"


def submit_batch(store, batch_id: str, *, resume: bool = False) -> str:
    """Queue a batch made by `create_batch` (or one to resume); returns the job's id."""
    done = store.batches.batch_counts(batch_id)["done"]  # a takeover counts as progress only above this
    return store.jobs.submit_job(new_id(), BATCH_KIND, {"batch_id": batch_id, "resume": resume,
                                                         "done_at_takeover": done})


def batch_job(store, batch_id: str):
    """The active (queued or running) job of this batch, or None: nobody in the queue is working on it."""
    for job in store.jobs.list_jobs(status=("queued", "running"), limit=500):
        if job.kind == BATCH_KIND and job.payload.get("batch_id") == batch_id:
            return job
    return None


async def execute_batch(store, job, *, on_stop: Callable[[], tuple[str, str]],
                        observers: Sequence[Callable[[Event], None]] = ()):
    """Work on a claimed batch job until the batch is done or must stop; the batch row says how it ended."""
    from ..batch.runner import CANCELLING, run_batch

    batch_id = job.payload["batch_id"]
    if await asyncio.to_thread(store.batches.get_batch, batch_id) is None:
        raise ValueError(f"batch {batch_id} no longer exists")
    fence = (job.id, job.lease_owner)  # every batch write is a no-op once this worker lost the job

    def cancelled() -> bool:
        return job.cancel_requested or on_stop()[0] == "cancelled"

    stopped = "cancelled" if job.cancel_requested else "interrupted"
    for owner in job.payload.get("lapsed_owners") or ():  # a dead worker's claims: theirs to give back, now ours
        await asyncio.to_thread(store.batches.release_claims, batch_id, owner, stopped, fence)
    if job.cancel_requested:  # Cancel was pressed while its worker was dying: close it, ask nothing more
        await asyncio.to_thread(store.batches.set_batch_status, batch_id, "cancelled",
                                "cancelled; finished items are kept", only_if=("running", CANCELLING), fence=fence)
        return None
    resume = bool(job.payload.get("resume")) or job.attempts > 1  # a takeover resumes: finished items stay
    return await run_batch(store, batch_id, resume=resume, cancel_requested=cancelled, worker=job.lease_owner,
                           fence=fence)
