"""A batch's single models and its judge take the lineup's timeout and retries (and `moa batch --timeout
--retries`): a hanging baseline or judge fails its item in seconds, as the same lineup through `moa run`
does, instead of the engine's 120 s x 4 attempts it used to wait."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from moa_core.batch.runner import create_batch, run_batch
from moa_core.batch.systems import call_limits, moa_system, single_system
from moa_core.cli import main
from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage.batches import JUDGE_PREFIX

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]  # hangs cut at 1 s each (~15 s); 90 s: the old waits fail


def _lineup(llm, timeout_s: float = 1.0, max_retries: int = 1) -> Lineup:
    def spec(name: str) -> ModelSpec:
        return ModelSpec(model=name, api_base=llm.base_url, max_tokens=64)
    return Lineup(proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"), timeout_s=timeout_s,
                  max_retries=max_retries)


def _run(store, batch_id: str, limit_s: float = 40.0):
    started = time.monotonic()
    out = asyncio.run(asyncio.wait_for(run_batch(store, batch_id), limit_s))  # the old 120 s timeout fails here
    return out, time.monotonic() - started


def test_a_hanging_single_model_takes_the_lineups_timeout_and_retries(store, make_set, llm):
    llm.set("base", hang=True)
    lineup = _lineup(llm, timeout_s=1.0, max_retries=1)
    batch_id = create_batch(store, make_set(1), [moa_system(lineup), single_system(
        ModelSpec(model="base", api_base=llm.base_url))], concurrency=4, cache=False)
    out, wall = _run(store, batch_id)
    assert out.status == "done" and out.counts["failed"] == 1
    [single] = [i for i in store.batches.batch_items(batch_id) if i.system == "base"]
    assert single.status == "failed" and "timed out" in (single.error or "")
    run = store.get_run(single.run_id)
    assert run.calls[0].attempts == 2  # one try and the lineup's one retry, not 4
    # <= 2: here the retry after a timeout did not always reach the server (seen with two proposers beside it;
    # the cause, in the HTTP client's connection reuse or not, is not settled): the lineup bounds the attempts
    assert 1 <= llm.request_count("base") <= 2
    assert wall < 20, wall


def test_a_hanging_judge_takes_the_batch_timeout_and_retries(store, make_set, llm):
    llm.set("judge", hang=True)
    lineup = _lineup(llm, timeout_s=1.0, max_retries=0)
    batch_id = create_batch(store, make_set(1), [moa_system(lineup), single_system(
        ModelSpec(model="base", api_base=llm.base_url))], judge={"model": "judge", "api_base": llm.base_url},
        concurrency=4, cache=False)
    out, wall = _run(store, batch_id)
    [item] = [i for i in store.batches.batch_items(batch_id) if i.system.startswith(JUDGE_PREFIX)]
    assert item.status == "failed" and item.error.startswith("the judge judge failed (order 1): ")
    assert llm.request_count("judge") == 1  # no retry: the lineup said max_retries = 0
    assert store.votes.batch_votes([batch_id]) == []
    assert wall < 15, wall


def test_call_limits_come_from_the_batch_else_the_primary_lineup_else_the_defaults(llm):
    lineup = _lineup(llm, timeout_s=7.0, max_retries=2)
    systems = [moa_system(lineup).to_dict()]
    assert call_limits({"systems": systems}) == (7.0, 2)  # a batch made before the limits were stored
    assert call_limits({"systems": systems, "timeout_s": 3.0, "max_retries": 0}) == (3.0, 0)
    alone = [single_system(ModelSpec(model="base")).to_dict()]
    assert call_limits({"systems": alone}) == (Lineup.timeout_s, Lineup.max_retries)


@pytest.mark.parametrize("hangs", ["base", "judge"])
def test_moa_batch_timeout_and_retries_flags_reach_every_call(hangs, tmp_path, llm, capsys):
    """`--timeout 1 --retries 0` on a lineup that says 30 s and 3 retries: the hanging model is asked
    once and given up after about a second; the lineup under test carries the flags too."""
    llm.set(hangs, hang=True)
    llm.set("judge" if hangs == "base" else "base", text="[[A]] fine")
    set_file = tmp_path / "qs.jsonl"
    set_file.write_text(json.dumps({"query": "Q?"}) + "\n")
    lineup_file = tmp_path / "lineup.toml"
    lineup_file.write_text(f'name = "duo"\ntimeout_s = 30\nmax_retries = 3\n'
                           f'[[proposers]]\nmodel = "p1"\napi_base = "{llm.base_url}"\n'
                           f'[aggregator]\nmodel = "agg"\napi_base = "{llm.base_url}"\n')
    started = time.monotonic()
    code = main(["batch", str(set_file), "--lineup", str(lineup_file), "--baseline", "base", "--judge", "judge",
                 "--api-base", llm.base_url, "--timeout", "1", "--retries", "0", "--json", "--no-cache"])
    wall = time.monotonic() - started
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and out["failed"] >= 1
    assert llm.request_count(hangs) == 1, llm.request_count(hangs)
    assert wall < 20, wall
    from moa_core.cli.storage import open_store

    store = open_store()
    try:
        config = store.batches.get_batch(out["batch_id"]).config
    finally:
        store.close()
    assert (config["timeout_s"], config["max_retries"]) == (1.0, 0)
    lineup = next(s for s in config["systems"] if s["name"] == "duo")["config"]
    assert (lineup["timeout_s"], lineup["max_retries"]) == (1.0, 0)


@pytest.mark.parametrize("argv, message", [
    (["--timeout", "0"], "--timeout must be a positive number of seconds"),
    (["--retries", "99"], "--retries must be between 0 and"),
    (["--resume", "x", "--timeout", "5"], "--timeout and --retries are set when a batch is created"),
])
def test_bad_timeout_and_retries_are_one_line(argv, message, tmp_path, capsys):
    set_file = tmp_path / "qs.jsonl"
    set_file.write_text(json.dumps({"query": "Q?"}) + "\n")
    args = ["batch", *([] if "--resume" in argv else [str(set_file)]), *argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
