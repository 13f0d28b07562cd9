"""Batch summary figures worked out by hand; exports neutralise formula cells."""
import csv
import io

from moa_core.batch.report import safe_cell, summary_csv
from moa_core.batch.summary import SystemSummary, recommend, summarize
from moa_core.metrics.preference import too_few_to_call, wilson_interval
from moa_core.storage.batches import BatchAnswer


def typed(rows):
    """Answers written as dicts for reading, typed as `store.batches.batch_runs` returns them (a wrong key fails)."""
    return [BatchAnswer(**r) for r in rows]


def vote(i, winner, a="moa", b="single", orders=(None, None), comment=""):
    return {"prompt_id": f"p{i}", "system_a": a, "system_b": b, "winner": winner, "rater_kind": "judge",
            "judge_order1": orders[0], "judge_order2": orders[1], "comment": comment,
            "a_text": "long answer " * 5, "b_text": "short"}


def test_win_rates_costs_latency_and_flip_rate():
    systems = [{"name": "moa", "kind": "moa"}, {"name": "single", "kind": "single"}]
    answers = [{"system": "moa", "status": "done", "cost_usd": 0.04, "wall_s": w} for w in (1.0, 2.0, 3.0, 4.0)]
    answers += [{"system": "single", "status": "done", "cost_usd": 0.01, "wall_s": 0.5} for _ in range(3)]
    answers += [{"system": "single", "status": "failed", "cost_usd": None, "wall_s": None}]
    votes = [vote(0, "a", orders=("a", "a")), vote(1, "a", orders=("a", "a"), comment="order1=a order2=b"),
             vote(2, "b", orders=("b", "b")), vote(3, "tie", orders=("a", "b"))]
    out = summarize(systems, typed(answers), votes, style_bootstrap=20)
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
    out = summarize(systems, typed(answers), votes, style_bootstrap=0)
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


def test_cached_answers_cost_what_they_cost_when_bought_and_are_out_of_latency():
    """A batch re-run partly from the cache: paid, saved and what the system costs apart; latency from the
    answers that asked the models, the wait for a concurrency slot apart from the calls' own time."""
    systems = [{"name": "moa", "kind": "moa"}, {"name": "single", "kind": "single"}]
    answers = [
        {"system": "moa", "status": "done", "cost_usd": 0.04, "saved_usd": 0.0, "cached": False,
         "wall_s": 2.5, "own_s": 2.0},
        {"system": "moa", "status": "done", "cost_usd": 0.04, "saved_usd": 0.0, "cached": False,
         "wall_s": 4.0, "own_s": 3.0},
        {"system": "moa", "status": "done", "cost_usd": 0.0, "saved_usd": 0.04, "cached": True,
         "wall_s": 0.02, "own_s": 0.01},
        {"system": "moa", "status": "done", "cost_usd": 0.0, "saved_usd": 0.04, "cached": True,
         "wall_s": 0.02, "own_s": 0.01},
        {"system": "single", "status": "done", "cost_usd": 0.01, "saved_usd": 0.0, "cached": False,
         "wall_s": 1.0, "own_s": 1.0},
        {"system": "single", "status": "done", "cost_usd": 0.0, "saved_usd": None, "cached": True,
         "wall_s": 0.01, "own_s": 0.01},  # a hit whose first call had no price: saved unknown
        {"system": "single", "status": "failed", "cost_usd": None, "wall_s": None},
    ]
    votes = [vote(0, "a"), vote(1, "a"), vote(2, "b")]
    moa, single = summarize(systems, typed(answers), votes, style_bootstrap=0)["systems"]
    # moa paid 0.04 + 0.04 = 0.08; the two hits saved 0.04 each = 0.08; its answers cost 0.16, 0.04 per item
    assert abs(moa["paid_usd"] - 0.08) < 1e-12 and abs(moa["saved_usd"] - 0.08) < 1e-12
    assert abs(moa["cost_usd"] - 0.16) < 1e-12 and abs(moa["cost_per_item"] - 0.04) < 1e-12
    assert abs(moa["cost_per_win"] - 0.08) < 1e-12  # 0.16 / 2 wins, not the $0.04 this batch paid per win
    # latency from the two answers that asked the models: own 2.0 and 3.0 -> p50 2.5; queue 0.5 and 1.0 -> 0.75
    assert moa["p50_s"] == 2.5 and abs(moa["queue_p50_s"] - 0.75) < 1e-12 and moa["cached_items"] == 2
    # single: paid 0.01 (known), saved unknown, so what its answers cost is unknown, never $0.01 or $0
    assert abs(single["paid_usd"] - 0.01) < 1e-12 and single["saved_usd"] is None
    assert single["cost_usd"] is None and single["cost_per_item"] is None and single["cost_per_win"] is None
    assert single["p50_s"] == 1.0 and single["queue_p50_s"] == 0.0


def test_answers_without_cache_fields_read_as_before():
    out = summarize([{"name": "s", "kind": "single"}],
                    typed([{"system": "s", "status": "done", "cost_usd": 0.02, "wall_s": 3.0}]), [], style_bootstrap=0)
    s = out["systems"][0]
    assert (s["cost_usd"], s["paid_usd"], s["saved_usd"], s["p50_s"], s["queue_p50_s"]) == (0.02, 0.02, 0.0, 3.0, None)


def test_a_set_counts_each_item_once_per_system():
    """Three batches of one 2-question set: the second and third answered from the cache. The set's figures
    count 2 items, priced at what an answer costs (0.03), not 6 items at 0.06 / 6 = 0.01."""
    answers = []
    for batch, cached in (("b3", True), ("b2", True), ("b1", False)):  # newest first, as the store lists them
        for item in (1, 2):
            answers.append({"system": "moa", "eval_item_id": item, "status": "done", "cached": cached,
                            "cost_usd": 0.0 if cached else 0.03, "saved_usd": 0.03 if cached else 0.0,
                            "wall_s": 0.02 if cached else 2.0 * item, "own_s": 0.01 if cached else 1.5 * item})
    moa = summarize([{"name": "moa", "kind": "moa"}], typed(answers), [], style_bootstrap=0)["systems"][0]
    assert (moa["items"], moa["done"], moa["cached_items"]) == (2, 2, 0)
    assert abs(moa["cost_per_item"] - 0.03) < 1e-12 and abs(moa["paid_usd"] - 0.06) < 1e-12
    assert moa["p50_s"] == 2.25  # own times 1.5 and 3.0 of the answers that asked the models
