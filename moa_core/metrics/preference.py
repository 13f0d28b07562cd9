"""Statistics for blind A/B preference votes: win rates with honest intervals, a Bradley-Terry
leaderboard with prompt-level bootstrap intervals, style control, and the synthesis gain.

Pure functions over `Vote` lists: no I/O, no database, no UI. Inter-rater agreement lives in
`agreement_stats`.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import binomtest

WINNERS = ("a", "b", "tie", "both_bad")
ELO_SCALE = 400 / math.log(10)  # theta (log-odds) -> Elo points
BASE_RATING = 1000.0
MIN_DECISIVE = 50       # fewer decisive votes than this is "too few to call"
MAX_HALF_WIDTH = 0.10   # ... and so is an interval wider than +-10 points
MIN_PROMPTS = 2         # resampling prompts measures nothing for a system seen on fewer
SIGNIFICANCE = 0.05     # sign-test level at which a callable pair has a winner
STYLE_FEATURES = ("length", "headers", "bold", "list_items")


@dataclass(frozen=True)
class Vote:
    """One blind comparison: which of two systems' answers to one prompt a reviewer preferred."""
    prompt_id: str
    a: str
    b: str
    winner: str
    reviewer: str = ""
    a_text: str = ""
    b_text: str = ""

    def __post_init__(self):
        if self.winner not in WINNERS:
            raise ValueError(f"bad winner {self.winner!r}: expected one of {', '.join(WINNERS)}")
        if self.a == self.b:
            raise ValueError(f"a vote compares two different systems, got {self.a!r} twice")


# ---------------------------------------------------------------- proportions

def _binomial(k: int, n: int, confidence: float) -> tuple[float, float, float]:
    """(Wilson low, Wilson high, two-sided sign-test p) from one scipy binomtest."""
    if n == 0:
        return (0.0, 1.0, 1.0)
    test = binomtest(k, n, 0.5)
    ci = test.proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high), float(test.pvalue))


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n: well-behaved near 0%, 100% and small n."""
    return _binomial(k, n, confidence)[:2]


def sign_test(k: int, n: int) -> float:
    """Two-sided exact sign test p-value against a 50/50 split (1.0 when there is no data)."""
    return _binomial(k, n, 0.95)[2]


def _too_few_note(decisive: int, low: float, high: float, confidence: float) -> str:
    """The plain sentence the UI shows instead of a verdict, or "" when the data can call it.

    The one rule for "too few to call": fewer than MIN_DECISIVE decisive votes, or a Wilson interval
    wider than +-MAX_HALF_WIDTH. Results, batch tables, the recommendation and the PM line all use it.
    """
    if decisive == 0:
        return "no decisive votes yet"
    if decisive >= MIN_DECISIVE and (high - low) <= 2 * MAX_HALF_WIDTH:
        return ""
    lead = f"{decisive} decisive vote{'s' if decisive != 1 else ''}"
    lead = f"only {lead}" if decisive < MIN_DECISIVE else lead
    return f"{lead}: the {confidence:.0%} interval is {100 * low:.0f}-{100 * high:.0f}%, too wide to call"


def too_few_to_call(wins: int, decisive: int, confidence: float = 0.95) -> str:
    """`_too_few_note` from counts: "" when `wins` of `decisive` votes can be called, else why not."""
    low, high = wilson_interval(wins, decisive, confidence)
    return _too_few_note(decisive, low, high, confidence)


@dataclass
class PairResult:
    """Head-to-head record of system `a` against `b` (a < b by name)."""
    a: str
    b: str
    wins_a: int = 0
    wins_b: int = 0
    ties: int = 0
    both_bad: int = 0
    decisive: int = 0
    win_rate_a: float | None = None
    ci_low: float = 0.0
    ci_high: float = 1.0
    p_value: float = 1.0
    too_few: bool = True
    note: str = ""

    @property
    def verdict(self) -> str:
        """The one sentence shown for the pair: too few to call, no clear winner, or who is preferred."""
        if self.too_few:
            return self.note
        if self.p_value >= SIGNIFICANCE:
            return f"no clear winner (p = {self.p_value:.2g})"
        return f"{self.a if (self.win_rate_a or 0) > 0.5 else self.b} is preferred (p = {self.p_value:.2g})"

    def to_dict(self) -> dict:
        return {**asdict(self), "verdict": self.verdict}


def _oriented(v: Vote) -> tuple[str, str, str]:
    """(low name, high name, winner seen from the low name) so swapped sides fold together."""
    if v.a < v.b:
        return v.a, v.b, v.winner
    return v.b, v.a, {"a": "b", "b": "a"}.get(v.winner, v.winner)


def pair_results(votes: Iterable[Vote], confidence: float = 0.95) -> list[PairResult]:
    """Win/tie counts, win rate, Wilson interval and sign test for every pair that was compared."""
    counts: dict[tuple[str, str], Counter] = {}
    for v in votes:
        lo, hi, w = _oriented(v)
        counts.setdefault((lo, hi), Counter())[w] += 1
    out = []
    for (lo, hi), c in sorted(counts.items()):
        decisive = c["a"] + c["b"]
        low, high, p = _binomial(c["a"], decisive, confidence)
        note = _too_few_note(decisive, low, high, confidence)
        out.append(PairResult(a=lo, b=hi, wins_a=c["a"], wins_b=c["b"], ties=c["tie"], both_bad=c["both_bad"],
                              decisive=decisive, win_rate_a=c["a"] / decisive if decisive else None,
                              ci_low=low, ci_high=high, p_value=p,
                              too_few=bool(note), note=note))
    return out


def reviewer_counts(votes: Iterable[Vote]) -> dict[str, int]:
    """Votes per reviewer, most active first ("" is an anonymous reviewer)."""
    return dict(sorted(Counter(v.reviewer for v in votes).items(), key=lambda kv: (-kv[1], kv[0])))


# ---------------------------------------------------------------- Bradley-Terry

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
class _Encoded:
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


def _encode(votes: list[Vote]) -> _Encoded:
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
    return _Encoded(names, ia, ib, score, prompt, len(prompts), per_system, seen, group)


def _centre_groups(theta: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each comparison group's strengths with mean 0: only differences within a group are identified."""
    means = np.bincount(group, theta) / np.bincount(group)
    return theta - means[group]


def _align_sample(sample: np.ndarray, point: np.ndarray, present: np.ndarray, group: np.ndarray) -> np.ndarray:
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


def _prompt_weights(rng: np.random.Generator, n_prompts: int, n_bootstrap: int):
    """Cluster bootstrap: how many times each prompt is drawn, one array per sample."""
    for _ in range(n_bootstrap):
        yield np.bincount(rng.integers(0, n_prompts, n_prompts), minlength=n_prompts).astype(float)


def _win_matrix_builder(e: _Encoded) -> Callable[[np.ndarray | None], np.ndarray]:
    """wins(prompt_weights) -> systems x systems matrix, as one bincount over precomputed cells."""
    s = len(e.names)
    cells = np.concatenate([e.ia * s + e.ib, e.ib * s + e.ia])
    base = np.concatenate([e.score, 1.0 - e.score])
    prompt = np.concatenate([e.prompt, e.prompt])

    def build(pw: np.ndarray | None = None) -> np.ndarray:
        w = base if pw is None else base * pw[prompt]
        return np.bincount(cells, weights=w, minlength=s * s).reshape(s, s)
    return build


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


def _percentile_interval(boot: list[np.ndarray], confidence: float, width: int):
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


def _to_ratings(e: _Encoded, point: np.ndarray, boot: list[np.ndarray], confidence: float) -> list[SystemRating]:
    """Ratings, intervals (None where undefined: too few prompts, no sample, zero width) and ranks
    within each comparison group."""
    rating = ELO_SCALE * point + BASE_RATING
    low, high = _percentile_interval([ELO_SCALE * b + BASE_RATING for b in boot], confidence, len(e.names))
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


def leaderboard(votes: Iterable[Vote], n_bootstrap: int = 200, seed: int = 0, l2: float = 0.01,
                confidence: float = 0.95) -> list[SystemRating]:
    """Bradley-Terry ratings (mean 1000) with percentile intervals from resampling prompts.

    Prompts, not votes, are resampled because votes on one prompt are not independent.
    """
    votes = list(votes)
    if not votes:
        return []
    e = _encode(votes)
    build = _win_matrix_builder(e)
    point = _centre_groups(fit_bradley_terry(build(), l2), e.group)
    rng = np.random.default_rng(seed)
    weights = list(_prompt_weights(rng, e.n_prompts, n_bootstrap))
    samples = [build(pw) for pw in weights]
    fits = fit_bradley_terry(np.stack(samples), l2, point) if samples else []
    boot = [_align_sample(b, point, e.seen @ pw > 0, e.group) for b, pw in zip(fits, weights)]
    return _to_ratings(e, point, boot, confidence)


# ---------------------------------------------------------------- style control

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


def _confounding(e: _Encoded, f: np.ndarray) -> str:
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
    systems = _centre_groups(systems, e.group)
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
    e = _encode(votes)
    s = len(e.names)
    f = _style_differences(votes)
    if note := _confounding(e, f):
        return StyleControlled([], [], note)

    def fit(w: np.ndarray, beta0: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(w)  # about a third of the votes are not drawn in a bootstrap sample
        beta = _logit_fit(e.ia[rows], e.ib[rows], e.score[rows], f[rows], w[rows], s, l2, beta0)
        beta[:s] = _centre_groups(beta[:s], e.group)
        return beta

    point = fit(np.ones(len(votes)), np.zeros(s + f.shape[1]))
    rng = np.random.default_rng(seed)
    weights = list(_prompt_weights(rng, e.n_prompts, n_bootstrap))
    boot = [fit(pw[e.prompt], point) for pw in weights]
    systems = _to_ratings(e, point[:s], [_align_sample(b[:s], point[:s], e.seen @ pw > 0, e.group)
                                         for b, pw in zip(boot, weights)], confidence)
    low, high = _percentile_interval([b[s:] for b in boot], confidence, f.shape[1])
    if not boot:
        low, high = point[s:].copy(), point[s:].copy()
    return StyleControlled(systems, [StyleCoefficient(name, float(point[s + k]), float(low[k]), float(high[k]))
                                     for k, name in enumerate(STYLE_FEATURES)])


# ---------------------------------------------------------------- synthesis gain

@dataclass
class SynthesisGain:
    """How often the MoA synthesis beats the best single proposal it was built from."""
    wins: int
    losses: int
    ties: int
    both_bad: int
    decisive: int
    share: float | None
    ci_low: float
    ci_high: float
    p_value: float
    skipped: int
    too_few: bool
    note: str

    def to_dict(self) -> dict:
        return asdict(self)


def synthesis_gains(votes: Iterable[Vote], is_synthesis: Callable[[str], bool],
                    confidence: float = 0.95) -> dict[str, SynthesisGain]:
    """`synthesis_gain` per synthesis system (one lineup each), by name: pooling lineups would mix a
    lineup that gains with one that loses into one figure that describes neither."""
    by_system: dict[str, list[Vote]] = {}
    for v in votes:
        sa, sb = is_synthesis(v.a), is_synthesis(v.b)
        if sa != sb:
            by_system.setdefault(v.a if sa else v.b, []).append(v)
    return {name: synthesis_gain(by_system[name], name, confidence) for name in sorted(by_system)}


def synthesis_gain(votes: Iterable[Vote], is_synthesis: str | Callable[[str], bool],
                   confidence: float = 0.95) -> SynthesisGain:
    """Share of decisive votes the synthesis side wins, with a Wilson interval and sign test.

    Pass the votes of "synthesis vs best proposal of the same run" comparisons, and either the
    synthesis system's exact name or a predicate on names (e.g. `lambda n: n.startswith("MoA:")`).
    Votes where neither side, or both sides, are the synthesis are skipped and counted.
    """
    pred = (lambda n: n == is_synthesis) if isinstance(is_synthesis, str) else is_synthesis
    c: Counter = Counter()
    for v in votes:
        sa, sb = pred(v.a), pred(v.b)
        if sa == sb:
            c["skipped"] += 1
        elif v.winner in ("tie", "both_bad"):
            c[v.winner] += 1
        else:
            c["wins" if (v.winner == "a") == sa else "losses"] += 1
    decisive = c["wins"] + c["losses"]
    low, high, p = _binomial(c["wins"], decisive, confidence)
    note = _too_few_note(decisive, low, high, confidence)
    return SynthesisGain(c["wins"], c["losses"], c["tie"], c["both_bad"], decisive,
                         c["wins"] / decisive if decisive else None, low, high, p,
                         c["skipped"], bool(note), note)
