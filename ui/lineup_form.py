"""The lineup editor on the Run page: every seat (proposers, aggregator, baseline, fallback) in one table
with the same fields, then rounds, quorum, timeout and retries.

The editor replaces only what it shows: every other field of the lineup carries over as it was.
A lineup's name belongs to the saved lineup: once edited it is "<name> (edited)" until saved again.
"""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from moa_core.lineup import Lineup, LineupError, ModelSpec
from moa_core.providers.default_lineups import default_lineup, default_lineup_for_environment

from . import resources

DEFAULT_CHOICE = "Default: Self-MoA on the embedded model"
ROLES = ("proposer", "aggregator", "baseline", "fallback")
SEAT_FIELDS = ["model", "label", "api_base", "api_key_env", "temperature", "max_tokens", "context_window",
               "system_prompt"]
TEXT_FIELDS = ("label", "api_base", "api_key_env", "system_prompt")
EDITED = " (edited)"


def _load(data: dict) -> None:
    """Show a lineup in the editor; its name and fields are what "unedited" means from now on."""
    st.session_state["lineup_data"] = data
    st.session_state["lineup_origin"] = data
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1


def _pick_saved() -> None:
    name = st.session_state["lineup_choice"]
    if name == DEFAULT_CHOICE:
        _load(default_lineup().to_dict())
        return
    saved = resources.store().catalog.get_lineup(name)
    if saved is not None:
        try:
            _load(Lineup.from_toml(saved.toml).to_dict() | {"name": name})
        except LineupError as exc:
            st.session_state["lineup_error"] = f"Saved lineup {name!r} is invalid: {exc}"


def _clean(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return value


def seats_of(data: dict) -> list[dict]:
    """The lineup's seats as rows, in order: proposers, aggregator, then baseline and fallback if set."""
    rows = [("proposer", p) for p in data.get("proposers") or []] + [("aggregator", data.get("aggregator") or {})]
    rows += [(role, data[role]) for role in ("baseline", "fallback") if data.get(role)]
    return [{"role": role, **{f: seat.get(f) for f in SEAT_FIELDS}, "seat": i} for i, (role, seat) in enumerate(rows)]


def lineup_form(disabled: bool) -> Lineup | None:
    """Render the editor; return the lineup, or None (with the reason shown) when it cannot run."""
    if "lineup_data" not in st.session_state:
        _load(default_lineup().to_dict())
    data = st.session_state["lineup_data"]
    saved = [DEFAULT_CHOICE] + [entry.name for entry in resources.store().catalog.list_lineups()]
    st.selectbox("Start from a lineup", saved, key="lineup_choice", on_change=_pick_saved, disabled=disabled)
    _suggest_real_providers(disabled)
    if error := st.session_state.pop("lineup_error", None):
        st.error(error)

    seats = seats_of(data)
    options = resources.model_options([s["model"] for s in seats if s["model"]])
    st.markdown("**Seats**: proposers answer, the aggregator synthesizes; a baseline answers alone beside "
                "MoA, a fallback answers when MoA cannot. The same model may sit in several seats.")
    frame = pd.DataFrame([{k: (s.get(k) or "") if k in TEXT_FIELDS else s.get(k) for k in ["role", *SEAT_FIELDS,
                                                                                         "seat"]} for s in seats])
    edited = st.data_editor(
        frame, num_rows="dynamic", disabled=disabled, width="stretch", hide_index=True,
        key=f"seats_{st.session_state['editor_version']}",
        column_config={
            "role": st.column_config.SelectboxColumn("Role", options=list(ROLES), required=True, default="proposer"),
            "model": st.column_config.SelectboxColumn("Model", options=options, required=True, width="medium"),
            "label": st.column_config.TextColumn("Label", help="How this seat is named everywhere (blank: the model)"),
            "api_base": st.column_config.TextColumn("Base URL", help="Only for models on your own server; filled in "
                                                    "for models discovered on a server"),
            "api_key_env": st.column_config.TextColumn("Key variable", help="Environment variable holding this "
                                                       "seat's key (blank: the provider's usual one)"),
            "temperature": st.column_config.NumberColumn("Temp.", min_value=0.0, max_value=2.0, step=0.1, default=0.7),
            "max_tokens": st.column_config.NumberColumn("Max tokens", min_value=1, step=64, default=512),
            "context_window": st.column_config.NumberColumn(
                "Context window", min_value=1, step=1024, format="%d",
                help="Tokens the model accepts. Blank: litellm's figure; set it for a self-hosted model litellm "
                     "does not know, so long documents are checked against it and can be fitted"),
            "system_prompt": st.column_config.TextColumn("Persona / system prompt", width="large"),
            "seat": None,  # hidden: which seat a row came from, so its other keys survive the edit
        },
    )
    with st.expander("Add a model that is not in the list"):
        custom = st.text_input("litellm model string", placeholder="e.g. groq/llama-3.1-8b-instant",
                               disabled=disabled, key="custom_model_input")
        if st.button("Add to the choices", disabled=disabled or not custom.strip()):
            st.session_state.setdefault("custom_models", []).append(custom.strip())
            st.rerun()

    cols = st.columns(4)
    adaptive = cols[0].toggle("Adaptive rounds", value=data.get("rounds") == "auto", disabled=disabled,
                              help="Add rounds only while the proposals still disagree (at most the number below)")
    fixed = data.get("max_rounds", 3) if data.get("rounds") == "auto" else data.get("rounds", 1)
    rounds = cols[0].number_input("Max rounds" if adaptive else "Rounds", 1, 5, min(int(fixed), 5),
                                  disabled=disabled, help="Rounds 2+ let every proposer revise after reading the others")
    n_proposers = max(1, sum(r.get("role") == "proposer" for r in edited.to_dict("records")))
    quorum = cols[1].number_input("Quorum (0 = wait for all)", 0, n_proposers, min(int(data.get("quorum") or 0),
                                  n_proposers), disabled=disabled,
                                  help="Synthesize once this many proposers are done; stragglers are cancelled")
    timeout = cols[2].number_input("Timeout per call (s)", 1.0, 3600.0, float(data.get("timeout_s", 120)), 10.0,
                                   disabled=disabled, help="One attempt's limit, from request to last token")
    retries = cols[3].number_input("Retries per call", 0, 10, int(data.get("max_retries", 3)), disabled=disabled,
                                   help="On rate limits, 5xx, timeouts and dropped streams, with backoff")
    try:
        edits = seat_edits(edited.to_dict("records"), seats)
        edits |= {"rounds": "auto" if adaptive else int(rounds), "max_rounds": int(rounds) if adaptive else None,
                  "quorum": int(quorum) or None, "timeout_s": float(timeout),
                  "max_retries": int(retries)}
        edits["min_proposals"] = min(int(data.get("min_proposals", 1)), max(1, len(edits["proposers"])))
        merged = edited_lineup(data, edits)
        merged["name"] = lineup_name(st.session_state.get("lineup_origin") or {}, merged)
        lineup = Lineup.from_dict({k: v for k, v in merged.items() if v is not None and v != ""})
    except (LineupError, ValueError, TypeError) as exc:
        st.error(f"This lineup cannot run: {exc}")
        return None
    st.caption(f"Lineup: **{lineup.name or 'unnamed'}** · save it under a name in Settings → Saved lineups")
    return lineup


def seat_edits(rows: list[dict], seats: list[dict]) -> dict:
    """The seats the table holds, as lineup fields; a seat keeps its hidden fields while its model stays."""
    by_role: dict[str, list[dict]] = {role: [] for role in ROLES}
    for row in rows:
        if not _clean(row.get("model")):
            continue
        role = _clean(row.get("role")) or "proposer"
        by_role[role].append(_spec(_with_seat(row, seats)).to_dict())
    for role in ("aggregator", "baseline", "fallback"):
        if len(by_role[role]) > 1:
            raise LineupError(f"only one {role} seat, not {len(by_role[role])}")
    if not by_role["aggregator"]:
        raise LineupError("the lineup needs an aggregator seat")
    return {"proposers": by_role["proposer"], "aggregator": by_role["aggregator"][0],
            "baseline": (by_role["baseline"] or [None])[0], "fallback": (by_role["fallback"] or [None])[0]}


def edited_lineup(data: dict, edits: dict) -> dict:
    """The lineup with the editor's fields replaced: every field it does not edit carries over as it was.

    An edit of None removes an optional field (no baseline, no quorum).
    """
    merged = {**data, **edits}
    return {k: v for k, v in merged.items() if v is not None}


def lineup_name(origin: dict, lineup: dict) -> str:
    """The saved name while nothing changed; "<name> (edited)" once it differs from what was loaded."""
    name = (origin.get("name") or "").removesuffix(EDITED)
    if not name:
        return ""
    same = {k: v for k, v in origin.items() if k != "name"} == {k: v for k, v in lineup.items() if k != "name"}
    return name if same else name + EDITED


def _with_seat(row: dict, seats: list[dict]) -> dict:
    """A row with the fields of the seat it came from; a changed model keeps none of the old seat's
    identity (a label that named the old model, its prices and key variable) but its endpoint."""
    seat = _clean(row.get("seat"))
    values = {k: v for k, v in row.items() if k in SEAT_FIELDS}
    if seat is None or not 0 <= int(seat) < len(seats):
        return values
    old = seats[int(seat)]
    if old.get("model") == row.get("model"):
        origin = _origin_seat(old)
        return {**origin, **values}
    if values.get("label") and values["label"] == old.get("label"):
        values["label"] = None  # the grid showed the old model's label: the new model gets its own
    # The base URL stays as the grid shows it: a seat's endpoint changes only when the user changes it, so
    # a new model on a seat pointed at the user's server never goes to a provider's public endpoint.
    return values


def _origin_seat(row: dict) -> dict:
    """The full saved seat behind a row (key variable, per-seat prices...) from the lineup being edited."""
    data = st.session_state.get("lineup_data") or {}
    everything = [*(data.get("proposers") or []), data.get("aggregator") or {},
                  *[data[r] for r in ("baseline", "fallback") if data.get(r)]]
    seat = int(row["seat"])
    return dict(everything[seat]) if 0 <= seat < len(everything) else {}


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


def _spec(row: dict) -> ModelSpec:
    values = {k: _clean(v) for k, v in row.items() if k in ModelSpec.__dataclass_fields__}
    for name in ("max_tokens", "context_window"):
        if values.get(name) is not None:
            values[name] = int(values[name])
    if not values.get("api_base"):
        values["api_base"] = resources.api_base_for(values["model"])
    return ModelSpec(**{k: v for k, v in values.items() if v is not None})
