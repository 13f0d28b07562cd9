"""A star rating or a vote made while another process holds SQLite's write lock longer than the
busy timeout: it waits and is stored once; if the lock never goes, one line and nothing stored.
Found by tests/ui/test_load.py (two app processes on one file): a vote raised `database is
locked` as a traceback on the page, and the vote was lost."""
from __future__ import annotations

import pytest

from moa_core.review.pairs import pairs_for_run
from moa_core.storage import RunStore, busy, db
from tests.review.samples import moa_run
from tests.storage.test_durability import _hold_write_lock

pytestmark = pytest.mark.slow  # out of the quick tier: lock timeouts (~7 s)


@pytest.fixture
def short_busy(monkeypatch):
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)  # each attempt waits 0.2 s for the lock, not 5 s


@pytest.fixture
def seeded(tmp_path, short_busy):
    store = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    run = moa_run()
    store.save_run(run)
    yield store, run, tmp_path / "moa.db"
    store.close()


def _vote(store, pair, reviewer="ann"):
    return store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b, winner="a",
                          reviewer=reviewer, run_a_id=pair.run_a_id, run_b_id=pair.run_b_id,
                          call_a_id=pair.call_a_id, call_b_id=pair.call_b_id, shown_pair=pair.key)


def test_a_rating_and_a_vote_wait_out_a_lock_longer_than_the_busy_timeout(seeded):
    store, run, path = seeded
    holder = _hold_write_lock(path, after_s=0.0, hold_s=1.5)
    import time

    time.sleep(0.3)  # the other process has the lock now
    store.ratings.add_rating("call", call_id=run.calls[0].call_id, stars=4, rater="ann")
    pair = next(p for p in pairs_for_run(run) if p.kind == "baseline")
    holder.join()
    holder = _hold_write_lock(path, after_s=0.0, hold_s=1.5)
    time.sleep(0.3)
    _vote(store, pair)
    holder.join()
    assert [(r.call_id, r.stars) for r in store.ratings.ratings_for(run.run_id)] == [(run.calls[0].call_id, 4)]
    assert [v.reviewer for v in store.votes.list_votes()] == ["ann"]


def test_a_lock_that_never_goes_is_one_line_and_nothing_is_stored(seeded, monkeypatch):
    store, run, path = seeded
    monkeypatch.setattr(busy, "RETRY_DELAYS_S", (0.1, 0.1))
    holder = _hold_write_lock(path, after_s=0.0, hold_s=3.0)
    import time

    time.sleep(0.3)
    with pytest.raises(busy.DatabaseBusy) as info:
        store.ratings.add_rating("call", call_id=run.calls[0].call_id, stars=4, rater="ann")
    message = str(info.value)
    assert "\n" not in message and "busy" in message and "not stored" in message
    assert isinstance(info.value, db.StorageError)
    holder.join()
    assert store.ratings.ratings_for(run.run_id) == []
