"""Compare, Review and Results pages through AppTest, on a private SQLite file."""
import pytest
from streamlit.testing.v1 import AppTest

from moa_core.review.pairs import pairs_for_run
from moa_core.storage import RunStore
from tests.review.samples import moa_run

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest pages (~15 s)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    yield s
    s.close()


def _page(path, name="ann"):
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.switch_page(path)
    if name:
        at.session_state["reviewer_name"] = name
    return at


def _texts(at):
    """Shown text with markdown escapes undone (names go through ui.safe_text.plain)."""
    return (" ".join(m.value for m in at.markdown) + " ".join(s.value for s in at.success)).replace("\\", "")


def test_compare_asks_for_a_name_first(store):
    at = _page("pages/compare.py", name=None)
    at.run()
    assert not at.exception
    assert any("Type your name" in i.value for i in at.info)
    box = next(t for t in at.text_input if t.key == "reviewer_compare")
    box.input("  Ana  ").run()
    assert at.session_state["reviewer_name"] == "Ana"


def test_compare_votes_blind_then_reveals_and_locks(store):
    run = moa_run(name="contracts-lineup", synthesis="SYNTH **text**", baseline="BASE text <script>x</script>")
    store.save_run(run)
    at = _page("pages/compare.py")
    at.run()
    assert not at.exception
    text = _texts(at)
    assert "SYNTH" in text and "BASE" in text
    assert "contracts-lineup" not in text and "base-model" not in text  # names hidden
    labels = [b.label for b in at.button]
    assert {"A is better", "B is better", "Tie", "Both bad"} <= set(labels)
    next(p for p in at.pills if p.key.endswith("-A-accuracy")).set_value(4)
    next(t for t in at.text_input if t.key == "cmp-stored-comment").input("=cmd|' /C calc'!A0")
    next(b for b in at.button if b.label == "A is better").click().run()
    assert not at.exception
    text = _texts(at)
    assert "contracts-lineup" in text and "base-model" in text  # revealed
    (vote,) = store.votes.list_votes()
    pair = next(p for p in pairs_for_run(run) if p.kind == "baseline") if vote.system_b == "base-model" else None
    left_is_a = not vote.shown_swapped
    assert vote.winner == ("a" if left_is_a else "b") and vote.reviewer == "ann"
    left_system = vote.system_a if left_is_a else vote.system_b
    assert store.votes.rubric_scores([vote.id]) == [{"vote_id": vote.id, "system": left_system, "criterion": "accuracy",
                                               "score": 4}]
    assert pair is not None and store.votes.has_voted("ann", pair.key)
    assert not any(b.label == "A is better" for b in at.button)  # no second vote on this pair
    next(b for b in at.button if b.label == "Next pair").click().run()
    assert not at.exception
    # the other pair of the run (best proposal) comes next; the voted one never again
    assert len([b for b in at.button if b.label == "A is better"]) == 1


def test_review_queue_page_builds_a_queue_and_shows_progress(store):
    for i in range(2):
        store.save_run(moa_run(query=f"question {i}"))
    at = _page("pages/review.py")
    at.run()
    assert not at.exception
    next(t for t in at.text_input if t.label == "Name").input("week 1")
    next(b for b in at.button if b.label == "Create queue").click().run()
    assert not at.exception, at.exception
    assert any("Queue made with 4 items" in s.value for s in at.success)
    at.run()
    assert any("0 of 4 done" in (p.proto.text or "") for p in at.get("progress"))
    next(b for b in at.button if b.label == "Tie").click().run()
    assert not at.exception
    assert store.votes.list_votes()[0].queue_id is not None
    next(b for b in at.button if b.label == "Next item").click().run()
    assert any("1 of 4 done" in (p.proto.text or "") for p in at.get("progress"))


def test_results_page_shows_win_rates_leaderboard_and_agreement(store):
    for i in range(8):
        run = moa_run(query=f"q{i}")
        store.save_run(run)
        for pair in pairs_for_run(run):
            for who in ("ann", "bob"):
                store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b,
                               winner="a" if (i + (who == "bob")) % 3 else "b", reviewer=who,
                               run_a_id=pair.run_a_id, run_b_id=pair.run_b_id, call_a_id=pair.call_a_id,
                               call_b_id=pair.call_b_id, shown_pair=pair.key)
    at = _page("pages/results.py")
    at.run()
    assert not at.exception, at.exception
    frames = [d.value for d in at.dataframe]
    pairs = frames[0]
    assert set(pairs["system"]) | set(pairs["against"]) == {"pair", "base-model", "proposal: m1"}
    assert pairs["verdict"].str.contains("too wide to call").all()  # 16 decisive votes per pair: too few
    assert any("interval is about ±" in c.value for c in at.caption)
    board = frames[1]
    assert list(board.columns[:3]) == ["rank", "system", "rating"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Synthesis beats the best proposal"].endswith("%")
    assert metrics["Krippendorff's alpha"] != "—"
    assert [b.label for b in at.get("download_button")] == ["Export votes CSV", "Export JSON"]


def test_results_page_without_votes_says_so(store):
    at = _page("pages/results.py")
    at.run()
    assert not at.exception and any("No votes yet" in i.value for i in at.info)


def test_voting_on_a_pair_deleted_meanwhile_says_so_and_moves_on(store):
    stale, other = moa_run(query="Deleted meanwhile?"), moa_run(query="Still here?", minutes_ago=5)
    store.save_run(other)
    store.save_run(stale)
    at = _page("pages/compare.py")
    at.run()
    assert "Deleted meanwhile?" in _texts(at)  # the newest run's pair is on screen
    assert store.delete_run(stale.run_id)  # a colleague deletes it in History
    next(b for b in at.button if b.label == "A is better").click().run()
    assert not at.exception
    assert any("were deleted since it was shown" in w.value for w in at.warning)
    assert store.votes.list_votes() == []
    at.run()
    assert not at.exception and "Still here?" in _texts(at)  # the next pair, from a run that exists


@pytest.fixture
def busy_db(monkeypatch):
    """SQLite waits 0.2 s per attempt and the store retries twice: a held lock outlasts them all."""
    from moa_core.storage import busy, db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(busy, "RETRY_DELAYS_S", (0.1, 0.1))


def test_a_vote_while_another_process_keeps_the_database_locked_says_so(store, busy_db, tmp_path):
    from tests.storage.test_durability import _hold_write_lock

    store.save_run(moa_run())
    at = _page("pages/compare.py")
    at.run()
    import threading

    locked = threading.Event()
    holder = _hold_write_lock(tmp_path / "moa.db", after_s=0.0, hold_s=4.0, started=locked)
    assert locked.wait(5)
    next(b for b in at.button if b.label == "A is better").click().run()
    holder.join()
    assert not at.exception
    assert any("The vote was not stored: the database is busy" in w.value for w in at.warning)
    assert store.votes.list_votes() == []
    assert any(b.label == "A is better" for b in at.button)  # still blind: vote again once it is free
    next(b for b in at.button if b.label == "A is better").click().run()
    assert not at.exception and len(store.votes.list_votes()) == 1


def test_a_rating_while_another_process_keeps_the_database_locked_says_so(store, busy_db, tmp_path):
    from tests.storage.test_durability import _hold_write_lock

    run = moa_run()
    store.save_run(run)
    at = _page("pages/history.py")
    at.query_params["run"] = run.run_id
    at.run()
    import threading

    locked = threading.Event()
    holder = _hold_write_lock(tmp_path / "moa.db", after_s=0.0, hold_s=4.0, started=locked)
    assert locked.wait(5)
    first = run.calls[0]
    next(f for f in at.feedback if f.key.endswith(f"-stars-{first.call_id}")).set_value(3).run()
    holder.join()
    assert not at.exception
    assert any(f"Rating for {first.label} not saved: the database is busy" in e.value for e in at.error)
    assert store.ratings.ratings_for(run.run_id) == []
