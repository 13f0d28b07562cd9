"""A human vote carries the key of the pair that was on screen, and is refused otherwise: a vote
was once stored on a pair nobody was shown (a shortcut of a hidden tab)."""
import pytest

from moa_core.review.pairs import pairs_for_run
from moa_core.storage.votes import WrongPair
from tests.review.samples import moa_run


def _args(pair):
    return dict(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b, winner="both_bad",
                reviewer="ann", run_a_id=pair.run_a_id, run_b_id=pair.run_b_id, call_a_id=pair.call_a_id,
                call_b_id=pair.call_b_id)


def test_a_vote_for_another_pair_than_the_one_shown_is_refused(store):
    shown_run, hidden_run = moa_run(query="shown?"), moa_run(query="hidden?")
    store.save_run(shown_run)
    store.save_run(hidden_run)
    shown = pairs_for_run(shown_run)[0]
    hidden = pairs_for_run(hidden_run)[0]
    with pytest.raises(WrongPair, match="not the pair on screen"):
        store.votes.add_vote(**_args(hidden), shown_pair=shown.key)
    with pytest.raises(WrongPair, match="which pair was on screen"):
        store.votes.add_vote(**_args(hidden))
    assert store.votes.list_votes() == []
    vote_id = store.votes.add_vote(**_args(shown), shown_pair=shown.key)
    assert [v.id for v in store.votes.list_votes()] == [vote_id] and store.votes.vote_for(vote_id).run_a_id == shown_run.run_id


def test_a_judge_vote_needs_no_screen(store):
    run = moa_run()
    store.save_run(run)
    pair = pairs_for_run(run)[0]
    store.votes.add_vote(**(_args(pair) | {"reviewer": "judge:x", "rater_kind": "judge"}))
    assert len(store.votes.list_votes(rater_kind="judge")) == 1
