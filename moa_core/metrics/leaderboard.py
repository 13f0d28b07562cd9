"""The Bradley-Terry leaderboard: one Elo-scale rating per system from blind votes, with prompt-bootstrap
intervals (`rating_intervals`).

Ties count as half a win to each side; a small L2 penalty keeps an undefeated system finite.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from .preference import Vote
from .rating_intervals import (SystemRating, VoteDesign, align_sample, centre_groups, encode_votes, prompt_weights,
                               to_ratings)


def _bt_loss(flat: np.ndarray, wins: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """Negative log-likelihood of a stack of win matrices (wins[b, i, j] = i beat j) plus L2."""
    theta = flat.reshape(wins.shape[:2])
    d = theta[:, :, None] - theta[:, None, :]
    loss = float((wins * np.logaddexp(0.0, -d)).sum() + 0.5 * l2 * (theta * theta).sum())
    m = wins * expit(-d)   # wins[b, k, j] * P(j beats k): the surprise of each win
    return loss, (m.sum(axis=1) - m.sum(axis=2) + l2 * theta).ravel()


def _bt_hessp(flat: np.ndarray, v: np.ndarray, wins: np.ndarray, l2: float) -> np.ndarray:
    """Hessian-vector product; the Hessian is block-diagonal, one block per win matrix."""
    theta, v = flat.reshape(wins.shape[:2]), v.reshape(wins.shape[:2])
    p = expit(theta[:, :, None] - theta[:, None, :])
    c = (wins + wins.transpose(0, 2, 1)) * p * (1 - p)
    return (c.sum(axis=2) * v - np.einsum("bij,bj->bi", c, v) + l2 * v).ravel()


def fit_bradley_terry(wins: np.ndarray, l2: float = 0.01, theta0: np.ndarray | None = None) -> np.ndarray:
    """ML strengths (log-odds, mean 0) from an aggregated win matrix; ties enter as halves.

    `wins` may be a stack (B, S, S): the B independent fits (bootstrap samples) are solved as one
    block-diagonal Newton-CG problem, which is far faster than B separate optimiser calls.
    The small L2 penalty keeps an undefeated system finite.
    """
    stack = wins[None] if wins.ndim == 2 else wins
    x0 = np.zeros(stack.shape[:2]) if theta0 is None else np.broadcast_to(theta0, stack.shape[:2])
    res = minimize(_bt_loss, x0.ravel(), args=(stack, l2), jac=True, hessp=_bt_hessp, method="Newton-CG",
                   options={"xtol": 1e-9, "maxiter": 200})
    theta = res.x.reshape(stack.shape[:2])
    theta = theta - theta.mean(axis=1, keepdims=True)
    return theta[0] if wins.ndim == 2 else theta


def _win_matrix_builder(e: VoteDesign) -> Callable[[np.ndarray | None], np.ndarray]:
    """wins(prompt_weights) -> systems x systems matrix, as one bincount over precomputed cells."""
    s = len(e.names)
    cells = np.concatenate([e.ia * s + e.ib, e.ib * s + e.ia])
    base = np.concatenate([e.score, 1.0 - e.score])
    prompt = np.concatenate([e.prompt, e.prompt])

    def build(pw: np.ndarray | None = None) -> np.ndarray:
        w = base if pw is None else base * pw[prompt]
        return np.bincount(cells, weights=w, minlength=s * s).reshape(s, s)
    return build


def leaderboard(votes: Iterable[Vote], n_bootstrap: int = 200, seed: int = 0, l2: float = 0.01,
                confidence: float = 0.95) -> list[SystemRating]:
    """Bradley-Terry ratings (mean 1000) with percentile intervals from resampling prompts.

    Prompts, not votes, are resampled because votes on one prompt are not independent.
    """
    votes = list(votes)
    if not votes:
        return []
    e = encode_votes(votes)
    build = _win_matrix_builder(e)
    point = centre_groups(fit_bradley_terry(build(), l2), e.group)
    rng = np.random.default_rng(seed)
    weights = list(prompt_weights(rng, e.n_prompts, n_bootstrap))
    samples = [build(pw) for pw in weights]
    fits = fit_bradley_terry(np.stack(samples), l2, point) if samples else []
    boot = [align_sample(b, point, e.seen @ pw > 0, e.group) for b, pw in zip(fits, weights)]
    return to_ratings(e, point, boot, confidence)
