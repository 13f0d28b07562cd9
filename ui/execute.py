"""Driving one run from a page: events go to the live board and to the store as they happen."""
from __future__ import annotations

import asyncio

from moa_core.engine import Document
from moa_core.lineup import Lineup
from moa_core.records import RunRecord
from moa_core.service import run_and_record

from . import resources


def execute(query: str, lineup: Lineup, document: Document | None, board) -> RunRecord:
    """Run to the end; if the page is interrupted mid-run, the stored run is closed as interrupted."""
    return asyncio.run(run_and_record(
        query, lineup, store=resources.store(), document=document, observers=[board],
        on_stop=("interrupted", "interrupted: the page was left or reloaded mid-run")))
