"""Provider discovery: keys in the environment, models at user-given servers, default lineups."""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moa_core.providers import discovery, endpoints
from moa_core.providers.default_lineups import PERSONAS, default_lineup, default_lineup_for_environment
from moa_core.providers.discovery import DiscoveryError, available_models, discover, models_at, probe_server
from moa_core.providers.local_model import LOCAL_MODEL
from moa_core.providers.prices import PriceBook

pytestmark = pytest.mark.slow  # out of the quick tier: probe timeouts (~4 s)


@pytest.fixture
def no_keys(monkeypatch):
    """An environment without any provider key (whatever the machine or a .env file set)."""
    for name in list(os.environ):
        if name.endswith("_API_KEY") or any(name in names for names in discovery.PROVIDER_KEYS.values()):
            monkeypatch.delenv(name, raising=False)
    return monkeypatch


class _Fake(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {}

    def do_GET(self):
        status, ctype, body = self.routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_http():
    """A tiny HTTP server: fake_http({"/api/tags": (200, "application/json", b"...")}) -> base URL."""
    servers = []

    def start(routes):
        handler = type("Handler", (_Fake,), {"routes": routes})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ollama(fake_http):
    tags = {"models": [{"name": "qwen2.5:0.5b", "model": "qwen2.5:0.5b"}, {"name": "llama3.2:1b"}]}
    return fake_http({"/api/tags": (200, "application/json", json.dumps(tags).encode())})


@pytest.fixture
def llm_models(llm):
    llm.set("beta-chat")
    llm.set("alpha-chat")
    return llm


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- servers


def test_models_at_openai_compatible_server(llm_models):
    assert models_at(llm_models.base_url, "openai") == ["alpha-chat", "beta-chat"]
    root = llm_models.base_url.removesuffix("/v1")
    assert models_at(root + "/", "openai") == ["alpha-chat", "beta-chat"]  # /v1 added to a bare host


def test_models_at_ollama(ollama):
    assert models_at(ollama, "ollama") == ["llama3.2:1b", "qwen2.5:0.5b"]
    assert models_at(ollama + "/v1", "ollama") == ["llama3.2:1b", "qwen2.5:0.5b"]  # a pasted /v1 is forgiven


def test_unreachable_server_is_a_clear_error():
    port = _closed_port()
    with pytest.raises(DiscoveryError, match=f"cannot reach http://127.0.0.1:{port}/v1/models"):
        models_at(f"http://127.0.0.1:{port}", "openai")
    probe = probe_server(f"127.0.0.1:{port}")  # scheme added; auto stops after an unreachable host
    assert not probe.ok and "cannot reach" in probe.error and probe.models == []


def test_silent_server_times_out_quickly():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections, never answers
    try:
        started = time.monotonic()
        with pytest.raises(DiscoveryError, match="no answer from .* within 0.5 s"):
            models_at(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "openai", timeout_s=0.5)
        assert time.monotonic() - started < 3
    finally:
        listener.close()


def test_wrong_kind_of_server_is_named(llm_models, fake_http):
    with pytest.raises(DiscoveryError, match="HTTP 404"):
        models_at(llm_models.base_url, "ollama")
    html = fake_http({"/v1/models": (200, "text/html", b"<html>hello</html>")})
    with pytest.raises(DiscoveryError, match="did not answer with JSON"):
        models_at(html, "openai")
    other = fake_http({"/v1/models": (200, "application/json", b'{"status": "fine"}')})
    with pytest.raises(DiscoveryError, match="without a `data` list"):
        models_at(other, "openai")
    with pytest.raises(ValueError):
        models_at(other, "grpc")


def test_probe_detects_the_kind(ollama, llm_models):
    probe = probe_server(ollama)
    assert probe.ok and probe.kind == "ollama" and probe.api_base == ollama
    assert [c.model for c in probe.choices()] == ["ollama_chat/llama3.2:1b", "ollama_chat/qwen2.5:0.5b"]
    probe = probe_server(llm_models.base_url)  # /api/tags is 404 there: falls back to /v1/models
    assert probe.ok and probe.kind == "openai" and probe.api_base == llm_models.base_url
    assert [c.model for c in probe.choices()] == ["openai/alpha-chat", "openai/beta-chat"]


# ---------------------------------------------------------------- keys


def test_openai_key_makes_openai_appear(no_keys):
    assert discovery.keyed_providers() == []
    no_keys.setenv("OPENAI_API_KEY", "sk-test")
    assert discovery.keyed_providers() == ["openai"]
    choices = [c for c in available_models() if c.provider == "openai"]
    assert choices and all(c.source == "provider" and c.api_key_env == "OPENAI_API_KEY" for c in choices)
    models = {c.model for c in choices}
    assert "gpt-4o-mini" in models  # from litellm's table, via get_valid_models
    assert not any("embedding" in m or "tts" in m or "dall-e" in m for m in models)  # chat models only


def test_missing_key_names_the_variable(no_keys):
    status = {row.provider: row for row in discovery.key_status()}
    assert status["anthropic"].env_var == "ANTHROPIC_API_KEY" and not status["anthropic"].present
    assert status["gemini"].env_vars == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert discovery.missing_key_message("gemini") == "gemini: set GEMINI_API_KEY (or GOOGLE_API_KEY) to use its models"
    no_keys.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    no_keys.setenv("GOOGLE_API_KEY", "g-test")  # the alternative name counts too
    status = {row.provider: row for row in discovery.key_status()}
    assert status["anthropic"].present and status["gemini"].present and not status["openai"].present


def test_unlisted_provider_with_litellm_style_key_counts(no_keys):
    no_keys.setenv("CEREBRAS_API_KEY", "c-test")
    no_keys.setenv("NOT_A_PROVIDER_API_KEY", "x")
    assert discovery.keyed_providers() == ["cerebras"]
    assert any(row.provider == "cerebras" and row.present for row in discovery.key_status())


def test_empty_key_does_not_count(no_keys):
    no_keys.setenv("OPENAI_API_KEY", "")
    assert discovery.keyed_providers() == []


def test_key_values_never_leave_the_environment(no_keys, llm_models):
    no_keys.setenv("OPENAI_API_KEY", "sk-secret-value-123")
    found = discover([llm_models.base_url])
    assert "sk-secret-value-123" not in repr(found)


def test_no_network_without_base_urls(no_keys, monkeypatch):
    no_keys.setenv("OPENAI_API_KEY", "sk-test")
    no_keys.setenv("ANTHROPIC_API_KEY", "sk-test")

    def refuse(*args, **kwargs):
        raise AssertionError("discovery opened a connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert {c.provider for c in available_models()} == {"local", "openai", "anthropic"}
    assert default_lineup_for_environment().proposers


# ---------------------------------------------------------------- everything together


def test_no_keys_no_servers_offers_the_local_model(no_keys):
    choices = available_models()
    assert [c.model for c in choices] == [LOCAL_MODEL]
    assert choices[0].source == "local" and "offline" in choices[0].label


def test_available_models_combines_local_keyed_and_servers(no_keys, llm_models, ollama):
    no_keys.setenv("OPENAI_API_KEY", "sk-test")
    dead = f"http://127.0.0.1:{_closed_port()}"
    found = discover({llm_models.base_url: "openai", ollama: "ollama", dead: "auto"})
    sources = {c.source for c in found.choices}
    assert sources == {"local", "provider", "server"}
    servers = {c.model: c for c in found.choices if c.source == "server"}
    assert set(servers) == {"openai/alpha-chat", "openai/beta-chat", "ollama_chat/llama3.2:1b", "ollama_chat/qwen2.5:0.5b"}
    assert servers["openai/alpha-chat"].api_base == llm_models.base_url
    assert servers["ollama_chat/qwen2.5:0.5b"].api_base == ollama
    assert len(found.errors) == 1 and found.errors[0].startswith(dead) and "cannot reach" in found.errors[0]
    no_keys.delenv("OPENAI_API_KEY")
    assert available_models({dead: "openai"}, include_local=False) == []


def test_server_choice_becomes_a_callable_seat(llm_models):
    choice = probe_server(llm_models.base_url).choices()[0]
    spec = choice.spec(temperature=0.3, label="alpha")
    assert endpoints.missing_key(spec) is None  # a base-URL model needs no key
    target = endpoints.resolve(spec)
    assert target.model == "openai/alpha-chat" and target.api_base == llm_models.base_url and target.api_key


def test_local_choice_costs_zero():
    spec = discovery.local_choice().spec()
    assert PriceBook().cost(spec.model, 100, 100) == 0.0


# ---------------------------------------------------------------- default lineups


def test_default_lineup_is_self_moa_on_the_local_model():
    lineup = default_lineup()
    assert lineup.rounds == 1 and len(lineup.proposers) == 3
    assert {p.model for p in lineup.proposers} == {lineup.aggregator.model} == {LOCAL_MODEL}
    temps = [p.temperature for p in lineup.proposers]
    assert len(set(temps)) == 3 and lineup.aggregator.temperature < min(temps[1:])
    assert len({p.system_prompt for p in lineup.proposers}) == 3
    for proposer, (name, temp, _) in zip(lineup.proposers, PERSONAS):
        assert name in proposer.label and f"t={temp:g}" in proposer.label
        assert proposer.max_tokens <= 256
    assert lineup.aggregator.max_tokens <= 384
    assert type(lineup).from_toml(lineup.to_toml()).to_dict() == lineup.to_dict()


def test_environment_without_keys_gets_the_local_default(no_keys):
    assert default_lineup_for_environment().to_dict() == default_lineup().to_dict()


def test_environment_with_one_key_gets_self_moa_on_a_discovered_model(no_keys):
    no_keys.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    lineup = default_lineup_for_environment()
    discovered = set(discovery.provider_models("anthropic"))
    seats = [*lineup.proposers, lineup.aggregator]
    assert len(lineup.proposers) == 3 and len({s.model for s in seats}) == 1
    assert all(s.model in discovered and s.api_key_env == "ANTHROPIC_API_KEY" for s in seats)
    assert all(endpoints.missing_key(s) is None for s in seats)


def test_environment_with_two_keys_mixes_providers(no_keys):
    no_keys.setenv("OPENAI_API_KEY", "sk-test")
    no_keys.setenv("GEMINI_API_KEY", "g-test")
    lineup = default_lineup_for_environment()
    assert [p.api_key_env for p in lineup.proposers] == ["OPENAI_API_KEY", "GEMINI_API_KEY"]
    assert lineup.proposers[0].model in discovery.provider_models("openai")
    assert lineup.proposers[1].model in discovery.provider_models("gemini")
    assert lineup.aggregator.model == lineup.proposers[0].model


def test_environment_with_only_a_server_uses_its_model(no_keys, ollama):
    lineup = default_lineup_for_environment([ollama])
    seats = [*lineup.proposers, lineup.aggregator]
    assert {s.model for s in seats} == {"ollama_chat/llama3.2:1b"}
    assert all(s.api_base == ollama and s.api_key_env is None for s in seats)


def test_pick_model_prefers_newest_small_family_and_never_invents():
    assert discovery.pick_model("openai", ["gpt-4o", "gpt-5-mini", "gpt-5.4-mini", "gpt-4.1-mini"]) == "gpt-5.4-mini"
    assert discovery.pick_model("anthropic", ["claude-opus-5", "claude-haiku-4-5", "claude-haiku-5-5"]) == "claude-haiku-5-5"
    assert discovery.pick_model("openai", []) is None
    picked = discovery.pick_model("cerebras", discovery.provider_models("cerebras"))
    assert picked in discovery.provider_models("cerebras")
