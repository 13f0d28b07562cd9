"""App pages through Streamlit's AppTest, against the loopback LLM server and a private SQLite file."""
import os

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest pages (~9 s)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    at = AppTest.from_file("../../app.py", default_timeout=60)
    return at


def _query_box(app):
    return next(t for t in app.text_area if t.label == "Query")


def _run_to_the_end(app, run_queued_jobs):
    """Click Run: the page queues the run; a worker (conftest's `run_queued_jobs`) runs it; redraw once it has
    finished."""
    next(b for b in app.button if b.label == "Run").click()
    app.run()
    assert not app.exception and "active_run" in app.session_state, [e.value for e in app.error]
    assert run_queued_jobs(os.environ["MOA_DATA_DIR"]) == {app.session_state["active_run"]: "done"}
    app.run()


def loopback_lineup(llm, **kwargs) -> dict:
    spec = lambda name, **kw: ModelSpec(model=name, api_base=llm.base_url, **kw)  # noqa: E731
    return Lineup(proposers=[spec("alpha"), spec("beta"), spec("gamma")], aggregator=spec("agg"),
                  timeout_s=5, max_retries=0, **kwargs).to_dict()


def test_run_page_runs_a_lineup_and_shows_every_answer(app, llm, tmp_path, run_queued_jobs):
    llm.set("alpha", text="Alpha thinks **30 days**.")
    llm.set("beta", text="Beta thinks 30 days.")
    llm.set("gamma", fail_times=9, fail_status=500)
    llm.set("agg", text="The notice period is 30 days.")
    app.session_state["lineup_data"] = loopback_lineup(llm)
    app.session_state["editor_version"] = 1
    app.run()
    assert not app.exception
    _query_box(app).input("What is the notice period?")
    _run_to_the_end(app, run_queued_jobs)
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "Alpha thinks **30 days**." in text and "Beta thinks 30 days." in text
    assert "The notice period is 30 days." in text
    banner = " ".join(w.value for w in app.warning)
    assert "partial" in banner and "synthesized from 2 of 3 proposals" in banner
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    runs = store.list_runs()
    assert len(runs) == 1 and runs[0].status == "partial"
    record = store.get_run(runs[0].run_id)
    assert [c.status for c in record.calls] == ["ok", "ok", "failed", "ok"]


def test_empty_query_is_refused_with_a_message(app, llm):
    app.session_state["lineup_data"] = loopback_lineup(llm)
    app.session_state["editor_version"] = 1
    app.run()
    next(b for b in app.button if b.label == "Run").click()
    app.run()
    assert any("Type a query first" in e.value for e in app.error)


def test_history_and_settings_pages_render(app, llm):
    app.run()
    app.switch_page("pages/history.py")
    app.run()
    assert not app.exception
    assert any("No runs yet" in i.value for i in app.info)
    app.switch_page("pages/settings.py")
    app.run()
    assert not app.exception
    assert any("OPENAI_API_KEY" in str(df.value) for df in app.dataframe)


def _seeded_run(tmp_path) -> str:
    from moa_core.records import CallRecord, RunRecord

    texts = ["The notice period is 30 days. The tenant pays for repairs.",
             "The notice period is 90 days. The tenant pays for repairs.",
             "Notice must be given 30 days ahead. <script>alert(1)</script> Repairs are paid by the tenant."]
    calls = [CallRecord(role="proposer", round=1, index=i, model="m", label=f"p{i + 1}", status="ok",
                        started_s=0.0, first_token_s=0.1, ended_s=1.0 + i, text=t, prompt_tokens=10,
                        completion_tokens=12, cost_usd=0.001) for i, t in enumerate(texts)]
    calls.append(CallRecord(role="aggregator", round=1, index=0, model="m", label="agg", status="ok",
                            started_s=3.0, first_token_s=3.1, ended_s=4.0, prompt_tokens=50, completion_tokens=20,
                            cost_usd=0.002, text="The notice period is 30 days. The moon is made of cheese."))
    run = RunRecord(query="What is the notice period?", lineup={}, status="ok", final=calls[-1].text,
                    note="synthesized from 3 of 3 proposals", wall_s=4.0, calls=calls)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    store.save_run(run)
    return run.run_id


def test_history_opens_a_run_with_its_agreement_view(app, tmp_path):
    run_id = _seeded_run(tmp_path)
    app.run()
    app.switch_page("pages/history.py")
    app.query_params["run"] = run_id
    app.run()
    assert not app.exception
    markdown = " ".join(m.value for m in app.markdown)
    assert "Disagreements** (1)" in markdown
    html_blocks = " ".join(str(h.proto.body) for h in app.get("html"))
    assert "&lt;script&gt;" in html_blocks and "<script>alert" not in html_blocks
    assert "[unsupported]" in html_blocks and "moon is made of cheese" in html_blocks
    assert "90 days" in html_blocks


def test_query_is_kept_after_a_run(app, llm, run_queued_jobs):
    app.session_state["lineup_data"] = loopback_lineup(llm)
    app.session_state["editor_version"] = 1
    app.run()
    _query_box(app).input("Keep me")
    _run_to_the_end(app, run_queued_jobs)
    assert not app.exception
    assert _query_box(app).value == "Keep me"


def test_keys_in_the_environment_offer_a_provider_lineup(app, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    app.run()
    button = next(b for b in app.button if b.label.startswith("Use a lineup on your providers"))
    assert "openai" in button.label
    button.click()
    app.run()
    assert not app.exception
    models = {p["model"] for p in app.session_state["lineup_data"]["proposers"]}
    assert models and all(not m.startswith("local/") for m in models)


def test_the_editor_keeps_what_its_table_does_not_show(app, llm, monkeypatch, run_queued_jobs):
    monkeypatch.setenv("LOOPBACK_KEY", "sk-loopback")  # the seat names a key variable: the run needs it set
    data = loopback_lineup(llm, aggregator_prompt="Merge:\n{proposals}", quorum_deadline_s=9.0)
    data["proposers"][0] |= {"api_key_env": "LOOPBACK_KEY", "input_cost_per_token": 1e-6,
                             "output_cost_per_token": 2e-6}
    app.session_state["lineup_data"] = data
    app.session_state["editor_version"] = 1
    app.run()
    _query_box(app).input("q")
    _run_to_the_end(app, run_queued_jobs)
    ran = app.session_state["lineup_data"]
    assert ran["aggregator_prompt"] == "Merge:\n{proposals}" and ran["quorum_deadline_s"] == 9.0
    assert ran["proposers"][0]["api_key_env"] == "LOOPBACK_KEY"
    assert ran["proposers"][0]["input_cost_per_token"] == 1e-6


def test_rating_the_synthesis_shows_its_stars_in_history(app, tmp_path):
    """The rating rule end to end: stars given to the synthesis are the run's stars in History."""
    run_id = _seeded_run(tmp_path)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    synthesis = store.get_run(run_id).calls_for("aggregator")[0]
    app.switch_page("pages/history.py")
    app.query_params["run"] = run_id
    app.query_params["reviewer"] = "ann"  # stars are stored only with a reviewer's name
    app.run()
    assert not app.exception
    [row] = app.dataframe[0].value.to_dict("records")
    assert pd.isna(row["rating"]) and row["ratings"] == 0
    stars = next(f for f in app.feedback if f.key == f"history-{run_id}-stars-{synthesis.call_id}")
    stars.set_value(3).run()  # the fourth star
    assert not app.exception
    [row] = app.dataframe[0].value.to_dict("records")
    assert row["rating"] == 4.0 and row["ratings"] == 1
    stars = next(f for f in app.feedback if f.key == f"history-{run_id}-stars-{synthesis.call_id}")
    stars.set_value(1).run()  # re-rated: the latest rating replaces the first
    [row] = app.dataframe[0].value.to_dict("records")
    assert row["rating"] == 2.0 and row["ratings"] == 1
    [summary] = store.list_runs()
    assert summary.avg_stars == 2.0


def test_a_follow_up_continues_the_conversation_and_shows_the_thread(app, llm, tmp_path, run_queued_jobs):
    llm.set("alpha", text="Alpha: thirty days.")
    llm.set("beta", text="Beta: thirty days.")
    llm.set("gamma", text="Gamma: thirty days.")
    llm.set("agg", text="The notice period is thirty days.")
    app.session_state["lineup_data"] = loopback_lineup(llm)
    app.session_state["editor_version"] = 1
    app.run()
    _query_box(app).input("What is the notice period?")
    _run_to_the_end(app, run_queued_jobs)
    first = app.session_state["active_run"]
    llm.set("agg", text="Renewal is yearly.")
    follow = next(t for t in app.text_input if t.label == "Follow-up question")
    follow.input("And when is renewal?")
    next(b for b in app.button if b.label == "Ask the follow-up").click()
    app.run()
    assert not app.exception, [e.value for e in app.error]
    second = app.session_state["active_run"]
    assert second != first and run_queued_jobs(os.environ["MOA_DATA_DIR"]) == {second: "done"}
    app.run()
    assert not app.exception
    assert any("Conversation: 2 turns" in e.label for e in app.expander)
    text = " ".join(m.value for m in app.markdown)
    assert "The notice period is thirty days." in text and "Renewal is yearly." in text
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    run = store.get_run(second)
    assert run.parent_run_id == first and run.thread_id == first


def test_history_opens_a_run_whose_proposals_have_no_claims(app, tmp_path):
    """Answers too short to hold a claim ("30 days.") once crashed the Agreement tab (st.html(""))."""
    from tests.review.samples import moa_run

    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    run = moa_run(proposals=("30 days.", "90 days."))
    store.save_run(run)
    store.close()
    app.run()
    app.switch_page("pages/history.py")
    app.query_params["run"] = run.run_id
    app.run()
    assert not app.exception, app.exception
    assert any("no claim found" in c.value for c in app.caption)
