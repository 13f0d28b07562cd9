"""A run's own blind votes, read by run id for the PM line on the run page (issue 23)."""
from moa_core.metrics.verdict import pm_summary
from moa_core.storage import RunStore
from moa_core.storage.schema import Vote
from tests.review.samples import moa_run


def _vote(store, run, winner, a, b, kind="human", reviewer="ann"):
    """Stored as a row (the pair-on-screen checks of add_vote are tested elsewhere)."""
    with store._write() as s:
        s.add(Vote(prompt_id="q", system_a="x", system_b="y", winner=winner, reviewer=reviewer, rater_kind=kind,
                   run_a_id=run.run_id, run_b_id=run.run_id, call_a_id=a, call_b_id=b))


def test_three_blind_votes_for_the_single_model_reach_the_pm_line(private_data_dir):
    store = RunStore.open()
    run, other = moa_run(query="q1"), moa_run(query="q2")
    store.save_run(run)
    store.save_run(other)
    synth, base = run.calls_for("aggregator")[0].call_id, run.calls_for("baseline")[0].call_id
    _vote(store, run, "b", synth, base)
    _vote(store, run, "a", base, synth, reviewer="bo")
    _vote(store, run, "b", synth, base, reviewer="cy")
    _vote(store, run, "a", synth, base, kind="judge", reviewer="judge")
    o_synth, o_base = other.calls_for("aggregator")[0].call_id, other.calls_for("baseline")[0].call_id
    _vote(store, other, "a", o_synth, o_base)
    votes = store.votes.votes_for_run(run.run_id)
    assert [v["winner"] for v in votes] == ["b", "a", "b", "a"]  # this run's, the judge's too; not the other run's
    assert {"winner", "rater_kind", "run_a_id", "run_b_id", "call_a_id", "call_b_id"} <= set(votes[0])
    loaded = store.get_run(run.run_id)
    assert pm_summary(loaded, store.ratings.ratings_for(run.run_id), votes).endswith(
        "; 3 blind votes: the single model 3, MoA 0 (too few to call)")
    store.close()
