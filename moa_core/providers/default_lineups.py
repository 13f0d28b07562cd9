"""Default lineups: Self-MoA on the embedded local model (no keys, no network), or on a keyed
provider's models when discovery finds keys.

Self-MoA (one model, several samples) needs no second model: the proposers differ by
temperature and a short persona, and the same model aggregates at a low temperature.
"""
from __future__ import annotations

import os

from ..lineup import Lineup, ModelSpec
from .local_model import LOCAL_MODEL

# (short name, temperature, persona) for the three proposers.
PERSONAS: tuple[tuple[str, float, str], ...] = (
    ("careful", 0.2, "You are careful and concise. Answer accurately in a few sentences; say so if you are unsure."),
    ("creative", 0.9, "You are creative. Answer with a fresh angle or a concrete example."),
    ("skeptical", 0.6, "You are skeptical. Answer, then point out one thing that could be wrong or missing."),
)

# The embedded model is prompted with completion frames that stop at a blank line; these only
# bound a ramble (about 600 characters), so a run stays short on 2 cores.
LOCAL_PROPOSER_MAX_TOKENS = 160
LOCAL_AGGREGATOR_MAX_TOKENS = 200
AGGREGATOR_TEMPERATURE = 0.2


def default_lineup() -> Lineup:
    """Self-MoA on Gemma 3 270M: three personas/temperatures propose, the same model aggregates.

    Small max_tokens so a first run takes well under a minute on 2 cores (the server answers
    one request at a time, so the three proposals are generated one after the other).
    """
    proposers = [
        ModelSpec(model=LOCAL_MODEL, temperature=temp, max_tokens=LOCAL_PROPOSER_MAX_TOKENS,
                  system_prompt=persona, label=f"Gemma 270M · {name} (t={temp:g})")
        for name, temp, persona in PERSONAS
    ]
    aggregator = ModelSpec(model=LOCAL_MODEL, temperature=AGGREGATOR_TEMPERATURE,
                           max_tokens=LOCAL_AGGREGATOR_MAX_TOKENS,
                           label=f"Gemma 270M · aggregator (t={AGGREGATOR_TEMPERATURE:g})")
    return Lineup(proposers=proposers, aggregator=aggregator, rounds=1,
                  name="Self-MoA on the offline Gemma 3 270M (demo)")


def _short(model: str) -> str:
    return model.split("/")[-1]


def provider_lineup(picks: list[tuple[str, str, str]]) -> Lineup:
    """A lineup from (provider, model, key variable) picks, best provider first.

    One provider: Self-MoA on its model (three personas). Several: one proposer per provider
    (up to three, no persona, temperature 0.7), the first provider's model aggregates.
    """
    if not picks:
        raise ValueError("no provider models to build a lineup from")
    seats = (picks * 3)[:3] if len(picks) == 1 else picks[:3]
    proposers = []
    for (provider, model, env), (name, temp, persona) in zip(seats, PERSONAS):
        label = f"{_short(model)} · {name}" if len(picks) == 1 else _short(model)
        proposers.append(ModelSpec(model=model, api_key_env=env, max_tokens=1024,
                                   temperature=temp if len(picks) == 1 else 0.7,
                                   system_prompt=persona if len(picks) == 1 else None, label=label))
    provider, model, env = picks[0]
    aggregator = ModelSpec(model=model, api_key_env=env, temperature=AGGREGATOR_TEMPERATURE,
                           max_tokens=2048, label=f"{_short(model)} · aggregator")
    kind = "Self-MoA" if len(picks) == 1 else "MoA"
    return Lineup(proposers=proposers, aggregator=aggregator, rounds=1,
                  name=f"{kind} on {', '.join(p for p, _, _ in picks[:3])}")


def default_lineup_for_environment(base_urls=()) -> Lineup:
    """With provider keys in the environment: a lineup on those providers' models (picked from
    discovery output). Else, with server base URLs given: Self-MoA on a server's first model.
    Else the offline local default. Makes no network call unless base URLs are given."""
    from . import discovery

    picks = []
    for provider in discovery.keyed_providers():
        model = discovery.pick_model(provider, discovery.provider_models(provider))
        if model:
            env = next(n for n in discovery.env_vars_for(provider) if os.environ.get(n))
            picks.append((provider, model, env))
    if picks:
        return provider_lineup(picks)
    if base_urls:
        for server in discovery.discover(base_urls, include_local=False).servers:
            if server.ok and server.models:
                choice = server.choices()[0]
                lineup = provider_lineup([(choice.provider, choice.model, None)])
                for spec in [*lineup.proposers, lineup.aggregator]:
                    spec.api_base = choice.api_base
                    spec.api_key_env = None
                lineup.name = f"Self-MoA on {choice.label}"
                return lineup
    return default_lineup()
