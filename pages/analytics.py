"""Analytics: latency, cost, ratings and reliability across runs, and a planner for cost at scale."""
from ui.page import ensure_app_navigation

ensure_app_navigation()

from datetime import datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from moa_core.metrics import analytics, planner
from moa_core.metrics.vote_quality import vote_summary
from moa_core.lineup import Lineup, LineupError
from moa_core.providers.prices import PriceBook, format_cost
from moa_core.storage.db import default_url
from ui import charts, resources

NO_RUNS = "No runs yet: run a lineup on the **Run** page (or `moa run` on the command line); its calls appear here."
NO_RATINGS = ("No ratings yet: rate answers on the **Run** or **History** page (the stars under each answer). "
              "Each rated synthesis, and each rated baseline, becomes a point here.")


@st.cache_resource(show_spinner="Reading stored runs…", max_entries=2)
def _load(url: str, version: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs and calls as tables, cached per database and data version: any new run, call or rating
    reloads at once; otherwise the page reuses the tables (no prompts or answers are ever read).
    A resource, not data: shared read-only, so a view does not unpickle 50,000 call rows."""
    runs, ratings = resources.store().analytics_runs()
    return analytics.run_table(runs, ratings), analytics.call_table(runs)


store = resources.store()
st.title("Analytics")
top = st.container(horizontal=True, vertical_alignment="center")
top.caption("Where the seconds and cents of your runs go, and what a lineup would cost at your volume.")
refresh = top.button("Refresh", icon=":material/refresh:", type="tertiary")


@st.cache_data(show_spinner=False, max_entries=8)
def _overview(url: str, version: tuple, start: datetime | None, end: datetime | None, lineups: tuple[str, ...]) -> dict:
    """Every figure's table for one selection, computed once per data version and filters: looking again
    (or at another tab) costs a cache lookup, not a pass over 10,000 runs."""
    run_df, call_df = _load(url, version)
    runs, calls = analytics.filter_runs(run_df, call_df, start, end, lineups or None)
    return analytics.overview(runs, calls)


@st.cache_data(show_spinner=False, max_entries=4)
def _planner_basis(url: str, version: tuple) -> dict:
    """What the planner reads from stored calls (per-model figures, models seen, the newest run's lineup,
    median tokens), once per data version."""
    _, call_df = _load(url, version)
    return {"figures": planner.measured_figures(call_df) if not call_df.empty else {},
            "seen": list(call_df["model"].value_counts().index) if not call_df.empty else [],
            "latest": _latest_lineup(call_df),
            "prompt_tokens": _median_tokens(call_df, "prompt_tokens", 500),
            "answer_tokens": _median_tokens(call_df, "completion_tokens", 300),
            "aggregator_prompt_tokens": _median_tokens(call_df, "prompt_tokens", 0, role="aggregator")}


def _latest_lineup(call_df: pd.DataFrame) -> tuple[list[str], list[str], int]:
    """Proposer models (round 1, in order), aggregator and rounds of the newest run: the planner's default."""
    if call_df.empty:
        return [], [], 1
    newest = call_df.loc[call_df["started_at"].idxmax(), "run_id"]
    calls = call_df[call_df["run_id"] == newest]
    proposers = calls.loc[(calls["role"] == "proposer") & (calls["round"] == 1), "model"]
    rounds = int(calls.loc[calls["role"] == "proposer", "round"].max()) if len(proposers) else 1
    return list(dict.fromkeys(proposers)), list(calls.loc[calls["role"] == "aggregator", "model"]), rounds


def _median_tokens(call_df: pd.DataFrame, kind: str, default: int, role: str = "proposer") -> int:
    """Median tokens of a role's successful calls that asked a model (cache hits repeat old calls)."""
    if call_df.empty:
        return default
    asked = (call_df["role"] == role) & (call_df["status"] == "ok") & ~call_df["cached"].astype(bool)
    values = call_df.loc[asked, kind].dropna()
    return int(values.median()) if len(values) else default


if refresh:  # after every cached function is defined (clearing one before its `def` raised NameError)
    _load.clear()
    _overview.clear()
    _planner_basis.clear()

version = store.data_version()
run_df, _ = _load(default_url(), version)

SECTIONS = ["Latency", "Cost", "Quality for the money", "Reliability", "Planner"]


def _metric_row(n: int) -> list:
    """`n` places for figures, each as wide as its value and wrapping to a new line when the page is
    narrow: fixed columns cut "$14.57 + unknown" to "$14.5…" at 1024 px."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content") for _ in range(n)]


def _selection() -> dict | None:
    """The date and lineup filters and the headline figures; the selection's tables (None: no runs)."""
    if run_df.empty:
        st.info(NO_RUNS, icon=":material/info:")
        return None
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
    if not view["runs"]:
        st.info("No runs in this date range and lineup selection: widen the filters.", icon=":material/info:")
        return None
    unknown_runs = view["unknown_cost_runs"]
    cached_runs = view["cached_runs"]
    m = _metric_row(5 if cached_runs else 4)
    m[0].metric("Runs", view["runs"])
    total = format_cost(view["known_cost_usd"])
    if unknown_runs:
        total = f"{total} + unknown" if unknown_runs < view["runs"] else "unknown"
    m[1].metric("Total cost", total,
                help=f"{unknown_runs} run(s) used a model without a known price" if unknown_runs else None)
    median = view["median_answer_s"]
    m[2].metric("Median time to answer", "—" if median is None else f"{median:.2f} s")
    m[3].metric("Rated answers", view["rated_answers"])
    if cached_runs:
        saved = format_cost(view["saved_usd"])
        if view["unknown_saved_runs"]:
            saved = f"{saved} + unknown" if view["unknown_saved_runs"] < cached_runs else "unknown"
        m[4].metric("Saved by the cache", saved,
                    help="What the answers taken from the response cache cost when they were first bought")
        st.caption(f"{cached_runs} run(s) took answers from the response cache: their cost counts as saved, "
                   "not spent, and they are left out of every latency, first-token and tokens/s figure.")
    if unknown_runs:
        st.caption(f"Cost unknown for {unknown_runs} run(s): no price for "
                   f"{', '.join(view['unknown_cost_models'])}. Set prices on the Settings page.")
    return view


def _latency(view: dict) -> None:
    by_lineup = view["latency_by_lineup"]
    charts.chart_with_table(
        charts.percentile_figure(by_lineup, "lineup", "Time to the final answer per lineup"), by_lineup,
        "Latency per lineup", empty="No run produced an answer yet in this selection.")
    by_model = view["latency_by_model"]
    charts.chart_with_table(charts.model_speed_figure(by_model), by_model, "Latency per model",
                            empty="No successful calls in this selection.")


def _cost(view: dict) -> None:
    charts.chart_with_table(charts.cost_over_time_figure(view["cost_over_time"], view["cost_period"]),
                            view["cost_per_run"], "Cost per run")
    if view["unknown_cost_runs"]:
        st.caption(f"{view['unknown_cost_runs']} run(s) with an unknown cost are not plotted; the table lists them.")
    multiples = view["cost_multiples"]
    charts.chart_with_table(
        charts.multiples_figure(multiples), multiples, "MoA cost multiple",
        empty="Nothing to compare with yet: add a **baseline single model** to a lineup on the Run page; "
              "it answers the same query beside MoA, and each such run gives a cost and latency multiple.")


@st.cache_data(show_spinner=False, max_entries=2)
def _vote_summary(url: str, version: tuple) -> list[dict]:
    """Preference per system from every stored blind vote, once per votes version."""
    return vote_summary(store.votes(with_texts=False))


def _quality(view: dict) -> None:
    points = view["cost_vs_rating"]
    votes = _vote_summary(default_url(), store.votes_version())
    empty = NO_RATINGS if not votes else "No star ratings yet; the blind votes below say which system was preferred."
    charts.chart_with_table(charts.cost_rating_figure(points), points, "Cost versus rating", empty=empty)
    unpriced = int(points["cost_usd"].isna().sum()) if not points.empty else 0
    if unpriced:
        st.caption(f"{unpriced} rated answer(s) with an unknown cost are not plotted; the table lists them.")
    if votes:
        people = sum(r["votes"] for r in votes if r["rated_by"] == "people") // 2
        judges = sum(r["votes"] for r in votes if r["rated_by"] == "judge") // 2
        st.markdown("**Preference from blind votes**")
        st.caption(f"{people} blind votes by people and {judges} judge verdicts (every stored vote; the filters "
                   "above do not apply). Win rate of decisive votes with its 95% interval; see the Results page.")
        st.dataframe(pd.DataFrame([{
            "system": r["system"], "rated by": r["rated_by"], "votes": r["votes"],
            "W/L/T": f"{r['wins']}/{r['losses']}/{r['ties']}",
            "win rate": "—" if r["win_rate"] is None else f"{100 * r['win_rate']:.0f}%",
            "95% interval": "—" if r["ci_low"] is None else f"{100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f}%",
            "verdict": r["verdict"] or "enough votes to call",
        } for r in votes]), hide_index=True, width="stretch")


def _reliability(view: dict) -> None:
    reliability = view["provider_reliability"]
    charts.chart_with_table(charts.reliability_figure(reliability), reliability, "Failures per provider")
    st.caption("Provider: the litellm prefix of the model; *local* = the embedded model, *server* = a model "
               "reached through a base URL. A cancelled call (quorum reached) is not counted as a failure.")


# ---- planner -----------------------------------------------------------------------------------


def _lineup_choice(saved: list, basis: dict) -> tuple[list[str], str, int, str | None, dict]:
    """Proposers, aggregator, rounds, suggested single model and per-model price overrides."""
    seen = basis["seen"]
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
    last_proposers, last_aggregator, last_rounds = basis["latest"]
    left, middle, right = st.columns([3, 2, 1])
    proposers = left.multiselect("Proposers", seen, default=last_proposers, accept_new_options=True,
                                 key="plan-proposers", placeholder="pick or type models",
                                 help="Models seen in runs (the newest run's lineup first), or type any litellm model")
    aggregator = middle.selectbox("Aggregator", list(dict.fromkeys(last_aggregator + seen)), accept_new_options=True,
                                  key="plan-aggregator", placeholder="pick or type a model")
    rounds = right.number_input("Rounds", 1, 5, min(last_rounds, 5), key="plan-rounds")
    return proposers, aggregator or "", int(rounds), None, {}


def _planner() -> None:
    """Monthly cost and latency of a lineup against one model, from every stored call (not the filters)."""
    basis = _planner_basis(default_url(), version)
    st.markdown("Project a lineup's **monthly cost** and **expected latency** from your own measured calls, "
                "beside one model answering alone. Cost model: N proposer calls per round plus one aggregator "
                "call per query; the aggregator (and later rounds) read the query plus all N proposals. "
                "Latency model: the slowest proposer of each round, then the aggregator. It reads every stored "
                "call, whatever the filters above say.")
    proposers, aggregator, rounds, single_default, overrides = _lineup_choice(store.list_lineups(), basis)
    seen = basis["seen"]
    options = list(dict.fromkeys([m for m in [single_default, aggregator] if m] + seen))
    a, b, c, d = st.columns(4)
    single = a.selectbox("Single model to compare", options, accept_new_options=True, key="plan-single",
                         placeholder="pick or type a model")
    per = b.segmented_control("Volume", ["day", "month"], default="month", key="plan-per",
                              format_func=lambda p: f"queries a {p}") or "month"
    volume = planner.per_month(int(b.number_input(f"Queries a {per}", 1, 10**10, 10_000, step=100,
                                                  key="plan-volume")), per)
    prompt_tokens = c.number_input("Prompt tokens per query", 1, 10**7, basis["prompt_tokens"],
                                   key="plan-prompt", help="Default: the median of your proposer calls")
    answer_tokens = d.number_input("Answer tokens", 1, 10**6, basis["answer_tokens"],
                                   key="plan-answer", help="Default: the median of your proposer calls")
    if not proposers or not aggregator or not single:
        st.info("Pick proposers, an aggregator and a single model to compare (save lineups on the Settings page, "
                "or type any litellm model string).", icon=":material/info:")
    else:
        book = PriceBook(store.prices())
        models = [*proposers, aggregator, single]
        figures = planner.with_prices(basis["figures"], models,
                                      lambda m: book.price(m, overrides.get(m, (None, None))))
        template = _template_tokens(aggregator, len(proposers))
        measured_input = basis["aggregator_prompt_tokens"]
        moa = planner.plan_moa(proposers, aggregator, rounds, int(volume), int(prompt_tokens), int(answer_tokens),
                               figures, name="MoA", template_tokens=template)
        st.caption(f"The aggregator reads the query, the {len(proposers)} proposals and its own prompt "
                   f"({template:,} tokens): {int(prompt_tokens) + len(proposers) * int(answer_tokens) + template:,} "
                   "tokens planned" + (f"; your runs' aggregators read {measured_input:,} (median)."
                                       if measured_input else "."))
        alone = planner.plan_single(single, int(volume), int(prompt_tokens), int(answer_tokens), figures)
        st.markdown(planner.plan_sentence(moa, alone))
        _measured_multiple(moa, alone)
        m = _metric_row(4)
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
        figures_table = pd.DataFrame([{
            "model": f.model, "measured_calls": f.calls, "p50_latency_s": f.p50_latency_s, "ttft_s": f.ttft_s,
            "tokens_per_s": f.tokens_per_s, "input_usd_per_1M": None if f.input_per_token is None
            else f.input_per_token * 1e6, "output_usd_per_1M": None if f.output_per_token is None
            else f.output_per_token * 1e6, "price_source": f.price_source or "unknown",
        } for f in figures.values()])
        with st.expander("Figures used (measured speed, price per token and where it comes from)"):
            st.dataframe(figures_table, hide_index=True, width="stretch")
            st.caption("Latency = median time to first token + answer tokens ÷ median tokens/s; without those, the "
                       "median measured latency. Long aggregator prompts make the first token slower than measured. "
                       "Price: your override, else litellm's table, else what stored calls cost (measured).")


def _template_tokens(aggregator: str, n: int) -> int:
    """Tokens of the real aggregator prompt (the user's template, else the reference) with n empty proposals."""
    from moa_core.prompts import AGGREGATOR_PROMPT_SETTING, render_aggregator_prompt
    from moa_core.providers.llm import count_tokens

    text = render_aggregator_prompt(store.get_setting(AGGREGATOR_PROMPT_SETTING),
                                    [(f"model {i + 1}", "") for i in range(n)])
    return count_tokens(aggregator, text=text)


def _measured_multiple(moa, alone) -> None:
    """The plan's cost multiple beside the one measured in runs with a baseline (median of per-run multiples)."""
    planned = (moa.monthly_cost / alone.monthly_cost if moa.monthly_cost is not None and alone.monthly_cost
               else None)
    runs = run_df[run_df["cost_multiple"].notna() & ~run_df["cached"].astype(bool)]
    measured = runs["cost_multiple"].median() if len(runs) else None
    planned_text = "unknown" if planned is None else f"{planned:.1f}×"
    measured_text = (f"{measured:.1f}× (median of {len(runs)} run(s) with a baseline)" if measured is not None
                     else "not measured yet (add a baseline to a lineup)")
    st.markdown(f"Cost multiple against one model: planned **{planned_text}**; measured **{measured_text}**.")


# Only the open tab is drawn: each section's charts are built and sent when it is looked at, so the
# page stays quick at 10,000 runs (the browser draws 2-3 charts, not 9).
view = _selection()
tabs = dict(zip(SECTIONS, st.tabs(SECTIONS, key="analytics-section", on_change="rerun")))
for name, draw in (("Latency", _latency), ("Cost", _cost), ("Quality for the money", _quality),
                   ("Reliability", _reliability)):
    if tabs[name].open and view is not None:
        with tabs[name]:
            draw(view)
if tabs["Planner"].open:
    with tabs["Planner"]:
        _planner()
