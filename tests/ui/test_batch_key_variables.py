"""The Batches page: the single model and the judge behind a team's keyed gateway log in with the key variable
typed beside each picker. The loopback server records the Authorization header every call arrived with."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page and a whole batch

TEAM_KEY = "sk-team-gateway-0123456789abcdef"


@pytest.fixture
def data_dir(tmp_path, monkeypatch, llm):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TEAM_GATEWAY_KEY", TEAM_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-personal-fedcba9876543210")
    for model in ("p1", "agg", "base", "judge"):
        llm.set(model)  # listed by the server's /v1/models, so the pickers offer them
    llm.set("judge", text="Both are fine. [[C]]")
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    store.catalog.set_setting("base_urls", [{"url": llm.base_url, "kind": "openai"}])
    spec = lambda m: ModelSpec(model=m, api_base=llm.base_url)  # noqa: E731
    store.catalog.save_lineup("loop", Lineup(proposers=[spec("p1")], aggregator=spec("agg"), name="loop",
                                     timeout_s=5).to_toml())
    store.catalog.save_eval_set("two", [{"query": f"Q{i}?", "reference": "R"} for i in range(2)])
    store.close()
    return tmp_path


def page() -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.run()
    at.switch_page("pages/batches.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_single_model_and_the_judge_send_the_typed_key_variable(data_dir, llm, run_queued_jobs):
    at = page()
    at.selectbox(key="batch_lineup").select("loop").run()
    at.selectbox(key="batch_baseline").select("openai/base").run()
    at.selectbox(key="batch_judge").select("openai/judge").run()
    at.text_input(key="batch_baseline_key_env").input("TEAM_GATEWAY_KEY").run()
    at.text_input(key="batch_judge_key_env").input("TEAM_GATEWAY_KEY").run()
    assert not at.exception, at.exception
    next(b for b in at.button if b.label == "Start batch").click()
    at.run()
    assert llm.requests == []  # the app only queued it
    assert list(run_queued_jobs(data_dir).values()) == ["done"]  # a worker ran the batch
    seen: dict[str, set] = {}
    for r in llm.requests:
        seen.setdefault(r.model, set()).add(r.headers.get("authorization"))
    assert seen["base"] == {f"Bearer {TEAM_KEY}"}
    assert seen["judge"] == {f"Bearer {TEAM_KEY}"}
    assert seen["p1"] == seen["agg"] == {"Bearer sk-no-key-needed"}  # the lineup's seats name no variable


def test_a_pasted_key_is_refused_and_not_shown(data_dir, llm):
    at = page()
    at.selectbox(key="batch_lineup").select("loop").run()
    at.selectbox(key="batch_judge").select("openai/judge").run()
    at.text_input(key="batch_judge_key_env").input(TEAM_KEY).run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "name of the environment variable" in errors and TEAM_KEY not in errors
    assert not any(b.label == "Start batch" and not b.disabled for b in at.button)
