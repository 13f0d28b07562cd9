"""Plotly figures for cost and latency, each shown with a table view and a CSV download.

Figure builders take the DataFrames of `moa_core.analytics` / `moa_core.planner` and return
figures; `chart_with_table` renders one; `run_charts` is the per-run view (timeline, cost and
tokens, the multiple against the baseline). Roles keep one colour everywhere.
"""
from __future__ import annotations

import html

import re

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import streamlit as st

from moa_core.csv_safe import safe_cell
from moa_core.metrics import run_breakdown
from moa_core.providers.prices import format_cost
from moa_core.records import RunRecord

ROLE_COLORS = {"proposer": "#4C78A8", "aggregator": "#F58518", "fallback": "#B279A2", "baseline": "#54A24B"}
STATUS_PATTERNS = {"ok": "", "failed": "x", "cancelled": "/", "running": "."}
MOA_COLOR = ROLE_COLORS["aggregator"]  # a MoA answer is the aggregator's
P95_COLOR = "#9ECAE9"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "chart"


def _csv(df: pd.DataFrame) -> str:
    """Unknown costs are written "unknown", never left to look like 0; text cells that a spreadsheet
    would run as a formula (model names and labels come from users and servers) are neutralised."""
    out = df.copy()
    for col in [c for c in out.columns if c.endswith("_usd")]:
        out[col] = [("unknown" if pd.isna(v) else v) for v in out[col]]
    out.columns = [safe_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = [safe_cell(v) for v in out[col]]
    return out.to_csv(index=False)


def _display(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in [c for c in out.columns if c.endswith("_usd")]:
        out[col] = [format_cost(None if pd.isna(v) else float(v)) for v in out[col]]
    return out


def chart_with_table(fig: go.Figure | None, df: pd.DataFrame, name: str, *, key: str | None = None,
                     empty: str | None = None) -> None:
    """The chart, or its table when the toggle is on, and the table as CSV; `empty` explains an empty df."""
    key = key or _slug(name)
    if df is None or df.empty:
        st.info(empty or f"No data for {name.lower()} yet.", icon=":material/info:")
        return
    if st.session_state.get(f"{key}-table"):
        st.markdown(f"**{name}**")
        st.dataframe(_display(df), hide_index=True, width="stretch", key=f"{key}-df")
    else:
        st.plotly_chart(fig, width="stretch", key=f"{key}-chart")
    with st.container(horizontal=True, gap="medium"):
        st.toggle("Table view", key=f"{key}-table", help="Show the numbers behind the chart")
        # built only when clicked: at 10,000 runs writing every chart's CSV on each view cost seconds
        st.download_button("CSV", data=lambda: _csv(df), file_name=f"{_slug(name)}.csv", mime="text/csv",
                           key=f"{key}-csv", on_click="ignore", icon=":material/download:", type="tertiary")


def plotly_text(value) -> str:
    """Text for a plotly label, hover or annotation, shown as typed. Plotly reads them as HTML-like markup, so
    model, query and error text is escaped; but plotly turns back only &amp; &lt; &gt; and numeric references,
    so quotes stay as they are (html.escape's &quot; was shown literally)."""
    return html.escape(str(value), quote=False)


_e = plotly_text


def _layout(fig: go.Figure, title: str, x: str, y: str, **kw) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, legend_title_text="",
                      margin=dict(l=10, r=10, t=50, b=10), **kw)
    return fig


def _text(value, fmt: str = "{:.2f} s") -> str:
    return "—" if value is None or pd.isna(value) else fmt.format(value)


# ---- one run -----------------------------------------------------------------------------

def timeline_figure(df: pd.DataFrame, critical_path_s: float | None = None) -> go.Figure:
    """One bar per call on a shared time axis; outlined bars are the critical path, hatched ones
    failed (x) or were cancelled (/); diamonds mark the first token."""
    shown = df[df["start_s"].notna()]
    fig = go.Figure()
    for role in run_breakdown.ROLE_ORDER:
        part = shown[shown["role"] == role]
        if part.empty:
            continue
        hover = [
            f"<b>{_e(r.call)}</b><br>{_e(r.model)} · {r.status}<br>start {_text(r.start_s)} · first token "
            f"{_text(r.first_token_s)} · end {_text(r.end_s)}<br>duration {_text(r.duration_s)} · "
            f"{_text(r.prompt_tokens, '{:,.0f}')} → {_text(r.completion_tokens, '{:,.0f}')} tokens · "
            f"{format_cost(None if pd.isna(r.cost_usd) else r.cost_usd)}<br>attempts {r.attempts}"
            + (f" · retried after: {_e(r.retry_errors)}" if r.retry_errors else "")
            + (f"<br>error: {_e(r.error)}" if r.error else "")
            + ("<br><i>on the critical path</i>" if r.critical_path else "")
            for r in part.itertuples()]
        fig.add_bar(
            y=[_e(c) for c in part["call"]], x=part["duration_s"].fillna(0), base=part["start_s"], orientation="h",
            name=role,
            marker=dict(color=ROLE_COLORS[role], opacity=[1.0 if s == "ok" else 0.5 for s in part["status"]],
                        pattern=dict(shape=[STATUS_PATTERNS.get(s, "") for s in part["status"]]),
                        line=dict(color="#222", width=[3 if cp else 0 for cp in part["critical_path"]])),
            hovertext=hover, hoverinfo="text")
    firsts = shown[shown["first_token_s"].notna()]
    if not firsts.empty:
        fig.add_scatter(x=firsts["first_token_s"], y=[_e(c) for c in firsts["call"]], mode="markers",
                        name="first token",
                        marker=dict(symbol="diamond", size=9, color="#222"), hoverinfo="x+name")
    if critical_path_s is not None:
        fig.add_vline(x=critical_path_s, line_dash="dash", line_color="#222",
                      annotation_text=f"critical path {critical_path_s:.2f} s", annotation_position="top")
    # tick labels are read as markup too: a label "<b>x</b>" must show as typed, not bold
    fig.update_yaxes(categoryorder="array", categoryarray=[_e(c) for c in shown["call"]], autorange="reversed")
    return _layout(fig, "Timeline of every call", "seconds from run start", "", barmode="overlay",
                   height=140 + 32 * len(shown))


def _unknown_marks(fig: go.Figure, df: pd.DataFrame, x: str, cost: str = "cost_usd") -> None:
    """Mark "+ ?" on each stacked bar that has a part without a known price (the models in its hover):
    one short mark per bar stays readable however many bars there are."""
    for value in df.loc[df[cost].isna(), x].unique():
        known = df.loc[df[x] == value, cost].sum()
        models = ", ".join(dict.fromkeys(df.loc[(df[x] == value) & df[cost].isna(), "model"]))
        fig.add_annotation(x=value, y=known, text="+ ?", hovertext=f"no known price: {_e(models)}",
                           showarrow=False, yshift=10,
                           font=dict(color="#C00"))


def cost_figure(breakdown: pd.DataFrame) -> go.Figure:
    """Cost per model, stacked by role; a model without a known price is marked "unknown"."""
    fig = go.Figure()
    for role in run_breakdown.ROLE_ORDER:
        part = breakdown[breakdown["role"] == role]
        if not part.empty:
            fig.add_bar(x=part["model"], y=part["cost_usd"].fillna(0), name=role, marker_color=ROLE_COLORS[role],
                        hovertext=[f"{role} · {_e(m)}: {format_cost(None if pd.isna(c) else c)}"
                                   for m, c in zip(part["model"], part["cost_usd"])], hoverinfo="text")
    _unknown_marks(fig, breakdown, "model")
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, "Cost by model and role", "model", "cost (USD)", barmode="stack")


def tokens_figure(breakdown: pd.DataFrame) -> go.Figure:
    """Prompt (solid) and answer (dotted) tokens per model, stacked by role."""
    fig = go.Figure()
    for role in run_breakdown.ROLE_ORDER:
        part = breakdown[breakdown["role"] == role]
        for kind, shape, word in (("prompt_tokens", "", "prompt"), ("completion_tokens", ".", "answer")):
            if not part.empty:
                fig.add_bar(x=part["model"], y=part[kind], name=f"{role} {word}", legendgroup=role,
                            marker=dict(color=ROLE_COLORS[role], pattern=dict(shape=shape)))
    return _layout(fig, "Tokens by model and role (dotted: answer)", "model", "tokens", barmode="stack")


def run_charts(record: RunRecord, *, key: str | None = None) -> None:
    """The per-run view: timeline, cost and tokens by model and role, and MoA against its baseline."""
    key = key or f"run-{record.run_id}"
    if not record.calls:
        st.info("This run has no calls to chart: it stopped before any model was called.")
        return
    tl = run_breakdown.timeline(record)
    chart_with_table(timeline_figure(tl, record.critical_path_s), tl.drop(columns=["call_id"]), "Timeline",
                     key=f"{key}-timeline")
    st.caption("Outlined bars are on the critical path (the slowest proposer of each round, then the synthesis); "
               "hatched bars failed (×) or were cancelled (/); ◆ first token. Hover a bar for retries and errors.")
    breakdown = run_breakdown.cost_breakdown(record)
    left, right = st.columns(2)
    with left:
        chart_with_table(cost_figure(breakdown), breakdown, "Cost by model and role", key=f"{key}-cost")
    with right:
        chart_with_table(tokens_figure(breakdown), breakdown, "Tokens by model and role", key=f"{key}-tokens")
    unknown = run_breakdown.unknown_cost_models(record.calls)
    if unknown:
        st.caption(f"Cost unknown for {', '.join(unknown)}: no price known. Set one on the Settings page.")
    comparison = run_breakdown.baseline_comparison(record)
    if comparison is None:
        st.caption("No baseline in this run: add a baseline single model to the lineup to see what MoA "
                   "costs and how much longer it takes than one model.")
        return
    a, b = st.columns(2)
    a.metric("MoA cost multiple", _text(comparison.cost_multiple, "{:.1f}×") if comparison.cost_multiple
             else "unknown" if comparison.unknown_cost_models else "—", help="MoA cost / baseline cost")
    b.metric("Latency multiple", _text(comparison.latency_multiple, "{:.1f}×"),
             help="Time to the MoA answer / the baseline's latency")
    st.markdown(comparison.sentence)


# ---- across runs ---------------------------------------------------------------------------

def percentile_figure(df: pd.DataFrame, y: str, title: str, p50: str = "p50_s", p95: str = "p95_s",
                      unit: str = "seconds") -> go.Figure:
    """Horizontal p50 and p95 bars per row of `df`."""
    fig = go.Figure()
    fig.add_bar(y=df[y], x=df[p50], name="p50 (median)", orientation="h", marker_color=ROLE_COLORS["proposer"])
    fig.add_bar(y=df[y], x=df[p95], name="p95", orientation="h", marker_color=P95_COLOR)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, unit, "", barmode="group", height=160 + 50 * len(df))


def model_speed_figure(df: pd.DataFrame) -> go.Figure:
    """Per model, side by side on one model axis: call latency and time to first token (p50, p95).
    One figure, not two: the Latency tab is the page's first view, and each chart costs the browser."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("Call latency", "Time to first token"))
    for col, (p50, p95) in enumerate((("p50_s", "p95_s"), ("ttft_p50_s", "ttft_p95_s")), start=1):
        fig.add_bar(y=df["model"], x=df[p50], name="p50 (median)", orientation="h", legendgroup="p50",
                    marker_color=ROLE_COLORS["proposer"], showlegend=col == 1, row=1, col=col)
        fig.add_bar(y=df["model"], x=df[p95], name="p95", orientation="h", legendgroup="p95",
                    marker_color=P95_COLOR, showlegend=col == 1, row=1, col=col)
        fig.update_xaxes(title_text="seconds", row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    _layout(fig, "Call latency and time to first token per model", "seconds", "", barmode="group",
            height=190 + 50 * len(df))
    return fig.update_layout(margin_t=85)  # room for the two panels' titles under the figure's


def cost_over_time_figure(points: pd.DataFrame, period: str | None = None) -> go.Figure:
    """Cost per run (baseline included) by date, one colour per lineup: each run, or with `period`
    (see `analytics.cost_over_time`) the mean cost per run of each period."""
    fig = go.Figure()
    for key, group in points.groupby("lineup", sort=True):
        if period is None:
            hover = [f"{_e(q)}<br>{format_cost(c)}" for q, c in zip(group["query"], group["cost_usd"])]
        else:
            hover = [f"{_e(key)}<br>{n:,} runs · mean {format_cost(c)} · total {format_cost(t)}"
                     for n, c, t in zip(group["runs"], group["cost_usd"], group["total_usd"])]
        fig.add_scatter(x=group["started_at"], y=group["cost_usd"], mode="lines+markers", name=key,
                        hovertext=hover, hoverinfo="text+x")
    fig.update_yaxes(rangemode="tozero")
    if period is None:
        return _layout(fig, "Cost per run over time", "run date", "cost per run (USD)", showlegend=True)
    return _layout(fig, f"Mean cost per run, per {period}", f"{period} of the runs", "mean cost per run (USD)",
                   showlegend=True)


def multiples_figure(multiples: pd.DataFrame) -> go.Figure:
    """Median cost and latency multiples of each lineup against a single model; 1× = the same."""
    labels = [f"{r.lineup} vs {r.single_model} "
              f"({'same runs' if r.compared_with.startswith('baseline') else 'its own runs'})"
              for r in multiples.itertuples()]
    fig = go.Figure()
    fig.add_bar(y=labels, x=multiples["cost_multiple"], name="cost ×", orientation="h", marker_color=MOA_COLOR)
    fig.add_bar(y=labels, x=multiples["latency_multiple"], name="latency ×", orientation="h",
                marker_color=ROLE_COLORS["proposer"])
    fig.add_vline(x=1, line_dash="dot")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "MoA as a multiple of a single model (median)",
                   "× the single model (dotted line: 1× = the same)", "", barmode="group",
                   height=160 + 60 * len(multiples))


def cost_rating_figure(points: pd.DataFrame) -> go.Figure:
    """Stars against cost, MoA answers and baseline answers in their role colours."""
    fig = go.Figure()
    for answer, group in points.groupby("answer", sort=True):
        color = MOA_COLOR if answer == "MoA" else ROLE_COLORS["baseline"]
        fig.add_scatter(x=group["cost_usd"], y=group["stars"], mode="markers", name=answer,
                        marker=dict(color=color, size=[8 + 3 * min(n, 5) for n in group["ratings"]], opacity=0.8),
                        hovertext=[f"{_e(lk)}<br>{format_cost(None if pd.isna(c) else c)} · {s:.1f}★ ({n} ratings)"
                                   for lk, c, s, n in zip(group["lineup"], group["cost_usd"], group["stars"],
                                                          group["ratings"])], hoverinfo="text")
    fig.update_yaxes(range=[0.5, 5.5], dtick=1)
    fig.update_xaxes(rangemode="tozero")
    return _layout(fig, "Cost versus rating", "cost of the answer (USD)", "average stars")


def reliability_figure(rel: pd.DataFrame) -> go.Figure:
    """Failure and retry rates per provider, in percent of calls."""
    fig = go.Figure()
    decided = rel["calls"] - rel["cancelled"]
    fig.add_bar(x=rel["provider"], y=rel["failure_rate"] * 100, name="failed", marker_color="#E45756",
                text=[f"{f} of {d}" for f, d in zip(rel["failed"], decided)], textposition="outside")
    fig.add_bar(x=rel["provider"], y=rel["retry_rate"] * 100, name="needed a retry", marker_color="#EECA3B",
                text=[f"{r} of {n}" for r, n in zip(rel["retried_calls"], rel["calls"])], textposition="outside")
    top = max([10.0, *(rel["failure_rate"] * 100), *(rel["retry_rate"] * 100)])
    fig.update_yaxes(range=[0, top * 1.15])  # never below 0 %, and room for the labels
    return _layout(fig, "Failures and retries per provider", "provider", "% of calls", barmode="group")


# ---- planner -------------------------------------------------------------------------------

def plan_figures(moa_table: pd.DataFrame, single_table: pd.DataFrame, moa_name: str,
                 single_name: str) -> tuple[go.Figure, go.Figure]:
    """Monthly cost stacked by role, and expected latency stacked by stage, MoA beside the single model."""
    both = pd.concat([moa_table.assign(plan=moa_name), single_table.assign(plan=single_name)], ignore_index=True)
    cost = go.Figure()
    for role in run_breakdown.ROLE_ORDER:
        part = both[both["role"] == role]
        if not part.empty:
            sums = part.groupby("plan", sort=False)["monthly_cost_usd"].sum(min_count=1)
            cost.add_bar(x=list(sums.index), y=sums.fillna(0), name=role, marker_color=ROLE_COLORS[role])
    _unknown_marks(cost, both, "plan", "monthly_cost_usd")
    cost.update_yaxes(rangemode="tozero")
    latency = go.Figure()
    for (plan, stage), part in both.groupby(["plan", "stage"], sort=False):
        role = part["role"].iloc[0]
        latency.add_bar(x=[plan], y=[part["latency_s"].max()], name=stage, marker_color=ROLE_COLORS[role],
                        marker_line=dict(color="white", width=2), showlegend=False,
                        text=[stage], textposition="inside")
    return (_layout(cost, "Projected monthly cost", "", "USD per month", barmode="stack"),
            _layout(latency, "Expected latency per query (slowest proposer per round + aggregator)", "",
                    "seconds", barmode="stack"))
