"""The embedded model end to end: managed llama-cpp-python server, reached through litellm.

Tests marked `local_model` load the real Gemma 3 270M (a few seconds on 2 cores each); the
others check the lifecycle code with stand-in commands and need no model.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from moa_core.providers import local_model
from moa_core.providers.llm import stream_completion
from moa_core.providers.local_model import LOCAL_MODEL, LocalModelError
from moa_core.prompts import fold_system_into_user, messages_for

pytestmark = pytest.mark.slow  # out of the quick tier: fake servers in subprocesses, start-up timeouts

QUESTION = "What is the capital of France?"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child still answers kill(0): look at its state
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _messages(system: str | None = "Answer in one short sentence.") -> list[dict]:
    return fold_system_into_user(messages_for(QUESTION, system_prompt=system))


@pytest.fixture(scope="module")
def server():
    """One server for this module's model tests; stopped afterwards so nothing lingers."""
    local_model.stop_server()
    local_model.ensure_server()
    yield local_model.server_info()
    local_model.stop_server()


# ------------------------------------------------------------------ no model needed


def test_gemma_chat_format_drops_system_messages_so_target_folds_them():
    from llama_cpp.llama_chat_format import format_gemma

    messages = [{"role": "system", "content": "SYSTEM-MARKER be brief"},
                {"role": "user", "content": "USER-MARKER hello"}]
    prompt = format_gemma(messages=messages).prompt
    assert "USER-MARKER" in prompt and "SYSTEM-MARKER" not in prompt  # silently dropped
    folded = format_gemma(messages=fold_system_into_user(messages)).prompt
    assert "SYSTEM-MARKER be brief\n\nUSER-MARKER hello" in folded
    assert local_model.SYSTEM_IN_USER is True


def test_offline_notice_says_what_it_is_and_how_to_add_a_provider():
    notice = local_model.OFFLINE_NOTICE
    for needle in ("Gemma 3 270M", "offline", "weak", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "Ollama",
                   "OpenAI-compatible"):
        assert needle in notice


def test_unknown_local_model_is_refused():
    with pytest.raises(LocalModelError, match="local/gemma-3-270m"):
        local_model.target("local/llama-70b")


def test_server_command_has_the_settings_that_matter():
    cmd = local_model.server_command("/m.gguf", 1234, n_threads=2)
    args = dict(zip(cmd[4::2], cmd[5::2]))
    assert args["--chat_format"] == "gemma" and args["--interrupt_requests"] == "False"
    assert args["--host"] == "127.0.0.1" and args["--port"] == "1234"
    assert args["--n_threads"] == "2" and args["--n_ctx"] == str(local_model.CONTEXT_TOKENS)
    assert cmd[3] == str(os.getpid())  # the child watches this process


@pytest.fixture
def fake_server(monkeypatch, tmp_path):
    """Swap the real server for a stand-in command; no model is loaded."""
    local_model.stop_server()
    monkeypatch.setattr(local_model, "model_path", lambda: tmp_path / "model.gguf")

    def use(script: str):
        monkeypatch.setattr(local_model, "server_command",
                            lambda path, port, **kw: [sys.executable, "-c", script, str(port)])
    yield use
    local_model.stop_server()


def test_server_that_dies_at_start_is_reported_with_its_log(fake_server):
    fake_server("import sys; print('could not load model: boom', flush=True); sys.exit(3)")
    with pytest.raises(LocalModelError) as err:
        local_model.ensure_server()
    assert "exited with code 3" in str(err.value) and "boom" in str(err.value)
    assert local_model.server_info() is None


def test_server_that_never_answers_times_out_and_is_killed(fake_server, monkeypatch):
    monkeypatch.setattr(local_model, "STARTUP_TIMEOUT_S", 1.0)
    fake_server("import time; print('loading forever', flush=True); time.sleep(600)")
    started = time.monotonic()
    with pytest.raises(LocalModelError, match="did not answer within 1 s") as err:
        local_model.ensure_server()
    assert time.monotonic() - started < 10
    assert "loading forever" in str(err.value)
    children = subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True).stdout
    for pid in children.split():
        assert "loading forever" not in open(f"/proc/{pid}/cmdline").read()


def test_concurrent_callers_wait_for_one_start(fake_server):
    # A stand-in OpenAI-compatible /v1/models that takes a moment to come up.
    fake_server(
        "import sys, time, json, http.server\n"
        "time.sleep(0.5)\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        body = json.dumps({'data': [{'id': 'gemma-3-270m'}]}).encode()\n"
        "        self.send_response(200); self.send_header('Content-Length', str(len(body)))\n"
        "        self.end_headers(); self.wfile.write(body)\n"
        "    def log_message(self, *a): pass\n"
        "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n")
    urls: list[str] = []
    threads = [threading.Thread(target=lambda: urls.append(local_model.ensure_server())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(urls) == 4 and len(set(urls)) == 1
    info = local_model.server_info()
    assert info is not None and urls[0] == info.base_url
    local_model.stop_server()
    assert not _alive(info.pid)


# ------------------------------------------------------------------ the real model


@pytest.mark.local_model
def test_streamed_call_through_litellm(server):
    target = local_model.target(LOCAL_MODEL)
    assert target.model == "openai/gemma-3-270m" and target.api_base == server.base_url
    assert target.system_in_user
    started = time.monotonic()
    deltas: list[str] = []
    result = asyncio.run(stream_completion(target, _messages(), temperature=0, max_tokens=24,
                                           on_delta=deltas.append))
    assert result.text.strip() and "".join(deltas) == result.text
    assert result.first_token_at is not None and started < result.first_token_at < time.monotonic()
    assert 0 < result.completion_tokens <= 24
    # usage comes from the server and counts with Gemma's own tokenizer
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import format_gemma

    vocab = Llama(str(local_model.model_path()), vocab_only=True, verbose=False)
    prompt = format_gemma(messages=_messages()).prompt
    assert result.prompt_tokens == len(vocab.tokenize(prompt.encode(), add_bos=True, special=True))


@pytest.mark.local_model
def test_three_concurrent_streams_all_complete(server):
    target = local_model.target(LOCAL_MODEL)

    async def three():
        return await asyncio.gather(*(
            stream_completion(target, _messages(), temperature=t, max_tokens=24) for t in (0.2, 0.6, 0.9)))

    results = asyncio.run(three())
    assert len(results) == 3
    for r in results:  # queued one after the other, none cut off
        assert r.text.strip() and r.completion_tokens > 0 and r.first_token_at is not None


@pytest.mark.local_model
def test_server_is_reused_within_the_process(server):
    first = local_model.target(LOCAL_MODEL)
    second = local_model.target(LOCAL_MODEL)
    assert first.api_base == second.api_base == server.base_url
    assert local_model.server_info().pid == server.pid


@pytest.mark.local_model
def test_default_lineup_end_to_end(server):
    engine = pytest.importorskip("moa_core.engine")
    from moa_core.providers.default_lineups import default_lineup

    lineup = default_lineup()
    for spec in [*lineup.proposers, lineup.aggregator]:
        spec.max_tokens = 16
    record = asyncio.run(engine.run_moa(QUESTION, lineup))
    assert record.status == "ok", (record.status, record.error, record.note)
    assert record.final.strip() and record.wall_s and record.wall_s > 0
    assert len(record.calls) == 4
    assert [c.role for c in record.calls].count("proposer") == 3
    assert [c.role for c in record.calls].count("aggregator") == 1
    for call in record.calls:
        assert call.status == "ok", (call.label, call.error)
        assert call.text.strip()
        assert call.prompt_tokens and call.prompt_tokens > 0
        assert call.completion_tokens and call.completion_tokens > 0
        assert call.started_s is not None and call.first_token_s is not None and call.ended_s is not None
        assert call.started_s <= call.first_token_s <= call.ended_s
        assert call.cost_usd == 0.0
    # the proposers' personas reached the model as the style line of a completion frame (a base
    # model copies a whole persona), and the stored messages are exactly the framed text
    from moa_core.providers.completion_frame import style_of

    proposer = next(c for c in record.calls if c.role == "proposer")
    assert all(m["role"] != "system" for m in proposer.messages)
    assert [m["role"] for m in proposer.messages] == ["user"]
    content = proposer.messages[0]["content"]
    assert f"Style: {style_of(lineup.proposers[0].system_prompt)}." in content
    assert lineup.proposers[0].system_prompt not in content
    assert content.endswith(f"Question: {QUESTION}\nAnswer:")
    assert local_model.server_info().pid == server.pid  # the same server served the whole run


@pytest.mark.local_model
def test_stop_server_stops_it_and_next_use_starts_a_new_one(server):
    info = local_model.server_info()
    local_model.stop_server()
    assert local_model.server_info() is None
    assert not _alive(info.pid) and not _port_open(info.port)
    local_model.stop_server()  # idempotent
    url = local_model.ensure_server()
    assert local_model.server_info().pid != info.pid
    with urllib.request.urlopen(f"{url}/models", timeout=5) as response:
        assert b"gemma-3-270m" in response.read()


@pytest.mark.local_model
def test_no_orphan_when_the_parent_is_killed(tmp_path):
    script = (
        "import os, sys\n"
        "from moa_core.providers import local_model\n"
        "local_model.ensure_server()\n"
        "print(local_model.server_info().pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    pid = int(proc.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid), "the server outlived its parent"


@pytest.mark.local_model
def test_server_stops_when_the_process_exits_normally():
    script = (
        "from moa_core.providers import local_model\n"
        "local_model.ensure_server()\n"
        "print(local_model.server_info().pid, flush=True)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    pid = int(proc.stdout.strip().splitlines()[-1])
    time.sleep(0.5)
    assert not _alive(pid)


def test_the_local_server_does_not_inherit_host_or_port():
    """llama_cpp.server takes HOST/PORT from the environment over its --port: a shell with PORT=8611 made the
    server listen there while the app waited on another port (seen when starting scripts/app.sh that way)."""
    from moa_core.providers.local_model import server_env
    env = server_env({"PORT": "8611", "HOST": "0.0.0.0", "PATH": "/bin", "MOA_LOCAL_THREADS": "1"})
    assert env == {"PATH": "/bin", "MOA_LOCAL_THREADS": "1", "PYTHONUNBUFFERED": "1"}
