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
    rows = {(r["system"], r["rated_by"]): r for r in vote_summary(votes)}
    moa = rows[("moa", "people")]
    assert (moa["votes"], moa["wins"], moa["losses"], moa["ties"], moa["decisive"]) == (7, 3, 2, 2, 5)
    assert moa["win_rate"] == 3 / 5 and (moa["ci_low"], moa["ci_high"]) == wilson_interval(3, 5)
    assert moa["verdict"].startswith("only 5 decisive votes")
    single = rows[("single", "people")]
    assert (single["votes"], single["wins"], single["losses"], single["ties"]) == (6, 1, 3, 2)
    assert (rows[("single", "judge")]["wins"], rows[("moa", "judge")]["losses"]) == (2, 2)
    assert (rows[("solo", "people")]["votes"], rows[("solo", "people")]["wins"]) == (1, 1)
    assert vote_summary([]) == []


def test_a_tie_only_system_has_no_win_rate():
    (a, b) = vote_summary([v("x", "y", "tie")])
    assert a["win_rate"] is None and a["verdict"] == "no decisive votes yet"
