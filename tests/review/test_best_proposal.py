"""Which proposal the synthesis is compared with: the stated rule of `best_proposal` (issue 23)."""
from tests.review.samples import moa_run

from moa_core.review.pairs import best_proposal


def test_without_stars_the_consensus_proposal_is_the_best_not_the_first():
    """Word sets: p1 {dogs, bark, loudly}, p2 {the, cat, sat}, p3 {the, cat, sat, down}, p4 {the, cat, ran}.
    Jaccard p2-p3 = 3/4, p2-p4 = 2/4, p3-p4 = 2/5, p1 with any = 0. Mean over the other three:
    p1 0, p2 (0.75 + 0.5)/3 = 0.417, p3 (0.75 + 0.4)/3 = 0.383, p4 (0.5 + 0.4)/3 = 0.3: p2, the second."""
    run = moa_run(proposals=("Dogs bark loudly.", "The cat sat.", "The cat sat down.", "The cat ran."))
    assert best_proposal(run).text == "The cat sat."


def test_stars_win_over_consensus_and_ties_go_to_the_earlier_proposal():
    run = moa_run(proposals=("Dogs bark loudly.", "The cat sat.", "The cat sat down.", "The cat ran."))
    outlier = run.calls_for("proposer")[0]
    ratings = [{"id": 1, "target": "call", "call_id": outlier.call_id, "stars": 4, "rater": "ann"}]
    assert best_proposal(run, ratings) is outlier
    assert best_proposal(moa_run(proposals=("same words", "same words"))).index == 0
    assert best_proposal(moa_run(proposals=("only one",))).text == "only one"
