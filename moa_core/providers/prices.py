"""Prices per token: user overrides win, local models cost 0, else litellm's table, else unknown.

Unknown is `None` all the way to the screen ("unknown"), never a silent 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


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
        from .local_model import is_local  # start-up speed: it imports litellm (seconds); format_cost must not

        if is_local(model):
            return Price(0.0, 0.0, "local")
        return litellm_price(model)

    def cost(self, model: str, prompt_tokens: int | None, completion_tokens: int | None,
             spec_override: tuple[float | None, float | None] = (None, None)) -> float | None:
        price = self.price(model, spec_override)
        return None if price is None else price.cost(prompt_tokens, completion_tokens)


def litellm_price(model: str) -> Price | None:
    """litellm's bundled price table; None when the model is not in it or has no prices."""
    from .llm import litellm  # start-up speed: `moa runs` prints costs and must not wait for litellm

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


# ---- unknown costs at today's prices ---------------------------------------------------------------

def at_current_prices(runs, price_of) -> tuple[list, dict[str, list[str]]]:
    """Runs whose calls had no known price, costed from today's prices (`price_of(model)` -> Price or None,
    e.g. `PriceBook(store.catalog.prices()).price`): a price set after a run reaches it when it is read. A call
    whose cost is None and that used tokens gets tokens x price (a cache hit: its `saved_usd`); the stored
    record is never changed (copies are returned) and the caller labels such figures "at current prices".
    Returns (runs, {run_id: [models priced now]}); runs with nothing to price come back as they were.
    The one place every reader (Analytics, History, the run view, batch tables) does this."""
    from dataclasses import replace

    out, priced = [], {}
    for run in runs:
        calls, models = [], []
        for call in run.calls:
            call, model = _priced_now(call, price_of)
            calls.append(call)
            if model and model not in models:
                models.append(model)
        if models:
            run = replace(run, calls=calls)
            priced[run.run_id] = models
        out.append(run)
    return out, priced


def _priced_now(call, price_of):
    """(call, its model when its cost was computed now, else None)."""
    from dataclasses import replace

    used = (call.prompt_tokens or 0) + (call.completion_tokens or 0) > 0
    field_name = "saved_usd" if call.cached else "cost_usd"
    if not used or getattr(call, field_name) is not None:
        return call, None
    price = price_of(call.model)
    if price is None:
        return call, None
    return replace(call, **{field_name: price.cost(call.prompt_tokens, call.completion_tokens)}), call.model


def summaries_at_current_prices(summaries, price_of) -> tuple[list, dict[str, list[str]]]:
    """`at_current_prices` for run listings (`storage.RunSummary`, History): a summary carries its known
    cost and the tokens of its unpriced calls by model, so an unknown cost is priced now when every such
    model has a price today; if one still has none the run stays unknown (never a partial sum).
    Returns (copies of the summaries, {run_id: [models priced now]})."""
    from dataclasses import replace

    out, priced = [], {}
    for summary in summaries:
        if summary.cost_usd is None and summary.unpriced_tokens:
            prices = {model: price_of(model) for model in summary.unpriced_tokens}
            if all(p is not None for p in prices.values()):
                now = sum(prices[m].cost(*tokens) for m, tokens in summary.unpriced_tokens.items())
                summary = replace(summary, cost_usd=summary.known_cost_usd + now)
                priced[summary.run_id] = list(summary.unpriced_tokens)
        out.append(summary)
    return out, priced


def price_note(models, price_of) -> str:
    """Which prices a figure "at current prices" used: "m1 at $0.15 in / $0.60 out per 1M tokens (your price)"."""
    sources = {"override": "your price", "local": "local model", "litellm": "litellm's table"}
    parts = []
    for model in models:
        price = price_of(model)
        if price is not None:
            parts.append(f"{model} at {format_cost(price.input_per_token * 1e6)} in / "
                         f"{format_cost(price.output_per_token * 1e6)} out per 1M tokens "
                         f"({sources.get(price.source, price.source)})")
    return "; ".join(parts)
