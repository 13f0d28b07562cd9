"""Analytics' "Quality for the money" counts blind votes (people and judges) when no stars exist
(issue 23: it said "No ratings yet" beside 40 human votes and 60 judge verdicts)."""
import pytest

from moa_core.storage import RunStore
from moa_core.storage.schema import Vote
from tests.metrics.sample_runs import run_a
from tests.ui.test_analytics_page import data_dir, open_section, page  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page (~4 s)


def test_votes_without_stars_are_shown_and_counted(data_dir):  # noqa: F811
    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    store.save_run(run_a())
    with store._write() as s:  # rows as a batch judge and the review queue store them
        for i in range(4):
            s.add(Vote(prompt_id=f"p{i}", system_a="moa", system_b="single", winner="a" if i < 3 else "b",
                       reviewer="ann", rater_kind="human"))
        for i in range(6):
            s.add(Vote(prompt_id=f"p{i}", system_a="single", system_b="moa", winner="a", reviewer="judge",
                       rater_kind="judge", batch_id="b1"))
    store.close()
    at = open_section(page(), "Quality for the money")
    assert not any("No ratings yet" in i.value for i in at.info)
    assert any("4 blind votes by people and 6 judge verdicts" in c.value for c in at.caption)
    table = at.dataframe[-1].value
    people = table[(table["system"] == "moa") & (table["rated by"] == "people")].iloc[0]
    assert (people["votes"], people["W/L/T"], people["win rate"]) == (4, "3/1/0", "75%")
    assert people["verdict"].startswith("only 4 decisive votes")
    judge = table[(table["system"] == "single") & (table["rated by"] == "judge")].iloc[0]
    assert (judge["votes"], judge["W/L/T"]) == (6, "6/0/0")


def test_the_vote_table_follows_the_lineup_filter_and_keeps_a_deleted_runs_vote_only_unfiltered(data_dir):  # noqa: F811
    from tests.metrics.sample_runs import run_b, run_c

    store = RunStore.open(f"sqlite:///{data_dir}/moa.db")
    store.save_run(run_a())  # lineup "trio"
    store.save_run(run_b())  # the unnamed pair
    store.save_run(run_c())  # deleted below, after a vote on it
    with store._write() as s:
        for i in range(3):  # trio beat the pair three times, each side on its own run
            s.add(Vote(prompt_id=f"p{i}", system_a="trio", system_b="pair", winner="a", reviewer="ann",
                       rater_kind="human", run_a_id="run-a", run_b_id="run-b"))
        s.add(Vote(prompt_id="p9", system_a="trio", system_b="pair", winner="b", reviewer="ann",
                   rater_kind="human", run_a_id="run-c", run_b_id="run-c"))
    store.delete_run("run-c")  # the vote stays, without its run
    store.close()
    at = open_section(page(), "Quality for the money")
    table = at.dataframe[-1].value.set_index("system")
    assert (table.loc["trio", "votes"], table.loc["trio", "W/L/T"]) == (4, "3/1/0")  # no filter: every vote
    assert any("every stored vote" in c.value for c in at.caption)
    lineups = at.multiselect(key="analytics-lineups")
    pair = next(o for o in lineups.options if o != "trio")
    lineups.set_value([pair]).run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value.set_index("system")
    assert list(table.index) == [pair]  # trio's sides are on runs outside the selection (the pair shows by its name)
    assert (table.loc[pair, "votes"], table.loc[pair, "W/L/T"]) == (3, "0/3/0")  # the deleted run's vote is out
    assert any("votes on runs in the dates and lineups above" in c.value for c in at.caption)
