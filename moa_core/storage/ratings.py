"""The store's judgements: star ratings of answers and blind pairs (A/B) with their votes.

A repository of `RunStore` (`store.ratings`: the same database, short transactions). What a rating counts for is
decided in `metrics.ratings`, not here: this module only keeps what people said.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from ..redact import redact
from .busy import retry_when_locked
from .database import Repository
from .schema import PREFERENCES, RATING_TARGETS, Call, Comparison, Rating, Run


class Ratings(Repository):
    """Verbs over star ratings and blind pairs (comparisons)."""

    @retry_when_locked
    def add_rating(self, target: str, *, run_id: str | None = None, call_id: str | None = None,
                   comparison_id: int | None = None, rater: str = "", stars: int | None = None,
                   scores: dict[str, Any] | None = None, preference: str | None = None,
                   comment: str = "") -> int:
        """Store a rating of a call, a run or a blind pair; returns its id. Raises ValueError on bad input."""
        if target not in RATING_TARGETS:
            raise ValueError(f"rating target must be one of {', '.join(RATING_TARGETS)}, not {target!r}")
        if stars is not None and (not isinstance(stars, int) or not 1 <= stars <= 5):
            raise ValueError(f"stars must be an integer from 1 to 5, not {stars!r}")
        if preference is not None and preference not in PREFERENCES:
            raise ValueError(f"preference must be one of {', '.join(PREFERENCES)}, not {preference!r}")
        with self._write() as s:
            if target == "call":
                call = s.get(Call, call_id) if call_id else None
                if call is None:
                    raise ValueError(f"no call {call_id!r} to rate")
                run_id = call.run_id  # so a run's ratings include those of its calls
            elif target == "run" and (not run_id or s.get(Run, run_id) is None):
                raise ValueError(f"no run {run_id!r} to rate")
            elif target == "comparison" and (comparison_id is None or s.get(Comparison, comparison_id) is None):
                raise ValueError(f"no comparison {comparison_id!r} to rate")
            rating = Rating(target=target, run_id=run_id, call_id=call_id if target == "call" else None,
                            comparison_id=comparison_id if target == "comparison" else None, rater=rater,
                            stars=stars, scores=dict(scores or {}), preference=preference,
                            comment=redact(comment))  # a key pasted by a person is never stored
            s.add(rating)
            s.flush()
            return rating.id

    def ratings_for(self, run_id: str, rater: str | None = None) -> list[Rating]:
        """Ratings of the run and of its calls, oldest first; only `rater`'s when given (a reviewer's
        own stars, which are all the rating widgets may show them)."""
        query = select(Rating).where(Rating.run_id == run_id)
        if rater is not None:
            query = query.where(Rating.rater == rater)
        with self._read() as s:
            return list(s.execute(query.order_by(Rating.id)).scalars())

    def add_comparison(self, *, query: str = "", run_a_id: str | None = None, run_b_id: str | None = None,
                       call_a_id: str | None = None, call_b_id: str | None = None, label_a: str = "",
                       label_b: str = "", moa_side: str | None = None) -> int:
        """Store a blind pair (its sides already shuffled by the caller); returns its id."""
        with self._write() as s:
            pair = Comparison(query=query, run_a_id=run_a_id, run_b_id=run_b_id, call_a_id=call_a_id,
                              call_b_id=call_b_id, label_a=label_a, label_b=label_b, moa_side=moa_side)
            s.add(pair)
            s.flush()
            return pair.id

    def get_comparison(self, comparison_id: int) -> Comparison | None:
        with self._read() as s:
            return s.get(Comparison, comparison_id)

    def reveal_comparison(self, comparison_id: int) -> None:
        with self._write() as s:
            s.execute(update(Comparison).where(Comparison.id == comparison_id).values(revealed=True))
