"""The projected cost of a batch before it starts: prices times estimated tokens.

Prompt tokens are counted (the model's tokenizer via litellm, offline); answers are assumed to
be `TYPICAL_ANSWER_TOKENS` long (capped by max_tokens) for the estimate, and `max_tokens` long
for the upper bound. Models without a price are named, never counted as free.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..lineup import ModelSpec
from ..prompts import user_content
from ..providers.llm import count_tokens
from ..providers.prices import PriceBook, format_cost
from .systems import System

TYPICAL_ANSWER_TOKENS = 300
AGGREGATOR_PROMPT_TOKENS = 120  # the reference MoA instructions
JUDGE_PROMPT_TOKENS = 250  # the judge's instructions and verdict format


@dataclass
class Projection:
    """What a batch would cost: the priced calls' estimate and upper bound, the models with no price (never
    counted as free: with none priced the estimate is None, "unknown", not "$0")."""

    priced_estimate_usd: float = 0.0
    priced_upper_usd: float = 0.0
    calls: int = 0
    priced_calls: int = 0
    cached_calls: int = 0  # answered in an earlier batch with the cache on: not paid again
    unpriced: list[str] = field(default_factory=list)  # models without a known price

    @property
    def known(self) -> bool:
        return not self.unpriced

    @property
    def estimate_usd(self) -> float | None:
        """The priced calls' estimate; None when no call to be made has a price."""
        return self.priced_estimate_usd if self.priced_calls or not self.unpriced else None

    @property
    def upper_usd(self) -> float | None:
        return self.priced_upper_usd if self.priced_calls or not self.unpriced else None

    def add(self, prices: PriceBook, spec: ModelSpec, prompt: int, answer_typical: int, answer_max: int,
            cached: bool = False) -> None:
        self.calls += 1
        if cached:
            self.cached_calls += 1
            return
        override = (spec.input_cost_per_token, spec.output_cost_per_token)
        typical = prices.cost(spec.model, prompt, answer_typical, override)
        upper = prices.cost(spec.model, prompt, answer_max, override)
        if typical is None or upper is None:
            if spec.model not in self.unpriced:
                self.unpriced.append(spec.model)
            return
        self.priced_calls += 1
        self.priced_estimate_usd += typical
        self.priced_upper_usd += upper

    def describe(self) -> str:
        """The projection in words: "~$0.12 (up to $0.40 if every answer uses max_tokens) + unknown for m",
        or "unknown: no price for m, n (set one in Settings)" when nothing is priced."""
        cached = (f"; {self.cached_calls} of {self.calls} calls were answered before and come from the cache "
                  "(not counted)" if self.cached_calls else "")
        if self.estimate_usd is None:
            return f"unknown: no price for {', '.join(self.unpriced)} (set one in Settings){cached}"
        text = (f"~{format_cost(self.estimate_usd)} (up to {format_cost(self.upper_usd)} if every answer uses "
                "max_tokens)")
        if self.unpriced:
            text += f" + unknown for {', '.join(self.unpriced)} (no price: set one in Settings)"
        return text + cached

    def to_dict(self) -> dict:
        rounded = {k: None if v is None else round(v, 6)
                   for k, v in (("estimate_usd", self.estimate_usd), ("upper_usd", self.upper_usd))}
        return rounded | {"calls": self.calls, "cached_calls": self.cached_calls, "unpriced": self.unpriced}


def _answers(spec: ModelSpec) -> tuple[int, int]:
    cap = spec.max_tokens or 1024
    return min(cap, TYPICAL_ANSWER_TOKENS), cap


def item_key(query: str, document_sha256: str | None) -> str:
    """An eval item as the cache sees it: the same query (spacing and case aside) over the same document text."""
    return hashlib.sha256(f"{' '.join(query.split()).casefold()}\x1f{document_sha256 or ''}".encode()).hexdigest()


def _item_key(item: dict) -> str:
    text = item.get("document_text")
    return item_key(item["query"], hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None)


def project(items: list[dict], systems: list[System], prices: PriceBook, judge: ModelSpec | None = None,
            pairs: int = 0, answered: set[tuple[str, str, str | None]] | None = None) -> Projection:
    """`items` are {"query", "document_name", "document_text"}; `pairs` comparisons judged per item.
    `answered`: (config key, query, document sha256) of answers an earlier batch bought with the cache on
    (`store.cache.answered_before`): a re-run gets them from the cache, so they are not counted as spent.
    Judge calls are always counted (an upper bound: a judge re-asked about cached answers hits the cache too)."""
    out = Projection()
    answered = {(config_key, item_key(query, sha)) for config_key, query, sha in answered or ()}
    for item in items:
        key = _item_key(item)
        user = user_content(item["query"], item.get("document_name"), item.get("document_text"))
        counted: dict[str, int] = {}

        def prompt(spec: ModelSpec, extra: int = 0) -> int:
            if spec.model not in counted:
                counted[spec.model] = count_tokens(spec.model, text=user)
            persona = count_tokens(spec.model, text=spec.system_prompt) if spec.system_prompt else 0
            return counted[spec.model] + persona + extra + 8

        for system in systems:
            cached = (system.config_key, key) in answered
            if system.kind == "single":
                spec = system.single
                out.add(prices, spec, prompt(spec), *_answers(spec), cached=cached)
                continue
            lineup = system.lineup()
            seen = 0
            for round_no in range(1, lineup.rounds + 1):
                for spec in lineup.proposers:
                    out.add(prices, spec, prompt(spec, seen), *_answers(spec), cached=cached)
                seen = sum(_answers(p)[0] for p in lineup.proposers)
            out.add(prices, lineup.aggregator, prompt(lineup.aggregator, seen + AGGREGATOR_PROMPT_TOKENS),
                    *_answers(lineup.aggregator), cached=cached)
        if judge is not None:
            for _ in range(2 * pairs):  # both orders
                out.add(prices, judge, prompt(judge, 2 * TYPICAL_ANSWER_TOKENS + JUDGE_PROMPT_TOKENS),
                        *_answers(judge))
    return out
