"""The store's blind A/B votes with their rubric scores: written once per reviewer and pair, read
back as plain rows (with both answers' texts) for the results page, the CLI and exports.

Systems are resolved when read, not trusted as stored: each side's run and call give its
`moa_core.identity` (so votes stored under old names, "MoA: x", "single: x", a bare model, count
under the one current system), and every side gets that system's single display name. A side
whose run was deleted keeps its stored name, joined to the current system of that name if one.

A repository of `RunStore` (`store.votes`). A human reviewer votes on a pair of answers once: the
pair's key is the same whichever side was stored first (`review.pair_key`), so a swapped copy is locked too.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from ..identity import SystemIdentity, answer_identity, display_names, legacy_identity, moa_identity
from ..lineup import Lineup, LineupError
from ..redact import redact
from ..review.pairs import pair_key
from .busy import retry_when_locked
from .database import Database, Repository
from .rows import as_utc
from .schema import PREFERENCES as WINNERS, Call, RubricScore, Run, Vote

if TYPE_CHECKING:
    from .catalog import Catalog

RUBRIC = ("accuracy", "completeness", "clarity")
RATER_KINDS = ("human", "judge")
JUDGE_VERDICTS = ("a", "b", "tie")  # what one order of a judge can say (combine: the two agree, else a tie)


class VoteLocked(ValueError):
    """This reviewer has already voted on this pair."""


class WrongPair(ValueError):
    """A human vote that does not name the pair on screen, or names another one (nothing is stored)."""


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
    judge_order1: str | None  # a judge's verdict in each order (see schema.Vote); None for people
    judge_order2: str | None
    created_at: datetime
    query: str = ""
    a_text: str = ""
    b_text: str = ""
    system_a_id: str = ""  # `moa_core.identity` ids (group by these); system_a/b are their display names
    system_b_id: str = ""
    system_a_kind: str = ""  # moa, single, proposal, or legacy (known only by an old stored name)
    system_b_kind: str = ""

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
           rubric: dict[str, dict[str, int]], orders: tuple[str | None, str | None] = (None, None)) -> None:
    if winner not in WINNERS:
        raise ValueError(f"winner must be one of {', '.join(WINNERS)}, not {winner!r}")
    if any(o is not None and o not in JUDGE_VERDICTS for o in orders):
        raise ValueError(f"a judge order's verdict is one of {', '.join(JUDGE_VERDICTS)} or none, not {orders!r}")
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


def _side_identities(conn, rows) -> list[tuple[SystemIdentity, SystemIdentity]]:
    """Each vote's two systems from its runs' stored lineups and calls; the stored name when the run is gone."""
    run_ids = {r[k] for r in rows for k in ("run_a_id", "run_b_id") if r[k]}
    call_ids = {r[k] for r in rows for k in ("call_a_id", "call_b_id") if r[k]}
    runs: dict[str, tuple[dict, str]] = {}
    for chunk in _chunks(sorted(run_ids)):
        runs |= {i: (lineup or {}, status) for i, lineup, status in
                 conn.execute(select(Run.id, Run.lineup, Run.status).where(Run.id.in_(chunk)))}
    fallen = sorted(i for i, (_, status) in runs.items() if status == "fallback")
    calls: dict[str, Any] = {}
    last_fallback: dict[str, Any] = {}
    cols = (Call.call_id, Call.run_id, Call.role, Call.round, Call.index, Call.model, Call.api_base, Call.temperature)
    for chunk in _chunks(sorted(call_ids)):
        calls |= {c.call_id: c for c in conn.execute(select(*cols).where(Call.call_id.in_(chunk)))}
    for chunk in _chunks(fallen):
        for c in conn.execute(select(*cols).where(Call.run_id.in_(chunk), Call.role == "fallback",
                                                  Call.status == "ok").order_by(Call.round, Call.index)):
            last_fallback[c.run_id] = c
    cache: dict[tuple, SystemIdentity] = {}

    def side(run_id: str | None, call_id: str | None, stored: str) -> SystemIdentity:
        if run_id not in runs:
            return legacy_identity(stored)
        lineup, status = runs[run_id]
        call = calls.get(call_id) if call_id else last_fallback.get(run_id) if status == "fallback" else None
        key = (run_id, call.call_id if call is not None else None)
        if key not in cache:
            cache[key] = answer_identity(lineup, status=status) if call is None else answer_identity(
                lineup, status=status, role=call.role, index=call.index, round=call.round, model=call.model,
                api_base=call.api_base, temperature=call.temperature)
        return cache[key]

    return [(side(r["run_a_id"], r["call_a_id"], r["system_a"]), side(r["run_b_id"], r["call_b_id"], r["system_b"]))
            for r in rows]


def _chunks(ids: list[str], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


class Votes(Repository):
    """Verbs over votes; the catalog names the systems of saved lineups (`lineup_owners`)."""

    def __init__(self, database: Database, catalog: "Catalog"):
        super().__init__(database)
        self.catalog = catalog

    @retry_when_locked
    def add_vote(self, *, prompt_id: str, system_a: str, system_b: str, winner: str, reviewer: str = "",
                 rater_kind: str = "human", shown_swapped: bool = False, run_a_id: str | None = None,
                 run_b_id: str | None = None, call_a_id: str | None = None, call_b_id: str | None = None,
                 comparison_id: int | None = None, queue_id: int | None = None, batch_id: str | None = None,
                 comment: str = "", reasoning: str = "", judge_order1: str | None = None,
                 judge_order2: str | None = None,
                 rubric: dict[str, dict[str, int]] | None = None, shown_pair: str | None = None) -> int:
        """Store one vote (winner oriented to system_a/system_b) and its rubric scores; returns its id.
        A judge's vote carries each order's verdict (`judge_order1`/`judge_order2`, oriented like `winner`).

        A human vote carries `shown_pair`, the key of the pair that was on screen when the reviewer
        chose: a keyboard shortcut once voted on a pair in a hidden tab, so a vote whose answers are
        not the pair shown is refused (WrongPair). Raises VoteLocked when this human reviewer already
        voted on the pair, StalePair when one of its answers was deleted meanwhile, ValueError on bad input.
        """
        rubric = {s: dict(v) for s, v in (rubric or {}).items() if v}
        reviewer = (reviewer or "").strip()
        _check(winner, reviewer, rater_kind, system_a, system_b, rubric, (judge_order1, judge_order2))
        if rater_kind == "human":
            if not shown_pair:
                raise WrongPair("a human vote must say which pair was on screen; nothing was stored")
            if shown_pair != pair_key(run_a_id, call_a_id, run_b_id, call_b_id):
                raise WrongPair("this vote is for a pair that is not the pair on screen; nothing was stored")
        with self._write() as s:
            return self._insert_vote(s, prompt_id=prompt_id, system_a=system_a, system_b=system_b, winner=winner,
                                     reviewer=reviewer, rater_kind=rater_kind, shown_swapped=shown_swapped,
                                     run_a_id=run_a_id, run_b_id=run_b_id, call_a_id=call_a_id, call_b_id=call_b_id,
                                     comparison_id=comparison_id, queue_id=queue_id, batch_id=batch_id,
                                     comment=comment, reasoning=reasoning, judge_order1=judge_order1,
                                     judge_order2=judge_order2, rubric=rubric)

    def _insert_vote(self, s, *, prompt_id: str, system_a: str, system_b: str, winner: str, reviewer: str = "",
                     rater_kind: str = "human", shown_swapped: bool = False, run_a_id: str | None = None,
                     run_b_id: str | None = None, call_a_id: str | None = None, call_b_id: str | None = None,
                     comparison_id: int | None = None, queue_id: int | None = None, batch_id: str | None = None,
                     comment: str = "", reasoning: str = "", judge_order1: str | None = None,
                     judge_order2: str | None = None,
                     rubric: dict[str, dict[str, int]] | None = None) -> int:
        """Add one vote inside the caller's transaction `s` (a batch closes its judge item in the same one:
        a vote stored in a transaction of its own was stored twice by a resume after a crash between them)."""
        rubric = {k: dict(v) for k, v in (rubric or {}).items() if v}
        reviewer = (reviewer or "").strip()
        _check(winner, reviewer, rater_kind, system_a, system_b, rubric, (judge_order1, judge_order2))
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
                    batch_id=batch_id, comment=redact(comment.strip()),  # a pasted key is never stored
                    reasoning=reasoning, judge_order1=judge_order1, judge_order2=judge_order2)
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
        rows = self.list_votes(ids=[vote_id])
        return rows[0] if rows else None

    def votes_version(self) -> tuple[int, int]:
        """(highest vote id, number of votes): changes whenever a vote is added or deleted (a cache key)."""
        with self.engine.connect() as conn:
            top, count = conn.execute(select(func.max(Vote.id), func.count(Vote.id))).one()
        return int(top or 0), int(count or 0)

    def list_votes(self, *, since: datetime | None = None, until: datetime | None = None,
              reviewers: Iterable[str] | None = None, rater_kind: str | None = None,
              ids: Iterable[int] | None = None, batch_ids: Iterable[str] | None = None,
              with_texts: bool = True) -> list[VoteRow]:
        """Votes oldest first, each with both answers' texts (the call's, or the run's final answer) and
        both systems resolved: ids, kinds and one display name per id over the rows returned."""
        ca, cb, ra, rb = aliased(Call), aliased(Call), aliased(Run), aliased(Run)
        cols = [Vote.id, Vote.prompt_id, Vote.system_a, Vote.system_b, Vote.winner, Vote.reviewer, Vote.rater_kind,
                Vote.shown_swapped, Vote.run_a_id, Vote.run_b_id, Vote.call_a_id, Vote.call_b_id, Vote.queue_id,
                Vote.batch_id, Vote.comment, Vote.judge_order1, Vote.judge_order2, Vote.created_at]
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
        if batch_ids is not None:
            q = q.where(Vote.batch_id.in_(list(batch_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
            sides = _side_identities(conn, rows)
        out = []
        for m in rows:
            data = dict(m)
            data["created_at"] = as_utc(data["created_at"])
            data["query"] = data.get("query") or ""
            out.append(VoteRow(**data))
        naming = display_names([i for pair in sides for i in pair], self.lineup_owners())
        for row, (a, b) in zip(out, sides):
            row.system_a, row.system_b = naming.name_of(a), naming.name_of(b)
            row.system_a_id, row.system_b_id = naming.id_of(a), naming.id_of(b)
            row.system_a_kind, row.system_b_kind = a.kind, b.kind
        return out

    def lineup_owners(self) -> dict[str, str]:
        """Saved lineup name -> the id of its current configuration: that system keeps the bare name."""
        owners = {}
        for saved in self.catalog.list_lineups():
            try:
                owners[saved.name] = moa_identity(Lineup.from_toml(saved.toml)).id
            except LineupError:
                continue  # a lineup that no longer parses names nothing
        return owners

    def votes_for_run(self, run_id: str) -> list[dict[str, Any]]:
        """The blind votes with a side in this run, oldest first, as the PM line reads them (winner,
        rater kind, both sides' run and call ids): a run page reads its own votes, not the whole table."""
        cols = (Vote.id, Vote.winner, Vote.rater_kind, Vote.reviewer, Vote.run_a_id, Vote.run_b_id,
                Vote.call_a_id, Vote.call_b_id)
        query = select(*cols).where(or_(Vote.run_a_id == run_id, Vote.run_b_id == run_id)).order_by(Vote.id)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def batch_votes(self, batch_ids: Iterable[str]) -> list[Vote]:
        """The stored vote rows of these batches (their judges' votes), oldest first."""
        ids = list(batch_ids)
        with self._read() as s:
            return list(s.execute(select(Vote).where(Vote.batch_id.in_(ids)).order_by(Vote.id)).scalars())

    def rubric_scores(self, vote_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
        """Rubric scores as rows {vote_id, system, criterion, score}."""
        q = select(RubricScore.vote_id, RubricScore.system, RubricScore.criterion, RubricScore.score)
        if vote_ids is not None:
            q = q.where(RubricScore.vote_id.in_(list(vote_ids)))
        with self.engine.connect() as conn:
            return [dict(m) for m in conn.execute(q.order_by(RubricScore.id)).mappings()]
