"""Judge verdicts seed a human review queue: the pairs a judge saw, hardest first.

`judge_queue_items(store, batch_id)` returns plain dicts with the fields of a `QueueItem`
(prompt_id, system_a, system_b, run_a_id, run_b_id, disagreement), so the review queue code can
insert them as they are. Pairs where the judge's two orders disagreed (disagreement 1.0) come first:
that is where a person's vote adds the most.
"""
from __future__ import annotations


def judge_queue_items(store, batch_id: str) -> list[dict]:
    items = []
    for vote in store.votes.batch_votes([batch_id]):
        if vote.rater_kind != "judge":
            continue
        flipped = vote.judge_order1 != vote.judge_order2  # one order without a verdict is a flip too
        items.append({"prompt_id": vote.prompt_id, "system_a": vote.system_a, "system_b": vote.system_b,
                      "run_a_id": vote.run_a_id, "run_b_id": vote.run_b_id, "call_a_id": None, "call_b_id": None,
                      "disagreement": 1.0 if flipped else (0.5 if vote.winner == "tie" else 0.0),
                      "judge_winner": vote.winner})
    items.sort(key=lambda i: (-i["disagreement"], i["prompt_id"]))
    for position, item in enumerate(items):
        item["position"] = position
    return items


def seed_review_queue(store, batch_id: str, name: str | None = None, reviewers_per_item: int = 1) -> int:
    """A review queue of the judge's verdicts of this batch, the pairs whose two orders disagreed first,
    so that people check the judge; their votes and the judge's then meet on the Results page."""
    items = judge_queue_items(store, batch_id)
    if not items:
        raise ValueError(f"batch {batch_id} has no judge verdicts to review (run it with a judge)")
    return store.queues.create_queue_of_items(name or f"judge check: batch {batch_id}",
                                       {"batch_id": batch_id, "from": "judge"}, items,
                                       reviewers_per_item=reviewers_per_item, order="disagreement")

