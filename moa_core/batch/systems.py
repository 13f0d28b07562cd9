"""The systems a batch compares: the lineup (MoA), a single model, Self-MoA (one model as n
proposers and the aggregator), or another lineup. Each is stored as a plain dict in the batch's
config and keyed by a hash of it, so a result belongs to exactly one configuration. Its name is its
`moa_core.identity` name (the lineup's name or its models; a single model's is the model), the one
the Run page, Compare and the leaderboard use; `canonical_names` maps older batches' names to it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..identity import SystemIdentity, display_names, identify, moa_identity, single_identity
from ..lineup import Lineup, ModelSpec

KINDS = ("moa", "single", "self-moa", "lineup")
SELF_MOA_TEMPERATURES = (0.3, 0.7, 1.0, 0.5, 0.9, 0.4)


@dataclass
class System:
    """One contender: `config` is a lineup dict, or {"model": spec dict} for a single model."""

    name: str
    kind: str
    config: dict[str, Any]

    @property
    def config_key(self) -> str:
        canonical = json.dumps({"kind": self.kind, "config": self.config}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    @property
    def single(self) -> ModelSpec | None:
        return ModelSpec.from_dict(self.config["model"]) if self.kind == "single" else None

    def lineup(self) -> Lineup:
        return Lineup.from_dict(self.config)

    def models(self) -> list[str]:
        if self.kind == "single":
            return [self.config["model"]["model"]]
        return list(dict.fromkeys(s.model for _, s in self.lineup().all_specs()))

    @property
    def identity(self) -> SystemIdentity:
        """Its system id (shared with runs of the same configuration anywhere) and preferred name."""
        ident = identify(self.config)
        if self.kind == "single" or ident.saved or not self.name:
            return ident
        return moa_identity(self.config | {"name": self.name})  # named in the batch (an older name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "config": self.config, "config_key": self.config_key}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "System":
        return cls(data["name"], data["kind"], data["config"])


def moa_system(lineup: Lineup, kind: str = "moa", name: str | None = None) -> System:
    """A lineup as a system; its [baseline] is not part of it (a batch runs that as its own system)."""
    data = lineup.to_dict()
    data.pop("baseline", None)
    return System(name or moa_identity(data).name, kind, data)


def single_system(spec: ModelSpec) -> System:
    """One model alone, named by its model as a run's baseline and a single-model run are."""
    return System(single_identity(spec).name, "single", {"model": spec.to_dict()})


def self_moa_system(spec: ModelSpec, n: int = 3, *, timeout_s: float | None = None,
                    max_retries: int | None = None) -> System:
    """The same model as n proposers (told apart by temperature) and as the aggregator at 0.2; the
    timeout and retries of the batch's lineup when given (they do not change its identity)."""
    if not 2 <= n <= len(SELF_MOA_TEMPERATURES):
        raise ValueError(f"Self-MoA needs 2 to {len(SELF_MOA_TEMPERATURES)} proposers, not {n}")
    base = {k: v for k, v in spec.to_dict().items() if k not in ("temperature", "label")}
    proposers = [ModelSpec(**base, temperature=t) for t in SELF_MOA_TEMPERATURES[:n]]
    limits = {k: v for k, v in (("timeout_s", timeout_s), ("max_retries", max_retries)) if v is not None}
    lineup = Lineup(proposers=proposers, aggregator=ModelSpec(**base, temperature=0.2),
                    name=f"Self-MoA {spec.model} x{n}", **limits)
    return System(lineup.name, "self-moa", lineup.to_dict())


def canonical_names(systems: Iterable[tuple[str, Mapping[str, Any]]],
                    known: Mapping[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """(key, batch config system dict) pairs -> key -> (system id, display name). `known`: id -> the
    name votes already resolved for it (kept, so a batch's rows and its votes agree). Old batches'
    names ("moa: x", "single: x") become the current ones; two configurations never share a name."""
    known = dict(known or {})
    idents = {key: System.from_dict(dict(s)).identity for key, s in systems}
    fresh = display_names([i for i in idents.values() if i.id not in known]).names
    taken = set(known.values())
    out = {}
    for key, ident in idents.items():
        name = known.get(ident.id) or fresh[ident.id]
        if ident.id not in known and name in taken:
            name = f"{name} · {ident.short}"
        out[key] = (ident.id, name)
    return out


def call_limits(config: Mapping[str, Any]) -> tuple[float, int]:
    """(timeout_s, max_retries) for a batch's calls outside a lineup: its single models and its judge.
    Stored with the batch (`moa batch --timeout --retries`); a batch made before that takes the lineup
    under test's, so a hanging baseline or judge gives up as that lineup's own seats do (not after the
    engine's 120 s x 4 attempts); a batch with no lineup takes the lineup defaults."""
    timeout, retries = config.get("timeout_s"), config.get("max_retries")
    if timeout is None or retries is None:
        primary = next((System.from_dict(s) for s in config.get("systems") or []
                        if s.get("name") == config.get("primary")), None)
        if primary is None and config.get("systems"):
            primary = System.from_dict(config["systems"][0])
        lineup = primary.lineup() if primary is not None and primary.kind != "single" else None
        timeout = timeout if timeout is not None else lineup.timeout_s if lineup else Lineup.timeout_s
        retries = retries if retries is not None else lineup.max_retries if lineup else Lineup.max_retries
    return float(timeout), int(retries)


def parse_self_moa(value: str) -> tuple[str, int]:
    """"MODEL" or "MODEL:N" (N proposers, default 3)."""
    head, sep, tail = value.rpartition(":")
    if sep and tail.isdigit():
        return head.strip(), int(tail)
    return value.strip(), 3
