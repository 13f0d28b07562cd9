"""Loopback OpenAI-compatible LLM server for integration tests and benchmarks.

Real HTTP and server-sent events, so litellm/openai/httpx code paths (streaming,
usage, retries, timeouts, broken streams) run exactly as against a provider, but
deterministically, offline, and with per-model behaviours (latency, failures,
hangs, drops, garbage).  Standalone: ``python -m moa_core.testing.llm_server --port 0
--config behaviours.json`` prints ``READY <base_url>`` and serves until killed.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
import select
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Behaviour:
    """How the server answers one model name; the defaults are a fast, well-behaved echo."""

    text: str | None = None  # None: echo the model name and the last user message
    reply: Callable[[list[dict]], str] | None = None  # computes the text from the messages
    ttft_s: float = 0.0  # delay before the first token
    latency_s: float = 0.0  # total response time; tokens spread evenly after ttft
    chunk_words: int = 1  # words per streamed chunk
    fail_times: int = 0  # fail the first N requests to this model
    fail_status: int = 500
    retry_after: float | None = None  # Retry-After header (seconds) on failures
    error_body: dict | None = None  # None: an OpenAI-style error for fail_status
    hang: bool = False  # accept the request, never answer
    hang_after_tokens: int | None = None  # stream N chunks, then stall
    drop_after_tokens: int | None = None  # stream N chunks, then close without [DONE]
    malformed: bool = False  # 200 with invalid JSON / broken SSE lines
    end_after_tokens: int | None = None  # stream N chunks, then end the body cleanly: no finish_reason, no [DONE]
    raw_body: str | None = None  # 200 with this body as text/html (a proxy's login page, a captive portal)
    usage: bool = True  # send usage (final chunk when stream_options.include_usage)


@dataclass
class RequestRecord:
    """One received chat request, for tests that check what the client sent and when."""

    model: str
    messages: list
    stream: bool
    arrived: float  # time.monotonic()
    body: dict
    headers: dict = field(default_factory=dict)  # names lower-cased ("authorization"): which key reached the server


def _error(status: int, message: str) -> dict:
    kind = {429: "rate_limit_error", 400: "invalid_request_error", 404: "not_found_error"}
    return {"error": {"message": message, "type": kind.get(status, "server_error"),
                      "param": None, "code": str(status)}}


def _text_of(content: Any) -> str:
    if isinstance(content, list):  # multimodal parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _default_text(model: str, messages: list) -> str:
    last = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    return f"Reply from {model}: {_text_of(last.get('content'))[:40]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive + chunked streaming, like real providers
    disable_nagle_algorithm = True  # small SSE writes must leave at once
    server: _HTTPServer

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    # --- routing -------------------------------------------------------------
    def do_GET(self) -> None:
        owner, path = self.server.owner, self.path.split("?")[0].rstrip("/")
        if path == "/health":
            self._json(200, {"status": "ok"})
        elif path == "/v1/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "llm_server"}
                    for m in owner.models()]
            self._json(200, {"object": "list", "data": data})
        elif path == "/_admin/requests":
            self._json(200, [dataclasses.asdict(r) for r in owner.requests])
        else:
            self._json(404, _error(404, f"no route {path}"))

    def do_POST(self) -> None:
        owner, path = self.server.owner, self.path.split("?")[0].rstrip("/")
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        except ValueError:
            return self._json(400, _error(400, "request body is not valid JSON"))
        try:
            if path == "/v1/chat/completions":
                self._chat(body)
            elif path == "/_admin/behaviour":
                self._admin(lambda: owner.set(body.pop("model"), **body))
            elif path == "/_admin/reset":
                self._admin(owner.reset)
            else:
                self._json(404, _error(404, f"no route {path}"))
        except OSError:  # client went away mid-response
            self.close_connection = True

    def _admin(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except (KeyError, TypeError) as exc:  # missing model / unknown Behaviour field
            return self._json(400, _error(400, f"bad admin request: {exc!r}"))
        self._json(200, {"ok": True})

    # --- chat ----------------------------------------------------------------
    def _chat(self, body: dict) -> None:
        model, messages, stream = str(body.get("model", "")), body.get("messages") or [], bool(body.get("stream"))
        start = time.monotonic()
        received = {k.lower(): v for k, v in self.headers.items()}
        b, fail = self.server.owner._admit(RequestRecord(model, messages, stream, start, body, received))
        if fail:
            headers = {} if b.retry_after is None else {"Retry-After": f"{b.retry_after:g}"}
            return self._json(b.fail_status, b.error_body or _error(b.fail_status, f"simulated {b.fail_status}"), headers)
        if b.hang:
            return self._stall()
        if b.malformed:
            return self._malformed(stream)
        if b.raw_body is not None:
            data = b.raw_body.encode()
            self._head(200, "text/html; charset=utf-8", {"Content-Length": str(len(data))})
            return self.wfile.write(data)
        try:
            text = b.reply(messages) if b.reply else b.text if b.text is not None else _default_text(model, messages)
        except Exception as exc:  # a broken test callable should fail loudly, not hang the client
            return self._json(500, _error(500, f"reply callable failed: {exc!r}"))
        words, n = re.findall(r"\s*\S+", text), max(1, b.chunk_words)
        pieces = ["".join(words[i:i + n]) for i in range(0, len(words), n)]
        prompt = sum(len(_text_of(m.get("content")).split()) for m in messages if isinstance(m, dict))
        usage = {"prompt_tokens": prompt, "completion_tokens": len(pieces), "total_tokens": prompt + len(pieces)}
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:16]}", "created": int(time.time()), "model": model}
        if stream:
            return self._stream(b, pieces, usage, base, start, bool((body.get("stream_options") or {}).get("include_usage")))
        if b.hang_after_tokens is not None:
            return self._stall()
        if b.drop_after_tokens is not None:
            return self._drop()
        if self._wait_until(start + max(b.ttft_s, b.latency_s)):
            message = {"role": "assistant", "content": text}
            self._json(200, {**base, "object": "chat.completion", **({"usage": usage} if b.usage else {}),
                             "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

    def _stream(self, b: Behaviour, pieces: list[str], usage: dict, base: dict, start: float, include_usage: bool) -> None:
        self._head(200, "text/event-stream", {"Cache-Control": "no-cache", "Transfer-Encoding": "chunked"})
        step = max(0.0, b.latency_s - b.ttft_s) / max(1, len(pieces) - 1)
        chunk = {**base, "object": "chat.completion.chunk"}
        for i in range(len(pieces) + 1):
            if i == b.drop_after_tokens:
                return self._drop()
            if i == b.hang_after_tokens:
                return self._stall()
            if i == b.end_after_tokens:
                return self._send_chunk(b"")  # a clean end of the chunked body, mid-answer
            if i == len(pieces):
                break
            if not self._wait_until(start + b.ttft_s + i * step):
                return
            delta = {"role": "assistant", "content": pieces[i]} if i == 0 else {"content": pieces[i]}
            self._event({**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        if not self._wait_until(start + max(b.ttft_s, b.latency_s)):
            return
        self._event({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if include_usage and b.usage:
            self._event({**chunk, "choices": [], "usage": usage})
        self._send_chunk(b"data: [DONE]\n\n")
        self._send_chunk(b"")  # end of chunked body

    def _malformed(self, stream: bool) -> None:
        if not stream:
            body = b'{"id": "chatcmpl-broken", "choices": [{"message": '
            self._head(200, "application/json", {"Content-Length": str(len(body))})
            return self.wfile.write(body)
        self._head(200, "text/event-stream", {"Transfer-Encoding": "chunked"})
        for line in (b'data: {"id": "chatcmpl-broken", "choices": [{\n\n', b"data: not json\n\n", b"data: [DONE]\n\n", b""):
            self._send_chunk(line)

    # --- low level -----------------------------------------------------------
    def _head(self, status: int, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self._head(status, "application/json", {"Content-Length": str(len(data)), **(headers or {})})
        self.wfile.write(data)

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _event(self, obj: dict) -> None:
        self._send_chunk(b"data: " + json.dumps(obj).encode() + b"\n\n")

    def _client_gone(self) -> bool:
        """True when the peer closed its end (readable socket with nothing to read). poll(), not select():
        select() refuses descriptors above 1024, which a long test process reaches, and every stream with a
        delay was then cut off as if its client had left."""
        try:
            poller = select.poll()
            poller.register(self.connection, select.POLLIN | select.POLLHUP | select.POLLERR)
            if not poller.poll(0):
                return False
            return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _wait_until(self, deadline: float) -> bool:
        """Sleep until deadline; False if the server stops or the client leaves first."""
        stop = self.server.owner._stopping
        while (left := deadline - time.monotonic()) > 0:
            if stop.wait(min(left, 0.05)) or self._client_gone():
                self.close_connection = True
                return False
        return True

    def _stall(self) -> None:
        self._wait_until(float("inf"))

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for handler threads
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: LLMServer):
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # disconnects are expected here
            super().handle_error(request, client_address)


class LLMServer:
    """The server plus its thread-safe state; a context manager that starts and stops it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 behaviours: dict[str, Behaviour | dict] | None = None):
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._behaviours: dict[str, Behaviour] = {}
        self._counts: dict[str, int] = {}
        self._requests: list[RequestRecord] = []
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        for model, b in (behaviours or {}).items():
            self.set(model, b) if isinstance(b, Behaviour) else self.set(model, **b)

    def start(self) -> LLMServer:
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"llm-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop at once: hanging handlers see the event; open sockets are shut down."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=2)
        self._httpd = None

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def set(self, model: str, behaviour: Behaviour | None = None, /, **fields: Any) -> Behaviour:
        """Configure a model (fields override `behaviour`); also restarts its fail_times count."""
        b = dataclasses.replace(behaviour or Behaviour(), **fields)
        with self._lock:
            self._behaviours[model], self._counts[model] = b, 0
        return b

    def reset(self) -> None:
        with self._lock:
            self._behaviours.clear()
            self._counts.clear()
            self._requests.clear()

    def models(self) -> list[str]:
        with self._lock:
            return sorted(self._behaviours)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot copy, safe to read while handlers append."""
        with self._lock:
            return list(self._requests)

    def request_count(self, model: str) -> int:
        """How many chat requests this model received (every attempt counts)."""
        with self._lock:
            return sum(r.model == model for r in self._requests)

    def _admit(self, record: RequestRecord) -> tuple[Behaviour, bool]:
        """Record a request; return its behaviour and whether this one must fail."""
        with self._lock:
            self._requests.append(record)
            b = self._behaviours.get(record.model) or Behaviour()
            seen = self._counts.get(record.model, 0)
            self._counts[record.model] = seen + 1
            return b, seen < b.fail_times

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", help="JSON file: model name -> Behaviour fields")
    args = parser.parse_args(argv)
    behaviours = {}
    if args.config:
        with open(args.config) as f:
            behaviours = json.load(f)
    server = LLMServer(args.host, args.port, behaviours).start()
    print(f"READY {server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
