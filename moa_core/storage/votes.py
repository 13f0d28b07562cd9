"""The store's blind A/B votes with their rubric scores: written once per reviewer and pair, read
back as plain rows (with both answers' texts) for the results page, the CLI and exports.

A mixin of `RunStore`. A human reviewer votes on a pair of answers once: the pair's key is the
same whichever side was stored first (`review.pair_key`), so a swapped copy is locked too.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..review.pairs import pair_key
from .busy import retry_when_locked
from .rows import as_utc
from .schema import PREFERENCES as WINNERS, Call, RubricScore, Run, Vote

RUBRIC = ("accuracy", "completeness", "clarity")
RATER_KINDS = ("human", "judge")


class VoteLocked(ValueError):
    """This reviewer has already voted on this pair."""


class StalePair(ValueError):
    """An answer of the pair was deleted after the pair was shown (its run deleted in History)."""


@dataclass
class VoteRow:
    """One stored vote as the statistics and exports read it."""
    id: int
    prompt_id: str
    system_a: str
    system_b: str
    winner: str
    reviewer: str
    rater_kind: str
    shown_swapped: bool
    run_a_id: str | None
    run_b_id: str | None
    call_a_id: str | None
    call_b_id: str | None
    queue_id: int | None
    batch_id: str | None
    comment: str
    created_at: datetime
    query: str = ""
    a_text: str = ""
    b_text: str = ""

    @property
    def key(self) -> str:
        return pair_key(self.run_a_id, self.call_a_id, self.run_b_id, self.call_b_id)

    def preference(self):
        """As a `metrics.preference.Vote` (imported here: scipy is not storage's to load at import)."""
        from ..metrics.preference import Vote as PreferenceVote

        return PreferenceVote(self.prompt_id, self.system_a, self.system_b, self.winner, self.reviewer,
                              self.a_text, self.b_text)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


def _check(winner: str, reviewer: str, rater_kind: str, system_a: str, system_b: str,
           rubric: dict[str, dict[str, int]]) -> None:
    if winner not in WINNERS:
        raise ValueError(f"winner must be one of {', '.join(WINNERS)}, not {winner!r}")
    if rater_kind not in RATER_KINDS:
        raise ValueError(f"rater kind must be human or judge, not {rater_kind!r}")
    if rater_kind == "human" and not reviewer.strip():
        raise ValueError("a human vote needs the reviewer's name")
    if not system_a or not system_b or system_a == system_b:
        raise ValueError("a vote compares two different, named systems")
    for system, scores in rubric.items():
        if system not in (system_a, system_b):
            raise ValueError(f"rubric scores for {system!r}, which is not in this pair")
        for criterion, score in scores.items():
            if criterion not in RUBRIC:
                raise ValueError(f"unknown rubric criterion {criterion!r} (one of {', '.join(RUBRIC)})")
            if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
                raise ValueError(f"a rubric score is an integer from 1 to 5, not {score!r}")


class Votes:
    """Verbs over votes; needs `_read()`, `_write()` and `engine`."""

    @retry_when_locked
    def add_vote(self, *, prompt_id: str, system_a: str, system_b: str, winner: str, reviewer: str = "",
                 rater_kind: str = "human", shown_swapped: bool = False, run_a_id: str | None = None,
                 run_b_id: str | None = None, call_a_id: str | None = None, call_b_id: str | None = None,
                 comparison_id: int | None = None, queue_id: int | None = None, batch_id: str | None = None,
                 comment: str = "", reasoning: str = "",
                 rubric: dict[str, dict[str, int]] | None = None) -> int:
        """Store one vote (winner oriented to system_a/system_b) and its rubric scores; returns its id.

        Raises VoteLocked when this human reviewer already voted on the pair, StalePair when one of its
        answers was deleted meanwhile, ValueError on bad input.
        """
        rubric = {s: dict(v) for s, v in (rubric or {}).items() if v}
        reviewer = (reviewer or "").strip()
        _check(winner, reviewer, rater_kind, system_a, system_b, rubric)
        with self._write() as s:
            if any(i and s.get(Run, i) is None for i in (run_a_id, run_b_id)) or any(
                    i and s.get(Call, i) is None for i in (call_a_id, call_b_id)):
                raise StalePair("this pair's answers were deleted since it was shown (their run was deleted); "
                                "nothing was stored")
            if rater_kind == "human" and pair_key(run_a_id, call_a_id, run_b_id, call_b_id) in self._keys_of(
                    s, reviewer, {run_a_id, run_b_id}):
                raise VoteLocked(f"{reviewer} has already voted on this pair")
            vote = Vote(prompt_id=prompt_id, system_a=system_a, system_b=system_b, winner=winner, reviewer=reviewer,
                        rater_kind=rater_kind, shown_swapped=shown_swapped, run_a_id=run_a_id, run_b_id=run_b_id,
                        call_a_id=call_a_id, call_b_id=call_b_id, comparison_id=comparison_id, queue_id=queue_id,
                        batch_id=batch_id, comment=comment.strip(), reasoning=reasoning)
            s.add(vote)
            s.flush()
            for system, scores in rubric.items():
                for criterion, score in scores.items():
                    s.add(RubricScore(vote_id=vote.id, system=system, criterion=criterion, score=score))
            return vote.id

    @staticmethod
    def _keys_of(s, reviewer: str, run_ids: Iterable[str | None]) -> set[str]:
        ids = [r for r in run_ids if r]
        q = select(Vote.run_a_id, Vote.call_a_id, Vote.run_b_id, Vote.call_b_id).where(
            Vote.reviewer == reviewer, Vote.rater_kind == "human")
        if ids:
            q = q.where(or_(Vote.run_a_id.in_(ids), Vote.run_b_id.in_(ids)))
        return {pair_key(*row) for row in s.execute(q)}

    def has_voted(self, reviewer: str, key: str) -> bool:
        """Whether this human reviewer has voted on the pair with this key (`review.pair_key`)."""
        run_ids = {side.rsplit(":", 1)[0] for side in key.split("|")}
        with self._read() as s:
            return key in self._keys_of(s, reviewer.strip(), run_ids)

    def voted_keys(self, reviewer: str) -> set[str]:
        """Every pair key this human reviewer has voted on."""
        with self._read() as s:
            return self._keys_of(s, reviewer.strip(), ())

    def reviewers_by_key(self, run_ids: Iterable[str] | None = None) -> dict[str, set[str]]:
        """pair key -> the human reviewers who voted on it (optionally only pairs touching these runs)."""
        q = select(Vote.run_a_id, Vote.call_a_id, Vote.run_b_id, Vote.call_b_id, Vote.reviewer).where(
            Vote.rater_kind == "human")
        if run_ids is not None:
            ids = list(run_ids)
            q = q.where(or_(Vote.run_a_id.in_(ids), Vote.run_b_id.in_(ids)))
        out: dict[str, set[str]] = {}
        with self.engine.connect() as conn:
            for ra, ca, rb, cb, reviewer in conn.execute(q):
                out.setdefault(pair_key(ra, ca, rb, cb), set()).add(reviewer)
        return out

    def vote_for(self, vote_id: int) -> VoteRow | None:
        rows = self.votes(ids=[vote_id])
        return rows[0] if rows else None

    def votes_version(self) -> tuple[int, int]:
        """(highest vote id, number of votes): changes whenever a vote is added or deleted (a cache key)."""
        with self.engine.connect() as conn:
            top, count = conn.execute(select(func.max(Vote.id), func.count(Vote.id))).one()
        return int(top or 0), int(count or 0)

    def votes(self, *, since: datetime | None = None, until: datetime | None = None,
              reviewers: Iterable[str] | None = None, rater_kind: str | None = None,
              ids: Iterable[int] | None = None, with_texts: bool = True) -> list[VoteRow]:
        """Votes oldest first, each with both answers' texts (the call's, or the run's final answer)."""
        ca, cb, ra, rb = aliased(Call), aliased(Call), aliased(Run), aliased(Run)
        cols = [Vote.id, Vote.prompt_id, Vote.system_a, Vote.system_b, Vote.winner, Vote.reviewer, Vote.rater_kind,
                Vote.shown_swapped, Vote.run_a_id, Vote.run_b_id, Vote.call_a_id, Vote.call_b_id, Vote.queue_id,
                Vote.batch_id, Vote.comment, Vote.created_at]
        q = select(*cols).order_by(Vote.id)
        if with_texts:
            q = (select(*cols, ra.query.label("query"),
                        func.coalesce(ca.text, ra.final, "").label("a_text"),
                        func.coalesce(cb.text, rb.final, "").label("b_text"))
                 .outerjoin(ca, ca.call_id == Vote.call_a_id).outerjoin(cb, cb.call_id == Vote.call_b_id)
                 .outerjoin(ra, ra.id == Vote.run_a_id).outerjoin(rb, rb.id == Vote.run_b_id).order_by(Vote.id))
        if since is not None:
            q = q.where(Vote.created_at >= since)
        if until is not None:
            q = q.where(Vote.created_at < until)
        if reviewers is not None:
            q = q.where(Vote.reviewer.in_(list(reviewers)))
        if rater_kind is not None:
            q = q.where(Vote.rater_kind == rater_kind)
        if ids is not None:
            q = q.where(Vote.id.in_(list(ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        out = []
        for m in rows:
            data = dict(m)
            data["created_at"] = as_utc(data["created_at"])
            data["query"] = data.get("query") or ""
            out.append(VoteRow(**data))
        return out

    def rubric_scores(self, vote_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Rubric scores as rows {vote_id, system, criterion, score}."""
        q = select(RubricScore.vote_id, RubricScore.system, RubricScore.criterion, RubricScore.score)
        if vote_ids is not None:
            q = q.where(RubricScore.vote_id.in_(list(vote_ids)))
        with self.engine.connect() as conn:
            return [dict(m) for m in conn.execute(q.order_by(RubricScore.id)).mappings()]
