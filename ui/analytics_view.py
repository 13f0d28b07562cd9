"""The Analytics page's drawing: filters and headline figures, then the Latency, Cost, Quality and
Reliability tabs. The figures come from `moa_core.metrics` (analytics, analytics_summary, vote_quality),
cached here per data version; the Planner tab is drawn by the function `render` is given (`ui.planner_view`)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Callable

import pandas as pd
import streamlit as st

from moa_core.metrics import analytics, run_tables
from moa_core.metrics.analytics_summary import partly_known_cost, votes_by_rater
from moa_core.metrics.vote_quality import SystemVotes, vote_summary
from moa_core.providers.prices import at_current_prices, price_note
from moa_core.storage.db import default_url
from ui import charts, resources

NO_RUNS = "No runs yet: run a lineup on the **Run** page (or `moa run` on the command line); its calls appear here."
NO_RATINGS = ("No ratings yet: rate answers on the **Run** or **History** page (the stars under each answer). "
              "Each rated synthesis, and each rated baseline, becomes a point here.")
SECTIONS = ["Latency", "Cost", "Quality for the money", "Reliability", "Planner"]


@st.cache_resource(show_spinner="Reading stored runs…", max_entries=2)
def load(url: str, version: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs and calls as tables, cached per database and data version: any new run, call or rating
    reloads at once; otherwise the page reuses the tables (no prompts or answers are ever read).
    A resource, not data: shared read-only, so a view does not unpickle 50,000 call rows. Costs unknown
    when a run was made are computed at today's prices (`at_current_prices`), and said so in the headline."""
    store = resources.store()
    runs, ratings = store.analytics.analytics_runs()
    runs, priced = at_current_prices(runs, store.catalog.price_book().price)
    return run_tables.run_table(runs, ratings, priced), run_tables.call_table(runs)


@st.cache_data(show_spinner=False, max_entries=8)
def _overview(url: str, version: tuple, start: datetime | None, end: datetime | None, lineups: tuple[str, ...]) -> analytics.Overview:
    """Every figure's table for one selection, computed once per data version and filters: looking again
    (or at another tab) costs a cache lookup, not a pass over 10,000 runs."""
    run_df, call_df = load(url, version)
    runs, calls = run_tables.filter_runs(run_df, call_df, start, end, lineups or None)
    return analytics.overview(runs, calls)


@st.cache_data(show_spinner=False, max_entries=8)
def _vote_summary(url: str, votes_version: tuple, version: tuple, filters: tuple | None) -> list[SystemVotes]:
    """Preference per system from the stored blind votes, once per votes version and filters: with
    `filters` (start, end, lineups) a vote side counts when its run is in the page's selection; with None
    every vote counts, those whose run was deleted included (`vote_summary`)."""
    run_ids = None
    if filters is not None:
        run_df, call_df = load(url, version)
        start, end, lineups = filters
        run_ids = set(run_tables.filter_runs(run_df, call_df, start, end, lineups or None)[0]["run_id"])
    return vote_summary(resources.store().votes.list_votes(with_texts=False), run_ids)


def clear_caches() -> None:
    """Read every table and vote again (the Refresh button)."""
    load.clear()
    _overview.clear()
    _vote_summary.clear()


def metric_row(n: int) -> list:
    """`n` places for figures, each as wide as its value and wrapping to a new line when the page is
    narrow: fixed columns cut "$14.57 + unknown" to "$14.5…" at 1024 px."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content") for _ in range(n)]


def selection(run_df: pd.DataFrame, version: tuple) -> tuple[analytics.Overview | None, tuple | None]:
    """The date and lineup filters and the headline figures; the selection's tables (None: no runs) and
    its filters (start, end, lineups), None when they keep every run (the whole date range, all lineups)."""
    if run_df.empty:
        st.info(NO_RUNS, icon=":material/info:")
        return None, None
    first, last = run_df["started_at"].min().date(), run_df["started_at"].max().date()
    left, right = st.columns([1, 2])
    dates = left.date_input("Dates", value=(first, last))  # no key: a new run widens the default range
    lineups = sorted(run_df["lineup"].unique())
    picked = right.multiselect("Lineups", lineups, placeholder="all lineups", key="analytics-lineups")
    start = end = None
    if isinstance(dates, (tuple, list)) and dates:
        start = datetime.combine(dates[0], time.min, tzinfo=timezone.utc)
        end = datetime.combine(dates[-1], time.min, tzinfo=timezone.utc) + timedelta(days=1)
    view = _overview(default_url(), version, start, end, tuple(picked))
    whole_range = start is None or (dates[0] <= first and dates[-1] >= last)
    filters = None if whole_range and not picked else (start, end, tuple(picked))
    if not view.runs:
        st.info("No runs in this date range and lineup selection: widen the filters.", icon=":material/info:")
        return None, filters
    _headline(view)
    return view, filters


def _headline(view: analytics.Overview) -> None:
    unknown_runs, cached_runs = view.unknown_cost_runs, view.cached_runs
    m = metric_row(5 if cached_runs else 4)
    m[0].metric("Runs", view.runs)
    m[1].metric("Total cost", partly_known_cost(view.known_cost_usd, unknown_runs, view.runs),
                help=f"{unknown_runs} run(s) used a model without a known price" if unknown_runs else None)
    median = view.median_answer_s
    m[2].metric("Median time to answer", "—" if median is None else f"{median:.2f} s")
    m[3].metric("Rated answers", view.rated_answers)
    if cached_runs:
        m[4].metric("Saved by the cache", partly_known_cost(view.saved_usd, view.unknown_saved_runs, cached_runs),
                    help="What the answers taken from the response cache cost when they were first bought")
        st.caption(f"{cached_runs} run(s) took answers from the response cache: their cost counts as saved, "
                   "not spent, and they are left out of every latency, first-token and tokens/s figure.")
    if view.priced_now_runs:
        note = price_note(view.priced_now_models, resources.store().catalog.price_book().price)
        st.caption(f"{view.priced_now_runs} run(s) costed at current prices (set after they ran): {note}.")
    if unknown_runs:
        st.caption(f"Cost unknown for {unknown_runs} run(s): no price for "
                   f"{', '.join(view.unknown_cost_models)}. Set prices on the Settings page.")


def latency(view: analytics.Overview) -> None:
    by_lineup = view.latency_by_lineup
    charts.chart_with_table(
        charts.percentile_figure(by_lineup, "lineup", "Time to the final answer per lineup"), by_lineup,
        "Latency per lineup", empty="No run produced an answer yet in this selection.")
    by_model = view.latency_by_model
    charts.chart_with_table(charts.model_speed_figure(by_model), by_model, "Latency per model",
                            empty="No successful calls in this selection.")


def cost(view: analytics.Overview) -> None:
    charts.chart_with_table(charts.cost_over_time_figure(view.cost_over_time, view.cost_period),
                            view.cost_per_run, "Cost per run")
    if view.unknown_cost_runs:
        st.caption(f"{view.unknown_cost_runs} run(s) with an unknown cost are not plotted; the table lists them.")
    multiples = view.cost_multiples
    charts.chart_with_table(
        charts.multiples_figure(multiples), multiples, "MoA cost multiple",
        empty="Nothing to compare with yet: add a **baseline single model** to a lineup on the Run page; "
              "it answers the same query beside MoA, and each such run gives a cost and latency multiple.")


def vote_table(votes: list[SystemVotes]) -> pd.DataFrame:
    """The preference rows as shown: W/L/T, win rate and interval in percent, the verdict in words."""
    return pd.DataFrame([{
        "system": r.system, "rated by": r.rated_by, "votes": r.votes,
        "W/L/T": f"{r.wins}/{r.losses}/{r.ties}",
        "win rate": "—" if r.win_rate is None else f"{100 * r.win_rate:.0f}%",
        "95% interval": "—" if r.ci_low is None else f"{100 * r.ci_low:.0f}-{100 * r.ci_high:.0f}%",
        "verdict": r.verdict or "enough votes to call",
    } for r in votes])


def quality(view: analytics.Overview, filters: tuple | None = None) -> None:
    points = view.cost_vs_rating
    store = resources.store()
    votes = _vote_summary(default_url(), store.votes.votes_version(), store.analytics.data_version(), filters)
    empty = NO_RATINGS if not votes else "No star ratings yet; the blind votes below say which system was preferred."
    charts.chart_with_table(charts.cost_rating_figure(points), points, "Cost versus rating", empty=empty)
    unpriced = int(points["cost_usd"].isna().sum()) if not points.empty else 0
    if unpriced:
        st.caption(f"{unpriced} rated answer(s) with an unknown cost are not plotted; the table lists them.")
    if votes:
        counted = votes_by_rater(votes)
        st.markdown("**Preference from blind votes**")
        scope = ("every stored vote" if filters is None else
                 "votes on runs in the dates and lineups above; a vote whose run was deleted counts only unfiltered")
        st.caption(f"{counted['people']} blind votes by people and {counted['judge']} judge verdicts ({scope}). "
                   "Win rate of decisive votes with its 95% interval; see the Results page.")
        st.dataframe(vote_table(votes), hide_index=True, width="stretch")


def reliability(view: analytics.Overview) -> None:
    table = view.provider_reliability
    charts.chart_with_table(charts.reliability_figure(table), table, "Failures per provider")
    st.caption("Provider: the litellm prefix of the model; *local* = the embedded model, *server* = a model "
               "reached through a base URL. A cancelled call (quorum reached) is not counted as a failure.")


def render(planner: Callable[[pd.DataFrame, tuple], None]) -> None:
    """The page below its title; `planner(run table, data version)` draws the Planner tab. Only the open tab is drawn: each section's charts are built and sent
    when it is looked at, so the page stays quick at 10,000 runs (the browser draws 2-3 charts, not 9)."""
    version = resources.store().analytics.data_version()
    run_df, _ = load(default_url(), version)
    view, filters = selection(run_df, version)
    tabs = dict(zip(SECTIONS, st.tabs(SECTIONS, key="analytics-section", on_change="rerun")))
    for name, draw in (("Latency", latency), ("Cost", cost),
                       ("Quality for the money", lambda v: quality(v, filters)), ("Reliability", reliability)):
        if tabs[name].open and view is not None:
            with tabs[name]:
                draw(view)
    if tabs["Planner"].open:
        with tabs["Planner"]:
            planner(run_df, version)
