"""Batch fixtures: a store on a private SQLite file, an eval set, and systems on the loopback server."""
import pytest

from moa_core.batch.systems import moa_system, single_system
from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore


@pytest.fixture
def store(tmp_path):
    s = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    yield s
    s.close()


@pytest.fixture
def make_set(store):
    def make(n: int = 4, name: str = "set", reference: str | None = "ref") -> int:
        return store.catalog.save_eval_set(name, [{"query": f"question {i}?", "reference": reference} for i in range(n)])
    return make


@pytest.fixture
def systems(llm):
    def spec(name: str) -> ModelSpec:
        return ModelSpec(model=name, api_base=llm.base_url, max_tokens=64)

    def build(proposers=("p1", "p2", "p3"), baseline: str | None = "base"):
        lineup = Lineup(proposers=[spec(p) for p in proposers], aggregator=spec("agg"), timeout_s=5, max_retries=2)
        out = [moa_system(lineup)]
        if baseline:
            out.append(single_system(spec(baseline)))
        return out
    return build
