"""Shared fixtures: the loopback LLM server, lineups that point at it, mocked models, a private data dir."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("MOA_DATA_DIR", tempfile.mkdtemp(prefix="moa-test-data-"))

import pytest  # noqa: E402

from moa_core import providers  # noqa: E402
from moa_core.lineup import Lineup, ModelSpec  # noqa: E402
from moa_core.llm import Target  # noqa: E402
from tests.llm_server import LLMServer  # noqa: E402

pytest_plugins = ["tests.pg"]


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
        monkeypatch.setattr(providers, "resolve", resolve)
        monkeypatch.setattr(providers, "missing_key", lambda spec: None)
    return install
