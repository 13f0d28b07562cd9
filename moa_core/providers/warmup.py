"""Warm-up: pay litellm's one-time set-up on the real HTTP path before any run's clock starts.

The first streamed call of a process imports the provider's client modules and builds its HTTP
client (0.25-0.4 s quiet, seconds on a loaded machine); a mock response never touches that path.
So the warm-up makes one real streamed call through `stream_completion`, to the loopback server
of `moa_core.testing` on 127.0.0.1: no traffic leaves the machine, and nothing is billed.
"""
from __future__ import annotations

import asyncio
import threading

from .llm import Target, stream_completion

_warm = threading.Event()
_lock = threading.Lock()


async def warm_up() -> None:
    """Once per process; later calls return at once. Never raises: a failed warm-up only costs time."""
    if _warm.is_set():
        return
    from ..testing.llm_server import LLMServer

    try:
        with LLMServer() as server:
            target = Target(model="openai/warm-up", api_base=server.base_url, api_key="warm-up")
            await stream_completion(target, [{"role": "user", "content": "hi"}], max_tokens=4, timeout_s=10)
    except Exception:  # noqa: BLE001 - the run itself will report any real problem
        return
    _warm.set()


def warm_up_in_background() -> None:
    """Start the warm-up in a thread (the app does this at start, so its first run is not slow)."""
    with _lock:
        if _warm.is_set() or any(t.name == "moa-warm-up" for t in threading.enumerate()):
            return
        threading.Thread(target=lambda: asyncio.run(warm_up()), name="moa-warm-up", daemon=True).start()


def is_warm() -> bool:
    return _warm.is_set()
