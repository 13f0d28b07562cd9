"""Shared fixtures: the loopback LLM server, lineups that point at it, mocked models, a data dir per test.

Nothing here imports litellm at collection (it costs 2-3 s and ~170 MB): the fixtures that need the
providers import them when they run, so the quick tier (`scripts/quick-test.sh`) collects fast.
"""
from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.testing.llm_server import LLMServer

pytest_plugins = ["tests.pg"]

SLOW_ANYWAY = ("browser", "local_model", "postgres")


def pytest_collection_modifyitems(config, items):
    """Browser, embedded-model and PostgreSQL tests are slow too, so `-m "not slow"` alone is the quick tier."""
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_ANYWAY):
            item.add_marker(pytest.mark.slow)


def pytest_ignore_collect(collection_path: Path, config):
    """With `-m`, a module whose module-wide marks rule out every test in it is not even imported: pytest
    deselects by mark only after importing, and the slow modules' imports (litellm, AppTest, subprocess
    helpers) would cost the quick tier most of its collection time. A path named on the command line is
    always collected (pytest does not ask this hook about it)."""
    markexpr = config.option.markexpr
    if not markexpr or collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return None if expression_can_match(markexpr, module_marks(collection_path)) else True


def module_marks(path: Path) -> set[str]:
    """Marker names a test module puts on all its tests (its one-line `pytestmark`), read without importing it."""
    line = re.search(r"^pytestmark\s*=\s*(.+)$", path.read_text(encoding="utf-8", errors="replace"), re.M)
    marks = set(re.findall(r"pytest\.mark\.(\w+)", line.group(1))) if line else set()
    return marks | {"slow"} if marks & set(SLOW_ANYWAY) else marks


def expression_can_match(markexpr: str, marks: set[str]) -> bool:
    """Whether some test of a module carrying `marks` could match `-m markexpr`. Its tests may add any other
    mark, so every value of the names the module does not set is tried; an expression this cannot read
    (keyword arguments) is left to pytest (True)."""
    try:
        tree = ast.parse(markexpr, mode="eval")
    except SyntaxError:
        return True
    allowed = (ast.Expression, ast.BoolOp, ast.UnaryOp, ast.Name, ast.And, ast.Or, ast.Not, ast.Load)
    if not all(isinstance(node, allowed) for node in ast.walk(tree)):
        return True
    free = sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - marks)
    code = compile(tree, "<-m>", "eval")
    return any(eval(code, {"__builtins__": {}}, {**dict.fromkeys(marks, True), **dict(zip(free, values))})
               for values in itertools.product((False, True), repeat=len(free)))


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
    from moa_core.providers import endpoints  # imports litellm: only for the tests that use this fixture
    from moa_core.providers.llm import Target

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
