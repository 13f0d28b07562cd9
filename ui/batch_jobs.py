"""Batches started from the app run in the process's background worker (the same one single runs
use), so leaving or reloading the page never stops them; the page reads progress from the database."""
from __future__ import annotations

from moa_core.batch.runner import CANCELLING, run_batch
from moa_core.worker import WORKER, Job


def start_batch(store, batch_id: str, resume: bool = False) -> Job:
    job = Job(job_id=batch_id, kind="batch")

    async def work(j: Job):
        return await run_batch(store, batch_id, resume=resume, cancel_requested=lambda: j.cancel_requested)

    return WORKER.start(job, work)


def live_job(batch_id: str) -> Job | None:
    job = WORKER.get(batch_id)
    return job if job is not None and job.running else None


def cancel_batch(store, batch_id: str) -> None:
    """Here: cancel the job; in another process (the CLI, another machine): ask it through the database."""
    job = live_job(batch_id)
    if job is not None:
        job.cancel()
        job.wait(10)
    else:
        store.batches.set_batch_status(batch_id, CANCELLING, only_if=("running",))
