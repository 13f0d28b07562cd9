"""The batch table's verdict and style columns follow the one "too few to call" rule and never show a
zero-width interval (issue 23)."""
from moa_core.batch.summary import summarize
from moa_core.storage.batches import BatchAnswer
from ui.batch_results import _table


def vote(i, winner, a_text="long answer " * 5, b_text="short"):
    return {"prompt_id": f"p{i}", "system_a": "moa", "system_b": "single", "winner": winner, "rater_kind": "judge",
            "comment": "", "a_text": a_text, "b_text": b_text}


def test_six_three_one_reads_too_few_to_call_and_carries_no_star():
    systems = [{"name": "moa", "kind": "moa"}, {"name": "single", "kind": "single"}]
    answers = [BatchAnswer(system=n, status="done", cost_usd=0.01, wall_s=1.0) for n in ("moa", "single")]
    votes = [vote(i, "a") for i in range(6)] + [vote(i, "b") for i in range(6, 9)] + [vote(9, "tie")]
    table = _table(summarize(systems, answers, votes, style_bootstrap=10)["systems"])
    assert list(table["system"]) == ["moa", "single"]  # no ★
    assert list(table["verdict"]) == ["only 9 decisive votes: the 95% interval is 35-88%, too wide to call",
                                      "only 9 decisive votes: the 95% interval is 12-65%, too wide to call"]


def test_length_alone_separating_the_systems_says_so_in_the_style_column():
    """moa always 100 words, single 20 words, on either side: style and system are one contrast."""
    systems = [{"name": "moa", "kind": "moa"}, {"name": "single", "kind": "single"}]
    long, short = "word " * 100, "word " * 20
    votes = [vote(i, "a", long, short) if i % 2 else
             {**vote(i, "b", short, long), "system_a": "single", "system_b": "moa"} for i in range(20)]
    table = _table(summarize(systems, [], votes, style_bootstrap=20)["systems"])
    assert all(cell.startswith("cannot separate style from quality") for cell in table["style-controlled"])
