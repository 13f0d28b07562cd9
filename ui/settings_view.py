"""Settings' Model prices and Providers tabs: price overrides per model (litellm's table otherwise), key
names found in the environment, and user-added servers. Keys are never shown or stored."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from moa_core.counts import count
from moa_core.providers import discovery
from moa_core.providers.prices import PriceBook, format_cost
from moa_core.storage import RunStore
from ui import resources
from ui.prices_form import parse_price_rows
from ui.servers_form import new_server


def prices(store: RunStore) -> None:
    """Saved prices and models used without a known price, editable in one table; a price lookup."""
    st.caption("Your prices win over litellm's table. Local models cost 0; a model with no known price shows "
               "“unknown”, never 0.")
    if (saved_count := st.session_state.pop("prices_saved", None)) is not None:
        st.success(f"Prices saved for {count(saved_count, 'model')}; new runs use them.")
    overrides = store.catalog.prices()
    unknown = [m for m in store.analytics.models_used() if m not in overrides and PriceBook().price(m) is None]
    rows = [{"model": m, "input": i * 1e6, "output": o * 1e6} for m, (i, o) in overrides.items()]
    rows += [{"model": m, "input": None, "output": None} for m in unknown]
    frame = pd.DataFrame(rows, columns=["model", "input", "output"]).astype(
        {"model": "string", "input": "float64", "output": "float64"})
    if unknown:
        st.caption(f"Models you used without a known price are listed below with empty prices: "
                   f"{', '.join(unknown)}. Fill them in to see their costs.")
    edited = st.data_editor(
        frame, num_rows="dynamic", hide_index=True, width="stretch", key="prices_editor",
        column_config={
            "model": st.column_config.TextColumn("Model", required=True, help="The model string as in lineups"),
            "input": st.column_config.NumberColumn("Input $ per 1M tokens", min_value=0.0, step=0.01,
                                                   format="$%.4f", help="As providers publish prices"),
            "output": st.column_config.NumberColumn("Output $ per 1M tokens", min_value=0.0, step=0.01,
                                                    format="$%.4f"),
        })
    if st.button("Save prices", type="primary"):
        try:
            prices = parse_price_rows(edited.to_dict("records"))
        except ValueError as exc:
            st.error(f"Not saved: {exc}")
        else:
            for model in set(overrides) - set(prices):
                store.catalog.delete_price(model)
            for model, (inp, out) in prices.items():
                store.catalog.set_price(model, inp, out)
            st.session_state["prices_saved"] = len(prices)
            st.rerun()
    probe = st.text_input("Look up a model's price", placeholder="e.g. gpt-4o-mini")
    if probe.strip():
        price = PriceBook(store.catalog.prices()).price(probe.strip())
        if price is None:
            st.write(f"`{probe}`: unknown price (add it above to see costs)")
        else:
            st.write(f"`{probe}`: input {format_cost(price.input_per_token * 1e6)} and output "
                     f"{format_cost(price.output_per_token * 1e6)} per 1M tokens ({price.source})")


def providers(store: RunStore) -> None:
    """Which provider keys are set (names only), and the servers: check, remove, add."""
    st.markdown("**API keys in the environment** (names only; keys are never shown or stored)")
    keys = [{"provider": k.provider, "environment variable": k.env_var, "present": "✓" if k.present else "—"}
            for k in discovery.key_status()]
    st.dataframe(pd.DataFrame(keys), hide_index=True, width="stretch")
    st.caption("Set a key in the environment before starting the app, e.g. `export OPENAI_API_KEY=…`, "
               "and its provider's models appear in the model lists.")
    st.markdown("**Servers** (Ollama or any OpenAI-compatible server: vLLM, llama.cpp, LM Studio, a LiteLLM proxy)")
    urls = resources.base_urls()
    for i, entry in enumerate(urls):
        url_col, kind_col, check_col, remove_col = st.columns([4, 1, 1, 1])
        url_col.code(entry["url"])
        kind_col.write(entry.get("kind", "openai"))
        if check_col.button("Check", key=f"check-{i}"):
            found = discovery.probe_server(entry["url"], kind=entry.get("kind", "openai"))
            if found.error:
                st.error(found.error)
            else:
                st.success(f"{count(len(found.models), 'model')}: {', '.join(found.models[:30])}")
        if remove_col.button("Remove", key=f"remove-{i}"):
            store.catalog.set_setting(resources.BASE_URLS_KEY, [u for j, u in enumerate(urls) if j != i])
            st.cache_data.clear()
            st.rerun()
    with st.form("add_server", clear_on_submit=True):
        url = st.text_input("Base URL", placeholder="http://localhost:11434 or http://localhost:8000/v1")
        kind = st.radio("Kind", ["openai", "ollama"], horizontal=True)
        if st.form_submit_button("Add server"):
            try:
                entry = new_server(url, kind, urls)
            except ValueError as exc:
                st.error(f"Not added: {exc}")
            else:
                store.catalog.set_setting(resources.BASE_URLS_KEY, urls + [entry])
                st.cache_data.clear()
                st.rerun()
