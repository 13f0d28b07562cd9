"""Shared fixtures: the loopback LLM server, lineups that point at it, mocked models, a data dir per test."""
from __future__ import annotations

import pytest

from moa_core.providers import endpoints
from moa_core.lineup import Lineup, ModelSpec
from moa_core.providers.llm import Target
from moa_core.testing.llm_server import LLMServer

pytest_plugins = ["tests.pg"]


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    """Each test gets its own data directory (SQLite file, fallback files): no test sees another's runs."""
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path / "data"


@pytest.fixture(scope="session")
def llm_server_session():
    with LLMServer() as server:
        yield server


@pytest.fixture
def llm(llm_server_session):
    """The loopback OpenAI-compatible server, with behaviours reset for each test."""
    llm_server_session.reset()
    return llm_server_session


@pytest.fixture
def lineup_for(llm):
    """Build a lineup whose models live on the loopback server: lineup_for(["a", "b"], "agg", ...)."""
    def build(proposers: list[str], aggregator: str = "agg", **kwargs) -> Lineup:
        def spec(name: str) -> ModelSpec:
            return ModelSpec(model=name, api_base=llm.base_url)
        for key in ("baseline", "fallback"):
            if isinstance(kwargs.get(key), str):
                kwargs[key] = spec(kwargs[key])
        kwargs.setdefault("timeout_s", 5)
        return Lineup(proposers=[spec(p) for p in proposers], aggregator=spec(aggregator), **kwargs)
    return build


@pytest.fixture
def mock_models(monkeypatch):
    """Route model names to litellm's mock_response: mock_models({"a": "text", "b": Exception("x")})."""
    def install(replies: dict, delay: float | None = None):
        def resolve(spec: ModelSpec) -> Target:
            extra = {"mock_response": replies[spec.model]}
            if delay:
                extra["mock_delay"] = delay
            return Target(model="openai/gpt-4o-mini", api_key="sk-mock", extra=extra)
        monkeypatch.setattr(endpoints, "resolve", resolve)
        monkeypatch.setattr(endpoints, "missing_key", lambda spec: None)
        monkeypatch.setattr(endpoints, "unknown_provider", lambda spec: False)  # the fixture resolves every name
    return install
