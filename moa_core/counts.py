"""Counts in words: "1 model", "2 models", "1,200 runs" (never "1 models"). One helper for every message."""
from __future__ import annotations

_IRREGULAR = {"retry": "retries", "query": "queries", "reply": "replies", "is": "are"}


def plural(noun: str, n: int) -> str:
    """`noun` as it goes with the number n: singular for exactly 1, plural otherwise (0 models)."""
    if n == 1:
        return noun
    return _IRREGULAR.get(noun, noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s"))


def count(n: int, noun: str) -> str:
    """"1 model", "3 models", "1,200 runs": the number with thousands separators, the noun agreeing."""
    return f"{n:,} {plural(noun, n)}"
