"""One name per system (issue 23): the same lineup run from the Run page, a batch and Compare is one
row of the leaderboard; a baseline, a batch's single model and a single-model run are one system;
votes stored under the old names still count. Real runs on the loopback server, a real SQLite file."""
import asyncio

import pytest
from sqlalchemy import update

from moa_core.batch.runner import create_batch, run_batch
from moa_core.batch.single import answer_alone
from moa_core.batch.systems import moa_system, single_system
from moa_core.lineup import Lineup, ModelSpec
from moa_core.metrics.leaderboard import leaderboard
from moa_core.review.pairs import pairs_between_runs, pairs_for_run, prompt_id_for
from moa_core.service import run_and_record
from moa_core.storage import RunStore
from moa_core.storage.schema import Vote

pytestmark = pytest.mark.slow  # out of the quick tier: batches and runs per test (~4 s)

QUERY = "What is the notice period?"


@pytest.fixture
def store(tmp_path):
    s = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    yield s
    s.close()


@pytest.fixture
def world(store, llm):
    """A saved-style lineup "pm-3fakes" with "base" as its baseline, run from every path."""
    def spec(name: str) -> ModelSpec:
        return ModelSpec(model=name, api_base=llm.base_url, max_tokens=64)

    llm.set("agg", text="MoA answer")
    llm.set("base", text="base answer")
    llm.set("judge", text="[[A]]")
    lineup = Lineup(proposers=[spec("p1"), spec("p2"), spec("p3")], aggregator=spec("agg"), baseline=spec("base"),
                    name="pm-3fakes", timeout_s=5, max_retries=1)
    run_page = asyncio.run(run_and_record(QUERY, lineup, store=store))  # the Run page's path
    edited = Lineup.from_dict(lineup.to_dict() | {"name": "pm-3fakes (edited)"})  # edited, config unchanged
    run_edited = asyncio.run(run_and_record(QUERY, edited, store=store))
    alone = asyncio.run(answer_alone(spec("base"), QUERY, store=store))  # a single-model run
    set_id = store.catalog.save_eval_set("set", [{"query": QUERY, "reference": "30 days"}])
    batch_id = create_batch(store, set_id, [moa_system(lineup), single_system(spec("base"))],
                            judge={"model": "judge", "api_base": llm.base_url})
    assert asyncio.run(run_batch(store, batch_id)).status == "done"
    return {"lineup": lineup, "run_page": run_page, "edited": run_edited, "alone": alone, "batch_id": batch_id}


def _vote(store, pair, winner="a", reviewer="judge:x"):
    return store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b, winner=winner,
                          reviewer=reviewer, rater_kind="judge", run_a_id=pair.run_a_id, run_b_id=pair.run_b_id,
                          call_a_id=pair.call_a_id, call_b_id=pair.call_b_id)


def test_the_same_lineup_from_run_page_batch_and_compare_is_one_leaderboard_row(store, world):
    runs = [store.get_run(r.run_id) for r in store.list_runs(limit=20)]
    baseline_pair = next(p for p in pairs_for_run(store.get_run(world["run_page"].run_id)) if p.kind == "baseline")
    _vote(store, baseline_pair)  # Compare: synthesis vs baseline
    between = pairs_between_runs(runs)  # Compare: two runs of the same query
    assert len(between) == 1, [(p.system_a, p.system_b) for p in between]
    _vote(store, between[0], winner="a" if between[0].system_a == "pm-3fakes" else "b")
    board = leaderboard([v.preference() for v in store.votes.list_votes()], n_bootstrap=0)
    assert sorted((s.name, s.votes) for s in board) == [("base", 3), ("pm-3fakes", 3)]  # judge + 2 Compare votes
    assert not any(name.startswith(("MoA:", "moa:", "single:")) for s in board for name in [s.name])


def test_a_baseline_a_batch_single_and_a_single_model_run_are_one_system(store, world):
    rows = store.votes.list_votes()
    judge_vote = next(v for v in rows if v.batch_id == world["batch_id"])
    baseline_pair = next(p for p in pairs_for_run(store.get_run(world["run_page"].run_id)) if p.kind == "baseline")
    batch_single = next(r for r in store.batches.batch_runs(world["batch_id"]) if r.system == "base")
    alone = next(p for p in pairs_between_runs([store.get_run(world["alone"].run_id),
                                                store.get_run(world["run_page"].run_id)]))
    alone_id = alone.system_a_id if alone.system_a == "base" else alone.system_b_id
    assert judge_vote.system_b == "base" and baseline_pair.system_b == "base" and batch_single
    assert judge_vote.system_b_id == baseline_pair.system_b_id == alone_id
    assert judge_vote.system_a_id == baseline_pair.system_a_id  # the batch's lineup is the Run page's


def test_old_style_vote_rows_still_count_under_the_current_system(store, world):
    run = store.get_run(world["run_page"].run_id)
    pair = next(p for p in pairs_for_run(run) if p.kind == "baseline")
    old_names = [("MoA: pm-3fakes", "base"), ("moa: pm-3fakes", "single: base"), ("MoA: pm-3fakes", "single: base")]
    with store._write() as s:
        for a, b in old_names:  # as earlier versions stored them
            s.add(Vote(prompt_id=prompt_id_for(QUERY), system_a=a, system_b=b, winner="a", reviewer="old",
                       rater_kind="human", run_a_id=run.run_id, run_b_id=run.run_id, call_a_id=pair.call_a_id,
                       call_b_id=pair.call_b_id))
        # and one whose runs were deleted since (the database set its run and call ids to NULL)
        s.add(Vote(prompt_id="q:gone", system_a="MoA: pm-3fakes", system_b="single: base", winner="b",
                   reviewer="old", rater_kind="human"))
    rows = store.votes.list_votes(rater_kind="human")
    assert {(v.system_a, v.system_b) for v in rows} == {("pm-3fakes", "base")}
    assert len({v.system_a_id for v in rows}) == 1 and rows[0].system_a_id == pair.system_a_id
    board = {s.name: s.votes for s in leaderboard([v.preference() for v in rows], n_bootstrap=0)}
    assert board == {"pm-3fakes": 4, "base": 4}


def test_two_configurations_under_one_name_are_two_rows(store, world, llm):
    changed = Lineup.from_dict(world["lineup"].to_dict() | {"name": "pm-3fakes"})
    changed.aggregator.temperature = 0.1  # same name, another configuration
    other = asyncio.run(run_and_record(QUERY, changed, store=store))
    (pair,) = [p for p in pairs_for_run(store.get_run(other.run_id)) if p.kind == "baseline"]
    _vote(store, pair)
    _vote(store, next(p for p in pairs_for_run(store.get_run(world["run_page"].run_id)) if p.kind == "baseline"))
    names = {s.name for s in leaderboard([v.preference() for v in store.votes.list_votes()], n_bootstrap=0)}
    assert len(names) == 3 and "base" in names
    assert all(n.startswith("pm-3fakes · ") for n in names - {"base"})
