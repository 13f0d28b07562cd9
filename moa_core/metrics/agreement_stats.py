"""Inter-rater agreement for preference labels: do two reviewers looking at the same pair agree?

Pure functions over `{item_id: {reviewer: label}}`; `labels_by_item` builds that from votes.
"""
from __future__ import annotations

import math
from typing import Hashable, Iterable, Mapping

import numpy as np

from .preference import Vote, _oriented

Labels = Mapping[Hashable, Mapping[str, str]]


def labels_by_item(votes: Iterable[Vote]) -> dict[str, dict[str, str]]:
    """One item per (prompt, system pair), labels seen from the first system by name, so a
    reviewer who saw the sides swapped still counts as agreeing. A reviewer's last vote wins."""
    out: dict[str, dict[str, str]] = {}
    for v in votes:
        lo, hi, winner = _oriented(v)
        out.setdefault(f"{v.prompt_id}\x1f{lo}\x1f{hi}", {})[v.reviewer] = winner
    return out


def _multi_rated(labels: Labels) -> list[Mapping[str, str]]:
    return [raters for raters in labels.values() if len(raters) >= 2]


def krippendorff_alpha(labels: Labels) -> float | None:
    """Nominal Krippendorff's alpha over any number of reviewers, missing labels allowed.

    None when fewer than 2 items have 2+ raters (nothing to compare) or when every label is the
    same value (alpha is 0/0 there: no variation to agree on).
    """
    import krippendorff

    if len(_multi_rated(labels)) < 2:
        return None
    reviewers = sorted({r for raters in labels.values() for r in raters})
    values = sorted({lab for raters in labels.values() for lab in raters.values()})
    if len(values) < 2:
        return None
    code = {v: float(i) for i, v in enumerate(values)}
    data = np.full((len(reviewers), len(labels)), np.nan)
    row = {r: i for i, r in enumerate(reviewers)}
    for j, raters in enumerate(labels.values()):
        for r, lab in raters.items():
            data[row[r], j] = code[lab]
    alpha = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal",
                                     value_domain=list(code.values())))
    return None if math.isnan(alpha) else alpha


def cohen_kappa(labels: Labels, reviewers: tuple[str, str] | None = None) -> float | None:
    """Cohen's kappa between two reviewers on the items both labelled (chance-corrected agreement).

    With more than two reviewers present, name the two in `reviewers`. None when they share
    fewer than 2 items, or kappa is undefined (both gave one same label throughout).
    """
    from sklearn.metrics import cohen_kappa_score

    if reviewers is None:
        present = sorted({r for raters in labels.values() for r in raters})
        if len(present) > 2:
            raise ValueError(f"cohen_kappa compares exactly two reviewers, found {len(present)}: name two")
        if len(present) < 2:
            return None
        reviewers = (present[0], present[1])
    r1, r2 = reviewers
    shared = [(raters[r1], raters[r2]) for raters in labels.values() if r1 in raters and r2 in raters]
    if len(shared) < 2:
        return None
    first, second = zip(*shared)
    if len(set(first) | set(second)) < 2:
        return None
    kappa = float(cohen_kappa_score(list(first), list(second)))
    return None if math.isnan(kappa) else kappa
