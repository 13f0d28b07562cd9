"""A run as a job: what the page submits (query, lineup, documents already fitted, the turn it follows up on) and
how a worker runs it, through `service.run_and_record`, the one way runs start.

The job id is the run id, so the page can put `?run=ID` in its address the moment it submits, and any app
process that opens that address finds the job and the run it records.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Callable, Sequence

from ..documents import Document
from ..lineup import Lineup
from ..records import Event, RunRecord, new_id

RUN_KINDS = ("run", "follow-up")
STOPPED_NOTE = "stopped by the user; the finished calls are kept"


def submit_run(store, query: str, lineup: Lineup, documents: Sequence[Document] = (), *,
               on_overflow: str = "refuse", parent_run_id: str | None = None) -> str:
    """Queue a run (a follow-up when `parent_run_id` names the turn it continues); returns its run id."""
    run_id = new_id()
    payload = {"query": query, "lineup": lineup.to_dict(), "documents": [asdict(d) for d in documents],
               "on_overflow": on_overflow, "parent_run_id": parent_run_id}
    store.jobs.submit_job(run_id, "follow-up" if parent_run_id else "run", payload, run_id=run_id)
    return run_id


def query_of(payload: dict) -> str:
    return str(payload.get("query") or "")


async def execute_run(store, job, *, on_stop: Callable[[], tuple[str, str]],
                      observers: Sequence[Callable[[Event], None]] = ()) -> RunRecord:
    """Run a claimed run job to its end, recorded in `store` under the job's run id. Raises `RunInputError`
    (or `ValueError` for a follow-up whose turn is gone) before any call when it cannot start."""
    from ..conversation import thread_of
    from ..service import run_and_record

    payload = job.payload
    lineup = Lineup.from_dict(payload["lineup"])
    documents = [Document(**d) for d in payload.get("documents") or []]
    parent = payload.get("parent_run_id")
    thread = thread_of(store, parent) if parent else None
    return await run_and_record(query_of(payload), lineup, store=store, documents=documents or None,
                                on_overflow=payload.get("on_overflow") or "refuse", run_id=job.run_id,
                                thread=thread, observers=observers, on_stop=on_stop)
