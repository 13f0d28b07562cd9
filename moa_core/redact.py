"""Redaction of secrets: API keys never reach the database, logs, exports or the terminal.

A provider may echo the key it received in an error message. Every text that leaves a call
(errors, retry errors, notes) passes through `redact` where it is made, and storage and
exports pass whole records through it again as a last guard. Two kinds of secret are removed:
the values of configured key variables (anything named like a key, plus the names lineup
seats point to with `api_key_env`), and anything shaped like a bearer token or a provider key.
"""
from __future__ import annotations

import os
import re
from typing import Any

MASK = "[REDACTED]"
_KEY_NAME = re.compile(r"(_API_KEY|_KEY|_TOKEN|_SECRET|_PASSWORD)$|^(API_KEY|TOKEN)$", re.IGNORECASE)
_MIN_SECRET_LEN = 8  # shorter values ("1", "none") are not secrets and would shred ordinary text
_SHAPES = re.compile(
    r"(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"          # Authorization: Bearer <token>
    r"|\b(?:sk|pk|rk)-[A-Za-z0-9_*-]{8,}"            # OpenAI / Anthropic style sk-..., sk-ant-..., sk-proj-...
    r"|\b(?:gsk|xai|hf|ghp|gho|glpat)[-_][A-Za-z0-9_-]{16,}"  # Groq, xAI, Hugging Face, GitHub, GitLab
    r"|\bAIza[0-9A-Za-z_-]{20,}"                     # Google API keys
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]+(?::[^\s/@]*)?@")
_extra_names: set[str] = set()


def mask_url_credentials(text: Any) -> Any:
    """`scheme://user:password@host` as `scheme://[REDACTED]@host`: a URL's credentials are a secret too
    (a seat's `api_base` may carry them; the database URL is masked the same way)."""
    if not isinstance(text, str) or "@" not in text:
        return text
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASK}@", text)


def mask_seat_urls(obj: Any) -> Any:
    """A lineup, seat or batch config with every `api_base` credential masked; returns a new object."""
    if isinstance(obj, dict):
        return {k: mask_url_credentials(v) if k == "api_base" else mask_seat_urls(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask_seat_urls(v) for v in obj]
    return obj


def register_key_env(name: str | None) -> None:
    """A lineup seat's `api_key_env` names a variable whose value must be redacted too."""
    if isinstance(name, str) and name:
        _extra_names.add(name)


def secret_values() -> list[str]:
    """Values of every configured key variable, longest first (so a key containing another goes whole)."""
    values = {v for k, v in os.environ.items() if (_KEY_NAME.search(k) or k in _extra_names)
              and len(v.strip()) >= _MIN_SECRET_LEN}
    return sorted((v.strip() for v in values), key=len, reverse=True)


def redact(text: Any, secrets: list[str] | None = None) -> Any:
    """The text without configured key values and key-shaped tokens; non-strings pass through.
    `secrets`: `secret_values()` taken once by a caller redacting many texts at the same moment."""
    if not isinstance(text, str) or not text:
        return text
    return _SHAPES.sub(MASK, mask_url_credentials(redact_values(text, secrets)))


def redact_values(text: Any, secrets: list[str] | None = None) -> Any:
    """Only the configured key values: for model text, where an example "sk-..." is not a leak."""
    if not isinstance(text, str) or not text:
        return text
    for value in secret_values() if secrets is None else secrets:
        text = text.replace(value, MASK)
    return text


def redact_all(obj: Any) -> Any:
    """Every string inside dicts and lists redacted (exports' last guard); returns a new object."""
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {k: redact_all(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_all(v) for v in obj]
    return obj
