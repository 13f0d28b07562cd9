"""The Analytics page through AppTest, over a private SQLite file seeded with hand-built runs."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from moa_core.storage import RunStore
from tests.metrics.sample_runs import run_a, run_b, run_c

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page (~7 s)

PAGE = "../../pages/analytics.py"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


@pytest.fixture
def seeded(data_dir):
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    a, b, c = run_a(), run_b(), run_c()
    for record in (a, b, c):
        store.save_run(record)
    store.ratings.add_rating("call", call_id=a.calls_for("aggregator")[0].call_id, stars=4)
    store.ratings.add_rating("call", call_id=a.calls_for("baseline")[0].call_id, stars=3)
    store.ratings.add_rating("run", run_id=c.run_id, stars=2)
    store.close()
    return data_dir


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "metric") for e in at.get(kind))


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def open_section(at: AppTest, name: str) -> AppTest:
    """Click a tab: only the open tab's charts are built and sent."""
    at.session_state["analytics-section"] = name
    at.run()
    assert not at.exception, at.exception
    return at


SECTIONS = ("Latency", "Cost", "Quality for the money", "Reliability", "Planner")


def test_empty_database_explains_what_to_do(data_dir):
    at = page()
    assert "No runs yet: run a lineup on the **Run** page" in " ".join(i.value for i in at.info)
    # the planner still works from prices alone; with no models it says how to pick some
    assert "Pick proposers, an aggregator and a single model" in " ".join(
        i.value for i in open_section(at, "Planner").info)


def test_seeded_page_shows_latency_cost_ratings_and_failures(seeded):
    at = page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Runs"] == "3"
    assert metrics["Total cost"] == "$0.0155 + unknown"  # run b used a model without a price
    assert metrics["Median time to answer"] == "5.00 s"  # answers at 5.0, 4.0 and 6.0 s
    assert metrics["Rated answers"] == "2"
    assert "Cost unknown for 1 run(s): no price for anthropic/beta" in texts(at)
    shown = {name: [f["layout"]["title"]["text"] for f in figures(open_section(at, name))] for name in SECTIONS}
    assert shown["Latency"] == ["Time to the final answer per lineup", "Call latency and time to first token per model"
                                ]  # the other tabs' charts are not built
    speed = figures(open_section(at, "Latency"))[1]
    assert [a["text"] for a in speed["layout"]["annotations"]] == ["Call latency", "Time to first token"]
    assert {(t["name"], t["xaxis"]) for t in speed["data"]} == {("p50 (median)", "x"), ("p95", "x"),
                                                                ("p50 (median)", "x2"), ("p95", "x2")}
    titles = [title for section in shown.values() for title in section]
    for title in ("Time to the final answer per lineup", "Call latency and time to first token per model",
                  "Cost per run over time", "MoA as a multiple of a single model (median)", "Cost versus rating",
                  "Failures and retries per provider", "Projected monthly cost"):
        assert title in titles
    assert not any("No ratings yet" in i.value for i in open_section(at, "Quality for the money").info)

    # the table view of the lineup latency chart shows p50 / p95 of the trio's 5.0 s and 6.0 s answers
    open_section(at, "Latency").toggle(key="latency-per-lineup-table").set_value(True).run()
    table = at.dataframe[0].value.set_index("lineup")
    assert table.loc["trio", "p50_s"] == pytest.approx(5.5) and table.loc["trio", "p95_s"] == pytest.approx(5.95)

    open_section(at, "Cost").toggle(key="moa-cost-multiple-table").set_value(True).run()
    mult = next(df.value for df in at.dataframe if "cost_multiple" in df.value.columns)
    assert mult.set_index("lineup").loc["trio", "cost_multiple"] == pytest.approx(3.5)  # median of 4.0 and 3.0

    open_section(at, "Reliability").toggle(key="failures-per-provider-table").set_value(True).run()
    rel = next(df.value for df in at.dataframe if "failure_rate" in df.value.columns).set_index("provider")
    assert rel.loc["groq", "failed"] == 1 and rel.loc["groq", "cancelled"] == 1


def test_filters_narrow_the_runs(seeded):
    at = page()
    at.multiselect(key="analytics-lineups").set_value(["trio"]).run()
    assert {m.label: m.value for m in at.metric}["Runs"] == "2"
    # run a 0.0075 + run c 0.0080, baselines included
    assert {m.label: m.value for m in at.metric}["Total cost"] == "$0.0155"
    at.multiselect(key="analytics-lineups").set_value([]).run()
    first = at.date_input[0].value[0]
    at.date_input[0].set_value((first, first)).run()
    assert {m.label: m.value for m in at.metric}["Runs"] == "2"  # runs a and b were on the first day


def test_no_ratings_says_how_to_add_some(data_dir):
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    store.save_run(run_b())
    store.close()
    at = open_section(page(), "Quality for the money")
    assert any("No ratings yet: rate answers on the **Run** or **History** page" in i.value for i in at.info)
    assert any("Nothing to compare with yet" in i.value  # no baseline in run b
               for i in open_section(at, "Cost").info)
    # a run stored while the page is open shows up on the next rerun (the cache is keyed by the newest run)
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    store.save_run(run_c())
    store.close()
    at.run()
    assert {m.label: m.value for m in at.metric}["Runs"] == "2"


def test_planner_projects_cost_and_names_unknown_prices(seeded):
    at = open_section(page(), "Planner")
    # defaults: the proposers and aggregator of the newest run (run c), 1 round, 10,000 queries
    assert at.multiselect(key="plan-proposers").value == ["openai/alpha", "anthropic/beta", "groq/gamma"]
    at.number_input(key="plan-prompt").set_value(100)
    at.number_input(key="plan-answer").set_value(200)
    at.multiselect(key="plan-proposers").set_value(["openai/alpha", "anthropic/beta"])
    at.selectbox(key="plan-aggregator").set_value("openai/agg")
    at.selectbox(key="plan-single").set_value("mistral/solo").run()
    assert not at.exception
    text = texts(at)
    # no litellm prices for these made-up models: measured prices are used (each call's cost / its tokens):
    # alpha 0.001/300 per token, beta 0.002/300, agg 0.003/700, solo 0.0015/300 and 0.002/300 -> 0.0035/600.
    # The aggregator reads 100 + 2 × 200 plus its own prompt (the reference template with two proposals)
    from moa_core.prompts import render_aggregator_prompt
    from moa_core.providers.llm import count_tokens

    template = count_tokens("openai/agg", text=render_aggregator_prompt(None, [("model 1", ""), ("model 2", "")]))
    assert template > 100  # the instructions alone are longer than the query
    alpha, beta, solo = 0.001 / 300 * 300, 0.002 / 300 * 300, 0.0035 / 600 * 300
    # run b ran exactly this lineup: the plan reads its measured aggregator (500 in, its own prompt included:
    # 500 - 100 - 2 x 200 = 0 beyond query and proposals here; 200 out), not query + proposals + the template
    agg = 0.003 / 700 * (500 + 200)
    moa_month, solo_month = (alpha + beta + agg) * 10_000, solo * 10_000
    assert f"${moa_month:,.2f} a month, {moa_month / solo_month:.1f}×" in text
    assert "30,000 calls with MoA (3 per query) against 10,000" in text
    assert ("Basis: measured in 1 run(s) of this lineup (medians): proposers read 100 and answer 200 tokens; the "
            f"aggregator reads 500 (its own prompt included) and answers 200. The template alone would plan "
            f"{500 + template:,} for it.") in text
    # runs a and c had a baseline: MoA cost 0.006 / 0.0015 = 4.0× and 0.006 / 0.002 = 3.0×, median 3.5×
    assert (f"planned **{moa_month / solo_month:.1f}×**; measured **3.5× (median of 2 run(s) with a baseline)**"
            in text)
    at.segmented_control(key="plan-per").set_value("day").run()
    at.number_input(key="plan-volume").set_value(100).run()
    assert "3,000 queries a month make 9,000 calls with MoA" in texts(at)  # 100 a day × 30

    at.multiselect(key="plan-proposers").set_value(["openai/alpha", "brand/new-model"]).run()
    assert "Monthly cost unknown: no price for brand/new-model" in texts(at)
    assert {m.label: m.value for m in at.metric}["MoA per month"] == "unknown"


def _run_view():
    from ui import resources
    from ui.charts import run_charts

    run_charts(resources.store().get_run("run-a"))


def test_run_charts_show_timeline_critical_path_cost_and_baseline_multiple(seeded):
    at = AppTest.from_function(_run_view, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    timeline = next(f for f in figures(at) if f["layout"]["title"]["text"] == "Timeline of every call")
    assert timeline["layout"]["annotations"][0]["text"] == "critical path 5.00 s"
    outlined = {y for trace in timeline["data"] if trace["type"] == "bar"
                for y, width in zip(trace["y"], trace["marker"]["line"]["width"]) if width}
    assert outlined == {"R1 [2] beta", "aggregator: agg"}
    assert {t["name"] for t in timeline["data"]} == {"proposer", "aggregator", "baseline", "first token"}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["MoA cost multiple"] == "4.0×" and metrics["Latency multiple"] == "3.3×"
    assert any("4.0× the baseline solo ($0.0015)" in m.value for m in at.markdown)
    at.toggle(key="run-run-a-timeline-table").set_value(True).run()
    table = at.dataframe[0].value.set_index("call")
    assert table.loc["R1 [3] gamma", "retry_errors"] == "RateLimitError: 429"
    assert table.loc["R1 [3] gamma", "cost_usd"] == "$0"  # no tokens used: free, not unknown


def test_refresh_clears_the_cached_figures_without_crashing(seeded):
    """The Refresh button used to raise NameError: it cleared `_overview` before the page defined it."""
    at = page()
    refresh = next(b for b in at.button if b.label == "Refresh")
    refresh.click().run()
    assert not at.exception, at.exception
    assert "Total cost" in [m.label for m in at.metric]


def test_runs_answered_from_the_cache_show_as_saved_and_leave_latency_alone(data_dir):
    from tests.metrics.test_cached_figures import replay

    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    a, c = run_a(), run_c()
    for record in (a, c, replay(a), replay(c)):
        store.save_run(record)
    store.close()
    at = page()
    metrics = {m.label: m.value for m in at.metric}
    # spent: a 0.0075 + c 0.008; saved by the replays: the same; answers at 5.0 and 6.0 s (not 0.01 s)
    assert metrics["Total cost"] == "$0.0155" and metrics["Saved by the cache"] == "$0.0155"
    assert metrics["Median time to answer"] == "5.50 s"
    assert "2 run(s) took answers from the response cache" in texts(at)
