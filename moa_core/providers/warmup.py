"""Warm-up: pay litellm's one-time set-up on the real HTTP path before any run's clock starts.

The first streamed call of a process imports the provider's client modules and builds its HTTP
client (0.25-0.4 s quiet, seconds on a loaded machine); a mock response never touches that path.
So the warm-up makes one real streamed call through `stream_completion`, to a one-answer server of
its own on 127.0.0.1 (`_LoopbackServer`: no traffic leaves the machine, nothing is billed). It is
not `moa_core.testing`'s server: that is test code, with scripted faults production has no use for.
"""
from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .llm import Target, stream_completion

_warm = threading.Event()
_lock = threading.Lock()

_CHUNK = {"id": "chatcmpl-warm-up", "object": "chat.completion.chunk", "created": 0, "model": "warm-up"}
_ANSWER = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in (
    {**_CHUNK, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": None}]},
    {**_CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {**_CHUNK, "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
)) + b"data: [DONE]\n\n"


class _Answer(BaseHTTPRequestHandler):
    """Any POST gets the same short OpenAI-style event stream."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(_ANSWER)))
        self.end_headers()
        self.wfile.write(_ANSWER)
        self.server.answered += 1

    def log_message(self, *args) -> None:  # quiet: the app's log is not the place for a warm-up
        pass


class _LoopbackServer(ThreadingHTTPServer):
    """An OpenAI-compatible endpoint on 127.0.0.1 with one answer, served from a daemon thread."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.answered = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> "_LoopbackServer":
        threading.Thread(target=self.serve_forever, name="moa-warm-up-server", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


async def warm_up() -> None:
    """Once per process; later calls return at once. Never raises: a failed warm-up only costs time."""
    if _warm.is_set():
        return
    try:
        with _LoopbackServer() as server:
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
