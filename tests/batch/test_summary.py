"""Batch summary figures worked out by hand; exports neutralise formula cells."""
import csv
import io

from moa_core.batch.report import safe_cell, summary_csv
from moa_core.batch.summary import SystemSummary, recommend, summarize


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


def test_recommendation_is_the_cheapest_within_the_best_interval():
    best = SystemSummary("moa", win_rate=0.6, ci_low=0.45, ci_high=0.74, cost_per_item=0.05)
    close = SystemSummary("single", win_rate=0.5, ci_low=0.35, ci_high=0.65, cost_per_item=0.01)
    far = SystemSummary("tiny", win_rate=0.2, ci_low=0.1, ci_high=0.35, cost_per_item=0.001)
    assert recommend([best, close, far]) == "single"
    assert recommend([best, far]) == "moa"
    assert recommend([SystemSummary("x")]) is None


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    for bad in ("=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("fine") == "fine" and safe_cell(0.5) == 0.5
    text = summary_csv({"systems": [SystemSummary("=HYPERLINK(\"x\")").to_dict()]})
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'=HYPERLINK(\"x\")"
