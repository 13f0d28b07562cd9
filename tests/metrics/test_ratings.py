"""The one rating rule: a rater's latest rating per answer counts; a run's rating is its final answer's."""
from moa_core.metrics.ratings import answer_stars, final_call_id, latest_stars, run_stars

CALLS = [{"call_id": "p1", "role": "proposer", "status": "ok"}, {"call_id": "agg", "role": "aggregator", "status": "ok"},
         {"call_id": "fb", "role": "fallback", "status": "ok"}, {"call_id": "base", "role": "baseline", "status": "ok"}]


def _r(id, stars, call_id=None, target="call", rater=""):
    return {"id": id, "stars": stars, "call_id": call_id, "target": target, "rater": rater, "run_id": "r"}


def test_the_final_answer_is_the_synthesis_or_the_fallback():
    assert final_call_id(CALLS, "ok") == "agg" and final_call_id(CALLS, "partial") == "agg"
    assert final_call_id(CALLS, "fallback") == "fb"
    assert final_call_id([{"call_id": "agg", "role": "aggregator", "status": "failed"}], "failed") is None


def test_rating_the_synthesis_rates_the_run():
    assert run_stars([_r(1, 4, "agg")], CALLS, "ok") == (4.0, 1)
    assert run_stars([_r(1, 4, "p1"), _r(2, 2, "base")], CALLS, "ok") == (None, 0)  # other answers are not the run's


def test_a_raters_latest_rating_replaces_the_earlier_one():
    ratings = [_r(1, 1, "agg", rater="ann"), _r(2, 5, "agg", rater="ann"), _r(3, 3, "agg", rater="bob")]
    assert run_stars(ratings, CALLS, "ok") == (4.0, 2)
    assert run_stars(list(reversed(ratings)), CALLS, "ok") == (4.0, 2)  # order by id, not by list position


def test_whole_run_ratings_rate_the_final_answer():
    ratings = [_r(1, 2, "agg", rater="ann"), _r(2, 4, None, target="run", rater="ann"), _r(3, 5, "fb", rater="bob")]
    assert run_stars(ratings, CALLS, "ok") == (4.0, 1)  # ann's latest; bob rated the unused fallback
    assert run_stars(ratings, CALLS, "fallback") == (4.5, 2)
    assert answer_stars(ratings, "agg", final_call_id(CALLS, "ok")) == (4.0, 1)


def test_comments_and_votes_without_stars_do_not_count():
    assert latest_stars([_r(1, None, "agg"), {"id": 2, "target": "comparison", "stars": None}]) == {}
