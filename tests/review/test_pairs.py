"""Pair building, pair keys, blind sides and prompt ids (pure)."""
from moa_core.review.disagreement import disagreement_score
from moa_core.records import RunRecord
from moa_core.review.pairs import (best_proposal, pair_key, pairs_between_runs, pairs_for_run, prompt_id_for,
                                   run_identity, run_system, shown_swapped)
from moa_core.storage.schema import Rating

from .samples import _call, moa_run


def test_pairs_for_run_synthesis_against_baseline_best_proposal_and_fallback():
    run = moa_run(fallback="fallback answer")
    pairs = {p.kind: p for p in pairs_for_run(run)}
    assert set(pairs) == {"baseline", "best_proposal", "fallback"}
    assert pairs["baseline"].system_a == "pair" and pairs["baseline"].system_b == "base-model"
    assert pairs["best_proposal"].system_b == "proposal: m1"  # no stars: the first ok proposal
    assert pairs["best_proposal"].text_b == "30 days."
    assert pairs["fallback"].system_b == "fb-model"
    assert all(p.prompt_id == prompt_id_for(run.query) and p.run_a_id == p.run_b_id for p in pairs.values())


def test_best_proposal_is_the_one_with_most_stars():
    run = moa_run(proposals=("a", "b", "c"))
    ratings = [Rating(id=1, target="call", call_id=run.calls[1].call_id, rater="ann", stars=5),
               Rating(id=2, target="call", call_id=run.calls[0].call_id, rater="ann", stars=3)]
    assert best_proposal(run, ratings).model == "m2"


def test_a_run_without_synthesis_gives_no_in_run_pairs_and_names_its_fallback():
    run = moa_run(synthesis=None, fallback="alone")
    assert pairs_for_run(run) == []
    assert run_system(run) == "fb-model"


def test_pairs_between_runs_of_the_same_query_newest_per_system():
    old = moa_run(name="lineup-1", synthesis="old", minutes_ago=10)
    new = moa_run(name="lineup-1", synthesis="new", minutes_ago=5)
    other = moa_run(query="  what is the NOTICE period? ", name="self-moa", synthesis="self",
                    proposals=("x", "y", "z"))
    unrelated = moa_run(query="Something else", name="lineup-2")
    pairs = pairs_between_runs([old, new, other, unrelated])
    assert len(pairs) == 1
    p = pairs[0]
    assert (p.system_a, p.system_b) == ("lineup-1", "self-moa")
    assert (p.text_a, p.text_b) == ("new", "self") and p.call_a_id is None


def test_pair_key_ignores_order_and_sides_are_stable_per_reviewer():
    assert pair_key("r1", "c1", "r2", None) == pair_key("r2", None, "r1", "c1")
    key = pair_key("r1", "c1", "r1", "c2")
    assert shown_swapped("ann", key) == shown_swapped("ann", key)
    # over many pairs, about half are swapped, and reviewers differ
    keys = [pair_key("r", f"c{i}", "r", "x") for i in range(200)]
    share = sum(shown_swapped("ann", k) for k in keys) / len(keys)
    assert 0.35 < share < 0.65
    assert [shown_swapped("ann", k) for k in keys] != [shown_swapped("bob", k) for k in keys]


def test_disagreement_score_is_higher_when_proposals_differ():
    same = disagreement_score(["The notice period is 30 days.", "The notice period is 30 days."])
    differ = disagreement_score(["The notice period is 30 days.", "Bananas are yellow and grow in bunches."])
    assert differ > same and disagreement_score(["only one"]) == 0.0


def test_runs_of_one_configuration_under_other_names_are_one_system():
    """Renamed, edited-but-unchanged or batch-named runs of one lineup are never paired with each other."""
    named = moa_run(name="pm-3fakes", synthesis="a", minutes_ago=3)
    edited = moa_run(name="pm-3fakes (edited)", synthesis="b", minutes_ago=2)
    batch = moa_run(name="moa: m1 + m2 → agg", synthesis="c", minutes_ago=1)
    assert len({run_identity(r).id for r in (named, edited, batch)}) == 1
    assert pairs_between_runs([named, edited, batch]) == []


def test_a_single_model_run_is_named_by_its_model_and_equals_a_baseline():
    moa = moa_run(name="pm", synthesis="moa answer", minutes_ago=2)
    single = RunRecord(query=moa.query, lineup={"name": "single: base-model", "proposers": [],
                                                "baseline": {"model": "base-model"}},
                       status="ok", final="alone", calls=[_call("baseline", "base-model", "alone")])
    (pair,) = pairs_between_runs([moa, single])
    assert {pair.system_a, pair.system_b} == {"pm", "base-model"}
    assert not any(n.startswith("MoA:") for n in (pair.system_a, pair.system_b))
    baseline_pair = next(p for p in pairs_for_run(moa) if p.kind == "baseline")
    assert baseline_pair.system_b_id == run_identity(single).id and baseline_pair.system_b == "base-model"
    assert baseline_pair.system_a_id == run_identity(moa).id == {pair.system_a: pair.system_a_id,
                                                                  pair.system_b: pair.system_b_id}["pm"]


def test_two_configurations_with_one_name_get_two_names_in_one_pair():
    a = moa_run(name="pm (edited)", synthesis="a", proposals=("p", "q"))
    b = moa_run(name="pm (edited)", synthesis="b", proposals=("p", "q", "r"))
    (pair,) = pairs_between_runs([a, b])
    assert pair.system_a != pair.system_b and pair.system_a.startswith("pm (edited) · ")
