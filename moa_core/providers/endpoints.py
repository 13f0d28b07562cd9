"""Turning a lineup seat into a reachable endpoint: local model, base URL, or a keyed provider.

A model behind a user-given base URL needs no key (local servers don't check it); a hosted
provider needs its key in the environment, and a missing one is named, never guessed.
"""
from __future__ import annotations

import os

from ..lineup import ModelSpec
from ..redact import register_key_env
from .llm import Target, litellm
from .local_model import is_local

PLACEHOLDER_KEY = "sk-no-key-needed"


def litellm_model_for(spec: ModelSpec) -> str:
    """The litellm model string; a bare name behind a base URL is spoken to as OpenAI-compatible."""
    if not spec.api_base:
        return spec.model
    try:
        litellm.get_llm_provider(spec.model)
        return spec.model
    except Exception:
        return f"openai/{spec.model}"


def unknown_provider(spec: ModelSpec) -> bool:
    """True when litellm cannot tell which provider serves this seat (a bare name without a base URL)."""
    if is_local(spec.model) or spec.api_base:
        return False
    try:
        litellm.get_llm_provider(spec.model)
        return False
    except Exception:
        return True


def missing_key(spec: ModelSpec) -> str | None:
    """The environment variable this seat still needs, or None when it can be called."""
    if is_local(spec.model):
        return None
    if spec.api_key_env:
        return None if os.environ.get(spec.api_key_env) else spec.api_key_env
    if spec.api_base:
        return None
    try:
        check = litellm.validate_environment(model=spec.model)
    except Exception:
        return None
    missing = check.get("missing_keys") or []
    return None if check.get("keys_in_environment") or not missing else missing[0]


def resolve(spec: ModelSpec) -> Target:
    """Where to send this seat's calls. Starts the embedded model server when needed (blocking)."""
    if is_local(spec.model):
        from . import local_model

        return local_model.target(spec.model)
    register_key_env(spec.api_key_env)  # its value is a secret even if its name does not look like one
    key = os.environ.get(spec.api_key_env) if spec.api_key_env else None
    if spec.api_base and not key:
        key = PLACEHOLDER_KEY
    return Target(model=litellm_model_for(spec), api_base=spec.api_base, api_key=key)


def context_window(spec: ModelSpec) -> int | None:
    """Max input tokens for the model: the seat's own `context_window` when set, else litellm's figure,
    or None when litellm does not know it."""
    if spec.context_window:
        return spec.context_window
    if is_local(spec.model):
        from . import local_model

        return local_model.CONTEXT_TOKENS
    try:
        info = litellm.get_model_info(litellm_model_for(spec))
    except Exception:
        return None
    return info.get("max_input_tokens") or info.get("max_tokens")
