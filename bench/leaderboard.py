"""Preference statistics benchmark: 10,000 votes over 20 systems, 200 bootstrap samples.

    .venv/bin/python bench/leaderboard.py [--votes 10000] [--systems 20] [--bootstrap 200] [--repeat 3]

Votes are drawn from a Bradley-Terry model (2 votes per prompt, short markdown answers whose
length sways the vote) and the script reports the median of --repeat runs of: pair_results,
leaderboard (target < 1 s with 200 bootstraps) and style_controlled_leaderboard.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from moa_core.metrics.leaderboard import leaderboard  # noqa: E402
from moa_core.metrics.preference import Vote, pair_results  # noqa: E402
from moa_core.metrics.style_control import style_controlled_leaderboard  # noqa: E402


def make_votes(n_votes: int, n_systems: int, seed: int = 0) -> list[Vote]:
    """Random pairs, BT outcomes with a length effect, answers of 30-300 words with some markdown."""
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 150, n_systems)
    names = [f"system-{k:02d}" for k in range(n_systems)]

    def answer(tag: str) -> tuple[str, int]:
        """A distinct text per vote side, so the per-text feature cache gets no free hits."""
        words = int(rng.integers(30, 300))
        headers = "".join(f"## Part {h}\n" for h in range(int(rng.integers(0, 3))))
        items = "".join(f"- **point** {i}\n" if i % 2 else f"- point {i}\n" for i in range(int(rng.integers(0, 6))))
        return f"Answer {tag}\n{headers}{' '.join(['word'] * words)}\n{items}", words
    votes = []
    for k in range(n_votes):
        i, j = rng.choice(n_systems, 2, replace=False)
        (ta, la), (tb, lb) = answer(f"{k}a"), answer(f"{k}b")
        logit = (strength[i] - strength[j]) * math.log(10) / 400 + 1.0 * (la - lb) / (la + lb)
        p_a = 1 / (1 + math.exp(-logit))
        winner = "tie" if rng.random() < 0.1 else ("a" if rng.random() < p_a else "b")
        votes.append(Vote(f"prompt-{k // 2}", names[i], names[j], winner, f"r{k % 7}", ta, tb))
    return votes


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=20)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    votes = make_votes(args.votes, args.systems)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"{len(votes)} votes, {args.systems} systems, {args.bootstrap} bootstrap samples, "
          f"median of {args.repeat} runs")
    t_pairs = timed(lambda: pair_results(votes), args.repeat)
    t_board = timed(lambda: leaderboard(votes, n_bootstrap=args.bootstrap), args.repeat)
    t_style = timed(lambda: style_controlled_leaderboard(votes, n_bootstrap=args.bootstrap), args.repeat)
    print(f"pair_results                  {t_pairs * 1000:8.1f} ms")
    print(f"leaderboard                   {t_board * 1000:8.1f} ms   (target < 1000 ms)")
    print(f"pair_results + leaderboard    {(t_pairs + t_board) * 1000:8.1f} ms")
    print(f"style_controlled_leaderboard  {t_style * 1000:8.1f} ms")
    styled = style_controlled_leaderboard(votes, n_bootstrap=args.bootstrap)
    for c in styled.coefficients:
        print(f"  {c.summary}")


if __name__ == "__main__":
    main()
