"""The PM's one line: MoA against the single model, then which one people preferred."""
from moa_core.metrics.verdict import pm_summary
from tests.metrics.sample_runs import run_a, run_b


def test_the_line_names_time_cost_and_synthesis_of_both():
    run = run_a()
    run.synthesized_from, run.proposers_total = 2, 3
    assert pm_summary(run) == "MoA: 5.0 s, $0.006, synthesized from 2 of 3; single model: 1.5 s, $0.0015"


def test_no_baseline_no_line():
    assert pm_summary(run_b()) is None


def test_stars_are_shown_with_the_one_too_few_rule():
    """One rater's stars are one paired comparison: too few to call, so no "people preferred"."""
    run = run_a()
    agg = run.calls_for("aggregator")[0].call_id
    base = run.calls_for("baseline")[0].call_id
    ratings = [{"id": 1, "target": "call", "call_id": agg, "stars": 5, "rater": "ann"},
               {"id": 2, "target": "call", "call_id": base, "stars": 3, "rater": "ann"}]
    assert pm_summary(run, ratings).endswith("; stars: MoA 5.0 ★ vs the single model 3.0 ★ (1 rater: too few to call)")
    ratings.append({"id": 3, "target": "call", "call_id": agg, "stars": 2, "rater": "ann"})
    assert pm_summary(run, ratings).endswith("; stars: MoA 2.0 ★ vs the single model 3.0 ★ (1 rater: too few to call)")


def blind(i, winner, a, b, kind="human", run="run-a"):
    return {"id": i, "winner": winner, "rater_kind": kind, "run_a_id": run, "run_b_id": run,
            "call_a_id": a, "call_b_id": b}


def test_three_blind_votes_for_the_single_model_are_counted_and_said():
    """The issue's run: three blind votes, all for the single model (shown on either side), no stars.
    A judge verdict and a vote on a proposal pair of the same run do not count here."""
    run = run_a()
    agg = run.calls_for("aggregator")[0].call_id
    base = run.calls_for("baseline")[0].call_id
    proposal = run.calls_for("proposer")[0].call_id
    votes = [blind(1, "b", agg, base), blind(2, "a", base, agg), blind(3, "b", agg, base),
             blind(4, "a", agg, base, kind="judge"), blind(5, "a", agg, proposal)]
    assert pm_summary(run, [], votes).endswith(
        "; 3 blind votes: the single model 3, MoA 0 (too few to call)")
    # a tie is counted and said, and stars come after the votes
    votes.append(blind(6, "tie", base, agg))
    ratings = [{"id": 1, "target": "call", "call_id": agg, "stars": 4, "rater": "bo"},
               {"id": 2, "target": "call", "call_id": base, "stars": 4, "rater": "bo"}]
    assert pm_summary(run, ratings, votes).endswith(
        "; 4 blind votes: the single model 3, MoA 0, 1 tie (too few to call)"
        "; stars: MoA 4.0 ★ vs the single model 4.0 ★ (1 rater: too few to call)")


def test_enough_blind_votes_name_the_winner_or_say_there_is_none():
    """45 to 15 of 60: Wilson 63-84%, 21 points wide (callable needs 20 or less) -> too few;
    300 to 200 of 500: Wilson 56-64%, sign test p = 8.9e-6 -> preferred; 260 to 240: p = 0.40 -> no winner."""
    run = run_a()
    agg = run.calls_for("aggregator")[0].call_id
    base = run.calls_for("baseline")[0].call_id

    def votes(moa, single):
        return [blind(i, "a", agg, base) for i in range(moa)] + [blind(moa + i, "b", agg, base) for i in range(single)]
    assert pm_summary(run, [], votes(45, 15)).endswith("; 60 blind votes: MoA 45, the single model 15 (too few to call)")
    assert pm_summary(run, [], votes(300, 200)).endswith(
        "; 500 blind votes: MoA 300, the single model 200 (people preferred MoA, p = 8.9e-06)")
    assert pm_summary(run, [], votes(240, 260)).endswith(
        "; 500 blind votes: the single model 260, MoA 240 (no clear winner, p = 0.4)")
