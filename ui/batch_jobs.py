"""The Batches page submits and reads: a batch started or resumed here is a job in the database's queue that a
`moa worker` runs (never this process), so leaving, reloading or restarting the app does not touch it, and any
app process shows its progress from the database."""
from __future__ import annotations

import time

from moa_core.batch.runner import CANCELLING
from moa_core.jobs.batches import batch_job, submit_batch
from moa_core.storage.jobs import JobView

CANCEL_WAIT_S = 3.0  # after Cancel, how long the page waits for the worker to close the batch before redrawing


def start_batch(store, batch_id: str, resume: bool = False) -> str:
    """Queue the batch (made by `create_batch`) for a worker; returns the job's id."""
    return submit_batch(store, batch_id, resume=resume)


def live_job(store, batch_id: str) -> JobView | None:
    """The batch's job while queued or running in a worker; None when no queued job works on it."""
    return batch_job(store, batch_id)


def cancel_batch(store, batch_id: str) -> None:
    """Stop the batch wherever it runs: its job's Stop flag (the worker cancels the calls in flight within a
    second; a job no worker took yet is cancelled at once) and the batch's `cancelling` status, which every
    other process working on it (`moa batch`, `moa batch-worker`) obeys after its calls in flight."""
    job = live_job(store, batch_id)
    store.batches.set_batch_status(batch_id, CANCELLING, only_if=("running",))
    if job is None:
        return
    if store.jobs.request_cancel(job.id) == "cancelled":  # no worker had taken it: nobody else will close it
        if not store.batches.batch_counts(batch_id)["running"]:
            store.batches.set_batch_status(batch_id, "cancelled", "cancelled before a worker started it",
                                           only_if=(CANCELLING,))
        return
    deadline = time.monotonic() + CANCEL_WAIT_S
    while time.monotonic() < deadline and (store.jobs.get_job(job.id) or job).active:
        time.sleep(0.2)
