"""Batch summary figures worked out by hand; exports neutralise formula cells."""
import csv
import io

from moa_core.batch.report import safe_cell, summary_csv
from moa_core.batch.summary import SystemSummary, recommend, summarize
from moa_core.metrics.preference import too_few_to_call, wilson_interval


def vote(i, winner, a="moa", b="single", comment=""):
    return {"prompt_id": f"p{i}", "system_a": a, "system_b": b, "winner": winner, "rater_kind": "judge",
            "comment": comment, "a_text": "long answer " * 5, "b_text": "short"}


def test_win_rates_costs_latency_and_flip_rate():
    systems = [{"name": "moa", "kind": "moa"}, {"name": "single", "kind": "single"}]
    answers = [{"system": "moa", "status": "done", "cost_usd": 0.04, "wall_s": w} for w in (1.0, 2.0, 3.0, 4.0)]
    answers += [{"system": "single", "status": "done", "cost_usd": 0.01, "wall_s": 0.5} for _ in range(3)]
    answers += [{"system": "single", "status": "failed", "cost_usd": None, "wall_s": None}]
    votes = [vote(0, "a", comment="order1=a order2=a"), vote(1, "a", comment="order1=a order2=a"),
             vote(2, "b", comment="order1=b order2=b"), vote(3, "tie", comment="order1=a order2=b")]
    out = summarize(systems, answers, votes, style_bootstrap=20)
    moa, single = out["systems"]
    assert (moa["wins"], moa["losses"], moa["ties"]) == (2, 1, 1)
    assert abs(moa["win_rate"] - 2 / 3) < 1e-12 and moa["ci_low"] < 2 / 3 < moa["ci_high"]
    assert abs(moa["cost_usd"] - 0.16) < 1e-12 and abs(moa["cost_per_item"] - 0.04) < 1e-12
    assert abs(moa["cost_per_win"] - 0.08) < 1e-12
    assert moa["p50_s"] == 2.5 and abs(moa["p95_s"] - 3.85) < 1e-12
    assert single["failed"] == 1 and single["done"] == 3 and abs(single["win_rate"] - 1 / 3) < 1e-12
    assert moa["style_rating"] is not None and single["style_rating"] is not None
    assert out["judge"] == {"judged": 4, "flipped": 1, "flip_rate": 0.25}
    assert out["pairs"][0]["a"] == "moa" and out["pairs"][0]["wins_a"] == 2


def summary(name, wins, losses, cost):
    low, high = wilson_interval(wins, wins + losses)
    return SystemSummary(name, wins=wins, losses=losses, win_rate=wins / (wins + losses), ci_low=low, ci_high=high,
                         cost_per_item=cost)


def test_recommendation_is_the_cheapest_within_the_best_interval():
    """120-80 is 60%, Wilson 53.1-66.5% (200 decisive votes, +-6.7 points: callable); 110-90 is 55%."""
    best, close, far = summary("moa", 120, 80, 0.05), summary("single", 110, 90, 0.01), summary("tiny", 40, 160, 0.001)
    assert round(best.ci_low, 3) == 0.531
    assert recommend([best, close, far]) == "single"
    assert recommend([best, far]) == "moa"
    assert recommend([SystemSummary("x")]) is None


def test_six_three_one_is_too_few_to_call_and_not_recommended():
    """The batch of the issue: MoA won 6, the single model 3, one tie. 9 decisive votes: Wilson 35-88% for
    MoA (12-65% for the single model), sign test p = 0.51: too few to call, so no star."""
    systems = [{"name": "moa", "kind": "moa"}, {"name": "single", "kind": "single"}]
    answers = [{"system": n, "status": "done", "cost_usd": c, "wall_s": 1.0} for n, c in (("moa", 0.04), ("single", 0.01))
               for _ in range(10)]
    votes = [vote(i, "a") for i in range(6)] + [vote(i, "b") for i in range(6, 9)] + [vote(9, "tie")]
    out = summarize(systems, answers, votes, style_bootstrap=0)
    moa, single = out["systems"]
    assert out["recommended"] is None and not moa["recommended"] and not single["recommended"]
    assert moa["note"] == "only 9 decisive votes: the 95% interval is 35-88%, too wide to call"
    assert single["note"] == "only 9 decisive votes: the 95% interval is 12-65%, too wide to call"
    assert out["recommend_note"] == ("no recommendation: too few votes to call (a system needs 50 decisive votes "
                                     "and a 95% interval within ±10 points)")
    assert out["pairs"][0]["verdict"] == moa["note"]
    # the same counts as one rule everywhere: the pair table and the helper say the same
    assert too_few_to_call(6, 9) == moa["note"]


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    for bad in ("=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("fine") == "fine" and safe_cell(0.5) == 0.5
    text = summary_csv({"systems": [SystemSummary("=HYPERLINK(\"x\")").to_dict()]})
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'=HYPERLINK(\"x\")"
