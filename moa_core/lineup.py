"""A lineup: which models propose, which one aggregates, how many rounds, and the safety nets.

Lineups round-trip through TOML (top-level `rounds`, `[[proposers]]`, `[aggregator]`,
optional `[baseline]` and `[fallback]`), so they can be versioned, shared and edited by hand.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

import tomli_w


class LineupError(ValueError):
    """A lineup that cannot run, with a message that says which key is wrong."""


MAX_ROUNDS = 10   # proposer rounds (fixed or adaptive): each round multiplies the calls and the cost
MAX_RETRIES = 10  # retries per call: with backoff, more would keep a run waiting for many minutes
URL_SCHEMES = ("http://", "https://")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KEY_ENV_HINT = "give the name of the environment variable that holds the key (e.g. TEAM_GATEWAY_KEY), not the key itself"


def is_env_name(text: str) -> bool:
    """A key variable is named, never pasted: a key typed where its variable's name belongs must not be stored."""
    return bool(_ENV_NAME.fullmatch(text))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class ModelSpec:
    """One seat in the lineup: a litellm model string plus how to reach and prompt it."""

    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float | None = 0.7
    max_tokens: int | None = 1024
    system_prompt: str | None = None
    label: str | None = None
    input_cost_per_token: float | None = None  # user price override, USD
    output_cost_per_token: float | None = None
    # tokens the model accepts: set it for a model litellm does not know (a self-hosted one), so documents
    # are checked against it and can be fitted; when set it wins over litellm's table
    context_window: int | None = None

    @property
    def display_label(self) -> str:
        return self.label or self.model

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "model") -> "ModelSpec":
        if not isinstance(data, dict):
            raise LineupError(f"{where} must be a table with at least `model`")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise LineupError(f"{where}: unknown key(s) {', '.join(unknown)}")
        model = data.get("model")
        if model is not None and not isinstance(model, str):
            raise LineupError(f"{where}: `model` must be text, not {model!r}")
        if not isinstance(model, str) or not model.strip():
            raise LineupError(f"{where}: `model` is required")
        for name in ("api_base", "api_key_env", "system_prompt", "label"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise LineupError(f"{where}: `{name}` must be text, not {value!r}")
        if data.get("api_base") is not None and not data["api_base"].strip():
            raise LineupError(f"{where}: `api_base` is empty; remove the line to use the provider's public "
                              "endpoint, or give your server's URL")
        if data.get("api_base") is not None and not data["api_base"].strip().lower().startswith(URL_SCHEMES):
            raise LineupError(f"{where}: `api_base` must be a URL starting with http:// or https://, "
                              f"not {data['api_base']!r}")
        spec = cls(**data)
        for name in ("temperature", "input_cost_per_token", "output_cost_per_token"):
            value = getattr(spec, name)
            if value is not None and (not _is_number(value) or value < 0):
                raise LineupError(f"{where}: `{name}` must be a non-negative finite number, not {value!r}")
        if spec.max_tokens is not None and (isinstance(spec.max_tokens, bool) or not isinstance(spec.max_tokens, int)
                                            or spec.max_tokens < 1):
            raise LineupError(f"{where}: `max_tokens` must be a positive integer")
        if spec.context_window is not None and (isinstance(spec.context_window, bool)
                                                or not isinstance(spec.context_window, int) or spec.context_window < 1):
            raise LineupError(f"{where}: `context_window` must be a positive integer (tokens), not "
                              f"{spec.context_window!r}")
        return spec


@dataclass
class Lineup:
    """A whole MoA configuration. `rounds` = proposer layers before the final synthesis."""

    proposers: list[ModelSpec]
    aggregator: ModelSpec
    rounds: int | str = 1  # or "auto": stop adding rounds once the proposals agree (at most max_rounds)
    max_rounds: int = 3
    baseline: ModelSpec | None = None
    fallback: ModelSpec | None = None
    name: str = ""
    aggregator_prompt: str | None = None  # template; None = the reference MoA prompt
    min_proposals: int = 1  # fewer successful proposals than this -> fallback
    quorum: int | None = None  # aggregate once this many proposers of a round are done
    quorum_deadline_s: float | None = None  # ... or once this many seconds have passed
    timeout_s: float = 120.0  # per call attempt
    max_retries: int = 3

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.rounds != "auto" and (isinstance(self.rounds, bool) or not isinstance(self.rounds, int)):
            raise LineupError(f'`rounds` must be an integer >= 1 or "auto", not {self.rounds!r}')
        for name, kinds in (("max_rounds", int), ("min_proposals", int), ("max_retries", int),
                            ("quorum", (int, type(None))), ("timeout_s", (int, float)),
                            ("quorum_deadline_s", (int, float, type(None)))):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise LineupError(f"`{name}` must be a number, not {value!r}")
            if isinstance(value, float) and not math.isfinite(value):
                raise LineupError(f"`{name}` must be a finite number, not {value!r}")
        for name in ("name", "aggregator_prompt"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise LineupError(f"`{name}` must be text, not {value!r}")
        for name in ("aggregator", "baseline", "fallback"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, ModelSpec):
                raise LineupError(f"`{name}` must be a model table with at least `model`")
        if not isinstance(self.proposers, list) or not all(isinstance(p, ModelSpec) for p in self.proposers):
            raise LineupError("`proposers` must be a list of model tables")
        for role, spec in [("aggregator", self.aggregator)] + [(f"proposers[{i}]", p) for i, p in enumerate(self.proposers)] \
                + [(k, getattr(self, k)) for k in ("baseline", "fallback") if getattr(self, k) is not None]:
            ModelSpec.from_dict(asdict(spec), role)  # seats built in code get the same checks as TOML ones
        if not self.proposers:
            raise LineupError("a lineup needs at least one proposer")
        if self.rounds != "auto" and self.rounds < 1:
            raise LineupError('`rounds` must be an integer >= 1 or "auto"')
        if self.rounds != "auto" and self.rounds > MAX_ROUNDS:
            raise LineupError(f'`rounds` must be between 1 and {MAX_ROUNDS} (or "auto"), not {self.rounds}')
        if not 1 <= self.max_rounds <= MAX_ROUNDS:
            raise LineupError(f"`max_rounds` must be between 1 and {MAX_ROUNDS}")
        if self.min_proposals < 1 or self.min_proposals > len(self.proposers):
            raise LineupError(f"`min_proposals` must be between 1 and {len(self.proposers)}")
        if self.quorum is not None and not 1 <= self.quorum <= len(self.proposers):
            raise LineupError(f"`quorum` must be between 1 and {len(self.proposers)} (the number of proposers)")
        if self.quorum_deadline_s is not None and self.quorum_deadline_s <= 0:
            raise LineupError("`quorum_deadline_s` must be positive")
        if self.timeout_s <= 0:
            raise LineupError("`timeout_s` must be positive")
        if not 0 <= self.max_retries <= MAX_RETRIES:
            raise LineupError(f"`max_retries` must be between 0 and {MAX_RETRIES}, not {self.max_retries}")
        self.proposers = with_unique_labels(self.proposers)

    @property
    def adaptive(self) -> bool:
        return self.rounds == "auto"

    @property
    def round_limit(self) -> int:
        """How many proposer rounds may run: the fixed number, or max_rounds when adaptive."""
        return self.max_rounds if self.adaptive else int(self.rounds)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rounds": self.rounds}
        if self.adaptive:
            data["max_rounds"] = self.max_rounds
        for key in ("name", "aggregator_prompt", "quorum", "quorum_deadline_s"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        data |= {"min_proposals": self.min_proposals, "timeout_s": self.timeout_s, "max_retries": self.max_retries}
        data["proposers"] = [p.to_dict() for p in self.proposers]
        data["aggregator"] = self.aggregator.to_dict()
        for key in ("baseline", "fallback"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key).to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Lineup":
        data = dict(data)
        proposers = data.pop("proposers", None)
        if not isinstance(proposers, list) or not proposers:
            raise LineupError("a lineup needs at least one [[proposers]] table")
        if "aggregator" not in data:
            raise LineupError("a lineup needs an [aggregator] table")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise LineupError(f"unknown lineup key(s): {', '.join(unknown)}")
        specs = {
            key: ModelSpec.from_dict(data.pop(key), key) if data.get(key) is not None else None
            for key in ("aggregator", "baseline", "fallback")
        }
        try:
            return cls(
                proposers=[ModelSpec.from_dict(p, f"proposers[{i}]") for i, p in enumerate(proposers)],
                **specs, **data,
            )
        except TypeError as exc:
            raise LineupError(str(exc)) from None

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, text: str) -> "Lineup":
        try:
            return cls.from_dict(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise LineupError(f"invalid TOML: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> "Lineup":
        path = Path(path)
        if not path.is_file():
            raise LineupError(f"lineup file not found: {path}")
        try:
            return cls.from_toml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise LineupError(f"cannot read lineup file {path}: {exc}") from None

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml(), encoding="utf-8")

    def all_specs(self) -> list[tuple[str, ModelSpec]]:
        """Every seat with its role, in the order calls are made."""
        seats = [("proposer", p) for p in self.proposers] + [("aggregator", self.aggregator)]
        seats += [(role, spec) for role, spec in (("baseline", self.baseline), ("fallback", self.fallback)) if spec]
        return seats


def with_unique_labels(specs: list[ModelSpec]) -> list[ModelSpec]:
    """Give every proposer a distinct label, so proposals, records and the UI name them alike.

    Self-MoA repeats one model: its copies are told apart by temperature, then by number.
    """
    out: list[ModelSpec] = []
    seen: set[str] = set()
    for spec in specs:
        label = spec.display_label
        if label in seen and spec.temperature is not None:
            label = f"{spec.display_label} (t={spec.temperature:g})"
        n = 2
        base = label
        while label in seen:
            label, n = f"{base} #{n}", n + 1
        seen.add(label)
        out.append(spec if label == spec.label else ModelSpec(**{**asdict(spec), "label": label}))
    return out


# ---- what a run stored: a lineup read back leniently --------------------------------------

_SEAT_DEFAULTS = {f.name: f.default for f in fields(ModelSpec) if f.default is not MISSING}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float_or_none(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


@dataclass(frozen=True)
class SeatSnapshot:
    """One seat as a run stored it. A missing key reads as ModelSpec's default, as `Lineup.from_dict`
    reads it (stored seats drop None values); a value of the wrong type reads as None; `model` is ""
    when absent."""

    model: str = ""
    label: str | None = None
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float | None = _SEAT_DEFAULTS["temperature"]
    max_tokens: int | None = _SEAT_DEFAULTS["max_tokens"]
    system_prompt: str | None = None
    context_window: int | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None

    @property
    def display_label(self) -> str:
        return self.label or self.model or "?"

    @classmethod
    def from_dict(cls, data: Any) -> "SeatSnapshot | None":
        """None for anything that is not a seat table (an old run's missing or malformed seat)."""
        if isinstance(data, ModelSpec):
            data = data.to_dict()
        if not isinstance(data, Mapping):
            return None
        get = lambda k: data.get(k, _SEAT_DEFAULTS.get(k))  # noqa: E731
        model = data.get("model")
        return cls(model="" if model is None else str(model), label=_str_or_none(get("label")),
                   api_base=_str_or_none(get("api_base")), api_key_env=_str_or_none(get("api_key_env")),
                   temperature=_float_or_none(get("temperature")), max_tokens=_int_or_none(get("max_tokens")),
                   system_prompt=_str_or_none(get("system_prompt")), context_window=_int_or_none(get("context_window")),
                   input_cost_per_token=_float_or_none(get("input_cost_per_token")),
                   output_cost_per_token=_float_or_none(get("output_cost_per_token")))


@dataclass(frozen=True)
class LineupSnapshot:
    """The lineup a run ran with, as its record stores it (`RunRecord.lineup`, JSON), read as types.

    Built leniently from any stored dict, old shapes included (missing keys, no aggregator, a
    single-model run's empty proposers): it describes what ran and never raises. To run a lineup
    again, `Lineup.from_dict(run.lineup)` checks it.
    """

    name: str = ""
    proposers: tuple[SeatSnapshot, ...] = ()
    aggregator: SeatSnapshot | None = None
    baseline: SeatSnapshot | None = None
    fallback: SeatSnapshot | None = None
    rounds: int | str = 1  # or "auto"
    max_rounds: int = 3
    aggregator_prompt: str | None = None
    min_proposals: int = 1
    quorum: int | None = None
    quorum_deadline_s: float | None = None
    timeout_s: float | None = None
    max_retries: int | None = None

    @property
    def adaptive(self) -> bool:
        return self.rounds == "auto"

    def seat(self, role: str, index: int = 0) -> SeatSnapshot | None:
        """The seat of a role ("proposer" takes its index); None when the lineup has none there."""
        if role == "proposer":
            return self.proposers[index] if 0 <= index < len(self.proposers) else None
        return getattr(self, role, None) if role in ("aggregator", "baseline", "fallback") else None

    @classmethod
    def from_dict(cls, data: Any) -> "LineupSnapshot":
        """A stored lineup dict (or a `Lineup`, read through its `to_dict`); anything else is an empty one."""
        if isinstance(data, LineupSnapshot):
            return data
        if isinstance(data, Lineup):
            data = data.to_dict()
        if not isinstance(data, Mapping):
            return cls()
        proposers = data.get("proposers")
        seats = [SeatSnapshot.from_dict(p) for p in proposers] if isinstance(proposers, (list, tuple)) else []
        rounds = data.get("rounds")
        return cls(name=data.get("name") if isinstance(data.get("name"), str) else "",
                   proposers=tuple(s or SeatSnapshot() for s in seats),
                   aggregator=SeatSnapshot.from_dict(data.get("aggregator")),
                   baseline=SeatSnapshot.from_dict(data.get("baseline")),
                   fallback=SeatSnapshot.from_dict(data.get("fallback")),
                   rounds="auto" if rounds == "auto" else rounds if (_int_or_none(rounds) or 0) >= 1 else 1,
                   max_rounds=_int_or_none(data.get("max_rounds")) or 3,
                   aggregator_prompt=_str_or_none(data.get("aggregator_prompt")),
                   min_proposals=_int_or_none(data.get("min_proposals")) or 1,
                   quorum=_int_or_none(data.get("quorum")),
                   quorum_deadline_s=_float_or_none(data.get("quorum_deadline_s")),
                   timeout_s=_float_or_none(data.get("timeout_s")),
                   max_retries=_int_or_none(data.get("max_retries")))
