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
