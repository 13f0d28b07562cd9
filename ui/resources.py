"""Process-wide resources (the run store) and per-session settings the pages share."""
from __future__ import annotations

import streamlit as st

from moa_core.storage import RunStore
from moa_core.storage.db import default_url

BASE_URLS_KEY = "base_urls"


@st.cache_resource(show_spinner="Opening the database…")
def _store(url: str) -> RunStore:
    return RunStore.open(url)


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Once per app process: litellm's first real call is paid at start, not by the first run."""
    from moa_core.providers.warmup import warm_up_in_background

    warm_up_in_background()
    return True


def store() -> RunStore:
    """One store per database per app process; opening marks runs left `running` by a crash as interrupted."""
    return _store(default_url())


def base_urls() -> list[dict]:
    """User-added servers: [{"url": ..., "kind": "openai"|"ollama"}]."""
    return store().get_setting(BASE_URLS_KEY, []) or []


@st.cache_data(ttl=60, show_spinner="Looking for models…")
def _discovered(urls: tuple[tuple[str, str], ...]) -> dict[str, str | None]:
    """model -> base URL (None for hosted providers and the embedded model)."""
    from moa_core.providers import discovery

    choices = discovery.available_models(base_urls=list(urls))
    return {c.model: getattr(c, "api_base", None) for c in choices}


def _discovered_now() -> dict[str, str | None]:
    urls = tuple((b["url"], b.get("kind", "openai")) for b in base_urls())
    try:
        return _discovered(urls)
    except Exception as exc:  # discovery must never break the page
        st.warning(f"Model discovery failed: {exc}")
        return {}


def model_options(extra: list[str] = ()) -> list[str]:
    """Models the user can pick: discovered (local, keyed providers, servers) plus ones already in use."""
    found = list(_discovered_now())
    return list(dict.fromkeys([*found, *st.session_state.get("custom_models", []), *extra]))


def api_base_for(model: str) -> str | None:
    """A model discovered on a user-added server is reached through that server's base URL."""
    return _discovered_now().get(model)
