"""The rating rule, in one place: what a star rating counts for.

- A rater's latest rating of an answer replaces their earlier ones (re-rating is not a second vote).
- An answer's stars are the mean over raters of those latest ratings.
- A run's stars are those of its final answer: the synthesis, or the fallback's answer when the
  run fell back. A rating of the whole run (target "run") rates that same final answer.

Ratings are duck-typed (storage rows or dicts with target, run_id, call_id, rater, stars, id),
oldest first, so History, Analytics, exports and the run view all read them the same way.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

FINAL = "final"  # the subject key that whole-run ratings and ratings of the final answer share


def _get(rating: Any, name: str) -> Any:
    return rating.get(name) if isinstance(rating, Mapping) else getattr(rating, name, None)


def final_call_id(calls: Iterable[Any], status: str | None = None) -> str | None:
    """The call whose text is the run's answer: the fallback's when the run fell back, else the synthesis."""
    calls = list(calls)
    role = "fallback" if status == "fallback" else "aggregator"
    answered = [c for c in calls if _get(c, "role") == role and _get(c, "status") == "ok"]
    return _get(answered[-1], "call_id") if answered else None


def latest_stars(ratings: Iterable[Any], final_call: str | None = None) -> dict[tuple[str, str], int]:
    """{(subject, rater): stars} with each rater's latest stars per answer.

    The subject is a call id; the final answer's call and whole-run ratings share the subject FINAL.
    Ratings without stars (a comment alone, a blind vote) do not count here.
    """
    latest: dict[tuple[str, str], int] = {}
    for r in sorted(ratings, key=lambda r: _get(r, "id") or 0):
        stars = _get(r, "stars")
        if stars is None:
            continue
        target, call_id = _get(r, "target"), _get(r, "call_id")
        if target == "run" or (final_call is not None and call_id == final_call):
            subject = FINAL
        elif target == "call" and call_id:
            subject = call_id
        else:
            continue
        latest[(subject, _get(r, "rater") or "")] = stars
    return latest


def mean_stars(latest: Mapping[tuple[str, str], int], subject: str) -> tuple[float | None, int]:
    """(mean stars, number of raters) of one subject: a call id, or FINAL for the run's answer."""
    values = [stars for (s, _), stars in latest.items() if s == subject]
    return (sum(values) / len(values) if values else None), len(values)


def run_stars(ratings: Iterable[Any], calls: Iterable[Any], status: str | None = None) -> tuple[float | None, int]:
    """A run's stars: those of its final answer (mean over raters of their latest), and how many raters."""
    return mean_stars(latest_stars(ratings, final_call_id(calls, status)), FINAL)


def answer_stars(ratings: Iterable[Any], call_id: str, final_call: str | None = None) -> tuple[float | None, int]:
    """One answer's stars; pass the run's final call id so whole-run ratings count for it too."""
    subject = FINAL if final_call is not None and call_id == final_call else call_id
    return mean_stars(latest_stars(ratings, final_call), subject)


def _subject(rating: Any, final_call: str | None) -> str | None:
    target, call_id = _get(rating, "target"), _get(rating, "call_id")
    if target == "run" or (final_call is not None and call_id == final_call):
        return FINAL
    return call_id if target == "call" and call_id else None


def latest_comments(ratings: Iterable[Any], final_call: str | None = None) -> dict[tuple[str, str], str]:
    """{(subject, rater): comment}: each rater's latest non-empty comment per answer (same subjects as stars)."""
    latest: dict[tuple[str, str], str] = {}
    for r in sorted(ratings, key=lambda r: _get(r, "id") or 0):
        comment = (_get(r, "comment") or "").strip()
        subject = _subject(r, final_call)
        if comment and subject is not None:
            latest[(subject, _get(r, "rater") or "")] = comment
    return latest


def comments_text(ratings: Iterable[Any], call_id: str | None, final_call: str | None = None) -> str:
    """One answer's comments joined ("rater: comment | ..."); call_id None or the final call = the run's answer."""
    subject = FINAL if call_id is None or (final_call is not None and call_id == final_call) else call_id
    found = [(rater, text) for (s, rater), text in latest_comments(ratings, final_call).items() if s == subject]
    return " | ".join(f"{rater}: {text}" if rater else text for rater, text in found)
