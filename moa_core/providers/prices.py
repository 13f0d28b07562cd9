"""Prices per token: user overrides win, local models cost 0, else litellm's table, else unknown.

Unknown is `None` all the way to the screen ("unknown"), never a silent 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .llm import litellm
from .local_model import is_local


@dataclass(frozen=True)
class Price:
    input_per_token: float
    output_per_token: float
    source: str  # "override", "local" or "litellm"

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None) -> float:
        return (prompt_tokens or 0) * self.input_per_token + (completion_tokens or 0) * self.output_per_token


class PriceBook:
    """Overrides keyed by model string, e.g. from Settings or `--price`; falls back to litellm."""

    def __init__(self, overrides: dict[str, tuple[float, float]] | None = None):
        self.overrides = dict(overrides or {})

    def set(self, model: str, input_per_token: float, output_per_token: float) -> None:
        self.overrides[model] = (input_per_token, output_per_token)

    def price(self, model: str, spec_override: tuple[float | None, float | None] = (None, None)) -> Price | None:
        if spec_override[0] is not None and spec_override[1] is not None:
            return Price(spec_override[0], spec_override[1], "override")
        if model in self.overrides:
            return Price(*self.overrides[model], "override")
        if is_local(model):
            return Price(0.0, 0.0, "local")
        return litellm_price(model)

    def cost(self, model: str, prompt_tokens: int | None, completion_tokens: int | None,
             spec_override: tuple[float | None, float | None] = (None, None)) -> float | None:
        price = self.price(model, spec_override)
        return None if price is None else price.cost(prompt_tokens, completion_tokens)


def litellm_price(model: str) -> Price | None:
    """litellm's bundled price table; None when the model is not in it or has no prices."""
    try:
        info = litellm.get_model_info(model)
    except Exception:
        return None
    inp, out = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    if inp is None or out is None:
        return None
    return Price(float(inp), float(out), "litellm")


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "unknown"
    if cost == 0:
        return "$0"
    if cost >= 1:
        return f"${cost:,.2f}"
    decimals = max(2, 2 - math.floor(math.log10(cost)))  # three significant digits, no exponent
    whole, fraction = f"{cost:.{decimals}f}".split(".")
    return f"${whole}.{fraction.rstrip('0').ljust(2, '0')}"
