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
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .lineup import Lineup, LineupSnapshot, ModelSpec, SeatSnapshot

MOA, SINGLE, PROPOSAL, LEGACY = "moa", "single", "proposal", "legacy"
EDITED = " (edited)"
# prefixes earlier versions put in front of a system's name (review pairs, batch systems, single runs)
_LEGACY_PREFIXES = (("MoA: ", MOA), ("moa: ", MOA), ("self-moa: ", MOA), ("lineup: ", MOA),
                    ("single: ", SINGLE), ("proposal: ", PROPOSAL))
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


def _seat(spec: ModelSpec | SeatSnapshot | Mapping[str, Any] | None) -> SeatSnapshot:
    # a spec object goes through to_dict like a stored run's lineup does (None dropped, defaults re-applied)
    if isinstance(spec, SeatSnapshot):
        return spec
    return SeatSnapshot.from_dict(spec) or SeatSnapshot()


def _snapshot(lineup: Lineup | LineupSnapshot | Mapping[str, Any] | None) -> LineupSnapshot:
    return LineupSnapshot.from_dict(lineup)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def seat_config(spec: ModelSpec | SeatSnapshot | Mapping[str, Any]) -> dict[str, Any]:
    """What of one seat changes its answers; a missing key means the seat's default, as when it runs."""
    seat = _seat(spec)
    api_base = _text(seat.api_base)
    return {"model": seat.model.strip(), "api_base": api_base.rstrip("/") if api_base else None,
            "temperature": seat.temperature, "max_tokens": seat.max_tokens,
            "system_prompt": _text(seat.system_prompt)}


def moa_config(lineup: Lineup | LineupSnapshot | Mapping[str, Any]) -> dict[str, Any]:
    """What of a lineup changes its final answer (its baseline and fallback are other systems)."""
    snap = _snapshot(lineup)
    proposers = [seat_config(p) for p in snap.proposers]
    return {"proposers": proposers, "aggregator": seat_config(snap.aggregator or SeatSnapshot()),
            "rounds": snap.rounds, "max_rounds": snap.max_rounds if snap.adaptive else None,
            "aggregator_prompt": _text(snap.aggregator_prompt),
            "quorum": None if snap.quorum in (None, len(proposers)) else snap.quorum,
            "quorum_deadline_s": snap.quorum_deadline_s}


def parse_name(name: str | None) -> tuple[str | None, str]:
    """(kind the old prefix implies or None, the name without it): "moa: x" -> ("moa", "x")."""
    name = (name or "").strip()
    for prefix, kind in _LEGACY_PREFIXES:
        if name.startswith(prefix):
            return kind, name[len(prefix):].strip()
    return None, name


def generated_name(lineup: Lineup | LineupSnapshot | Mapping[str, Any] | None) -> str:
    """"a + b + c → d", with " (2 rounds)" or " (auto rounds)" when not one round."""
    snap = _snapshot(lineup)
    proposers = [p.model or "?" for p in snap.proposers]
    signature = f"{' + '.join(proposers) or '?'} → {(snap.aggregator or SeatSnapshot()).model or '?'}"
    if snap.adaptive:
        return signature + " (auto rounds)"
    return signature + (f" ({snap.rounds} rounds)" if snap.rounds > 1 else "")


def single_identity(spec: ModelSpec | SeatSnapshot | Mapping[str, Any]) -> SystemIdentity:
    """One model answering alone: a run's baseline, a batch's --baseline and a single-model run alike."""
    config = seat_config(spec)
    return SystemIdentity(_hash(SINGLE, config), SINGLE, config["model"] or "?")


def moa_identity(lineup: Lineup | LineupSnapshot | Mapping[str, Any]) -> SystemIdentity:
    """A lineup as a system, named by its own name (old prefixes removed) or by its models."""
    snap = _snapshot(lineup)
    generated = generated_name(snap)
    _, name = parse_name(snap.name)
    saved = bool(name) and name != generated
    return SystemIdentity(_hash(MOA, moa_config(snap)), MOA, name if saved else generated, saved)


def proposal_identity(spec: ModelSpec | SeatSnapshot | Mapping[str, Any], round: int = 1,
                      lineup: Lineup | LineupSnapshot | Mapping[str, Any] | None = None) -> SystemIdentity:
    """A proposer's answer (best proposal pairs). In round 1 it depends on its seat only; later
    rounds saw the other proposals, so the lineup is part of it."""
    config = {"seat": seat_config(spec)}
    if round > 1 and lineup is not None:
        config |= {"round": round, "lineup": moa_config(lineup)}
    return SystemIdentity(_hash(PROPOSAL, config), PROPOSAL, f"proposal: {config['seat']['model'] or '?'}")


def is_single_record(lineup: LineupSnapshot | Mapping[str, Any] | None) -> bool:
    """A run record of one model answering alone (`batch.single`): no proposers, the model as baseline."""
    snap = _snapshot(lineup)
    return not snap.proposers and snap.baseline is not None


def identify(thing: Lineup | LineupSnapshot | ModelSpec | Mapping[str, Any]) -> SystemIdentity:
    """A Lineup, run snapshot or lineup dict (MoA; a single-model run record's: single), or one
    ModelSpec / {"model": ...} seat dict / {"model": {seat}} batch config (single)."""
    if isinstance(thing, ModelSpec):
        return single_identity(thing)
    if isinstance(thing, (Lineup, LineupSnapshot)):
        snap = _snapshot(thing)
        return single_identity(snap.baseline) if is_single_record(snap) and snap.baseline else moa_identity(snap)
    d = dict(thing or {})
    snap = _snapshot(d)
    if is_single_record(snap) and snap.baseline:
        return single_identity(snap.baseline)
    if isinstance(d.get("model"), Mapping):
        return single_identity(d["model"])
    if "proposers" in d or "aggregator" in d:
        return moa_identity(d)
    return single_identity(d)


def answer_identity(lineup: LineupSnapshot | Mapping[str, Any] | None, *, status: str = "ok", role: str | None = None,
                    index: int = 0, round: int = 1, model: str | None = None, api_base: str | None = None,
                    temperature: float | None = None) -> SystemIdentity:
    """The system one stored answer stands for: role None is the run's final answer (the lineup, or
    the fallback model after a fallback, or the model of a single-model run); a call's role names
    the seat. `model`/`api_base`/`temperature` are the call's, used when the lineup lacks the seat."""
    snap = _snapshot(lineup)
    # unknown settings: the seat's defaults, as a stored lineup reads
    call_seat = _seat({k: v for k, v in (("model", model or "?"), ("api_base", api_base), ("temperature", temperature))
                       if v is not None})

    def seat(stored: SeatSnapshot | None) -> SeatSnapshot:
        return stored if stored is not None and (not model or stored.model == model) else call_seat

    if is_single_record(snap) and snap.baseline:
        return single_identity(snap.baseline)
    if role is None and status == "fallback":
        role = "fallback"
    if role in ("baseline", "fallback", "proposer"):
        stored = seat(snap.seat(role, index))
        return single_identity(stored) if role != "proposer" else proposal_identity(stored, round, snap)
    return moa_identity(snap)


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
