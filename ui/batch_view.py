"""The Batches page's first two tabs: eval sets (import, view, delete) and starting a batch
(systems, judge, limits, the projected cost before the Start button)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from moa_core.batch.estimate import project
from moa_core.batch.evalsets import EvalFileError, EvalSetError, parse_eval_file, read_eval_file, save_parsed
from moa_core.batch.judge import judge_spec, judged_models
from moa_core.batch.runner import create_batch
from moa_core.batch.systems import moa_system, self_moa_system, single_system
from moa_core.lineup import KEY_ENV_HINT, Lineup, LineupError, ModelSpec, is_env_name
from moa_core.providers.default_lineups import default_lineup
from moa_core.providers.prices import format_cost
from ui import resources
from ui.batch_jobs import start_batch
from ui.batch_results import open_next
from ui.safe_text import plain

DEMO_SET = Path(__file__).resolve().parent.parent / "data" / "demo-eval.jsonl"
DEFAULT_LINEUP = "Default (offline demo lineup)"
NONE = "— none —"


def eval_sets(store) -> None:
    sets = store.catalog.list_eval_sets()
    with st.expander("Import an eval set", expanded=not sets):
        st.caption("CSV or JSONL, one row per query: `query`, optional `document` (its text, or the name of a "
                   "file uploaded below), `reference` (the answer a judge scores against), `tags` and a unique "
                   "`id`. A file with any bad row imports nothing.")
        upload = st.file_uploader("Eval set file", type=["jsonl", "csv"], key="evalset_upload")
        documents = st.file_uploader("Documents the set names (optional)", key="evalset_documents",
                                     type=["pdf", "docx", "txt", "md", "markdown", "text", "rst"],
                                     accept_multiple_files=True,
                                     help="A row's `document` is its text, or the name of a file uploaded here")
        name = st.text_input("Name", placeholder="defaults to the file name", key="evalset_name")
        left, right = st.columns([1, 3])
        if left.button("Import", type="primary", disabled=upload is None, key="evalset_import"):
            files = {f.name: f.getvalue() for f in documents or []}
            _import(store, lambda: parse_eval_file(upload.name, upload.getvalue(), files=files),
                    name.strip() or Path(upload.name).stem)
        if DEMO_SET.is_file() and right.button("Import the demo set (20 short questions)", key="evalset_demo"):
            _import(store, lambda: read_eval_file(DEMO_SET), "demo")
    for warning in st.session_state.pop("evalset_warnings", []):
        st.warning(warning, icon=":material/warning:")
    if not sets:
        st.info("No eval sets yet: import one above, or the demo set to try the whole flow offline.",
                icon=":material/info:")
        return
    sizes = store.catalog.eval_set_sizes()
    st.dataframe(pd.DataFrame([{"id": s.id, "name": s.name, "items": sizes.get(s.id, 0),
                                "created": s.created_at} for s in sets]), hide_index=True, width="stretch")
    by_name = {s.name: s for s in sets}
    picked = by_name[st.selectbox("View a set", list(by_name), key="evalset_view")]
    items = store.catalog.eval_set_items(picked.id)
    st.dataframe(pd.DataFrame([{"#": i.position + 1, "query": i.query, "reference": i.reference or "",
                                "tags": ", ".join(i.tags or []), "document": "yes" if i.document_id else ""}
                               for i in items]), hide_index=True, width="stretch")
    sure = st.checkbox(f"Yes, delete {picked.name} (its batches' answers stay in History)", key="evalset_sure")
    if st.button("Delete set", disabled=not sure, key="evalset_delete"):
        store.catalog.delete_eval_set(picked.id)
        st.toast(f"Deleted {picked.name}")
        st.rerun()


def _import(store, parse, name: str) -> None:
    try:
        parsed = parse()
    except EvalSetError as exc:
        st.error(f"Nothing imported: {exc}" if isinstance(exc, EvalFileError) else
                 f"Nothing imported: {len(exc.problems)} bad row{'' if len(exc.problems) == 1 else 's'}.")
        st.code("\n".join(exc.problems[:200]), language=None)
        return
    set_id = save_parsed(store, parsed, name)
    st.session_state["evalset_warnings"] = parsed.warnings  # shown after the rerun below
    st.toast(f"Imported {len(parsed.items)} items")
    st.session_state["batch_set"] = store.catalog.get_eval_set(set_id).name
    st.rerun()


def _lineup(store, choice: str) -> Lineup:
    if choice == DEFAULT_LINEUP:
        return default_lineup()
    return Lineup.from_toml(store.catalog.get_lineup(choice).toml)


def new_batch(store) -> None:
    sets = {s.name: s for s in store.catalog.list_eval_sets()}
    if not sets:
        st.info("Import an eval set first (the **Eval sets** tab).", icon=":material/info:")
        return
    names = list(sets)
    default = names.index(st.session_state["batch_set"]) if st.session_state.get("batch_set") in sets else 0
    eval_set = sets[st.selectbox("Eval set", names, index=default, key="batch_set_pick")]
    lineups = [DEFAULT_LINEUP] + [s.name for s in store.catalog.list_lineups()]
    choice = st.selectbox("Lineup under test", lineups, key="batch_lineup",
                          help="Saved lineups come from Settings; its [baseline], if any, becomes a comparison")
    models = resources.model_options()
    typed = "Pick one, or type any model litellm knows (e.g. openai/gpt-4o-mini) and press Enter"
    left, mid, right = st.columns(3)  # any model may be typed: not every server lists its models
    baseline = left.selectbox("Compare with a single model", [NONE] + models, key="batch_baseline",
                              accept_new_options=True, help=typed) or NONE
    self_moa = mid.selectbox("Compare with Self-MoA of", [NONE] + models, key="batch_self_moa",
                             accept_new_options=True, help=typed) or NONE
    judge = right.selectbox("Judge model", [NONE] + models, key="batch_judge", accept_new_options=True,
                            help="Judges every comparison pairwise in both orders; a reference answer is used. "
                            + typed) or NONE
    baseline, self_moa, judge = (m.strip() or NONE for m in (baseline, self_moa, judge))
    key_help = ("Environment variable holding this model's key, for a team's keyed gateway (e.g. TEAM_GATEWAY_KEY). "
                "Empty: the provider's own variable; a server of yours gets no key")
    left, mid, right = st.columns(3)
    key_envs = {role: column.text_input(label, key=f"batch_{role}_key_env", placeholder="none",
                                        help=key_help).strip() or None
                for role, label, column in (("baseline", "Single model's key variable", left),
                                            ("self_moa", "Self-MoA's key variable", mid),
                                            ("judge", "Judge's key variable", right))}
    if any(name and not is_env_name(name) for name in key_envs.values()):
        st.error(f"A key variable: {KEY_ENV_HINT}.")  # the text itself is not shown back: it may be a key
        return
    left, mid, right = st.columns(3)
    concurrency = left.number_input("Concurrency (calls at once)", 1, 256, 8, key="batch_concurrency")
    budget = mid.number_input("Budget cap, USD (0 = none)", 0.0, 1e6, 0.0, step=1.0, key="batch_budget")
    use_cache = right.checkbox("Use cached answers", True, key="batch_cache",
                               help="An identical request answered before is not sent again (cost 0)")
    try:
        lineup = _lineup(store, choice)
        systems = [moa_system(lineup)]
        if baseline != NONE:
            systems.append(single_system(_spec(baseline, key_envs["baseline"])))
        elif lineup.baseline:
            systems.append(single_system(lineup.baseline))
        if self_moa != NONE:
            systems.append(self_moa_system(_spec(self_moa, key_envs["self_moa"])))
    except (LineupError, ValueError) as exc:
        st.error(f"This lineup cannot run: {plain(str(exc))}")
        return
    judge_cfg = ({"model": judge, "api_base": resources.api_base_for(judge)}
                 | ({"api_key_env": key_envs["judge"]} if key_envs["judge"] else {})) if judge != NONE else None
    items = _projection_items(store, eval_set.id)
    answered = store.cache.answered_before(s.config_key for s in systems) if use_cache else set()
    p = project(items, systems, store.catalog.price_book(),
                judge_spec(judge, api_key_env=key_envs["judge"]) if judge_cfg else None, pairs=len(systems) - 1,
                answered=answered)
    st.metric("Projected cost", "unknown" if p.estimate_usd is None else f"~{format_cost(p.estimate_usd)}",
              help="Prompt tokens counted, answers assumed 300 tokens (upper bound: every answer uses max_tokens)")
    st.caption(f"{len(items)} items × {len(systems)} systems: {p.calls} calls, {plain(p.describe())}. Systems: "
               + "; ".join(plain(s.name) for s in systems))
    if budget and p.estimate_usd is not None and p.estimate_usd > budget:
        st.warning("The projection exceeds the budget: the batch will stop there (resumable).")
    if judge_cfg and len(systems) < 2:
        st.warning("Pick a comparison system: with one system there is nothing to judge.")
    if judge_cfg and (own := judged_models(judge, systems)):
        st.warning(f"The judge {plain(judge)} is also judged ({plain(', '.join(own))}): judges favour their own "
                   "answers; prefer a judge outside the contest.")
    if st.button("Start batch", type="primary", icon=":material/play_arrow:", key="batch_start"):
        batch_id = create_batch(store, eval_set.id, systems, judge=judge_cfg, concurrency=int(concurrency),
                                budget_usd=budget or None, cache=use_cache)
        start_batch(store, batch_id)
        st.session_state["batch_open"] = batch_id
        open_next(batch_id)
        st.toast(f"Batch {batch_id} queued for a worker")
        st.rerun()


def _spec(model: str, key_env: str | None = None) -> ModelSpec:
    return ModelSpec(model=model, api_base=resources.api_base_for(model), api_key_env=key_env)


def _projection_items(store, eval_set_id: int) -> list[dict]:
    out = []
    for item in store.catalog.eval_set_items(eval_set_id):
        doc = store.catalog.get_document(item.document_id) if item.document_id else None
        out.append({"query": item.query, "document_name": doc.name if doc else None,
                    "document_text": doc.text if doc else None})
    return out
