"""Compare page with both sources live: a stored pair waiting and a finished demo run (AppTest).

Both tabs used to draw their pair with the same button keys (StreamlitDuplicateElementKey) and the
same 1-4 shortcuts, so a key could vote on the pair in the hidden tab."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore
from moa_core.worker import WORKER
from tests.review.samples import moa_run

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    yield s
    s.close()


def _demo_run(store, llm) -> str:
    """A real demo run (MoA lineup with a single-model baseline) on the loopback server, finished."""
    spec = lambda name: ModelSpec(model=name, api_base=llm.base_url)  # noqa: E731
    lineup = Lineup(name="demo", proposers=[spec("p1"), spec("p2")], aggregator=spec("agg"),
                    baseline=spec("single"), timeout_s=5, max_retries=0)
    job = WORKER.start_run("What is the demo question?", lineup, store=store)
    assert job.wait(30) and job.state == "done", job.error
    return job.job_id


def _page(demo_run: str | None = None, tab: str | None = None) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.switch_page("pages/compare.py")
    at.session_state["reviewer_name"] = "ann"
    if demo_run:
        at.session_state["demo-run"] = demo_run
    if tab:
        at.session_state["compare-source"] = tab
    return at


def test_a_stored_pair_and_a_demo_pair_draw_without_a_key_clash(store, llm):
    store.save_run(moa_run(query="What is the notice period?", synthesis="STORED synthesis",
                           baseline="STORED baseline"))
    demo = _demo_run(store, llm)
    at = _page(demo)
    at.run()
    assert not at.exception, at.exception
    # only the pair on screen has vote buttons (and so the 1-4 shortcuts): one set, not two
    assert [b.label for b in at.button if b.key and "-vote-" in b.key] == [
        "A is better", "B is better", "Tie", "Both bad"]


def test_the_vote_is_stored_on_the_demo_pair_on_screen(store, llm):
    store.save_run(moa_run(query="What is the notice period?", synthesis="STORED synthesis",
                           baseline="STORED baseline"))
    demo = _demo_run(store, llm)
    at = _page(demo, tab="Demo: MoA against one model")
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "What is the demo question?" in shown and "STORED synthesis" not in shown
    votes = [b for b in at.button if b.key and "-vote-" in b.key]
    assert len(votes) == 4
    next(b for b in votes if b.label == "Both bad").click().run()
    assert not at.exception, at.exception
    (vote,) = store.votes.list_votes()
    assert vote.winner == "both_bad" and {vote.run_a_id, vote.run_b_id} == {demo}
