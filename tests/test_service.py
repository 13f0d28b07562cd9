"""Run and record: the one service the CLI, the app and the batch runner start runs through."""
import asyncio

import pytest

from moa_core.prompts import AGGREGATOR_PROMPT_SETTING
from moa_core.records import CallFinished, RunFinished, RunStarted
from moa_core.service import effective_lineup, run_and_record
from moa_core.storage import RunStore


@pytest.fixture
def store(tmp_path):
    s = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    yield s
    s.close()


async def test_a_run_is_recorded_and_observed(llm, lineup_for, store):
    seen = []
    record = await run_and_record("q?", lineup_for(["a", "b"]), store=store, observers=[seen.append])
    assert record.status == "ok"
    assert isinstance(seen[0], RunStarted) and isinstance(seen[-1], RunFinished)
    assert sum(isinstance(e, CallFinished) for e in seen) == 3
    stored = store.get_run(record.run_id)
    assert stored.status == "ok" and [c.status for c in stored.calls] == ["ok", "ok", "ok"]


async def test_the_saved_aggregator_prompt_applies_unless_the_lineup_has_its_own(llm, lineup_for, store):
    store.catalog.set_setting(AGGREGATOR_PROMPT_SETTING, "Merge these:\n{proposals}")
    record = await run_and_record("q?", lineup_for(["a"]), store=store)
    assert record.calls_for("aggregator")[0].messages[0]["content"].startswith("Merge these:")
    own = lineup_for(["a"], aggregator_prompt="Mine:\n{proposals}")
    assert effective_lineup(own, store).aggregator_prompt == "Mine:\n{proposals}"


async def test_a_run_stopped_mid_way_is_stored_with_what_it_had(llm, lineup_for, store):
    llm.set("a", latency_s=0.05)
    llm.set("b", latency_s=5)
    task = asyncio.create_task(run_and_record("q?", lineup_for(["a", "b"]), store=store,
                                              on_stop=("interrupted", "the page was left")))
    for _ in range(100):
        await asyncio.sleep(0.05)
        runs = store.list_runs()
        if runs and any(c.status == "ok" for c in store.get_run(runs[0].run_id).calls):  # "a" answered
            break  # (calls are stored while they stream now: waiting for any call is not waiting for "a")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [summary] = store.list_runs()
    stored = store.get_run(summary.run_id)
    assert stored.status == "interrupted" and stored.note == "the page was left"
    assert [c.status for c in stored.calls if c.model == "a"] == ["ok"]


async def test_without_a_store_nothing_is_recorded(llm, lineup_for, store):
    record = await run_and_record("q?", lineup_for(["a"]))
    assert record.status == "ok" and store.list_runs() == []
