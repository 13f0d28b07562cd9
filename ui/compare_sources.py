"""Where the Compare page's pairs come from: recent stored runs (the next one this reviewer has not
voted on or skipped), and the demo (a MoA lineup with one model as its baseline, run now).

The demo is one queued run (`jobs.runs.submit_run`) that a `moa worker` process runs, like the Run page's:
its id is kept in the session and in the address (`?demo=ID`), so a reload or another app process finds it,
and its progress and pair are read from the store."""
from __future__ import annotations

import streamlit as st

from moa_core.lineup import Lineup, LineupError, ModelSpec
from moa_core.records import RunRecord
from moa_core.review.pairs import KIND_LABELS, KINDS, Pair, pairs_between_runs, pairs_for_run

from . import resources

RECENT_RUNS = 100
SKIPPED = "compare-skipped"
CURRENT = "compare-current"
DEMO = "demo-run"  # the session's demo run id
DEMO_PARAM = "demo"  # ... and the address's (`?demo=ID`), so a reload or another app process finds it


def recent_pairs(kinds: list[str]) -> list[Pair]:
    """Pairs from the newest runs, newest first; the key of a pair never changes, so order is stable."""
    store = resources.store()
    records, ratings = [], {}
    for summary in store.list_runs(limit=RECENT_RUNS):
        if summary.status not in ("ok", "partial", "fallback"):
            continue
        record = store.get_run(summary.run_id)
        if record is not None:
            records.append(record)
            ratings[record.run_id] = store.ratings.ratings_for(record.run_id)
    pairs = [p for r in records for p in pairs_for_run(r, ratings[r.run_id]) if p.kind in kinds]
    if "runs" in kinds:
        pairs += pairs_between_runs(records)
    return pairs


def next_pair(reviewer: str, kinds: list[str]) -> Pair | None:
    """The pair on screen (kept across reruns until "Next"), else the first one not voted or skipped."""
    pairs = recent_pairs(kinds)
    current = st.session_state.get(CURRENT)
    for p in pairs:
        if p.key == current:
            return p
    done = resources.store().votes.voted_keys(reviewer) | set(st.session_state.get(SKIPPED, []))
    chosen = next((p for p in pairs if p.key not in done), None)
    st.session_state[CURRENT] = chosen.key if chosen else None
    return chosen


def move_on(skip: bool = False) -> None:
    """Button callback: leave the current pair (remembering a skip for this session)."""
    current = st.session_state.pop(CURRENT, None)
    if skip and current:
        st.session_state.setdefault(SKIPPED, []).append(current)
    for k in [k for k in st.session_state if str(k).startswith("cmp-")]:
        del st.session_state[k]


def kind_picker() -> list[str]:
    chosen = st.multiselect("Pairs to compare", list(KINDS), default=list(KINDS),
                            format_func=KIND_LABELS.get, key="compare-kinds")
    return chosen or list(KINDS)


# ---- demo: MoA against one model, run now -------------------------------------------------------

def demo_lineup(lineup_name: str, single_model: str) -> Lineup:
    """The saved lineup with `single_model` as its baseline: one run gives both answers side by side."""
    saved = resources.store().catalog.get_lineup(lineup_name)
    if saved is None:
        raise LineupError(f"no saved lineup {lineup_name!r}")
    lineup = Lineup.from_toml(saved.toml)
    lineup.name = lineup.name or lineup_name
    base = next((spec for _, spec in lineup.all_specs() if spec.model == single_model), None)
    lineup.baseline = ModelSpec(model=single_model, api_base=base.api_base if base else resources.api_base_for(
        single_model), label=single_model)
    return lineup


def demo_progress(record: RunRecord | None) -> str:
    """"proposals 2 of 3 · synthesis running · single model done" from the stored run (None: not started)."""
    if record is None:
        return "starting…"
    proposals = record.calls_for("proposer")
    parts = [f"proposals {sum(c.status != 'running' for c in proposals)} of {len(proposals)}"]
    for role, name in (("aggregator", "synthesis"), ("baseline", "single model"), ("fallback", "fallback")):
        calls = record.calls_for(role)
        if calls:
            parts.append(f"{name} {'running' if calls[-1].status == 'running' else calls[-1].status}")
    return " · ".join(parts)


def demo_run_id() -> str | None:
    """The demo on show: the address's (a reload, a link) before the session's."""
    return st.query_params.get(DEMO_PARAM) or st.session_state.get(DEMO)


def remember_demo(run_id: str) -> None:
    st.session_state[DEMO] = run_id
    st.query_params[DEMO_PARAM] = run_id


def demo_pair(run_id: str) -> Pair | None:
    record = resources.store().get_run(run_id)
    if record is None:
        return None
    return next((p for p in pairs_for_run(record) if p.kind == "baseline"), None)
