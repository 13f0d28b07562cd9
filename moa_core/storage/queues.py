"""Review queues: a fixed list of blind pairs built from a filter over runs (or from a batch), each
done once N reviewers have voted on it, with progress overall and per reviewer.

A repository of `RunStore` (`store.queues`). Items are frozen when the queue is made, so progress ("12 of 40 done") means
the same thing to everyone; a vote on the same pair elsewhere (the Compare page) counts too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..records import RunRecord
from ..review.pairs import KINDS, Pair, lineup_key, pair_key, pairs_between_runs, pairs_for_run
from .database import Database, Repository
from .rows import as_utc
from .schema import QueueItem, Rating, ReviewQueue, Run
from .votes import Votes

ORDERS = ("newest", "disagreement")
MAX_RUNS = 500  # a queue is built from at most this many runs (newest first)


@dataclass
class QueueProgress:
    """How far a queue is: items done (N votes each), votes cast, and votes per reviewer."""
    total: int
    done: int
    votes: int
    needed: int
    per_reviewer: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return f"{self.done} of {self.total} done ({self.votes} of {self.needed} reviews)"


def _matches(run: RunRecord, source: dict[str, Any]) -> bool:
    """Filters the database cannot do cheaply: lineup name or signature, model."""
    lineup = source.get("lineup")
    snapshot = run.lineup_snapshot
    if lineup and lineup not in (snapshot.name, lineup_key(snapshot)):
        return False
    model = source.get("model")
    return not model or any(c.model == model for c in run.calls)


class Queues(Repository):
    """Verbs over review queues: the votes say who reviewed an item, `get_run` (`RunStore.get_run`) reads its runs."""

    def __init__(self, database: Database, votes: Votes, get_run: Callable[[str], RunRecord | None]):
        super().__init__(database)
        self.votes, self.get_run = votes, get_run

    def create_queue(self, name: str, source: dict[str, Any] | None = None, *, reviewers_per_item: int = 1,
                     order: str = "newest") -> int:
        """A queue of the pairs from the runs matching `source` {lineup, model, since, until, text, kinds,
        batch_id}; returns its id. ValueError on a bad name, order or count, or when no pair matches."""
        name, source = _checked(name, reviewers_per_item), dict(source or {})
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
        kinds = source.get("kinds") or list(KINDS)
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise ValueError(f"unknown pair kind {bad[0]!r} (one of {', '.join(KINDS)})")
        records, ratings = self._queue_runs(source)
        pairs = self._pairs(records, ratings, kinds)
        if not pairs:
            raise ValueError("no pairs to review in the runs that match this filter")
        scores: dict[str, float] = {}
        if order == "disagreement":
            from ..review.disagreement import run_disagreement  # the agreement analysis: only when asked

            by_id = {r.run_id: r for r in records}
            for p in pairs:
                if p.run_a_id not in scores:
                    scores[p.run_a_id] = run_disagreement(by_id[p.run_a_id])
            pairs.sort(key=lambda p: -scores[p.run_a_id])  # stable: newest first among equals
        return self._insert_queue(name, source, reviewers_per_item, order, [
            {"prompt_id": p.prompt_id, "system_a": p.system_a, "system_b": p.system_b, "run_a_id": p.run_a_id,
             "run_b_id": p.run_b_id, "call_a_id": p.call_a_id, "call_b_id": p.call_b_id,
             "disagreement": scores.get(p.run_a_id)} for p in pairs])

    def create_queue_of_items(self, name: str, source: dict[str, Any], items: list[dict[str, Any]], *,
                              reviewers_per_item: int = 1, order: str = "disagreement") -> int:
        """A queue of given pairs, in the given order (e.g. a judge's verdicts, hardest first): each item has
        prompt_id, system_a/b, run_a_id/run_b_id, call_a_id/call_b_id (None: the run's final answer)."""
        name = _checked(name, reviewers_per_item)
        if not items:
            raise ValueError("no pairs to review")
        return self._insert_queue(name, source, reviewers_per_item, order, items)

    def _insert_queue(self, name: str, source: dict[str, Any], reviewers_per_item: int, order: str,
                      items: list[dict[str, Any]]) -> int:
        try:
            with self._write() as s:
                queue = ReviewQueue(name=name, source=_jsonable(source), reviewers_per_item=reviewers_per_item,
                                    order=order)
                s.add(queue)
                s.flush()
                for position, item in enumerate(items):
                    s.add(QueueItem(queue_id=queue.id, position=position, prompt_id=item["prompt_id"],
                                    system_a=item["system_a"], system_b=item["system_b"], run_a_id=item["run_a_id"],
                                    run_b_id=item["run_b_id"], call_a_id=item.get("call_a_id"),
                                    call_b_id=item.get("call_b_id"), disagreement=item.get("disagreement")))
                return queue.id
        except IntegrityError:
            raise ValueError(f"a queue named {name!r} exists already") from None

    def queue_from_batch(self, batch_id: str, name: str | None = None, *, reviewers_per_item: int = 1,
                         order: str = "newest", kinds: Iterable[str] | None = None) -> int:
        """A queue of the pairs from the runs of one batch (`Run.batch_id`)."""
        source: dict[str, Any] = {"batch_id": batch_id}
        if kinds:
            source["kinds"] = list(kinds)
        return self.create_queue(name or f"batch {batch_id}", source, reviewers_per_item=reviewers_per_item,
                                 order=order)

    def _queue_runs(self, source: dict[str, Any]) -> tuple[list[RunRecord], list[Rating]]:
        q = select(Run.id).where(Run.status.in_(("ok", "partial", "fallback"))).order_by(
            Run.started_at.desc(), Run.id.desc()).limit(MAX_RUNS)
        if source.get("batch_id"):
            q = q.where(Run.batch_id == source["batch_id"])
        if source.get("since"):
            q = q.where(Run.started_at >= _when(source["since"]))
        if source.get("until"):
            q = q.where(Run.started_at < _when(source["until"]))
        if source.get("text"):
            text = str(source["text"]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            q = q.where(Run.query.ilike(f"%{text}%", escape="\\"))
        with self._read() as s:
            ids = list(s.execute(q).scalars())
            ratings = list(s.execute(select(Rating).where(Rating.run_id.in_(ids))).scalars()) if ids else []
        records = [r for r in (self.get_run(i) for i in ids) if r is not None and _matches(r, source)]
        return records, ratings

    @staticmethod
    def _pairs(records: list[RunRecord], ratings: list[Rating], kinds: Iterable[str]) -> list[Pair]:
        kinds = set(kinds)
        by_run: dict[str, list[Rating]] = {}
        for r in ratings:
            by_run.setdefault(r.run_id, []).append(r)
        pairs = [p for r in records for p in pairs_for_run(r, by_run.get(r.run_id, [])) if p.kind in kinds]
        if "runs" in kinds:
            pairs += pairs_between_runs(records)
        seen, out = set(), []
        for p in pairs:
            if p.key not in seen:
                seen.add(p.key)
                out.append(p)
        return out

    def list_queues(self) -> list[ReviewQueue]:
        with self._read() as s:
            return list(s.execute(select(ReviewQueue).order_by(ReviewQueue.id.desc())).scalars())

    def get_queue(self, queue_id: int) -> ReviewQueue | None:
        with self._read() as s:
            return s.get(ReviewQueue, queue_id)

    def queue_items(self, queue_id: int) -> list[QueueItem]:
        with self._read() as s:
            return list(s.execute(select(QueueItem).where(QueueItem.queue_id == queue_id)
                                  .order_by(QueueItem.position, QueueItem.id)).scalars())

    def _item_reviewers(self, items: list[QueueItem]) -> dict[str, set[str]]:
        return self.votes.reviewers_by_key({i.run_a_id for i in items} | {i.run_b_id for i in items}) if items else {}

    def next_item(self, queue_id: int, reviewer: str, skip: Iterable[int] = ()) -> QueueItem | None:
        """The first item this reviewer has not voted on or skipped that still needs votes, or None."""
        queue = self.get_queue(queue_id)
        if queue is None:
            return None
        items = self.queue_items(queue_id)
        voters = self._item_reviewers(items)
        skip = set(skip)
        for item in items:
            who = voters.get(_key(item), set())
            if item.id not in skip and reviewer not in who and len(who) < queue.reviewers_per_item:
                return item
        return None

    def queue_progress(self, queue_id: int) -> QueueProgress:
        """Items done, reviews cast (counting at most N per item) and votes per reviewer."""
        queue = self.get_queue(queue_id)
        if queue is None:
            raise ValueError(f"no review queue {queue_id}")
        items = self.queue_items(queue_id)
        voters = self._item_reviewers(items)
        n = queue.reviewers_per_item
        per: dict[str, int] = {}
        done = votes = 0
        for item in items:
            who = voters.get(_key(item), set())
            done += len(who) >= n
            votes += min(len(who), n)
            for r in who:
                per[r] = per.get(r, 0) + 1
        return QueueProgress(len(items), done, votes, len(items) * n,
                             dict(sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))))

    def item_pair(self, item: QueueItem) -> Pair | None:
        """The item's pair with its query and both texts, or None when a run has gone."""
        run_a = self.get_run(item.run_a_id) if item.run_a_id else None
        run_b = run_a if item.run_b_id == item.run_a_id else (self.get_run(item.run_b_id) if item.run_b_id else None)
        if run_a is None or run_b is None:
            return None

        def text(run: RunRecord, call_id: str | None) -> str:
            if call_id is None:
                return run.final
            return next((c.text for c in run.calls if c.call_id == call_id), "")
        return Pair("queue", item.prompt_id, run_a.query, item.system_a, item.system_b, item.run_a_id,
                    item.run_b_id, item.call_a_id, item.call_b_id, text(run_a, item.call_a_id),
                    text(run_b, item.call_b_id))


def _checked(name: str | None, reviewers_per_item: int) -> str:
    """The queue's name, stripped; ValueError for no name or a reviewer count outside 1-20."""
    name = (name or "").strip()
    if not name:
        raise ValueError("give the queue a name")
    if not isinstance(reviewers_per_item, int) or not 1 <= reviewers_per_item <= 20:
        raise ValueError("reviewers per item must be a whole number from 1 to 20")
    return name


def _key(item: QueueItem) -> str:
    return pair_key(item.run_a_id, item.call_a_id, item.run_b_id, item.call_b_id)


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def _jsonable(source: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in source.items() if v not in (None, "", [])}
