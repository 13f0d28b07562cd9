"""Process-wide resources (the run store) and per-session settings the pages share."""
from __future__ import annotations

import atexit
import threading
import time
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from moa_core.storage import RunStore

BASE_URLS_KEY = "base_urls"

# What the pages import on their first script run, heaviest first where it matters: litellm (~2.5 s), the
# engine, storage (SQLAlchemy), pandas, plotly, scipy. The warm-up thread imports them in the background.
WARM_MODULES = ("moa_core.storage", "moa_core.providers.llm", "moa_core.providers.discovery", "moa_core.engine",
                "pandas", "ui.lineup_form", "ui.live", "ui.budget", "ui.run_view", "ui.thread_view", "plotly.express",
                "scipy.stats")


@st.cache_resource(show_spinner="Opening the database…")
def _store(url: str) -> "RunStore":
    from moa_core.storage import RunStore  # start-up speed: SQLAlchemy is not needed to draw the query box

    return RunStore.open(url)


# Exit during warm-up (issue 26): the warm-up thread is a daemon, and CPython does not join daemon threads; it
# freezes them at finalisation wherever they are. Frozen mid-import, the thread holds an import lock for ever,
# and litellm's aiohttp finaliser (http_handler.__del__, run in the main thread during finalisation) imports and
# waits on it: the app never exits (1 stop in 6 within seconds of the first visit). atexit hooks run before that
# freeze, so `_wait_at_exit` asks the thread to stop at its next step and waits a bounded time for it.
_stop = threading.Event()
EXIT_WAIT_S = 8.0  # one step's worst: importing litellm (~2.5 s quiet) on a loaded machine, or the 10 s-capped call


def _warm(modules: tuple[str, ...], stop: threading.Event = _stop) -> None:
    """Import what the pages will need, make litellm's first real call, and load the embedding session: each
    paid once per process in the background instead of by the first visitor. Checks `stop` between steps (an
    exiting process waits for the step in hand, not for the rest), and makes the call in this thread rather
    than a thread of its own, so the exit hook has one thread to wait for.

    Freezes what it loaded (`gc.freeze()`, issue 26): Streamlit runs `gc.collect(2)` after every script run
    (`runner.postScriptGC`), in the script's thread, holding the GIL. With litellm, pandas, plotly, scipy,
    SQLAlchemy and onnxruntime loaded that is ~480,000 tracked objects and 0.3-0.5 s per run, during which
    the server's event loop sends nothing: a later visit's query box, queued behind the heading, waited for
    it. Frozen objects (modules, classes, functions: they live as long as the process) are never scanned
    again, so the collection covers the session's own objects (0-1 ms) and still frees their cycles. The
    price: a cycle that was already garbage when frozen is never collected (23 objects after these imports)."""
    import gc
    import importlib
    import logging

    log = logging.getLogger(__name__)
    started = time.perf_counter()
    for name in modules:
        if stop.is_set():
            return
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - warming must never take the app down; the page will report it
            log.warning("warm-up: importing %s failed: %s", name, exc)
        gc.freeze()  # after each step (see above): a visit during the warm-up gains at once
    try:
        if stop.is_set():
            return
        import asyncio

        from moa_core.providers.warmup import warm_up as first_call

        asyncio.run(first_call())
        gc.freeze()
        if stop.is_set():
            return
        from moa_core.agreement import embeddings

        embeddings.available()  # loads the ONNX session once; False (remembered) when it cannot be loaded
    except Exception as exc:  # noqa: BLE001 - as above
        log.warning("warm-up failed: %s", exc)
    gc.freeze()
    log.info("warm-up done in %.1f s; %d objects frozen", time.perf_counter() - started, gc.get_freeze_count())


def _wait_at_exit(thread: threading.Thread, stop: threading.Event = _stop, timeout_s: float = EXIT_WAIT_S) -> None:
    """atexit hook: stop the warm-up at its next step and wait for it (see `_stop` for why)."""
    stop.set()
    thread.join(timeout_s)
    if thread.is_alive():
        import logging

        logging.getLogger(__name__).warning("warm-up still busy after %.0f s at exit; exiting anyway", timeout_s)


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Once per app process, in a daemon thread: heavy imports and litellm's first call are paid while the
    server waits, not by the first page that would need them (start-up speed; cache_resource = once)."""
    thread = threading.Thread(target=_warm, args=(WARM_MODULES,), name="moa-warm-imports", daemon=True)
    thread.start()
    atexit.register(_wait_at_exit, thread)
    return thread


def store() -> "RunStore":
    """One store per database per app process; opening marks runs left `running` by a crash as interrupted."""
    from moa_core.storage.db import default_url  # start-up speed: see _store

    return _store(default_url())


def base_urls() -> list[dict]:
    """User-added servers: [{"url": ..., "kind": "openai"|"ollama"}]."""
    return store().catalog.get_setting(BASE_URLS_KEY, []) or []


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
