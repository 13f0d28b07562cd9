"""Per-system preference from blind votes, by people and by judges apart (issue 23: Analytics said
"No ratings yet" beside 40 human votes and 60 judge verdicts)."""
from moa_core.metrics.preference import wilson_interval
from moa_core.metrics.vote_quality import vote_summary


def v(a, b, winner, kind="human"):
    return {"system_a": a, "system_b": b, "winner": winner, "rater_kind": kind}


def test_wins_losses_ties_per_system_and_rater_kind_worked_by_hand():
    """People: moa beat single 3 times (on either side), lost once, 1 tie, 1 both bad.
    Judge: single beat moa twice. A system seen once (solo) is counted with its one vote."""
    votes = [v("moa", "single", "a"), v("single", "moa", "b"), v("moa", "single", "a"), v("moa", "single", "b"),
             v("single", "moa", "tie"), v("moa", "single", "both_bad"),
             v("moa", "single", "b", "judge"), v("single", "moa", "a", "judge"), v("solo", "moa", "a")]
    rows = {(r.system, r.rated_by): r for r in vote_summary(votes)}
    moa = rows[("moa", "people")]
    assert (moa.votes, moa.wins, moa.losses, moa.ties, moa.decisive) == (7, 3, 2, 2, 5)
    assert moa.win_rate == 3 / 5 and (moa.ci_low, moa.ci_high) == wilson_interval(3, 5)
    assert moa.verdict.startswith("only 5 decisive votes")
    single = rows[("single", "people")]
    assert (single.votes, single.wins, single.losses, single.ties) == (6, 1, 3, 2)
    assert (rows[("single", "judge")].wins, rows[("moa", "judge")].losses) == (2, 2)
    assert (rows[("solo", "people")].votes, rows[("solo", "people")].wins) == (1, 1)
    assert vote_summary([]) == []


def test_a_tie_only_system_has_no_win_rate():
    (a, b) = vote_summary([v("x", "y", "tie")])
    assert a.win_rate is None and a.verdict == "no decisive votes yet"


def test_the_page_filters_count_a_vote_side_only_when_its_run_is_in_the_selection():
    """Runs r1 (moa, in the selection), r2 (single, filtered out); r-gone was deleted; one vote has no run.
    A side counts when its run is selected; a side whose run is gone or unknown counts only with no filter."""
    def rv(a, b, winner, run_a, run_b):
        return {**v(a, b, winner), "run_a_id": run_a, "run_b_id": run_b}

    votes = [rv("moa", "single", "a", "r1", "r2"),        # moa in: a win for moa; single's side is out
             rv("single", "moa", "a", "r2", "r1"),        # moa in: a loss for moa
             rv("moa", "single", "tie", "r1", "r1"),      # both sides from one run (final vs baseline): both in
             rv("moa", "single", "a", "r-gone", "r2"),    # run deleted: only without a filter
             rv("moa", "single", "b", None, None)]        # no run recorded: only without a filter
    rows = {r.system: r for r in vote_summary(votes, run_ids={"r1"})}
    assert (rows["moa"].votes, rows["moa"].wins, rows["moa"].losses, rows["moa"].ties) == (3, 1, 1, 1)
    assert (rows["single"].votes, rows["single"].ties) == (1, 1)
    every = {r.system: r for r in vote_summary(votes, run_ids=None)}
    assert (every["moa"].votes, every["moa"].wins, every["moa"].losses) == (5, 2, 2)
    assert vote_summary(votes, run_ids=set()) == []  # a selection with no runs keeps no vote
