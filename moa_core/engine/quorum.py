"""Quorum: aggregate once K proposers of a round are done (or a deadline passed); cancel the stragglers.

Stragglers a quorum cancels are by design, not failures: their records say so.
"""
from __future__ import annotations

import asyncio
import time

from ..lineup import Lineup
from ..records import CallRecord


async def until_quorum(lineup: Lineup, records: list[CallRecord], tasks: list[asyncio.Task]) -> None:
    """Wait for the round; with a quorum or deadline, cancel the stragglers once it is met."""
    if lineup.quorum is None and lineup.quorum_deadline_s is None:
        await asyncio.gather(*tasks)
        return
    start = time.monotonic()
    pending = set(tasks)
    reason = ""
    while pending:
        timeout = None  # past the deadline without enough proposals: wait for the next one, do not spin
        if lineup.quorum_deadline_s is not None and time.monotonic() - start < lineup.quorum_deadline_s:
            timeout = start + lineup.quorum_deadline_s - time.monotonic()
        _, pending = await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        done_ok = sum(r.ok for r in records)
        if lineup.quorum is not None and done_ok >= lineup.quorum:
            reason = f"cancelled: quorum of {lineup.quorum} of {len(records)} reached"
            break
        past_deadline = lineup.quorum_deadline_s is not None and time.monotonic() - start >= lineup.quorum_deadline_s
        if past_deadline and done_ok >= lineup.min_proposals:
            reason = f"cancelled: deadline of {lineup.quorum_deadline_s:g}s passed with {done_ok} done"
            break
    for task, record in zip(tasks, records):
        if task in pending:
            record.error = reason
            task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
