"""One identity and one name per system, wherever its answers come from.

A system is its configuration: what changes the answers (models, endpoints, temperatures, token
limits, persona prompts, rounds, the aggregator's prompt, quorum; MoA or one model alone), never
what only names or guards it (the lineup's name, seat labels, key variable names, timeouts,
retries, prices, the safety-net seats). Its id is a short hash of that configuration, so runs from
the Run page, a batch and Compare, votes and judge verdicts all count under one id, and a
leaderboard groups by id. Its display name is the lineup's own name when it has one, else a short
generated one ("a + b + c → d", or the model for a single model); `display_names` gives exactly one
name per id and tells apart different configurations that would otherwise share a name.

Pure: the standard library and `lineup` only. Old stored names ("MoA: x", "moa: x", "single: x",
"x (edited)") are read by `legacy_identity` and `parse_name`.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from typing import Any, Iterable, Mapping

from .lineup import Lineup, ModelSpec

MOA, SINGLE, PROPOSAL, LEGACY = "moa", "single", "proposal", "legacy"
EDITED = " (edited)"
# prefixes earlier versions put in front of a system's name (review pairs, batch systems, single runs)
_LEGACY_PREFIXES = (("MoA: ", MOA), ("moa: ", MOA), ("self-moa: ", MOA), ("lineup: ", MOA),
                    ("single: ", SINGLE), ("proposal: ", PROPOSAL))
_SPEC_DEFAULTS = {f.name: f.default for f in fields(ModelSpec)}
_ANSWERED = ("ok", "partial")


@dataclass(frozen=True)
class SystemIdentity:
    """`id` groups; `name` is this source's preferred name (`display_names` settles one per id);
    `saved` says the name is a lineup's own, not generated from its models."""

    id: str
    kind: str
    name: str
    saved: bool = False

    @property
    def short(self) -> str:
        return self.id.split(":", 1)[-1][:6]


def _hash(kind: str, config: Any) -> str:
    text = json.dumps({"kind": kind, "config": config}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _as_dict(spec: ModelSpec | Mapping[str, Any] | None) -> dict[str, Any]:
    # a spec object goes through to_dict like a stored run's lineup does (None dropped, defaults re-applied)
    if spec is None:
        return {}
    return spec.to_dict() if isinstance(spec, ModelSpec) else dict(spec)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def seat_config(spec: ModelSpec | Mapping[str, Any]) -> dict[str, Any]:
    """What of one seat changes its answers; a missing key means the seat's default, as when it runs."""
    d = _as_dict(spec)
    get = lambda k: d.get(k, _SPEC_DEFAULTS[k])  # noqa: E731
    api_base = _text(get("api_base"))
    return {"model": str(get("model") or "").strip(), "api_base": api_base.rstrip("/") if api_base else None,
            "temperature": _number(get("temperature")), "max_tokens": get("max_tokens"),
            "system_prompt": _text(get("system_prompt"))}


def moa_config(lineup: Lineup | Mapping[str, Any]) -> dict[str, Any]:
    """What of a lineup changes its final answer (its baseline and fallback are other systems)."""
    d = lineup.to_dict() if isinstance(lineup, Lineup) else dict(lineup)
    proposers = [seat_config(p) for p in d.get("proposers") or []]
    rounds = d.get("rounds") or 1
    quorum = d.get("quorum")
    return {"proposers": proposers, "aggregator": seat_config(d.get("aggregator") or {}),
            "rounds": rounds, "max_rounds": d.get("max_rounds", 3) if rounds == "auto" else None,
            "aggregator_prompt": _text(d.get("aggregator_prompt")),
            "quorum": None if quorum in (None, len(proposers)) else quorum,
            "quorum_deadline_s": _number(d.get("quorum_deadline_s"))}


def parse_name(name: str | None) -> tuple[str | None, str]:
    """(kind the old prefix implies or None, the name without it): "moa: x" -> ("moa", "x")."""
    name = (name or "").strip()
    for prefix, kind in _LEGACY_PREFIXES:
        if name.startswith(prefix):
            return kind, name[len(prefix):].strip()
    return None, name


def generated_name(lineup: Lineup | Mapping[str, Any]) -> str:
    """"a + b + c → d", with " (2 rounds)" or " (auto rounds)" when not one round."""
    d = lineup.to_dict() if isinstance(lineup, Lineup) else dict(lineup or {})
    proposers = [str((p or {}).get("model", "?")) for p in d.get("proposers") or []]
    signature = f"{' + '.join(proposers) or '?'} → {(d.get('aggregator') or {}).get('model', '?')}"
    rounds = d.get("rounds") or 1
    if rounds == "auto":
        return signature + " (auto rounds)"
    return signature + (f" ({rounds} rounds)" if isinstance(rounds, int) and rounds > 1 else "")


def single_identity(spec: ModelSpec | Mapping[str, Any]) -> SystemIdentity:
    """One model answering alone: a run's baseline, a batch's --baseline and a single-model run alike."""
    config = seat_config(spec)
    return SystemIdentity(_hash(SINGLE, config), SINGLE, config["model"] or "?")


def moa_identity(lineup: Lineup | Mapping[str, Any]) -> SystemIdentity:
    """A lineup as a system, named by its own name (old prefixes removed) or by its models."""
    d = lineup.to_dict() if isinstance(lineup, Lineup) else dict(lineup or {})
    generated = generated_name(d)
    _, name = parse_name(d.get("name"))
    saved = bool(name) and name != generated
    return SystemIdentity(_hash(MOA, moa_config(d)), MOA, name if saved else generated, saved)


def proposal_identity(spec: ModelSpec | Mapping[str, Any], round: int = 1,
                      lineup: Lineup | Mapping[str, Any] | None = None) -> SystemIdentity:
    """A proposer's answer (best proposal pairs). In round 1 it depends on its seat only; later
    rounds saw the other proposals, so the lineup is part of it."""
    config = {"seat": seat_config(spec)}
    if round > 1 and lineup is not None:
        config |= {"round": round, "lineup": moa_config(lineup)}
    return SystemIdentity(_hash(PROPOSAL, config), PROPOSAL, f"proposal: {config['seat']['model'] or '?'}")


def is_single_record(lineup: Mapping[str, Any] | None) -> bool:
    """A run record of one model answering alone (`batch.single`): no proposers, the model as baseline."""
    lineup = lineup or {}
    return not lineup.get("proposers") and isinstance(lineup.get("baseline"), Mapping)


def identify(thing: Lineup | ModelSpec | Mapping[str, Any]) -> SystemIdentity:
    """A Lineup or lineup dict (MoA; a single-model run record's dict: single), or one ModelSpec /
    {"model": ...} seat dict / {"model": {seat}} batch config (single)."""
    if isinstance(thing, ModelSpec):
        return single_identity(thing)
    if isinstance(thing, Lineup):
        return moa_identity(thing)
    d = dict(thing or {})
    if is_single_record(d):
        return single_identity(d["baseline"])
    if isinstance(d.get("model"), Mapping):
        return single_identity(d["model"])
    if "proposers" in d or "aggregator" in d:
        return moa_identity(d)
    return single_identity(d)


def answer_identity(lineup: Mapping[str, Any] | None, *, status: str = "ok", role: str | None = None,
                    index: int = 0, round: int = 1, model: str | None = None, api_base: str | None = None,
                    temperature: float | None = None) -> SystemIdentity:
    """The system one stored answer stands for: role None is the run's final answer (the lineup, or
    the fallback model after a fallback, or the model of a single-model run); a call's role names
    the seat. `model`/`api_base`/`temperature` are the call's, used when the lineup lacks the seat."""
    lineup = dict(lineup or {})
    call_seat = {k: v for k, v in (("model", model or "?"), ("api_base", api_base), ("temperature", temperature))
                 if v is not None}  # unknown settings: the seat's defaults, as a stored lineup reads

    def seat(stored: Any) -> Mapping[str, Any]:
        return stored if isinstance(stored, Mapping) and (not model or stored.get("model") == model) else call_seat

    if is_single_record(lineup):
        return single_identity(lineup["baseline"])
    if role is None and status == "fallback":
        role = "fallback"
    if role in ("baseline", "fallback"):
        return single_identity(seat(lineup.get(role)))
    if role == "proposer":
        proposers = lineup.get("proposers") or []
        stored = proposers[index] if 0 <= index < len(proposers) else None
        return proposal_identity(seat(stored), round, lineup)
    return moa_identity(lineup)


def legacy_identity(name: str) -> SystemIdentity:
    """A system known only by an old stored name (its run deleted, or a votes file): keyed by the name
    without its old prefix, until `display_names` finds the one current system of that name."""
    kind, bare = parse_name(name)
    if kind == PROPOSAL:
        bare = f"proposal: {bare}"
    return SystemIdentity(_hash(LEGACY, bare), LEGACY, bare or "?", kind == MOA)


def _rank(hints: Counter, name: str, saved: bool) -> tuple:
    # a lineup's own name beats a generated one; an unedited name beats "x (edited)"; then the
    # most used; then the alphabet (deterministic)
    return (not saved, name.endswith(EDITED), -hints[(name, saved)], name)


@dataclass
class Naming:
    """One display name per system id, and the current id each legacy id (old name only) counts under."""

    names: dict[str, str]
    alias: dict[str, str]

    def id_of(self, ident: SystemIdentity) -> str:
        return self.alias.get(ident.id, ident.id)

    def name_of(self, ident: SystemIdentity) -> str:
        return self.names.get(self.id_of(ident), ident.name)


def display_names(identities: Iterable[SystemIdentity], owners: Mapping[str, str] | None = None) -> Naming:
    """One display name per id. `owners`: saved lineup name -> the id of its current configuration.

    Every source's preferred name is a hint; an id takes its best hint, so "x (edited)" whose
    configuration equals x's is plain x. A legacy id (old name only) counts under the one current
    system of that name, if there is exactly one. Different configurations left with one name get
    " · " and a short hash each, except the current configuration of a saved lineup of that name,
    which keeps it.
    """
    owners = dict(owners or {})
    hints: dict[str, Counter] = defaultdict(Counter)
    kinds: dict[str, str] = {}
    for ident in identities:
        hints[ident.id][(ident.name, ident.saved)] += 1
        kinds[ident.id] = ident.kind
    chosen = {i: min(h, key=lambda ns: _rank(h, *ns))[0] for i, h in hints.items()}
    for name, owner in owners.items():
        if owner in chosen:
            chosen[owner] = name
    current: dict[str, set[str]] = defaultdict(set)
    for i, name in chosen.items():
        if kinds[i] != LEGACY:
            current[name].add(i)
    alias = {i: next(iter(current[name])) for i, name in chosen.items()
             if kinds[i] == LEGACY and len(current.get(name, ())) == 1}
    out = {i: name for i, name in chosen.items() if i not in alias}
    by_name: dict[str, list[str]] = defaultdict(list)
    for i, name in out.items():
        by_name[name].append(i)
    for name, ids in by_name.items():
        if len(ids) > 1:
            for i in ids:
                if owners.get(name) != i:
                    out[i] = f"{name} · {i.split(':', 1)[-1][:6]}"
    return Naming(out, alias)
