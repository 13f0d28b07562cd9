"""Settings: saved lineups, the aggregator prompt, model prices, providers and base URLs. Keys are never shown."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

import streamlit as st

from moa_core.lineup import Lineup, LineupError
from moa_core.prompts import AGGREGATOR_PROMPT_SETTING, PROPOSALS_PLACEHOLDER, REFERENCE_AGGREGATOR_PROMPT
from moa_core.providers.default_lineups import default_lineup
from ui import resources, settings_view

store = resources.store()
st.title("Settings")
lineups_tab, prompt_tab, prices_tab, providers_tab = st.tabs(
    ["Saved lineups", "Aggregator prompt", "Model prices", "Providers and servers"])

with lineups_tab:
    saved = store.catalog.list_lineups()
    names = ["New lineup (from the Run page's editor)"] + [s.name for s in saved]
    choice = st.selectbox("Lineup", names, key="settings_lineup")
    if choice == names[0]:
        current = st.session_state.get("lineup_data")
        text = Lineup.from_dict(current).to_toml() if current else default_lineup().to_toml()
        name = st.text_input("Name", placeholder="e.g. contracts-3x-gpt")
    else:
        text, name = store.catalog.get_lineup(choice).toml, choice
    edited = st.text_area("TOML", text, height=360, key=f"toml-{choice}",
                          help="Top-level rounds, [[proposers]], [aggregator], optional [baseline] and [fallback]")
    save, delete = st.columns([1, 5])
    if save.button("Save", type="primary", key="save_lineup"):
        try:
            Lineup.from_toml(edited)
            if not name.strip():
                raise LineupError("give the lineup a name")
            store.catalog.save_lineup(name.strip(), edited)
            st.toast(f"Saved lineup {name.strip()}")
            st.rerun()
        except LineupError as exc:
            st.error(f"Not saved: {exc}")
    if choice != names[0] and delete.button("Delete", key="delete_lineup"):
        store.catalog.delete_lineup(choice)
        st.rerun()

with prompt_tab:
    current = store.catalog.get_setting(AGGREGATOR_PROMPT_SETTING, None) or REFERENCE_AGGREGATOR_PROMPT
    st.caption(f"Sent as the aggregator's system message; `{PROPOSALS_PLACEHOLDER}` is replaced by the proposals, "
               "numbered and labelled as on screen ([1] label …). Without the placeholder they are appended.")
    if current == REFERENCE_AGGREGATOR_PROMPT:
        st.caption("Currently: the reference MoA prompt.")
    template = st.text_area("Aggregator prompt", current, height=300, key="aggregator_prompt_text")
    save, reset = st.columns([1, 5])
    if save.button("Save prompt", type="primary"):
        if not template.strip():
            st.error("The prompt is empty.")
        else:
            store.catalog.set_setting(AGGREGATOR_PROMPT_SETTING, template)
            st.toast("Aggregator prompt saved")
    if reset.button("Reset to the reference prompt"):
        store.catalog.set_setting(AGGREGATOR_PROMPT_SETTING, None)
        st.session_state.pop("aggregator_prompt_text", None)
        st.rerun()

with prices_tab:
    settings_view.prices(store)

with providers_tab:
    settings_view.providers(store)
