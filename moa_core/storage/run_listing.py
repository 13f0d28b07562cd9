"""The run listing (History, `moa runs`): one page of runs with their totals, models, stars and turns,
read in at most five queries whatever the page size. `RunStore.list_runs` is the way in.
"""
from __future__ import annotations

from sqlalchemy import Engine, select

from ..costs import call_cost, total_cost
from ..metrics.ratings import final_call_id, run_stars
from .rows import RunSummary, as_utc
from .schema import Call, Rating, Run


def list_runs(engine: Engine, *, limit: int = 50, offset: int = 0, status: str | None = None,
              model: str | None = None, search: str | None = None, batch_id: str | None = None) -> list[RunSummary]:
    """Newest first (see `RunStore.list_runs`)."""
    q = (select(Run.id, Run.started_at, Run.status, Run.query, Run.note, Run.wall_s, Run.critical_path_s,
                Run.lineup_name, Run.document_name, Run.thread_id, Run.parent_run_id)
         .order_by(Run.started_at.desc(), Run.id.desc()).limit(limit).offset(offset))
    if status:
        q = q.where(Run.status == status)
    if batch_id is not None:
        q = q.where(Run.batch_id == batch_id if batch_id else Run.batch_id.is_(None))
    if model:
        q = q.where(Run.id.in_(select(Call.run_id).where(Call.model == model)))
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(Run.query.ilike(f"%{escaped}%", escape="\\"))
    with engine.connect() as conn:
        runs = conn.execute(q).all()
        ids = [r.id for r in runs]
        if not ids:
            return []
        calls = conn.execute(
            select(Call.run_id, Call.call_id, Call.role, Call.model, Call.status, Call.cost_usd,
                   Call.prompt_tokens, Call.completion_tokens)
            .where(Call.run_id.in_(ids)).order_by(Call.run_id, Call.position)
        ).all()
        ratings = conn.execute(
            select(Rating.id, Rating.run_id, Rating.call_id, Rating.target, Rating.rater, Rating.stars)
            .where(Rating.run_id.in_(ids), Rating.stars.is_not(None))
        ).mappings().all()
        turns = _turns(conn, ids, {r.thread_id for r in runs if r.thread_id})
    by_run: dict[str, list] = {}
    for c in calls:
        by_run.setdefault(c.run_id, []).append(c)
    ratings_by_run: dict[str, list] = {}
    for rating in ratings:
        ratings_by_run.setdefault(rating["run_id"], []).append(rating)
    out = []
    for r in runs:
        cs = by_run.get(r.id, [])
        rated = ratings_by_run.get(r.id, [])
        avg, count = run_stars(rated, cs, r.status)
        final = final_call_id(cs, r.status)
        starred = {x["call_id"] for x in rated} | ({final} if any(x["target"] == "run" for x in rated) else set())
        out.append(RunSummary(
            run_id=r.id, started_at=as_utc(r.started_at), status=r.status, query=r.query, note=r.note,
            models=list(dict.fromkeys(c.model for c in cs)), calls=len(cs),
            failed_calls=sum(c.status == "failed" for c in cs), cost_usd=total_cost(cs),
            wall_s=r.wall_s, critical_path_s=r.critical_path_s,
            prompt_tokens=sum(c.prompt_tokens or 0 for c in cs),
            completion_tokens=sum(c.completion_tokens or 0 for c in cs),
            avg_stars=avg, ratings=count,
            unrated_answers=sum(c.status == "ok" and c.call_id not in starred for c in cs),
            lineup_name=r.lineup_name, document_name=r.document_name, thread_id=r.thread_id,
            parent_run_id=r.parent_run_id, turn=turns.get(r.id),
            known_cost_usd=sum(c for c in map(call_cost, cs) if c is not None),
            unpriced_tokens=_unpriced_tokens(cs)))
    return out

def _unpriced_tokens(calls) -> dict[str, list[int]]:
    """Model -> [prompt, completion] tokens of the calls whose cost was unknown: enough to price them later."""
    out: dict[str, list[int]] = {}
    for c in calls:
        if call_cost(c) is None:
            tokens = out.setdefault(c.model, [0, 0])
            tokens[0] += c.prompt_tokens or 0
            tokens[1] += c.completion_tokens or 0
    return out


def _turns(conn, ids: list[str], threads: set[str]) -> dict[str, int]:
    """Turn numbers of the listed runs that belong to a conversation: a thread's first run is turn 1
    (its id is the thread id), its follow-ups count on in start order, whether listed or not."""
    first = {row[0] for row in conn.execute(select(Run.thread_id).where(Run.thread_id.in_(ids)).distinct())}
    turns = {run_id: 1 for run_id in first}
    if threads:
        rows = conn.execute(select(Run.id, Run.thread_id).where(Run.thread_id.in_(threads))
                            .order_by(Run.thread_id, Run.started_at, Run.id)).all()
        seen: dict[str, int] = {}
        for run_id, thread in rows:
            seen[thread] = seen.get(thread, 1) + 1
            turns[run_id] = seen[thread]
    return turns
