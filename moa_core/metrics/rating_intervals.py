"""Ratings from votes with honest intervals: prompts resampled (a cluster bootstrap), percentile intervals,
ranks that respect them, and comparison groups kept apart.

Shared by the plain Bradley-Terry `leaderboard` and the style-controlled one (`style_control`), which
differ only in the model they fit to each sample. Prompts, not votes, are resampled because votes on one prompt are not
independent.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np

from .preference import Vote

ELO_SCALE = 400 / math.log(10)  # theta (log-odds) -> Elo points
BASE_RATING = 1000.0
MIN_PROMPTS = 2         # resampling prompts measures nothing for a system seen on fewer


@dataclass
class SystemRating:
    """A system's Elo-scale rating with its bootstrap interval and interval-aware rank.

    `ci_low`/`ci_high`/`rank` are None when the interval is undefined (seen on fewer than MIN_PROMPTS
    prompts, or no bootstrap samples). `group` numbers the sets of systems linked by votes, even
    indirectly: ratings and ranks compare only within one group.
    """
    name: str
    rating: float
    ci_low: float | None
    ci_high: float | None
    rank: int | None
    votes: int
    prompts: int = 0
    group: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class VoteDesign:
    """Votes as index arrays, built once so every bootstrap sample is a cheap weighted sum."""
    names: list[str]
    ia: np.ndarray        # system index of side a
    ib: np.ndarray        # system index of side b
    score: np.ndarray     # 1 a won, 0 b won, 0.5 tie or both_bad
    prompt: np.ndarray    # prompt index of each vote
    n_prompts: int
    votes_per_system: np.ndarray
    seen: np.ndarray      # systems x prompts: 1 where the system has a vote on the prompt
    group: np.ndarray     # 0-based comparison group of each system


def comparison_groups(votes: Iterable[Vote]) -> list[list[str]]:
    """Systems linked by votes, even through other systems; largest group first, names sorted.

    Bradley-Terry ratings of two groups never compared are on unrelated scales: each is centred apart.
    """
    parent: dict[str, str] = {}

    def root(n: str) -> str:
        while parent.setdefault(n, n) != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n
    for v in votes:
        parent[root(v.a)] = root(v.b)
    groups: dict[str, list[str]] = {}
    for n in sorted(parent):
        groups.setdefault(root(n), []).append(n)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def encode_votes(votes: list[Vote]) -> VoteDesign:
    names = sorted({v.a for v in votes} | {v.b for v in votes})
    index = {n: i for i, n in enumerate(names)}
    prompts: dict[str, int] = {}
    ia = np.array([index[v.a] for v in votes], dtype=np.int64)
    ib = np.array([index[v.b] for v in votes], dtype=np.int64)
    score = np.array([{"a": 1.0, "b": 0.0}.get(v.winner, 0.5) for v in votes])
    prompt = np.array([prompts.setdefault(v.prompt_id, len(prompts)) for v in votes], dtype=np.int64)
    per_system = np.bincount(ia, minlength=len(names)) + np.bincount(ib, minlength=len(names))
    seen = np.zeros((len(names), len(prompts)))
    seen[ia, prompt] = seen[ib, prompt] = 1.0
    group = np.zeros(len(names), dtype=np.int64)
    for g, members in enumerate(comparison_groups(votes)):
        group[[index[n] for n in members]] = g
    return VoteDesign(names, ia, ib, score, prompt, len(prompts), per_system, seen, group)


def centre_groups(theta: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each comparison group's strengths with mean 0: only differences within a group are identified."""
    means = np.bincount(group, theta) / np.bincount(group)
    return theta - means[group]


def align_sample(sample: np.ndarray, point: np.ndarray, present: np.ndarray, group: np.ndarray) -> np.ndarray:
    """A bootstrap fit on the point estimate's scale; NaN for systems without a vote in the sample.

    A system absent from a sample is pinned by the penalty alone (at the starting rating): counting it
    would pull its interval to 1000. The present systems of each group keep the point estimate's mean.
    """
    out = np.full_like(sample, np.nan)
    for g in np.unique(group):
        members = (group == g) & present
        if members.any():
            out[members] = sample[members] - sample[members].mean() + point[members].mean()
    return out


def prompt_weights(rng: np.random.Generator, n_prompts: int, n_bootstrap: int):
    """Cluster bootstrap: how many times each prompt is drawn, one array per sample."""
    for _ in range(n_bootstrap):
        yield np.bincount(rng.integers(0, n_prompts, n_prompts), minlength=n_prompts).astype(float)


def interval_ranks(ci_low: Iterable[float | None], ci_high: Iterable[float | None]) -> list[int | None]:
    """Systems whose intervals overlap share a rank, and so do chains of overlapping intervals.

    The overlapping intervals are merged into blocks from the top; a block's rank is 1 + the number of
    systems in the blocks above it. (Chatbot Arena's "1 + systems wholly above" can rank two overlapping
    intervals 1 and 3, which contradicts the caption.) An undefined interval (None) gets no rank.
    """
    lows, highs = list(ci_low), list(ci_high)
    order = sorted((i for i, h in enumerate(highs) if h is not None and lows[i] is not None),
                   key=lambda i: (-highs[i], -lows[i]))
    ranks: list[int | None] = [None] * len(highs)
    floor, rank = math.inf, 0
    for placed, i in enumerate(order):
        if highs[i] < floor:      # wholly below every interval placed so far: a new block
            rank, floor = placed + 1, lows[i]
        else:
            floor = min(floor, lows[i])
        ranks[i] = rank
    return ranks


def percentile_interval(boot: list[np.ndarray], confidence: float, width: int):
    """Percentile bootstrap interval per column over the samples that hold it (NaN = absent); NaN
    where no sample holds it, and for every column when there are no samples."""
    low, high = np.full(width, np.nan), np.full(width, np.nan)
    if not boot:
        return low, high
    alpha = (1 - confidence) / 2 * 100
    stack = np.vstack(boot)
    held = ~np.isnan(stack).all(axis=0)
    if held.any():
        low[held], high[held] = np.nanpercentile(stack[:, held], [alpha, 100 - alpha], axis=0)
    return low, high


def to_ratings(e: VoteDesign, point: np.ndarray, boot: list[np.ndarray], confidence: float) -> list[SystemRating]:
    """Ratings, intervals (None where undefined: too few prompts, no sample, zero width) and ranks
    within each comparison group."""
    rating = ELO_SCALE * point + BASE_RATING
    low, high = percentile_interval([ELO_SCALE * b + BASE_RATING for b in boot], confidence, len(e.names))
    prompts = (e.seen > 0).sum(axis=1)
    with np.errstate(invalid="ignore"):
        defined = ~np.isnan(low) & (prompts >= MIN_PROMPTS) & (high - low > 1e-6)
    lows = [float(low[i]) if defined[i] else None for i in range(len(e.names))]
    highs = [float(high[i]) if defined[i] else None for i in range(len(e.names))]
    ranks: list[int | None] = [None] * len(e.names)
    for g in np.unique(e.group):
        members = np.flatnonzero(e.group == g)
        for i, r in zip(members, interval_ranks([lows[i] for i in members], [highs[i] for i in members])):
            ranks[i] = r
    out = [SystemRating(n, float(rating[i]), lows[i], highs[i], ranks[i], int(e.votes_per_system[i]),
                        int(prompts[i]), int(e.group[i]) + 1) for i, n in enumerate(e.names)]
    return sorted(out, key=lambda r: (r.group, -r.rating, r.name))


def group_warning(systems: list[SystemRating]) -> str:
    """"" when every system was compared with every other, at least indirectly; else which groups."""
    groups: dict[int, list[str]] = {}
    for s in systems:
        groups.setdefault(s.group, []).append(s.name)
    if len(groups) < 2:
        return ""
    named = [f"({', '.join(sorted(groups[g]))})" for g in sorted(groups)]
    listed = ", ".join(named[:-1]) + f" and {named[-1]}"
    return (f"The votes form {len(groups)} groups that were never compared, even through other systems: {listed}. "
            "Ratings compare only within a group; ranks are within each group.")


def interval_notes(systems: list[SystemRating]) -> str:
    """Why some systems have no interval (and so no rank), one clause each; "" when all have one."""
    notes = []
    for s in systems:
        if s.ci_low is not None:
            continue
        if s.prompts < MIN_PROMPTS:
            notes.append(f"{s.name}: seen on {s.prompts} prompt{'s' if s.prompts != 1 else ''}, no interval and "
                         f"no rank (an interval needs votes on {MIN_PROMPTS} or more prompts)")
        else:
            notes.append(f"{s.name}: no interval and no rank (no bootstrap samples, or they all agree)")
    return "; ".join(notes)
