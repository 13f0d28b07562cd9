"""Reading the price editor: USD per million tokens in, USD per token out, every bad cell named."""
from __future__ import annotations

import math


def _number(value) -> float | None:
    """A price cell: a number, or text such as "$0.15" or "1,000"; None when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip().replace("$", "").replace(",", "")
        if not text:
            return None
        value = float(text)  # ValueError names the bad text
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{value!r} is not a non-negative price")
    return value


def parse_price_rows(rows: list[dict]) -> dict[str, tuple[float, float]]:
    """{model: (input per token, output per token)} from editor rows priced per 1M tokens.

    Rows without a model or with both prices empty are skipped (a listed model left unpriced);
    a row with one price missing, or a cell that is not a non-negative number, is an error.
    """
    prices: dict[str, tuple[float, float]] = {}
    problems = []
    for row in rows:
        model = row.get("model")
        if not isinstance(model, str) or not model.strip():
            continue
        model = model.strip()
        try:
            inp, out = _number(row.get("input")), _number(row.get("output"))
        except (TypeError, ValueError):
            problems.append(f"{model}: prices must be non-negative numbers")
            continue
        if inp is None and out is None:
            continue
        if inp is None or out is None:
            problems.append(f"{model}: give both the input and the output price")
            continue
        prices[model] = (inp / 1e6, out / 1e6)
    if problems:
        raise ValueError("; ".join(problems))
    return prices
