"""Analytics: latency, cost, ratings and reliability across runs, and a planner for cost at scale."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

from datetime import datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from moa_core.metrics import analytics, planner
from moa_core.lineup import Lineup, LineupError
from moa_core.providers.prices import PriceBook, format_cost
from moa_core.metrics.stats import percentile
from moa_core.storage.db import default_url
from ui import charts, resources

NO_RUNS = "No runs yet: run a lineup on the **Run** page (or `moa run` on the command line); its calls appear here."
NO_RATINGS = ("No ratings yet: rate answers on the **Run** or **History** page (the stars under each answer). "
              "Each rated synthesis, and each rated baseline, becomes a point here.")


@st.cache_data(show_spinner="Reading stored runs…", max_entries=4)
def _load(url: str, version: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs and calls as tables, cached per database and data version: any new run, call or rating
    reloads at once; otherwise the page reuses the tables (no prompts or answers are ever read)."""
    runs, ratings = resources.store().analytics_runs()
    return analytics.run_table(runs, ratings), analytics.call_table(runs)


store = resources.store()
st.title("Analytics")
top = st.container(horizontal=True, vertical_alignment="center")
top.caption("Where the seconds and cents of your runs go, and what a lineup would cost at your volume.")
if top.button("Refresh", icon=":material/refresh:", type="tertiary"):
    _load.clear()
run_df, call_df = _load(default_url(), store.data_version())

across, plan_tab = st.tabs(["Across runs", "Planner"])

# ---- across runs -------------------------------------------------------------------------------

with across:
    if run_df.empty:
        st.info(NO_RUNS, icon=":material/info:")
    else:
        first, last = run_df["started_at"].min().date(), run_df["started_at"].max().date()
        left, right = st.columns([1, 2])
        dates = left.date_input("Dates", value=(first, last))  # no key: a new run widens the default range
        lineups = sorted(run_df["lineup"].unique())
        picked = right.multiselect("Lineups", lineups, placeholder="all lineups", key="analytics-lineups")
        start = end = None
        if isinstance(dates, (tuple, list)) and dates:
            start = datetime.combine(dates[0], time.min, tzinfo=timezone.utc)
            end = datetime.combine(dates[-1], time.min, tzinfo=timezone.utc) + timedelta(days=1)
        runs, calls = analytics.filter_runs(run_df, call_df, start, end, picked or None)

        if runs.empty:
            st.info("No runs in this date range and lineup selection: widen the filters.", icon=":material/info:")
        else:
            unknown_runs = int(runs["cost_usd"].isna().sum())
            m = st.columns(4)
            m[0].metric("Runs", len(runs))
            known_total = runs["cost_usd"].sum()
            total = format_cost(known_total)
            if unknown_runs:
                total = f"{total} + unknown" if unknown_runs < len(runs) else "unknown"
            m[1].metric("Total cost", total,
                        help=f"{unknown_runs} run(s) used a model without a known price" if unknown_runs else None)
            median = percentile([float(v) for v in runs["answer_s"].dropna()], 50)
            m[2].metric("Median time to answer", "—" if median is None else f"{median:.2f} s")
            m[3].metric("Rated answers", int((runs["ratings"] > 0).sum()))
            if unknown_runs:
                models = sorted({name for v in runs["unknown_cost_models"] for name in v.split(", ") if name})
                st.caption(f"Cost unknown for {unknown_runs} run(s): no price for {', '.join(models)}. "
                           "Set prices on the Settings page.")

            st.subheader("Latency")
            by_lineup = analytics.latency_by_lineup(runs)
            charts.chart_with_table(
                charts.percentile_figure(by_lineup, "lineup", "Time to the final answer per lineup"), by_lineup,
                "Latency per lineup", empty="No run produced an answer yet in this selection.")
            by_model = analytics.latency_by_model(calls)
            left, right = st.columns(2)
            with left:
                charts.chart_with_table(charts.percentile_figure(by_model, "model", "Call latency per model"),
                                        by_model, "Latency per model", empty="No successful calls in this selection.")
            with right:
                charts.chart_with_table(
                    charts.percentile_figure(by_model, "model", "Time to first token per model", "ttft_p50_s",
                                             "ttft_p95_s"),
                    by_model[["model", "calls", "ttft_p50_s", "ttft_p95_s", "tokens_per_s"]], "Time to first token",
                    empty="No successful calls in this selection.")

            st.subheader("Cost")
            over_time = runs[["started_at", "lineup", "status", "cost_usd", "moa_cost_usd", "baseline_cost_usd",
                              "query", "run_id"]].sort_values("started_at")
            charts.chart_with_table(charts.cost_over_time_figure(over_time), over_time, "Cost per run")
            if unknown_runs:
                st.caption(f"{unknown_runs} run(s) with an unknown cost are not plotted; the table lists them.")
            multiples = analytics.cost_multiples(runs)
            charts.chart_with_table(
                charts.multiples_figure(multiples), multiples, "MoA cost multiple",
                empty="Nothing to compare with yet: add a **baseline single model** to a lineup on the Run page; "
                      "it answers the same query beside MoA, and each such run gives a cost and latency multiple.")

            st.subheader("Quality for the money")
            points = analytics.cost_vs_rating(runs)
            charts.chart_with_table(charts.cost_rating_figure(points), points, "Cost versus rating", empty=NO_RATINGS)
            unpriced = int(points["cost_usd"].isna().sum()) if not points.empty else 0
            if unpriced:
                st.caption(f"{unpriced} rated answer(s) with an unknown cost are not plotted; the table lists them.")

            st.subheader("Reliability")
            reliability = analytics.provider_reliability(calls)
            charts.chart_with_table(charts.reliability_figure(reliability), reliability, "Failures per provider")
            st.caption("Provider: the litellm prefix of the model; *local* = the embedded model, *server* = a model "
                       "reached through a base URL. A cancelled call (quorum reached) is not counted as a failure.")

# ---- planner -----------------------------------------------------------------------------------


def _lineup_choice(saved: list) -> tuple[list[str], str, int, str | None, dict]:
    """Proposers, aggregator, rounds, suggested single model and per-model price overrides."""
    seen = list(call_df["model"].value_counts().index) if not call_df.empty else []
    source = st.radio("Lineup", ["A saved lineup", "Models seen in runs"], horizontal=True, key="plan-source",
                      help="Models can also be typed: any litellm model string") if saved else None
    if source == "A saved lineup":
        name = st.selectbox("Saved lineup", [s.name for s in saved], key="plan-saved")
        try:
            lineup = Lineup.from_toml(next(s.toml for s in saved if s.name == name))
        except LineupError as exc:
            st.error(f"Saved lineup {name!r} does not parse: {exc}")
            return [], "", 1, None, {}
        specs = [*lineup.proposers, lineup.aggregator, lineup.baseline]
        overrides = {s.model: (s.input_cost_per_token, s.output_cost_per_token) for s in specs if s is not None}
        st.caption(f"{len(lineup.proposers)} proposers × {lineup.rounds} round(s), "
                   f"aggregator {lineup.aggregator.model}")
        single = (lineup.baseline or lineup.aggregator).model
        return [p.model for p in lineup.proposers], lineup.aggregator.model, lineup.rounds, single, overrides
    last_proposers, last_aggregator, last_rounds = _latest_lineup()
    left, middle, right = st.columns([3, 2, 1])
    proposers = left.multiselect("Proposers", seen, default=last_proposers, accept_new_options=True,
                                 key="plan-proposers", placeholder="pick or type models",
                                 help="Models seen in runs (the newest run's lineup first), or type any litellm model")
    aggregator = middle.selectbox("Aggregator", list(dict.fromkeys(last_aggregator + seen)), accept_new_options=True,
                                  key="plan-aggregator", placeholder="pick or type a model")
    rounds = right.number_input("Rounds", 1, 5, min(last_rounds, 5), key="plan-rounds")
    return proposers, aggregator or "", int(rounds), None, {}


def _latest_lineup() -> tuple[list[str], list[str], int]:
    """Proposer models (round 1, in order), aggregator and rounds of the newest run: the planner's default."""
    if call_df.empty:
        return [], [], 1
    newest = call_df.loc[call_df["started_at"].idxmax(), "run_id"]
    calls = call_df[call_df["run_id"] == newest]
    proposers = calls.loc[(calls["role"] == "proposer") & (calls["round"] == 1), "model"]
    rounds = int(calls.loc[calls["role"] == "proposer", "round"].max()) if len(proposers) else 1
    return list(dict.fromkeys(proposers)), list(calls.loc[calls["role"] == "aggregator", "model"]), rounds


def _median_tokens(kind: str, default: int) -> int:
    values = call_df.loc[(call_df["role"] == "proposer") & (call_df["status"] == "ok"), kind].dropna()
    return int(values.median()) if len(values) else default


with plan_tab:
    st.markdown("Project a lineup's **monthly cost** and **expected latency** from your own measured calls, "
                "beside one model answering alone. Cost model: N proposer calls per round plus one aggregator "
                "call per query; the aggregator (and later rounds) read the query plus all N proposals. "
                "Latency model: the slowest proposer of each round, then the aggregator.")
    proposers, aggregator, rounds, single_default, overrides = _lineup_choice(store.list_lineups())
    seen = list(call_df["model"].value_counts().index) if not call_df.empty else []
    options = list(dict.fromkeys([m for m in [single_default, aggregator] if m] + seen))
    a, b, c, d = st.columns(4)
    single = a.selectbox("Single model to compare", options, accept_new_options=True, key="plan-single",
                         placeholder="pick or type a model")
    volume = b.number_input("Queries per month", 1, 10**10, 10_000, step=1000, key="plan-volume")
    prompt_tokens = c.number_input("Prompt tokens per query", 1, 10**7, _median_tokens("prompt_tokens", 500),
                                   key="plan-prompt", help="Default: the median of your proposer calls")
    answer_tokens = d.number_input("Answer tokens", 1, 10**6, _median_tokens("completion_tokens", 300),
                                   key="plan-answer", help="Default: the median of your proposer calls")
    if not proposers or not aggregator or not single:
        st.info("Pick proposers, an aggregator and a single model to compare (save lineups on the Settings page, "
                "or type any litellm model string).", icon=":material/info:")
    else:
        book = PriceBook(store.prices())
        models = [*proposers, aggregator, single]
        figures = planner.with_prices(planner.measured_figures(call_df) if not call_df.empty else {}, models,
                                      lambda m: book.price(m, overrides.get(m, (None, None))))
        moa = planner.plan_moa(proposers, aggregator, rounds, int(volume), int(prompt_tokens), int(answer_tokens),
                               figures, name="MoA")
        alone = planner.plan_single(single, int(volume), int(prompt_tokens), int(answer_tokens), figures)
        st.markdown(planner.plan_sentence(moa, alone))
        m = st.columns(4)
        m[0].metric("MoA per month", planner.format_money(moa.monthly_cost))
        m[1].metric(f"{single} per month", planner.format_money(alone.monthly_cost))
        m[2].metric("MoA latency", "unknown" if moa.latency_s is None else f"{moa.latency_s:.1f} s")
        m[3].metric(f"{single} latency", "unknown" if alone.latency_s is None else f"{alone.latency_s:.1f} s")
        cost_fig, latency_fig = charts.plan_figures(moa.table(), alone.table(), "MoA", single)
        both = pd.concat([moa.table().assign(plan="MoA"), alone.table().assign(plan=single)], ignore_index=True)
        left, right = st.columns(2)
        with left:
            charts.chart_with_table(cost_fig, both, "Projected monthly cost", key="plan-cost")
        with right:
            charts.chart_with_table(latency_fig, both, "Expected latency", key="plan-latency")
        basis = pd.DataFrame([{
            "model": f.model, "measured_calls": f.calls, "p50_latency_s": f.p50_latency_s, "ttft_s": f.ttft_s,
            "tokens_per_s": f.tokens_per_s, "input_usd_per_1M": None if f.input_per_token is None
            else f.input_per_token * 1e6, "output_usd_per_1M": None if f.output_per_token is None
            else f.output_per_token * 1e6, "price_source": f.price_source or "unknown",
        } for f in figures.values()])
        with st.expander("Figures used (measured speed, price per token and where it comes from)"):
            st.dataframe(basis, hide_index=True, width="stretch")
            st.caption("Latency = median time to first token + answer tokens ÷ median tokens/s; without those, the "
                       "median measured latency. Long aggregator prompts make the first token slower than measured. "
                       "Price: your override, else litellm's table, else what stored calls cost (measured).")
