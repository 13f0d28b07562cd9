"""Style control: who wins at equal style, as Chatbot Arena does it. Longer answers, headers, bold and
lists win votes by themselves; this fits them as covariates beside the systems, says how much each one
sways the vote, and refuses when the votes cannot tell style from system.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy as np
from scipy.optimize import minimize

from .preference import Vote
from .rating_intervals import (SystemRating, VoteDesign, align_sample, centre_groups, encode_votes,
                               percentile_interval, prompt_weights, to_ratings)

STYLE_FEATURES = ("length", "headers", "bold", "list_items")
_HEADER = re.compile(r"^ {0,3}#{1,6}\s", re.M)
_BOLD = re.compile(r"\*\*(?=\S)[^\n]+?\*\*|__(?=\S)[^\n]+?__")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\S", re.M)
_STYLE_WORDS = {"length": "longer answers", "headers": "answers with more headers",
                "bold": "answers with more bold text", "list_items": "answers with more list items"}
_STYLE_NOUNS = {"length": "answer length", "headers": "markdown headers", "bold": "bold text",
                "list_items": "list items"}
CONFOUNDED = 0.999  # cosine between a system contrast and a style direction beyond which the fit cannot split them


def style_features(text: str) -> dict[str, int]:
    """What can win votes besides content: length in words, markdown headers, bold spans, list items."""
    return dict(zip(STYLE_FEATURES, _style_counts(text)))


@lru_cache(maxsize=4096)
def _style_counts(text: str) -> tuple[int, int, int, int]:
    """Cached: one answer text usually appears in several votes (reviewers, pairings)."""
    return (len(text.split()), len(_HEADER.findall(text)) if "#" in text else 0,
            len(_BOLD.findall(text)) if ("**" in text or "__" in text) else 0, len(_LIST_ITEM.findall(text)))


@dataclass
class StyleCoefficient:
    """Log-odds effect of one standard deviation of the normalised a-minus-b feature difference."""
    feature: str
    coef: float
    ci_low: float
    ci_high: float

    @property
    def summary(self) -> str:
        """The UI's sentence, e.g. "longer answers win more often: coefficient +0.80 (interval 0.62 to 0.97)"."""
        more = _STYLE_WORDS[self.feature]
        if self.coef == self.ci_low == self.ci_high == 0:
            return f"{more}: no difference in the data to learn from"
        verdict = ("make no clear difference" if self.ci_low <= 0 <= self.ci_high
                   else "win more often" if self.coef > 0 else "win less often")
        return f"{more} {verdict}: coefficient {self.coef:+.2f} (interval {self.ci_low:.2f} to {self.ci_high:.2f})"

    def to_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary}


@dataclass
class StyleControlled:
    """Ratings with style held equal, and how much each style feature sways the vote; or, when the
    votes cannot tell style from system, no ratings and a `note` that says so."""
    systems: list[SystemRating]
    coefficients: list[StyleCoefficient] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict:
        return {"systems": [s.to_dict() for s in self.systems],
                "coefficients": [c.to_dict() for c in self.coefficients], "note": self.note}


def _style_differences(votes: list[Vote]) -> np.ndarray:
    """Per vote, (f_a - f_b) / (f_a + f_b) for each feature, divided by its standard deviation.
    Not centred, so 0 keeps meaning "no difference" (and votes without texts stay neutral)."""
    fa = np.array([_style_counts(v.a_text) for v in votes], dtype=float).reshape(len(votes), -1)
    fb = np.array([_style_counts(v.b_text) for v in votes], dtype=float).reshape(len(votes), -1)
    total = fa + fb
    diff = np.divide(fa - fb, total, out=np.zeros_like(total), where=total > 0)
    sd = diff.std(axis=0)
    return np.divide(diff, sd, out=np.zeros_like(diff), where=sd > 0)


def _basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of x (empty when x is all zeros)."""
    u, sv, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, sv > 1e-9 * sv[0]] if sv.size and sv[0] > 0 else u[:, :0]


def _confounding(e: VoteDesign, f: np.ndarray) -> str:
    """A note when some contrast between systems is (almost) exactly a style direction in these votes,
    e.g. one system always wrote the longer answer and only length differs: the likelihood is then
    flat along that line and the penalty alone picks the split (a zero-width, meaningless interval).

    Measured as the largest cosine between the system block and the style block of the vote design
    (the first canonical correlation, without centring: the model has no intercept)."""
    n, s = len(e.ia), len(e.names)
    xs = np.zeros((n, s))
    xs[np.arange(n), e.ia], xs[np.arange(n), e.ib] = 1.0, -1.0
    qs, qf = _basis(xs), _basis(f)
    if not qs.shape[1] or not qf.shape[1]:
        return ""
    u, cos, vt = np.linalg.svd(qs.T @ qf)
    if cos[0] < CONFOUNDED:
        return ""
    systems = np.linalg.lstsq(xs, qs @ u[:, 0], rcond=None)[0]
    systems = centre_groups(systems, e.group)
    features = np.linalg.lstsq(f, qf @ vt[0], rcond=None)[0]
    who = [n for n, c in zip(e.names, systems) if abs(c) > 0.1 * np.abs(systems).max()]
    what = [_STYLE_NOUNS[k] for k, c in zip(STYLE_FEATURES, features) if abs(c) > 0.1 * np.abs(features).max()]
    alone = " alone" if len(what) == 1 else ""
    return (f"cannot separate style from quality: in these votes {' and '.join(what)}{alone} tells "
            f"{', '.join(who[:-1])} and {who[-1]} apart (the same contrast), so no style-controlled rating is shown")


def _logit_fit(ia: np.ndarray, ib: np.ndarray, y: np.ndarray, f: np.ndarray, w: np.ndarray, s: int, l2: float,
               beta0: np.ndarray) -> np.ndarray:
    """Weighted logistic regression by ML of the outcome on [+1 system a, -1 system b, style diffs].

    The design matrix stays implicit (index arrays + the small feature block) so each Newton step
    costs a few bincounts, not a dense votes x systems product. A tie's soft label y=0.5 has the
    same likelihood as two rows (won, lost) of weight 1/2 each, without doubling the rows.
    """
    k = f.shape[1]
    ab = ia * s + ib
    cross_a, cross_b = (np.ravel(idx[:, None] * k + np.arange(k)) for idx in (ia, ib))
    last: dict = {}

    def state(beta):  # z, log(1 + e^z) and p, shared by loss and hess at the same beta
        if last.get("beta") is None or not np.array_equal(last["beta"], beta):
            z = beta[ia] - beta[ib] + f @ beta[s:]
            lse = np.logaddexp(0.0, z)
            last.update(beta=beta.copy(), z=z, lse=lse, p=np.exp(z - lse))
        return last["z"], last["lse"], last["p"]

    def loss(beta):
        z, lse, p = state(beta)
        r = w * (p - y)
        grad = np.concatenate([np.bincount(ia, r, s) - np.bincount(ib, r, s), f.T @ r]) + l2 * beta
        return float(w @ (lse - y * z) + 0.5 * l2 * beta @ beta), grad

    def hess(beta):
        p = state(beta)[2]
        d = w * p * (1 - p)
        off = np.bincount(ab, d, s * s).reshape(s, s)
        h = np.diag(np.concatenate([np.bincount(ia, d, s) + np.bincount(ib, d, s), np.zeros(k)]))
        h[:s, :s] -= off + off.T
        df = f * d[:, None]
        cross = (np.bincount(cross_a, df.ravel(), s * k) - np.bincount(cross_b, df.ravel(), s * k)).reshape(s, k)
        h[:s, s:], h[s:, :s], h[s:, s:] = cross, cross.T, f.T @ df
        return h + l2 * np.eye(len(beta))
    return minimize(loss, beta0, jac=True, hess=hess, method="trust-exact", options={"gtol": 1e-6}).x


def style_controlled_leaderboard(votes: Iterable[Vote], n_bootstrap: int = 200, seed: int = 0, l2: float = 0.01,
                                 confidence: float = 0.95) -> StyleControlled:
    """Bradley-Terry with style covariates (as Chatbot Arena's style control): who wins at equal style.

    Votes without texts get zero features, i.e. they inform only the system ratings.
    """
    votes = list(votes)
    if not votes:
        return StyleControlled([], [])
    e = encode_votes(votes)
    s = len(e.names)
    f = _style_differences(votes)
    if note := _confounding(e, f):
        return StyleControlled([], [], note)

    def fit(w: np.ndarray, beta0: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(w)  # about a third of the votes are not drawn in a bootstrap sample
        beta = _logit_fit(e.ia[rows], e.ib[rows], e.score[rows], f[rows], w[rows], s, l2, beta0)
        beta[:s] = centre_groups(beta[:s], e.group)
        return beta

    point = fit(np.ones(len(votes)), np.zeros(s + f.shape[1]))
    rng = np.random.default_rng(seed)
    weights = list(prompt_weights(rng, e.n_prompts, n_bootstrap))
    boot = [fit(pw[e.prompt], point) for pw in weights]
    systems = to_ratings(e, point[:s], [align_sample(b[:s], point[:s], e.seen @ pw > 0, e.group)
                                         for b, pw in zip(boot, weights)], confidence)
    low, high = percentile_interval([b[s:] for b in boot], confidence, f.shape[1])
    if not boot:
        low, high = point[s:].copy(), point[s:].copy()
    return StyleControlled(systems, [StyleCoefficient(name, float(point[s + k]), float(low[k]), float(high[k]))
                                     for k, name in enumerate(STYLE_FEATURES)])
