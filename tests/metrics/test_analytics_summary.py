"""Headline words of the Analytics page, from plain numbers and vote rows worked out by hand."""
from __future__ import annotations

from moa_core.metrics.analytics_summary import partly_known_cost, votes_by_rater
from moa_core.metrics.vote_quality import vote_summary


def test_a_total_with_unpriced_runs_says_so():
    assert partly_known_cost(0.0155, 0, 3) == "$0.0155"
    assert partly_known_cost(0.0155, 1, 3) == "$0.0155 + unknown"  # 2 of 3 runs priced
    assert partly_known_cost(0.0, 3, 3) == "unknown"  # nothing priced: never "$0"
    assert partly_known_cost(0.0, 0, 0) == "$0"  # nothing at all, and nothing unknown


def test_votes_are_counted_once_though_listed_under_both_systems():
    votes = ([{"system_a": "moa", "system_b": "single", "winner": w, "rater_kind": "human"} for w in "aab"]
             + [{"system_a": "single", "system_b": "moa", "winner": "tie", "rater_kind": "human"}]
             + [{"system_a": "moa", "system_b": "other", "winner": "a", "rater_kind": "judge"}] * 5)
    summary = vote_summary(votes)
    # 4 human votes (one a tie) and 5 judge verdicts; moa appears in all 9, single in 4, other in 5
    assert sum(r.votes for r in summary) == 18
    assert votes_by_rater(summary) == {"people": 4, "judge": 5}
    assert votes_by_rater([]) == {"people": 0, "judge": 0}
