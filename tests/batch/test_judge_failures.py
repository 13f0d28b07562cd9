"""A judge that gives no verdict is visible: in the batch's progress and error, the summary, every
export, `moa batch` (with and without --json) and `moa batches`; its non-answers are never cached."""
import asyncio
import csv
import io
import json

import pytest

from moa_core.batch.report import answers_csv, batch_summary, progress, summary_csv, summary_json
from moa_core.batch.runner import create_batch, run_batch
from moa_core.cli import main
from moa_core.storage.batches import JUDGE_PREFIX

pytestmark = pytest.mark.slow  # out of the quick tier: whole batches with a judge

NO_VERDICT = "Both answers are fine, I cannot decide."


def _batch(store, make_set, systems, llm, n=3, cache=True):
    return create_batch(store, make_set(n), systems(), judge={"model": "judge", "api_base": llm.base_url},
                        concurrency=4, cache=cache)


def test_a_judge_with_no_verdict_on_every_pair_is_said_everywhere(store, make_set, systems, llm):
    llm.set("judge", text=NO_VERDICT)
    batch_id = _batch(store, make_set, systems, llm)
    out = asyncio.run(run_batch(store, batch_id))
    assert out.counts == {"pending": 0, "running": 0, "done": 6, "failed": 3}
    batch = store.batches.get_batch(batch_id)
    # done (every answer is in) but not silently: the batch says its judge judged nothing
    assert batch.status == "done"
    assert batch.error.startswith("the judge failed on every pair (3 of 3): no win rates.")
    assert "gave no verdict" in batch.error

    p = progress(store, batch_id)
    assert (p["judge_items"], p["judge_failed"]) == (3, 3)
    [reason] = p["judge_reasons"]
    assert reason["count"] == 3 and reason["reason"].startswith("the judge judge gave no verdict")
    assert NO_VERDICT in reason["example"]

    summary = batch_summary(store, [batch_id])
    assert summary["judge_failures"]["failed"] == 3 and summary["judge_failures"]["items"] == 3
    rows = list(csv.DictReader(io.StringIO(summary_csv(summary))))
    base = next(r for r in rows if r["name"] == "base")
    assert base["judge_failed"] == "3" and "gave no verdict" in base["judge_error"]
    answers = list(csv.DictReader(io.StringIO(answers_csv(store, batch_id))))
    judged = [r for r in answers if r["system"].startswith(JUDGE_PREFIX)]
    assert len(judged) == 3 and {r["status"] for r in judged} == {"failed"}
    assert all("gave no verdict" in r["error"] for r in judged)
    exported = json.loads(summary_json(store, batch_id))
    assert exported["progress"]["judge_failed"] == 3 and exported["judge_failures"]["failed"] == 3


def test_a_judges_non_answer_is_never_cached(store, make_set, systems, llm):
    llm.set("judge", text=NO_VERDICT)
    batch_id = _batch(store, make_set, systems, llm, n=2)
    asyncio.run(run_batch(store, batch_id))
    asked = llm.request_count("judge")
    assert asked == 4  # both orders of 2 pairs
    cached = {row.text for row in _cache_rows(store)}
    assert NO_VERDICT not in cached and len(cached) >= 1  # the answers themselves are cached

    llm.set("judge", text="A is better. [[A]]")  # the judge is fixed (or was only unlucky): ask it again
    out = asyncio.run(run_batch(store, batch_id, resume=True))
    assert llm.request_count("judge") == asked + 4  # not answered from the cache
    assert out.counts["failed"] == 0 and len(store.votes.batch_votes([batch_id])) == 2
    assert store.batches.get_batch(batch_id).error is None
    assert progress(store, batch_id)["judge_failed"] == 0


def _cache_rows(store):
    from sqlalchemy import select

    from moa_core.storage.schema import CachedResponse

    with store._read() as s:
        return list(s.execute(select(CachedResponse)).scalars())


def test_moa_batch_prints_a_summary_and_the_judge_failures(tmp_path, llm, capsys):
    set_file = tmp_path / "qs.jsonl"
    set_file.write_text("\n".join(json.dumps({"query": f"Q{i}?"}) for i in range(2)) + "\n")
    llm.set("judge", text=NO_VERDICT)
    args = ["batch", str(set_file), "--baseline", "base", "--api-base", llm.base_url, "--judge", "judge",
            "--concurrency", "4"]
    lineup = tmp_path / "l.toml"
    lineup.write_text(f'name = "duo"\n[[proposers]]\nmodel = "p1"\napi_base = "{llm.base_url}"\n'
                      f'[[proposers]]\nmodel = "p2"\napi_base = "{llm.base_url}"\n'
                      f'[aggregator]\nmodel = "agg"\napi_base = "{llm.base_url}"\n')
    code = main([*args, "--lineup", str(lineup)])
    err = capsys.readouterr().err
    assert code == 1  # the verdict this batch was for is missing
    assert "the judge failed on every pair (2 of 2)" in err
    summary = err[err.index("system"):]  # a table at the end: one line per system
    assert "duo" in summary and "base" in summary and "W/L/T" in summary
    assert "judge: 0 of 2 pairs judged; 2 failed" in err

    code = main([*args, "--lineup", str(lineup), "--json", "--no-cache"])
    out = json.loads(capsys.readouterr().out)
    assert out["judge_failed"] == 2 and out["judge_items"] == 2
    assert "gave no verdict" in out["judge_reasons"][0]["reason"] and out["error"].startswith("the judge failed")

    assert main(["batches", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["judge_failed"] == 2 and row["error"].startswith("the judge failed on every pair")
    assert main(["batches"]) == 0
    assert "judge failed on every pair" in capsys.readouterr().out
