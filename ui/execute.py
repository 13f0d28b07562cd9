"""Driving one run from a page: events go to the live board and to the store as they happen."""
from __future__ import annotations

import asyncio

from moa_core.engine import Document, stream_run
from moa_core.lineup import Lineup
from moa_core.records import RunFinished, RunRecord, RunStarted

from . import resources


def execute(query: str, lineup: Lineup, document: Document | None, board) -> RunRecord:
    """Run to the end; if the page is interrupted mid-run, the stored run is closed as interrupted."""
    store = resources.store()
    started: RunRecord | None = None
    finished = False

    async def drive() -> RunRecord:
        nonlocal started, finished
        record = None
        async for event in stream_run(query, lineup, document=document, prices=store.price_book()):
            store.observe(event)
            board(event)
            if isinstance(event, RunStarted):
                started = event.run
            if isinstance(event, RunFinished):
                record, finished = event.run, True
        return record

    try:
        return asyncio.run(drive())
    finally:
        if started is not None and not finished:
            started.status, started.note = "interrupted", "interrupted: the page was left or reloaded mid-run"
            store.observe(RunFinished(started))
