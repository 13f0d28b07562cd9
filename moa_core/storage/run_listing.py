"""The run listing (History, `moa runs`): one page of runs with their totals, models, stars and turns,
read in at most five queries whatever the page size. `RunStore.list_runs` is the way in; the rows are summed
up by `run_summary.summarise`, which `moa runs`' quick read (`quick_read.list_runs`) shares.
"""
from __future__ import annotations

from sqlalchemy import Engine, select

from .run_summary import RunSummary, contains_pattern, summarise, turn_numbers
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
        q = q.where(Run.query.ilike(contains_pattern(search), escape="\\"))
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
    return summarise(runs, calls, ratings, turns)


def _turns(conn, ids: list[str], threads: set[str]) -> dict[str, int]:
    """Turn numbers of the listed runs that belong to a conversation (`run_summary.turn_numbers`)."""
    first = [row[0] for row in conn.execute(select(Run.thread_id).where(Run.thread_id.in_(ids)).distinct())]
    rows = []
    if threads:
        rows = conn.execute(select(Run.id, Run.thread_id).where(Run.thread_id.in_(threads))
                            .order_by(Run.thread_id, Run.started_at, Run.id)).all()
    return turn_numbers(first, rows)
