"""The store's reads for figures across many runs: only the columns the figures need.

A repository of `RunStore` (`store.analytics`). Prompts, answers and documents are never read here: at 10,000 runs they
are most of the bytes, and no chart shows them.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select

from ..metrics.model_stats import ModelStats, model_stats
from ..records import CallRecord, RunRecord
from .database import Repository
from .rows import as_utc
from .schema import Call, PriceOverride, Rating, Run

_CALL_COLUMNS = ("call_id", "role", "round", "index", "model", "label", "status", "started_s", "first_token_s",
                 "ended_s", "prompt_tokens", "completion_tokens", "cost_usd", "attempts", "api_base", "retry_errors",
                 "cached", "saved_usd")  # a cache hit is no measurement: the figures must know it


class AnalyticsReads(Repository):
    """Verbs for analytics: plain-column reads over every run."""

    def analytics_runs(self) -> tuple[list[RunRecord], list[dict[str, Any]]]:
        """Every run, oldest first, as records without prompt or answer text, and every star rating.

        Enough for the run and call tables of `metrics.run_tables` (cost, latency, lineup, stars).
        """
        run_q = select(Run.id, Run.started_at, Run.status, Run.query, Run.lineup, Run.wall_s,
                       Run.synthesized_from, Run.proposers_total).order_by(Run.started_at, Run.id)
        call_q = select(Call.run_id, *[getattr(Call, c) for c in _CALL_COLUMNS]).order_by(Call.run_id,
                                                                                           Call.position)
        rating_q = select(Rating.id, Rating.run_id, Rating.call_id, Rating.target, Rating.stars, Rating.rater) \
            .where(Rating.stars.is_not(None))
        with self.engine.connect() as conn:
            runs = conn.execute(run_q).all()
            calls: dict[str, list[CallRecord]] = {}
            for row in conn.execute(call_q).mappings():
                calls.setdefault(row["run_id"], []).append(CallRecord(**{c: row[c] for c in _CALL_COLUMNS}))
            ratings = [dict(r) for r in conn.execute(rating_q).mappings()]
        records = [RunRecord(query=r.query[:200], lineup=r.lineup or {}, run_id=r.id, status=r.status,
                             started_at=as_utc(r.started_at), wall_s=r.wall_s, calls=calls.get(r.id, []),
                             synthesized_from=r.synthesized_from, proposers_total=r.proposers_total)
                   for r in runs]
        return records, ratings

    def data_version(self) -> tuple:
        """Changes whenever a run, call, rating or price is added or changed: a cheap cache key for figures
        (a price saved after a run changes what it cost at current prices)."""
        with self.engine.connect() as conn:
            runs = conn.execute(select(func.count(), func.max(Run.updated_at))).one()
            ratings = conn.execute(select(func.count(), func.max(Rating.id))).one()
            prices = conn.execute(select(func.count(), func.max(PriceOverride.updated_at))).one()
        return tuple(runs) + tuple(ratings) + tuple(prices)

    def call_rows(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every call as a plain dict (no prompts or answers), with its run's date and status."""
        q = (select(Call.call_id, Call.run_id, Run.started_at.label("run_started_at"),
                    Run.status.label("run_status"), Run.batch_id, Call.role, Call.round, Call.index,
                    Call.model, Call.label, Call.status, Call.started_s, Call.first_token_s, Call.ended_s,
                    (Call.ended_s - Call.started_s).label("duration_s"),
                    (Call.first_token_s - Call.started_s).label("ttft_s"), Call.prompt_tokens,
                    Call.completion_tokens, Call.cost_usd, Call.attempts, Call.error)
             .join(Run, Run.id == Call.run_id))
        if since is not None:
            q = q.where(Run.started_at >= as_utc(since).astimezone(timezone.utc))
        with self.engine.connect() as conn:
            rows = [dict(m) for m in conn.execute(q).mappings()]
        for row in rows:
            row["run_started_at"] = as_utc(row["run_started_at"])
        return rows

    def models_used(self) -> list[str]:
        """Every model string any stored call used, most used first (pick-lists, unpriced models)."""
        q = select(Call.model).group_by(Call.model).order_by(func.count().desc(), Call.model)
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(q)]

    def model_stats(self, since: datetime | None = None) -> list[ModelStats]:
        """Per model: calls, failures, p50/p95 latency, mean time to first token, cost, of the calls that
        asked a model (a cache hit asked none: its 10 ms and $0 are no figure of the model).

        Reads only the columns the figures need (no join without `since`): this runs on every
        analytics page view, over every call ever made.
        """
        q = select(Call.model, Call.status, (Call.ended_s - Call.started_s).label("duration_s"),
                   (Call.first_token_s - Call.started_s).label("ttft_s"), Call.prompt_tokens,
                   Call.completion_tokens, Call.cost_usd).where(Call.cached.is_(False))
        if since is not None:
            q = q.join(Run, Run.id == Call.run_id).where(Run.started_at >= as_utc(since).astimezone(timezone.utc))
        with self.engine.connect() as conn:
            return model_stats(conn.execute(q).mappings())
