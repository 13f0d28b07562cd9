"""Interval sentences and judge-human agreement, numbers worked out by hand."""
import csv
import io

from moa_core.metrics.preference import Vote
from moa_core.metrics.review_stats import half_width_points, interval_sentence, judge_human_agreement
from moa_core.review.export import neutralise, votes_csv


def test_interval_width_matches_the_known_figures():
    assert round(half_width_points(50)) == 13   # Wilson at 25/50: 36.6%-63.4%
    assert round(half_width_points(400)) == 5
    assert interval_sentence(50).startswith("at 50 decisive votes the 95% interval is about ±13 points")


def test_judge_agrees_with_the_human_majority_on_shared_items():
    human = [Vote("p1", "x", "y", "a", "ann"), Vote("p1", "x", "y", "a", "bob"),
             Vote("p2", "x", "y", "b", "ann"), Vote("p2", "y", "x", "a", "bob"),   # both say y (sides swapped)
             Vote("p3", "x", "y", "a", "ann"), Vote("p3", "x", "y", "b", "bob"),   # no majority: skipped
             Vote("p4", "x", "y", "tie", "ann")]
    judge = [Vote("p1", "x", "y", "a", "j"), Vote("p2", "x", "y", "a", "j"), Vote("p3", "x", "y", "a", "j"),
             Vote("p9", "x", "y", "a", "j"), Vote("p4", "y", "x", "tie", "j")]
    result = judge_human_agreement(human, judge)
    assert (result.items, result.agree) == (3, 2)   # p1 agree, p2 disagree, p4 agree (tie)
    assert abs(result.share - 2 / 3) < 1e-9
    assert judge_human_agreement(human, []).share is None


def test_csv_cells_that_look_like_formulas_are_made_literal():
    assert neutralise("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and neutralise("\tx") == "'\tx"
    assert neutralise("plain") == "plain" and neutralise(3) == 3
    text = votes_csv([{"id": 1, "comment": "+1 great", "a_text": "-2 is less", "b_text": "@SUM(A1)", "winner": "a"}])
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["comment"], row["a_text"], row["b_text"], row["winner"]) == ("'+1 great", "'-2 is less",
                                                                           "'@SUM(A1)", "a")
