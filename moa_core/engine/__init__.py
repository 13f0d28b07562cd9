"""The engine: one MoA run from a query and a lineup to a `RunRecord`, with live events.

`run` holds the method (rounds, aggregate, fallback), `calls` one call with retries and partial
billing, `quorum` when a round stops waiting, `preflight` what is refused before any call.
"""
from ..documents import Document
from .preflight import RunInputError, preflight
from .run import run_moa, run_moa_sync, stream_run

__all__ = ["Document", "RunInputError", "preflight", "run_moa", "run_moa_sync", "stream_run"]
