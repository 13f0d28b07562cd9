"""The loopback LLM server, driven by real litellm and plain HTTP.

These tests also pin how litellm 1.106.2 reacts to each failure mode, which the
engine's error handling relies on.
"""
import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from moa_core.providers.llm import litellm  # the project's one door: no network at import
from moa_core.testing.llm_server import Behaviour, LLMServer

pytestmark = pytest.mark.slow  # out of the quick tier: the server in a subprocess, delays (~6 s)

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def server():
    with LLMServer() as s:
        yield s


async def ask(server, model, stream=True, **kw):
    """One litellm call as the engine makes it; max_retries=0 so each failure shows up."""
    kw.setdefault("max_retries", 0)
    if stream:
        kw.setdefault("stream_options", {"include_usage": True})
    return await litellm.acompletion(model=f"openai/{model}", api_base=server.base_url, api_key="x",
                                     messages=MESSAGES, stream=stream, **kw)


async def collect(response, pieces=None):
    """Drain a litellm stream: (content pieces, usage, arrival time of each piece)."""
    pieces, usage, times = [] if pieces is None else pieces, None, []
    async for chunk in response:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
            times.append(time.monotonic())
        usage = getattr(chunk, "usage", None) or usage
    return pieces, usage, times


async def warm(server):
    """litellm's first call in a process pays ~0.4 s of setup; keep it out of timings."""
    await collect(await ask(server, "warmup"))


async def test_stream_arrives_in_chunks_with_usage(server):
    text = "Paris is the capital and largest city of France."
    server.set("alpha", text=text, chunk_words=2)
    pieces, usage, _ = await collect(await ask(server, "alpha"))
    assert len(pieces) == 5 and "".join(pieces) == text
    assert usage.completion_tokens == 5 and usage.prompt_tokens == 8 and usage.total_tokens == 13


async def test_without_server_usage_litellm_estimates_it(server):
    server.set("quiet", usage=False)
    body = {"model": "quiet", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    async with httpx.AsyncClient() as client:
        async with client.stream("POST", f"{server.base_url}/chat/completions", json=body) as response:
            assert not [line async for line in response.aiter_lines() if '"usage"' in line]
    pieces, usage, _ = await collect(await ask(server, "quiet"))
    assert "".join(pieces) == "Reply from quiet: What is the capital of France?"
    # Surprise: litellm fills in its own tiktoken estimate (server's word count would be 8).
    assert usage.prompt_tokens not in (0, 8) and usage.completion_tokens > 0


async def test_non_stream_default_echo_and_request_log(server):
    response = await ask(server, "beta", stream=False)
    assert response.choices[0].message.content == "Reply from beta: What is the capital of France?"
    assert response.usage.completion_tokens == 9
    [record] = server.requests
    assert record.model == "beta" and record.stream is False and record.messages == MESSAGES
    assert record.body["model"] == "beta" and record.arrived <= time.monotonic()


async def test_reply_callable_sees_the_messages(server):
    server.set("agg", reply=lambda msgs: f"saw {len(msgs)} messages, last: {msgs[-1]['content']}")
    pieces, _, _ = await collect(await ask(server, "agg"))
    assert "".join(pieces) == "saw 2 messages, last: What is the capital of France?"


async def test_ttft_and_latency_are_honoured(server):
    await warm(server)
    server.set("slow", Behaviour(text="one two three four five", ttft_s=0.3, latency_s=0.7))
    start = time.monotonic()
    pieces, _, times = await collect(await ask(server, "slow"))
    total = time.monotonic() - start
    assert len(pieces) == 5
    assert 0.28 <= times[0] - start < 0.5
    assert 0.68 <= total < 1.0
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    assert 0.3 <= times[-1] - times[0] < 0.6 and gaps[len(gaps) // 2] > 0.05, gaps  # spread, ~0.1 s apart


async def test_non_stream_waits_for_latency(server):
    await warm(server)
    server.set("slow", latency_s=0.4)
    start = time.monotonic()
    await ask(server, "slow", stream=False)
    assert 0.38 <= time.monotonic() - start < 0.7


async def test_429_gives_rate_limit_error_with_retry_after(server):
    server.set("limited", fail_times=1, fail_status=429, retry_after=7)
    with pytest.raises(litellm.RateLimitError) as info:
        await ask(server, "limited")
    assert info.value.status_code == 429
    # Surprise: litellm rebuilds e.response without headers; the real ones are here.
    assert info.value.litellm_response_headers["retry-after"] == "7"
    pieces, _, _ = await collect(await ask(server, "limited"))  # fail_times used up
    assert pieces


async def test_openai_sdk_retries_429_itself_honouring_retry_after(server):
    server.set("limited", fail_times=1, fail_status=429, retry_after=0.3)
    start = time.monotonic()
    pieces, _, _ = await collect(await ask(server, "limited", max_retries=2))
    assert pieces and len(server.requests) == 2
    assert time.monotonic() - start >= 0.28


async def test_500_gives_internal_server_error(server):
    server.set("broken", fail_times=1, error_body={"error": {"message": "boom", "type": "server_error"}})
    with pytest.raises(litellm.InternalServerError, match="boom") as info:
        await ask(server, "broken")
    assert info.value.status_code == 500


async def test_drop_mid_stream_raises_after_partial_text(server):
    server.set("dropper", text="a b c d e f", drop_after_tokens=2)
    pieces = []
    # Surprise: not APIConnectionError but MidStreamFallbackError (a ServiceUnavailableError).
    with pytest.raises(litellm.exceptions.MidStreamFallbackError):
        await collect(await ask(server, "dropper"), pieces)
    assert pieces == ["a", " b"]


async def test_drop_without_stream_is_a_connection_error(server):
    server.set("dropper", drop_after_tokens=0)
    with pytest.raises(litellm.InternalServerError, match="Connection error"):
        await ask(server, "dropper", stream=False)


async def test_malformed_stream_and_body_raise(server):
    server.set("garbage", malformed=True)
    with pytest.raises(litellm.exceptions.MidStreamFallbackError):
        await collect(await ask(server, "garbage"))
    with pytest.raises(litellm.InternalServerError):
        await ask(server, "garbage", stream=False)


async def test_hang_hits_client_timeout(server):
    server.set("stuck", hang=True)
    start = time.monotonic()
    with pytest.raises(litellm.Timeout):
        await ask(server, "stuck", timeout=0.5)
    assert time.monotonic() - start < 1.5  # retries would triple this: hence max_retries=0


async def test_hang_after_tokens_times_out_mid_stream(server):
    server.set("stall", text="a b c d", hang_after_tokens=2)
    pieces = []
    with pytest.raises(litellm.exceptions.MidStreamFallbackError, match="Timeout"):
        await collect(await ask(server, "stall", timeout=0.5), pieces)
    assert pieces == ["a", " b"]


async def test_raw_sse_wire_format_and_endpoints(server):
    server.set("m1")
    server.set("m2", text="hi there")
    async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": "Bearer whatever"}) as client:
        assert [m["id"] for m in (await client.get("/models")).json()["data"]] == ["m1", "m2"]
        assert (await client.get(server.base_url.removesuffix("/v1") + "/health")).json() == {"status": "ok"}
        body = {"model": "m2", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
        async with client.stream("POST", "/chat/completions", json=body) as response:
            assert response.headers["content-type"] == "text/event-stream"
            events = [line async for line in response.aiter_lines() if line]
    assert events[-1] == "data: [DONE]" and all(e.startswith("data: ") for e in events)
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "hi"}
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 2


async def test_eight_concurrent_streams_overlap(server):
    await warm(server)
    server.set("bench", text=" ".join(f"w{i}" for i in range(20)), ttft_s=0.1, latency_s=1.0)
    start = time.monotonic()

    async def one():
        return await collect(await ask(server, "bench"))

    results = await asyncio.gather(*(one() for _ in range(8)))
    elapsed = time.monotonic() - start
    assert all(len(pieces) == 20 for pieces, _, _ in results)
    assert elapsed < 1.5, elapsed


def test_stop_returns_promptly_with_a_hanging_request():
    before = set(threading.enumerate())  # other servers (the session fixture's) may have threads of their own
    server = LLMServer().start()
    server.set("stuck", hang=True)
    errors = []

    def client():
        try:
            httpx.post(f"{server.base_url}/chat/completions", json={"model": "stuck", "messages": []}, timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    while not server.requests:
        time.sleep(0.01)
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2
    thread.join(timeout=2)
    assert not thread.is_alive() and errors  # the client was let go, not left hanging
    time.sleep(0.1)
    left = set(threading.enumerate()) - before
    assert not [t for t in left if t.name.startswith("llm-server") or "process_request" in t.name]


@pytest.mark.timeout(15)
def test_standalone_process_with_config_and_admin(tmp_path):
    config = tmp_path / "behaviours.json"
    config.write_text(json.dumps({"fixed": {"text": "from config", "chunk_words": 2}}))
    proc = subprocess.Popen([sys.executable, "-m", "moa_core.testing.llm_server", "--port", "0", "--config", str(config)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        ready = proc.stdout.readline().split()
        assert ready[0] == "READY"
        base = ready[1]
        assert [m["id"] for m in httpx.get(f"{base}/models").json()["data"]] == ["fixed"]
        chat = {"model": "fixed", "messages": MESSAGES}
        assert httpx.post(f"{base}/chat/completions", json=chat).json()["choices"][0]["message"]["content"] == "from config"
        admin = httpx.post(base.removesuffix("/v1") + "/_admin/behaviour", json={"model": "fixed", "fail_times": 1, "fail_status": 503})
        assert admin.json() == {"ok": True}
        assert httpx.post(base.removesuffix("/v1") + "/_admin/behaviour", json={"model": "x", "bogus": 1}).status_code == 400
        assert httpx.post(f"{base}/chat/completions", json=chat).status_code == 503
        assert httpx.post(f"{base}/chat/completions", json=chat).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_a_stream_is_whole_in_a_process_with_more_than_1024_descriptors():
    """select() refuses descriptors above 1024: the server took that for a client that left and cut every
    delayed stream short (seen only late in a full test run, where the process holds many descriptors)."""
    import os
    import resource

    import httpx

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("cannot open 1,100 descriptors here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with LLMServer(behaviours={"slow": dict(text="one two three four", ttft_s=0.05, latency_s=0.3)}) as server:
            body = {"model": "slow", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            with httpx.Client(timeout=10) as client:
                reply = client.post(f"{server.base_url}/chat/completions", json=body)
            assert reply.status_code == 200 and "[DONE]" in reply.text
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
