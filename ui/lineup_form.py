"""The lineup editor on the Run page: proposers as an editable table, then aggregator, baseline, rounds, quorum."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from moa_core.providers.default_lineups import default_lineup, default_lineup_for_environment
from moa_core.lineup import Lineup, LineupError, ModelSpec

from . import resources

NONE = "— none —"
DEFAULT_NAME = "Default: Self-MoA on the embedded model"
COLUMNS = ["model", "label", "temperature", "max_tokens", "system_prompt", "api_base"]


def _load(data: dict) -> None:
    st.session_state["lineup_data"] = data
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1


def _pick_saved() -> None:
    name = st.session_state["lineup_choice"]
    if name == DEFAULT_NAME:
        _load(default_lineup().to_dict())
        return
    saved = resources.store().get_lineup(name)
    if saved is not None:
        try:
            _load(Lineup.from_toml(saved.toml).to_dict())
        except LineupError as exc:
            st.session_state["lineup_error"] = f"Saved lineup {name!r} is invalid: {exc}"


def _clean(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return value


def lineup_form(disabled: bool) -> Lineup | None:
    """Render the editor; return the lineup, or None (with the reason shown) when it cannot run."""
    if "lineup_data" not in st.session_state:
        _load(default_lineup().to_dict())
    data = st.session_state["lineup_data"]
    saved = [DEFAULT_NAME] + [entry.name for entry in resources.store().list_lineups()]
    st.selectbox("Start from a lineup", saved, key="lineup_choice", on_change=_pick_saved, disabled=disabled)
    _suggest_real_providers(disabled)
    if error := st.session_state.pop("lineup_error", None):
        st.error(error)

    in_use = [p["model"] for p in data["proposers"]] + [data["aggregator"]["model"]]
    in_use += [data[k]["model"] for k in ("baseline", "fallback") if data.get(k)]
    options = resources.model_options(in_use)

    st.markdown("**Proposers** — add rows; the same model may appear several times with other temperatures or personas.")
    text_columns = ("label", "system_prompt", "api_base")
    frame = pd.DataFrame([{**{c: p.get(c) or ("" if c in text_columns else None) for c in COLUMNS}, "seat": i}
                          for i, p in enumerate(data["proposers"])], columns=[*COLUMNS, "seat"])
    edited = st.data_editor(
        frame, num_rows="dynamic", disabled=disabled, width="stretch", hide_index=True,
        key=f"proposers_{st.session_state['editor_version']}",
        column_config={
            "model": st.column_config.SelectboxColumn("Model", options=options, required=True, width="medium"),
            "label": st.column_config.TextColumn("Label", help="How this proposer is named everywhere"),
            "temperature": st.column_config.NumberColumn("Temp.", min_value=0.0, max_value=2.0, step=0.1, default=0.7),
            "max_tokens": st.column_config.NumberColumn("Max tokens", min_value=1, step=64, default=512),
            "system_prompt": st.column_config.TextColumn("Persona / system prompt", width="large"),
            "seat": None,  # hidden: which saved seat a row came from, so its other keys survive the edit
            "api_base": st.column_config.TextColumn("Base URL", help="Only for models on your own server; "
                                                    "filled in for discovered server models"),
        },
    )
    with st.expander("Add a model that is not in the list"):
        custom = st.text_input("litellm model string", placeholder="e.g. groq/llama-3.1-8b-instant",
                               disabled=disabled, key="custom_model_input")
        if st.button("Add to the choices", disabled=disabled or not custom.strip()):
            st.session_state.setdefault("custom_models", []).append(custom.strip())
            st.rerun()

    left, middle, right = st.columns(3)
    agg = data["aggregator"]
    aggregator = left.selectbox("Aggregator", options, index=_index(options, agg["model"]), disabled=disabled)
    agg_temp = left.slider("Aggregator temperature", 0.0, 1.5, float(agg.get("temperature") or 0.2), 0.1,
                           disabled=disabled)
    rounds = middle.number_input("Rounds", 1, 5, int(data.get("rounds", 1)), disabled=disabled,
                                 help="Rounds 2+ let every proposer revise after reading the others")
    quorum = middle.number_input("Quorum (0 = wait for all)", 0, max(1, len(edited)), int(data.get("quorum") or 0),
                                 disabled=disabled, help="Synthesize once this many proposers are done; "
                                                         "stragglers are cancelled")
    baseline = right.selectbox("Baseline single model", [NONE] + options,
                               index=_index([NONE] + options, (data.get("baseline") or {}).get("model", NONE)),
                               disabled=disabled, help="Answers alone, beside MoA, for comparison")
    fallback = right.selectbox("Fallback model", [NONE] + options,
                               index=_index([NONE] + options, (data.get("fallback") or {}).get("model", NONE)),
                               disabled=disabled, help="Answers alone when too few proposals succeed "
                                                       "or the aggregator fails")
    try:
        proposers = [_spec({**_seat_of(data["proposers"], row), **row})
                     for row in edited.to_dict("records") if _clean(row.get("model"))]
        edits = {
            "proposers": [p.to_dict() for p in proposers],
            "aggregator": _spec({**_same_seat(agg, aggregator), "temperature": agg_temp}).to_dict(),
            "rounds": int(rounds), "quorum": int(quorum) or None,
            "baseline": _spec(_same_seat(data.get("baseline"), baseline)).to_dict() if baseline != NONE else None,
            "fallback": _spec(_same_seat(data.get("fallback"), fallback)).to_dict() if fallback != NONE else None,
            "min_proposals": min(int(data.get("min_proposals", 1)), max(1, len(proposers))),
        }
        lineup = Lineup.from_dict(edited_lineup(data, edits))
    except (LineupError, ValueError, TypeError) as exc:
        st.error(f"This lineup cannot run: {exc}")
        return None
    return lineup


def edited_lineup(data: dict, edits: dict) -> dict:
    """The lineup with the editor's fields replaced: every field it does not edit carries over as it was.

    An edit of None removes an optional field (no baseline, no quorum).
    """
    merged = {**data, **edits}
    return {k: v for k, v in merged.items() if v is not None}


def _same_seat(previous: dict | None, model: str) -> dict:
    """Keep a seat's settings while its model is unchanged; a new model starts fresh."""
    if previous and previous.get("model") == model:
        return dict(previous)
    return {"model": model, "temperature": 0.7}


def _suggest_real_providers(disabled: bool) -> None:
    """With keys or servers configured, offer a lineup on them instead of the weak offline model."""
    from moa_core.providers import discovery

    keyed = discovery.keyed_providers()
    servers = [(b["url"], b.get("kind", "openai")) for b in resources.base_urls()]
    if not keyed and not servers:
        return
    where = ", ".join(keyed + [url for url, _ in servers])
    if st.button(f"Use a lineup on your providers ({where})", disabled=disabled,
                 help="Picks a small model of each provider with a key (or a server's first model); "
                      "hosted providers cost money"):
        _load(default_lineup_for_environment(servers).to_dict())
        st.rerun()


def _index(options: list[str], value: str) -> int:
    return options.index(value) if value in options else 0


def _seat_of(seats: list[dict], row: dict) -> dict:
    """The saved seat a table row came from (key env var, prices...), while its model is unchanged."""
    seat = _clean(row.get("seat"))
    if seat is None or not 0 <= int(seat) < len(seats) or seats[int(seat)].get("model") != row.get("model"):
        return {}
    return dict(seats[int(seat)])


def _spec(row: dict) -> ModelSpec:
    values = {k: _clean(v) for k, v in row.items() if k in ModelSpec.__dataclass_fields__}
    if values.get("max_tokens") is not None:
        values["max_tokens"] = int(values["max_tokens"])
    if not values.get("api_base"):
        values["api_base"] = resources.api_base_for(values["model"])
    return ModelSpec(**values)
