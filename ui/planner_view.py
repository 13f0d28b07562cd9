"""The Analytics page's Planner tab: a lineup's monthly cost and latency against one model, from every
stored call (not the filters). The arithmetic is `moa_core.metrics.planner`; its defaults and measured
figures are `moa_core.metrics.planner_inputs`, cached here per data version."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from moa_core.lineup import Lineup, LineupError
from moa_core.metrics import planner
from moa_core.metrics.planner_inputs import (PlannerBasis, lineup_tokens, measured_cost_multiple, planner_basis,
                                             template_tokens)
from moa_core.prompts import AGGREGATOR_PROMPT_SETTING
from moa_core.providers.prices import PriceBook
from moa_core.storage.db import default_url
from ui import charts, resources
from ui.analytics_view import load, metric_row

INTRO = ("Project a lineup's **monthly cost** and **expected latency** from your own measured calls, "
         "beside one model answering alone. Cost model: N proposer calls per round plus one aggregator "
         "call per query; the aggregator (and later rounds) read the query plus all N proposals. "
         "Latency model: the slowest proposer of each round, then the aggregator. It reads every stored "
         "call, whatever the filters above say.")


@st.cache_data(show_spinner=False, max_entries=4)
def _basis(url: str, version: tuple) -> PlannerBasis:
    """What the planner reads from stored calls, once per data version."""
    return planner_basis(load(url, version)[1])


def clear_cache() -> None:
    """Read the planner's basis again (the Refresh button)."""
    _basis.clear()


def _lineup_choice(saved: list, basis: PlannerBasis) -> tuple[list[str], str, int, str | None, dict]:
    """Proposers, aggregator, rounds, suggested single model and per-model price overrides."""
    seen = basis.seen
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
    latest = basis.latest
    left, middle, right = st.columns([3, 2, 1])
    proposers = left.multiselect("Proposers", seen, default=latest.proposers, accept_new_options=True,
                                 key="plan-proposers", placeholder="pick or type models",
                                 help="Models seen in runs (the newest run's lineup first), or type any litellm model")
    aggregator = middle.selectbox("Aggregator", list(dict.fromkeys(latest.aggregators + seen)),
                                  accept_new_options=True, key="plan-aggregator", placeholder="pick or type a model")
    rounds = right.number_input("Rounds", 1, 5, min(latest.rounds, 5), key="plan-rounds")
    return proposers, aggregator or "", int(rounds), None, {}


def draw(run_df: pd.DataFrame, version: tuple) -> None:
    """The planner's inputs, then MoA against the single model: sentence, figures, charts and the figures used."""
    store = resources.store()
    basis = _basis(default_url(), version)
    st.markdown(INTRO)
    proposers, aggregator, rounds, single_default, overrides = _lineup_choice(store.catalog.list_lineups(), basis)
    options = list(dict.fromkeys([m for m in [single_default, aggregator] if m] + basis.seen))
    measured = lineup_tokens(load(default_url(), version)[1], proposers, aggregator)  # None: no runs of it
    a, b, c, d = st.columns(4)
    single = a.selectbox("Single model to compare", options, accept_new_options=True, key="plan-single",
                         placeholder="pick or type a model")
    per = b.segmented_control("Volume", ["day", "month"], default="month", key="plan-per",
                              format_func=lambda p: f"queries a {p}") or "month"
    volume = planner.per_month(int(b.number_input(f"Queries a {per}", 1, 10**10, 10_000, step=100,
                                                  key="plan-volume")), per)
    prompt_tokens = int(c.number_input("Prompt tokens per query", 1, 10**7,
                                       measured.proposer_prompt if measured else basis.prompt_tokens,
                                       key="plan-prompt", help="Default: the median of your proposer calls"))
    answer_tokens = int(d.number_input("Answer tokens", 1, 10**6,
                                       measured.proposer_answer if measured else basis.answer_tokens,
                                       key="plan-answer", help="Default: the median of your proposer calls"))
    if not proposers or not aggregator or not single:
        st.info("Pick proposers, an aggregator and a single model to compare (save lineups on the Settings page, "
                "or type any litellm model string).", icon=":material/info:")
        return
    book = PriceBook(store.catalog.prices())
    figures = planner.with_prices(basis.figures, [*proposers, aggregator, single],
                                  lambda m: book.price(m, overrides.get(m, (None, None))))
    template = template_tokens(aggregator, len(proposers), store.catalog.get_setting(AGGREGATOR_PROMPT_SETTING))
    moa = planner.plan_moa(proposers, aggregator, rounds, int(volume), prompt_tokens, answer_tokens,
                           figures, name="MoA", template_tokens=template, **_measured_roles(
                               measured, prompt_tokens, answer_tokens, len(proposers)))
    st.caption(basis_caption(measured, template, prompt_tokens, answer_tokens, len(proposers)))
    alone = planner.plan_single(single, int(volume), prompt_tokens, answer_tokens, figures)
    st.markdown(planner.plan_sentence(moa, alone))
    st.markdown(_multiple_sentence(moa, alone, run_df))
    _results(moa, alone, single, figures)


def _measured_roles(measured, prompt_tokens: int, answer_tokens: int, proposers: int) -> dict:
    """plan_moa's per-role token counts from the chosen lineup's runs; none (the templates) without runs."""
    if measured is None:
        return {}
    return {"role_prompt_tokens": {"aggregator": measured.aggregator_input(prompt_tokens, answer_tokens, proposers)},
            "role_answer_tokens": {"aggregator": measured.aggregator_answer}}


def basis_caption(measured, template: int, prompt_tokens: int, answer_tokens: int, proposers: int) -> str:
    """Which basis the plan uses: the chosen lineup's measured calls, or the prompt templates."""
    from_template = prompt_tokens + proposers * answer_tokens + template
    if measured is None:
        return (f"Basis: the prompt templates (no runs of this lineup yet). The aggregator reads the query, the "
                f"{proposers} proposals and its own prompt ({template:,} tokens): {from_template:,} tokens planned.")
    return (f"Basis: measured in {measured.runs} run(s) of this lineup (medians): proposers read "
            f"{measured.proposer_prompt:,} and answer {measured.proposer_answer:,} tokens; the aggregator reads "
            f"{measured.aggregator_input(prompt_tokens, answer_tokens, proposers):,} (its own prompt included) and "
            f"answers {measured.aggregator_answer:,}. The template alone would plan {from_template:,} for it.")


def _multiple_sentence(moa: planner.Plan, alone: planner.Plan, run_df: pd.DataFrame) -> str:
    """The plan's cost multiple beside the one measured in runs with a baseline (median of per-run multiples)."""
    planned = (moa.monthly_cost / alone.monthly_cost if moa.monthly_cost is not None and alone.monthly_cost
               else None)
    measured, runs = measured_cost_multiple(run_df)
    planned_text = "unknown" if planned is None else f"{planned:.1f}×"
    measured_text = (f"{measured:.1f}× (median of {runs} run(s) with a baseline)" if measured is not None
                     else "not measured yet (add a baseline to a lineup)")
    return f"Cost multiple against one model: planned **{planned_text}**; measured **{measured_text}**."


def _results(moa: planner.Plan, alone: planner.Plan, single: str, figures: dict) -> None:
    m = metric_row(4)
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
    with st.expander("Figures used (measured speed, price per token and where it comes from)"):
        st.dataframe(figures_table(figures), hide_index=True, width="stretch")
        st.caption("Latency = median time to first token + answer tokens ÷ median tokens/s; without those, the "
                   "median measured latency. Long aggregator prompts make the first token slower than measured. "
                   "Price: your override, else litellm's table, else what stored calls cost (measured).")


def figures_table(figures: dict[str, planner.ModelFigures]) -> pd.DataFrame:
    """Each model's measured speed and price per 1M tokens, with where the price comes from."""
    return pd.DataFrame([{
        "model": f.model, "measured_calls": f.calls, "p50_latency_s": f.p50_latency_s, "ttft_s": f.ttft_s,
        "tokens_per_s": f.tokens_per_s,
        "input_usd_per_1M": None if f.input_per_token is None else f.input_per_token * 1e6,
        "output_usd_per_1M": None if f.output_per_token is None else f.output_per_token * 1e6,
        "price_source": f.price_source or "unknown",
    } for f in figures.values()])
