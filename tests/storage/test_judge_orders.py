"""A judge vote's two orders are columns of the vote (issue 27): written by the store, read back as
they are, and back-filled once by the migration from the "order1=X order2=Y" comment older versions wrote."""
import sqlite3

import pytest
from alembic import command

from moa_core.storage import RunStore, db
from moa_core.storage.schema import Vote

PAIR = dict(prompt_id="p1", system_a="moa", system_b="single")


def test_a_judge_vote_keeps_each_orders_verdict(store):
    flipped = store.votes.add_vote(**PAIR, winner="tie", rater_kind="judge", reviewer="judge:m",
                             judge_order1="a", judge_order2=None, comment="order1=a order2=none")
    agreed = store.votes.add_vote(**PAIR, winner="b", rater_kind="judge", reviewer="judge:m",
                            judge_order1="b", judge_order2="b")
    rows = {v.id: v for v in store.votes.list_votes(with_texts=False)}
    assert (rows[flipped].judge_order1, rows[flipped].judge_order2) == ("a", None)
    assert (rows[agreed].judge_order1, rows[agreed].judge_order2) == ("b", "b")
    assert rows[agreed].comment == ""  # the orders live in their columns, not in the comment


def test_an_order_that_is_no_verdict_is_refused(store):
    with pytest.raises(ValueError, match="order"):
        store.votes.add_vote(**PAIR, winner="a", rater_kind="judge", reviewer="judge:m", judge_order1="[[A]]")
    assert store.votes.list_votes(with_texts=False) == []


def _vote_sql(conn, comment, rater_kind="judge", winner="tie"):
    conn.execute("INSERT INTO vote (prompt_id, system_a, system_b, winner, reviewer, rater_kind, shown_swapped, "
                 "batch_id, comment, reasoning, created_at) VALUES ('p', 'moa', 'single', ?, 'r', ?, 0, 'b1', ?, "
                 "'', '2026-01-01')", (winner, rater_kind, comment))


def test_the_migration_back_fills_the_orders_from_old_comments(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.create(url)
    with engine.begin() as conn:
        command.upgrade(db.alembic_config(conn), "0008")  # the head before the order columns
    engine.dispose()
    with sqlite3.connect(tmp_path / "old.db") as conn:
        _vote_sql(conn, "order1=a order2=none")  # 1: one order without a verdict
        _vote_sql(conn, " order1=b order2=b ", winner="b")  # 2: stray spaces, both orders agree
        _vote_sql(conn, "order1=tie order2=a")  # 3
        _vote_sql(conn, "order1=a order2=b", rater_kind="human")  # 4: a person's comment is just text
        _vote_sql(conn, "the judge was unsure")  # 5: not the judge's format
        _vote_sql(conn, "order1=x order2=a")  # 6: an unknown verdict is no verdict
    store = RunStore.open(url)
    try:
        assert db.current_revision(store.engine) == db.head_revision()
        with store._read() as s:
            orders = {v.id: (v.judge_order1, v.judge_order2) for v in s.query(Vote).all()}
        assert orders == {1: ("a", None), 2: ("b", "b"), 3: ("tie", "a"), 4: (None, None), 5: (None, None),
                          6: (None, "a")}
    finally:
        store.close()
