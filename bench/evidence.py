"""Evidence-check timing: a generated 30-page contract (~15k words), 5 answers with ~10 quotes each.

    .venv/bin/python bench/evidence.py [--pages 30] [--answers 5] [--quotes 10] [--repeat 5]

Prints the median time of `check_answers` (target well under 0.5 s), with the mix of statuses so a
change that silently stops matching shows up here too.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moa_core.evidence import SourceDocument, check_answers  # noqa: E402

WORDS = ("tenant landlord premises rent payment notice term agreement party parties obligation consent "
         "insurance repair assignment default interest period written reasonable deliver goods services "
         "liability indemnify breach remedy termination invoice supplier customer confidential information").split()


def contract(rng: random.Random, pages: int) -> list[str]:
    """Pages of numbered clauses, each ~500 words, with line breaks like PDF text."""
    out, clause = [], 1
    for _ in range(pages):
        paragraphs = []
        for _ in range(5):
            words = [rng.choice(WORDS) for _ in range(100)]
            words[rng.randrange(100)] = str(rng.randrange(1, 120))
            lines = [" ".join(words[i:i + 12]) for i in range(0, 100, 12)]
            paragraphs.append(f"{clause // 3 + 1}.{clause % 3 + 1} The " + "\n".join(lines) + ".")
            clause += 1
        out.append("\n".join(paragraphs))
    return out


def answers(rng: random.Random, pages: list[str], count: int, quotes: int) -> list[tuple[str, str]]:
    """Answers quoting real spans, drifted spans, changed numbers and invented text, citing clauses."""
    flat = " ".join(" ".join(pages).split()).split()
    result = []
    for n in range(count):
        parts = []
        for q in range(quotes):
            start = rng.randrange(len(flat) - 30)
            span = flat[start:start + rng.randrange(8, 25)]
            kind = q % 4
            if kind == 1:
                span[len(span) // 2] = "the"
            elif kind == 2:
                span = [rng.choice(WORDS) for _ in span]
            elif kind == 3:
                span = span + ["7"]
            parts.append(f'Clause {rng.randrange(1, 60)}.{rng.randrange(1, 4)} says "{" ".join(span)}".')
        result.append((f"proposal {n + 1}" if n < count - 1 else "final", " ".join(parts)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--answers", type=int, default=5)
    parser.add_argument("--quotes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    pages = contract(rng, args.pages)
    docs = [SourceDocument.from_pdf_pages("contract.pdf", pages)]
    given = answers(rng, pages, args.answers, args.quotes)
    times, report = [], {}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        report = check_answers(given, docs)
        times.append(time.perf_counter() - t0)
    words = sum(len(p.split()) for p in pages)
    statuses = Counter(q["status"] for q in report["quotes"])
    print(f"{args.pages} pages, {words} words, {len(report['quotes'])} quotes, "
          f"{len(report['references'])} references: median {statistics.median(times) * 1000:.0f} ms "
          f"(max {max(times) * 1000:.0f} ms); quotes {dict(statuses)}")


if __name__ == "__main__":
    main()
