"""Which models can be called here: the embedded local model, keyed providers, and servers.

- Keyed providers: a provider counts when its API key variable is set (non-empty) in the
  environment, following litellm's `<PROVIDER>_API_KEY` rule plus the alternative names of
  well-known providers (e.g. GOOGLE_API_KEY for gemini). Their models come from
  `litellm.get_valid_models(custom_llm_provider=...)` (litellm's bundled table: no network),
  filtered to chat models that are not past their deprecation date.
- Servers: an Ollama (`/api/tags`) or OpenAI-compatible (`/v1/models`) server at a base URL
  the user gave, asked with a short timeout. These are the only network calls made here.
- `key_status()` names each well-known provider's variable and whether it is set; values are
  never read out, logged or returned.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..lineup import ModelSpec
from .llm import litellm
from .local_model import LOCAL_MODEL

SERVER_TIMEOUT_S = 3.0

# Well-known providers in the order they are offered, with the variables litellm reads for them
# (first = the one to suggest). Others still count when litellm's <PROVIDER>_API_KEY is set.
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "mistral": ("MISTRAL_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY",),
    "fireworks_ai": ("FIREWORKS_AI_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
    "perplexity": ("PERPLEXITYAI_API_KEY",),
    "cerebras": ("CEREBRAS_API_KEY",),
}

# Names that mark a chat-mode entry as not a general text model (or not a stable one).
_SPECIAL = re.compile(
    r"audio|realtime|search|tts|transcribe|image|vision|computer-use|guard|embed|moderation|"
    r"robotics|research|cyber|preview|-exp|experimental|lyria|container|learnlm|codestral|devstral|"
    r"coder|-code-|voxtral|prompt-guard|safeguard|-fim"
)
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{2}-\d{4})$")  # dated duplicates


class DiscoveryError(RuntimeError):
    """A server could not be asked for its models; the message says why, for the user."""


@dataclass(frozen=True)
class KeyStatus:
    provider: str
    env_var: str  # the variable to set (the first litellm reads)
    present: bool
    env_vars: tuple[str, ...] = ()  # all the variables litellm accepts for this provider


@dataclass(frozen=True)
class ModelChoice:
    """One model a user may pick, and how to reach it; `spec()` makes a lineup seat of it."""

    model: str  # the lineup model string (litellm model string, or local/...)
    label: str
    source: str  # "local" | "provider" | "server"
    provider: str  # "local", a litellm provider name, "ollama" or "openai-compatible"
    api_base: str | None = None
    api_key_env: str | None = None
    note: str = ""

    def spec(self, **overrides) -> ModelSpec:
        data = {"model": self.model, "api_base": self.api_base, "api_key_env": self.api_key_env}
        return ModelSpec(**(data | overrides))


@dataclass
class ServerProbe:
    """What a server said: its models, or a readable error (never raises)."""

    api_base: str  # as litellm needs it (Ollama: root URL; OpenAI-compatible: ends in /v1 or similar)
    kind: str  # "ollama" | "openai"
    models: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def choices(self) -> list[ModelChoice]:
        if self.kind == "ollama":
            return [ModelChoice(f"ollama_chat/{m}", f"{m} (Ollama)", "server", "ollama", self.api_base)
                    for m in self.models]
        host = urllib.parse.urlsplit(self.api_base).netloc
        return [ModelChoice(f"openai/{m}", f"{m} ({host})", "server", "openai-compatible", self.api_base)
                for m in self.models]


@dataclass
class Discovery:
    choices: list[ModelChoice]
    keys: list[KeyStatus]
    servers: list[ServerProbe]

    @property
    def errors(self) -> list[str]:
        return [f"{s.api_base}: {s.error}" for s in self.servers if s.error]


# ---------------------------------------------------------------- keys and keyed providers


def _provider_name(provider) -> str:
    return getattr(provider, "value", provider)


def env_vars_for(provider: str) -> tuple[str, ...]:
    """The key variables litellm reads for a provider (well-known table, else its naming rule)."""
    if provider in PROVIDER_KEYS:
        return PROVIDER_KEYS[provider]
    return tuple(dict.fromkeys((f"{provider.replace('_', '').upper()}_API_KEY", f"{provider.upper()}_API_KEY")))


def _has_key(provider: str) -> bool:
    return any(os.environ.get(name) for name in env_vars_for(provider))


def key_status() -> list[KeyStatus]:
    """Per well-known provider (plus any other provider whose key is set): variable, set or not."""
    rows = [KeyStatus(p, names[0], _has_key(p), names) for p, names in PROVIDER_KEYS.items()]
    rows += [KeyStatus(p, env_vars_for(p)[0], True, env_vars_for(p))
             for p in keyed_providers() if p not in PROVIDER_KEYS]
    return rows


def keyed_providers() -> list[str]:
    """Providers with a non-empty key in the environment (well-known ones first, in table order)."""
    known = [p for p in PROVIDER_KEYS if _has_key(p)]
    others = sorted(
        name for name in (_provider_name(p) for p in litellm.provider_list)
        if name not in PROVIDER_KEYS and _has_key(name)
    )
    return known + others


def missing_key_message(provider: str) -> str:
    names = env_vars_for(provider)
    also = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
    return f"{provider}: set {names[0]}{also} to use its models"


def _litellm_model(provider: str, name: str) -> str:
    """A model string litellm routes to `provider` (bare names only where litellm knows them)."""
    if name.startswith(f"{provider}/"):
        return name
    try:
        _, found, _, _ = litellm.get_llm_provider(name)
        if found == provider:
            return name
    except Exception:
        pass
    return f"{provider}/{name}"


def _info(model: str) -> dict:
    try:
        return dict(litellm.get_model_info(model))
    except Exception:
        return dict(litellm.model_cost.get(model) or {})


def _deprecated(info: dict, today: _dt.date) -> bool:
    value = info.get("deprecation_date")
    if not value:
        return False
    try:
        return _dt.date.fromisoformat(str(value)[:10]) <= today
    except ValueError:
        return False


def provider_models(provider: str) -> list[str]:
    """Chat models litellm knows for a provider, not past their deprecation date, sorted."""
    today = _dt.date.today()
    out = []
    for name in litellm.get_valid_models(check_provider_endpoint=False, custom_llm_provider=provider):
        if provider == "azure":  # deployments are user-named: nothing to list
            continue
        model = _litellm_model(provider, name)
        info = _info(model)
        if info.get("mode") != "chat":
            continue
        if _deprecated(info, today):
            continue
        out.append(model)
    return sorted(dict.fromkeys(out))


def provider_choices(providers: Iterable[str] | None = None) -> list[ModelChoice]:
    choices = []
    for provider in keyed_providers() if providers is None else providers:
        env = next((n for n in env_vars_for(provider) if os.environ.get(n)), env_vars_for(provider)[0])
        for model in provider_models(provider):
            choices.append(ModelChoice(model, model, "provider", provider, api_key_env=env))
    return choices


# ---------------------------------------------------------------- servers at user-given URLs


def _normalize(api_base: str, kind: str) -> tuple[str, str]:
    """(api_base for litellm, URL listing the models) for a user-typed base URL."""
    base = api_base.strip().rstrip("/")
    if not re.match(r"^https?://", base):
        base = f"http://{base}"
    if kind == "ollama":
        base = re.sub(r"/(v1|api)$", "", base)
        return base, f"{base}/api/tags"
    if urllib.parse.urlsplit(base).path in ("", "/"):
        base = f"{base}/v1"
    return base, f"{base}/models"


def _get_json(url: str, timeout_s: float) -> object:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read(4_000_000)
    except urllib.error.HTTPError as exc:
        raise DiscoveryError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise DiscoveryError(f"no answer from {url} within {timeout_s:g} s") from None
        raise DiscoveryError(f"cannot reach {url}: {reason}") from None
    except TimeoutError:
        raise DiscoveryError(f"no answer from {url} within {timeout_s:g} s") from None
    except (OSError, ValueError) as exc:
        raise DiscoveryError(f"cannot reach {url}: {exc}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise DiscoveryError(f"{url} did not answer with JSON (is this the right URL?)") from None


def models_at(api_base: str, kind: str = "openai", timeout_s: float = SERVER_TIMEOUT_S) -> list[str]:
    """Model names an Ollama (`kind="ollama"`, /api/tags) or OpenAI-compatible (/v1/models)
    server offers. Raises DiscoveryError with a readable reason; see `probe_server` for a
    version that returns the error as a value."""
    if kind not in ("openai", "ollama"):
        raise ValueError(f"kind must be 'openai' or 'ollama', not {kind!r}")
    _, url = _normalize(api_base, kind)
    data = _get_json(url, timeout_s)
    key, name_key = ("models", "name") if kind == "ollama" else ("data", "id")
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DiscoveryError(f"{url} answered without a `{key}` list (is this an {kind} server?)")
    return sorted({str(m[name_key]) for m in items if isinstance(m, dict) and m.get(name_key)})


def probe_server(api_base: str, kind: str = "auto", timeout_s: float = SERVER_TIMEOUT_S) -> ServerProbe:
    """Ask a server for its models; `kind="auto"` tries Ollama's API, then OpenAI's. Never raises."""
    kinds = ("ollama", "openai") if kind == "auto" else (kind,)
    errors = []
    for k in kinds:
        base, _ = _normalize(api_base, k)
        try:
            return ServerProbe(base, k, models_at(api_base, k, timeout_s))
        except (DiscoveryError, ValueError) as exc:
            errors.append(str(exc))
            if "no answer" in str(exc) or "cannot reach" in str(exc):
                break  # the host itself is unreachable: the second kind would fail the same way
    base, _ = _normalize(api_base, kinds[-1])
    return ServerProbe(base, kinds[-1], [], "; ".join(errors))


# ---------------------------------------------------------------- everything together


def local_choice() -> ModelChoice:
    return ModelChoice(LOCAL_MODEL, "Gemma 3 270M (offline demo, weak)", "local", "local",
                       note="small offline model for trying the tool")


def _server_list(base_urls: Iterable[str | tuple[str, str]] | Mapping[str, str]) -> list[tuple[str, str]]:
    if isinstance(base_urls, Mapping):
        return list(base_urls.items())
    return [(u, "auto") if isinstance(u, str) else (u[0], u[1]) for u in base_urls]


def discover(
    base_urls: Iterable[str | tuple[str, str]] | Mapping[str, str] = (),
    *, include_local: bool = True, timeout_s: float = SERVER_TIMEOUT_S,
) -> Discovery:
    """Local model + keyed providers' models + each server's models, and what went wrong.

    `base_urls`: URLs (kind detected), (url, kind) pairs or a {url: kind} mapping,
    kind being "ollama", "openai" or "auto".
    """
    servers = [probe_server(url, kind, timeout_s) for url, kind in _server_list(base_urls)]
    choices = [local_choice()] if include_local else []
    choices += provider_choices()
    for server in servers:
        choices += server.choices()
    return Discovery(choices, key_status(), servers)


def available_models(
    base_urls: Iterable[str | tuple[str, str]] | Mapping[str, str] = (),
    *, include_local: bool = True, timeout_s: float = SERVER_TIMEOUT_S,
) -> list[ModelChoice]:
    """Every model the user can pick right now (servers that fail are left out; see `discover`)."""
    return discover(base_urls, include_local=include_local, timeout_s=timeout_s).choices


# ---------------------------------------------------------------- picking sensible defaults

# Small, capable model families per provider, best first; the newest version found in the
# discovered models wins. Only a ranking hint: a model is picked only if discovery found it.
_SMALL_FAMILIES: dict[str, tuple[str, ...]] = {
    "openai": (r"^gpt-(\d+(?:\.\d+)?)-mini$",),
    "anthropic": (r"^claude-haiku-(\d+(?:-\d+)?)$", r"^claude-(\d+(?:-\d+)?)-haiku(?:-latest)?$"),
    "gemini": (r"^gemini/gemini-(\d+(?:\.\d+)?)-flash$",),
    "mistral": (r"^mistral/mistral-small-latest$", r"^mistral/mistral-medium-latest$"),
    "deepseek": (r"^deepseek/deepseek-v(\d+(?:\.\d+)?)-flash$", r"^deepseek/deepseek-chat$"),
    "groq": (r"^groq/openai/gpt-oss-(\d+)b$", r"^groq/llama-(\d+(?:\.\d+)?)-70b"),
    "xai": (r"^xai/grok-(\d+(?:\.\d+)?)$",),
}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def pick_model(provider: str, models: list[str]) -> str | None:
    """A sensible everyday model among `models` (discovered for `provider`), or None."""
    for pattern in _SMALL_FAMILIES.get(provider, ()):
        hits = [(m, re.match(pattern, m)) for m in models]
        hits = [(m, match) for m, match in hits if match]
        if hits:
            return max(hits, key=lambda h: _version(h[1].group(1)) if h[1].groups() else ())[0]
    # Unknown family: a mid-priced general chat model (neither the oddest cheap one nor the priciest).
    priced = []
    for m in models:
        if _SPECIAL.search(m) or _SNAPSHOT.search(m):
            continue
        price = _info(m).get("input_cost_per_token")
        if price:
            priced.append((float(price), m))
    if not priced:
        return None
    priced.sort()
    return priced[(len(priced) - 1) // 2][1]
