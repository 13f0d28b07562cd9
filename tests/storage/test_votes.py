"""Votes and review queues on a real SQLite file and, where available, PostgreSQL."""
import pytest

from moa_core.review.pairs import pairs_for_run
from moa_core.storage.votes import VoteLocked
from tests.review.samples import moa_run


def _vote(store, pair, reviewer, winner="a", **kw):
    return store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b, winner=winner,
                          reviewer=reviewer, run_a_id=pair.run_a_id, run_b_id=pair.run_b_id,
                          call_a_id=pair.call_a_id, call_b_id=pair.call_b_id, **({"shown_pair": pair.key} | kw))


def test_vote_with_rubric_is_stored_with_texts_and_locked_per_reviewer(store):
    run = moa_run()
    store.save_run(run)
    pair = next(p for p in pairs_for_run(run) if p.kind == "baseline")
    vid = _vote(store, pair, "ann", "b", shown_swapped=True, comment=" fine ",
                rubric={pair.system_a: {"accuracy": 4, "clarity": 5}, pair.system_b: {}})
    row = store.votes.vote_for(vid)
    assert (row.winner, row.reviewer, row.shown_swapped, row.comment) == ("b", "ann", True, "fine")
    assert row.a_text == pair.text_a and row.b_text == pair.text_b and row.query == run.query
    assert row.preference().winner == "b"
    assert sorted((r["criterion"], r["score"]) for r in store.votes.rubric_scores([vid])) == [("accuracy", 4),
                                                                                         ("clarity", 5)]
    assert store.votes.has_voted("ann", pair.key) and not store.votes.has_voted("bob", pair.key)
    with pytest.raises(VoteLocked):  # the same pair stored the other way round is the same pair
        store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_b, system_b=pair.system_a, winner="a",
                       reviewer="ann", run_a_id=pair.run_b_id, run_b_id=pair.run_a_id,
                       call_a_id=pair.call_b_id, call_b_id=pair.call_a_id, shown_pair=pair.key)
    _vote(store, pair, "bob")
    assert store.votes.votes_version() == (vid + 1, 2)
    assert [v.reviewer for v in store.votes.list_votes(reviewers=["bob"])] == ["bob"]


@pytest.mark.parametrize("kw, message", [
    (dict(winner="left"), "winner must be"),
    (dict(reviewer=" "), "reviewer's name"),
    (dict(rubric={"pair": {"style": 3}}), "unknown rubric criterion"),
    (dict(rubric={"pair": {"accuracy": 6}}), "integer from 1 to 5"),
    (dict(rubric={"nobody": {"accuracy": 3}}), "not in this pair"),
])
def test_bad_votes_are_refused_with_one_line(store, kw, message):
    run = moa_run()
    store.save_run(run)
    pair = pairs_for_run(run)[0]
    args = dict(reviewer="ann", winner="a") | kw
    with pytest.raises(ValueError, match=message):
        _vote(store, pair, args.pop("reviewer"), args.pop("winner"), **args)
    assert store.votes.list_votes() == []


def test_judge_votes_are_not_locked_and_kept_apart(store):
    run = moa_run()
    store.save_run(run)
    pair = pairs_for_run(run)[0]
    for _ in range(2):
        _vote(store, pair, "gpt-judge", rater_kind="judge")
    assert len(store.votes.list_votes(rater_kind="judge")) == 2 and store.votes.list_votes(rater_kind="human") == []


def test_queue_progress_overlap_and_skip(store):
    runs = [moa_run(query=f"question {i}", minutes_ago=i) for i in range(3)]
    for r in runs:
        store.save_run(r)
    qid = store.queues.create_queue("all", {"kinds": ["baseline"]}, reviewers_per_item=2)
    items = store.queues.queue_items(qid)
    assert len(items) == 3 and items[0].run_a_id == runs[0].run_id  # newest first
    assert store.queues.queue_progress(qid).summary() == "0 of 3 done (0 of 6 reviews)"
    first = store.queues.next_item(qid, "ann")
    assert first.id == items[0].id
    assert store.queues.next_item(qid, "ann", skip=[first.id]).id == items[1].id
    pair = store.queues.item_pair(first)
    assert pair.query == "question 0" and pair.text_b == "30 days I think."
    _vote(store, pair, "ann", queue_id=qid)
    assert store.queues.next_item(qid, "ann").id == items[1].id      # ann moves on
    assert store.queues.next_item(qid, "bob").id == items[0].id      # bob still sees item 0: it needs 2 reviewers
    _vote(store, pair, "bob", queue_id=qid)
    assert store.queues.next_item(qid, "cy").id == items[1].id       # item 0 is done
    progress = store.queues.queue_progress(qid)
    assert (progress.done, progress.votes, progress.per_reviewer) == (1, 2, {"ann": 1, "bob": 1})
    for item in items[1:]:
        for who in ("ann", "bob"):
            _vote(store, store.queues.item_pair(item), who)
    assert store.queues.next_item(qid, "cy") is None and store.queues.queue_progress(qid).done == 3


def test_queue_filters_orders_and_refusals(store):
    store.save_run(moa_run(query="calm", proposals=("The sky is blue.", "The sky is blue.")))
    store.save_run(moa_run(query="contested", name="other",
                           proposals=("The notice period is 30 days.", "Bananas grow in bunches.")))
    qid = store.queues.create_queue("by disagreement", {"kinds": ["best_proposal"]}, order="disagreement")
    items = store.queues.queue_items(qid)
    assert [store.queues.item_pair(i).query for i in items] == ["contested", "calm"]
    assert items[0].disagreement > items[1].disagreement
    assert len(store.queues.queue_items(store.queues.create_queue("lineup", {"lineup": "other"}))) == 2  # baseline + best
    assert len(store.queues.queue_items(store.queues.create_queue("model", {"model": "base-model", "text": "cal"}))) == 2
    with pytest.raises(ValueError, match="exists already"):
        store.queues.create_queue("lineup", {})
    with pytest.raises(ValueError, match="no pairs"):
        store.queues.create_queue("none", {"text": "nothing like this"})
    with pytest.raises(ValueError, match="order must be"):
        store.queues.create_queue("x", {}, order="random")
    with pytest.raises(ValueError, match="not a date"):
        store.queues.create_queue("x", {"since": "yesterday"})


def test_queue_from_batch_takes_that_batch_only(store):
    inside, outside = moa_run(query="in batch"), moa_run(query="not in batch")
    for r in (inside, outside):
        store.save_run(r)
    store.link_run(inside.run_id, batch_id="b1")
    qid = store.queues.queue_from_batch("b1", kinds=["baseline"])
    assert store.queues.get_queue(qid).name == "batch b1" and store.queues.get_queue(qid).source["batch_id"] == "b1"
    assert [i.run_a_id for i in store.queues.queue_items(qid)] == [inside.run_id]


def test_a_vote_on_a_pair_whose_answers_were_deleted_is_refused_in_one_line(store):
    """A stale pair: on screen for one reviewer while someone deletes its run in History."""
    from moa_core.storage.votes import StalePair

    run = moa_run()
    store.save_run(run)
    pair = next(p for p in pairs_for_run(run) if p.kind == "baseline")
    assert store.delete_run(run.run_id)
    with pytest.raises(StalePair, match="deleted since it was shown") as caught:
        _vote(store, pair, "ann")
    assert isinstance(caught.value, ValueError) and "\n" not in str(caught.value)
    assert store.votes.list_votes() == []
