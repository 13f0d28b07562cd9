"""Star ratings belong to a named reviewer: none stored without a name, the name kept in the address
(?reviewer=NAME) across reloads, switchable at any time, and each reviewer shown only their own stars."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.records import CallRecord, RunRecord
from moa_core.storage import RunStore
from ui import reviewer

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest pages (~6 s)


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    calls = [CallRecord(role="proposer", round=1, index=0, model="m", label="p1", status="ok", started_s=0.0,
                        ended_s=1.0, text="Thirty days.", prompt_tokens=5, completion_tokens=2, cost_usd=0.001),
             CallRecord(role="aggregator", round=1, index=0, model="m", label="agg", status="ok", started_s=1.0,
                        ended_s=2.0, text="The notice period is thirty days.", prompt_tokens=9, completion_tokens=6,
                        cost_usd=0.002)]
    run = RunRecord(query="Notice?", lineup={}, status="ok", final=calls[-1].text, wall_s=2.0, calls=calls)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    store.save_run(run)
    yield store, run, calls[-1].call_id
    store.close()


def _history(run_id: str, reviewer_name: str | None = None) -> AppTest:
    """A fresh browser session on History with this run open (as after a reload of its address)."""
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.switch_page("pages/history.py")
    at.query_params["run"] = run_id
    if reviewer_name is not None:
        at.query_params["reviewer"] = reviewer_name
    at.run()
    assert not at.exception, at.exception
    return at


def _stars(at, run_id, call_id):
    return next(f for f in at.feedback if f.key == f"history-{run_id}-stars-{call_id}")


def _name_box(at, run_id):
    return next(t for t in at.text_input if t.key == "reviewer_sidebar")


def test_a_star_without_a_name_is_refused_and_nothing_is_stored(seeded):
    store, run, synthesis = seeded
    at = _history(run.run_id)
    assert _name_box(at, run.run_id).value == "" and _name_box(at, run.run_id).label == reviewer.LABEL
    _stars(at, run.run_id, synthesis).set_value(3).run()
    assert not at.exception
    assert store.ratings.ratings_for(run.run_id) == []
    assert _stars(at, run.run_id, synthesis).value is None  # the star is taken back
    assert any("Type your name" in w.value and "not stored" in w.value for w in at.warning)
    _name_box(at, run.run_id).input("Ann").run()  # named now: the same click is stored
    _stars(at, run.run_id, synthesis).set_value(3).run()
    [rating] = store.ratings.ratings_for(run.run_id)
    assert rating.rater == "Ann" and rating.stars == 4
    assert not any("Type your name" in w.value for w in at.warning)


def test_the_name_survives_a_reload_and_each_reviewer_sees_only_their_stars(seeded):
    store, run, synthesis = seeded
    at = _history(run.run_id, "ann")
    assert _name_box(at, run.run_id).value == "ann"
    _stars(at, run.run_id, synthesis).set_value(3).run()  # four stars
    assert [(r.rater, r.stars) for r in store.ratings.ratings_for(run.run_id)] == [("ann", 4)]
    assert at.query_params["reviewer"] == ["ann"] or at.query_params["reviewer"] == "ann"

    # a second visitor (another session, another name) does not see ann's stars in their own widget
    bob = _history(run.run_id, "bob")
    assert _stars(bob, run.run_id, synthesis).value is None
    _stars(bob, run.run_id, synthesis).set_value(1).run()  # two stars
    # nobody named: no stars shown at all
    assert _stars(_history(run.run_id), run.run_id, synthesis).value is None
    # a reload of ann's address shows her own latest stars, not bob's later ones
    assert _stars(_history(run.run_id, "ann"), run.run_id, synthesis).value == 3
    assert sorted((r.rater, r.stars) for r in store.ratings.ratings_for(run.run_id)) == [("ann", 4), ("bob", 2)]


def test_the_reviewer_can_be_switched_without_a_reload(seeded):
    store, run, synthesis = seeded
    store.ratings.add_rating("call", call_id=synthesis, stars=5, rater="bob")
    at = _history(run.run_id, "ann")
    _stars(at, run.run_id, synthesis).set_value(2).run()  # ann: three stars
    _name_box(at, run.run_id).input("bob").run()
    assert not at.exception
    assert _stars(at, run.run_id, synthesis).value == 4  # bob's own five stars, not ann's three
    assert at.query_params["reviewer"] in ("bob", ["bob"])
    _stars(at, run.run_id, synthesis).set_value(0).run()  # bob changes his mind: one star
    _name_box(at, run.run_id).input("ann").run()
    assert _stars(at, run.run_id, synthesis).value == 2
    latest = {}
    for r in store.ratings.ratings_for(run.run_id):
        latest[r.rater] = r.stars
    assert latest == {"bob": 1, "ann": 3}
