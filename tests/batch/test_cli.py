"""`moa batch`, `moa batches`, `moa cache`: shapes, the batch id first on stderr, one-line errors."""
import json

import pytest

from moa_core.cli import main

pytestmark = pytest.mark.slow  # out of the quick tier: whole batches through the CLI (~50 s)


@pytest.fixture
def set_file(tmp_path):
    path = tmp_path / "qs.jsonl"
    path.write_text("\n".join(json.dumps({"query": f"Q{i}?", "reference": "R"}) for i in range(3)) + "\n")
    return path


@pytest.fixture
def lineup_file(tmp_path, llm):
    path = tmp_path / "lineup.toml"
    path.write_text(f"""
name = "trio"
timeout_s = 5
[[proposers]]
model = "p1"
api_base = "{llm.base_url}"
[[proposers]]
model = "p2"
api_base = "{llm.base_url}"
[aggregator]
model = "agg"
api_base = "{llm.base_url}"
[rate_limits.p1]
rpm = 6000
""")
    return path


def test_batch_json_shape_and_stderr(set_file, lineup_file, llm, capsys):
    llm.set("judge", text="The first is better. [[A]]")  # a judge without a verdict fails its items
    code = main(["batch", str(set_file), "--lineup", str(lineup_file), "--baseline", "base", "--api-base",
                 llm.base_url, "--judge", "judge", "--concurrency", "4", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    err = captured.err.splitlines()
    assert err[0] == f"batch {out['batch_id']}: 3 items x 2 systems + judge = 9 work items"
    assert err[1].startswith("projected cost: unknown: no price for") and "$0" not in err[1]  # loopback: no prices
    assert {"batch_id", "status", "items", "done", "failed", "wall_s", "cost_usd", "systems"} <= set(out)
    assert out["status"] == "done" and out["items"] == 9 and out["done"] == 9 and out["failed"] == 0
    names = [s["name"] for s in out["systems"]]
    assert names == ["trio", "base"]
    assert {"win_rate", "ci_low", "ci_high", "style_rating", "cost_usd", "p50_s", "p95_s", "failed",
            "cost_per_win"} <= set(out["systems"][0])

    assert main(["batches", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["batch_id"] == out["batch_id"] and rows[0]["done"] == 9
    assert {"batch_id", "status", "items", "done", "started_at"} <= set(rows[0])

    requests = len(llm.requests)
    assert main(["batch", str(set_file), "--lineup", str(lineup_file), "--baseline", "base", "--api-base",
                 llm.base_url, "--judge", "judge", "--json"]) == 0
    assert len(llm.requests) == requests  # the same batch again: all from the cache
    capsys.readouterr()
    assert main(["cache", "stats"]) == 0 and "hit(s)" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0 and "cleared" in capsys.readouterr().out


def test_resume_by_id(set_file, lineup_file, llm, capsys):
    assert main(["batch", str(set_file), "--lineup", str(lineup_file), "--json"]) == 0
    batch_id = json.loads(capsys.readouterr().out)["batch_id"]
    assert main(["batch", "--resume", batch_id, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines()[0] == f"batch {batch_id}: resuming"
    assert json.loads(captured.out)["status"] == "done"


@pytest.mark.parametrize("argv, message", [
    (["batch"], "give an eval set file"),
    (["batch", "missing.jsonl"], "cannot read"),
    (["batch", "--resume", "nope"], "no batch nope"),
    (["batch", "SET", "--concurrency", "0"], "--concurrency must be at least 1"),
    (["batch", "SET", "--budget", "-1"], "--budget must be a positive amount"),
    (["batch", "SET", "--lineup", "none.toml"], "no lineup file or saved lineup named 'none.toml'"),
    (["batch", "BAD"], "1 bad row, nothing imported: line 2: `query` is missing or empty"),
    (["batch", "SET", "--self-moa", "m:9"], "Self-MoA needs 2 to 6 proposers"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, set_file, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "ok"}\n{"query": ""}\n')
    argv = [str(set_file) if a == "SET" else str(bad) if a == "BAD" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_rate_limits_are_one_line(set_file, tmp_path, capsys):
    path = tmp_path / "l.toml"
    path.write_text('[[proposers]]\nmodel = "a"\n[aggregator]\nmodel = "a"\n[rate_limits.a]\nrpm = -3\n')
    assert main(["batch", str(set_file), "--lineup", str(path)]) == 2
    assert "rate_limits.a.rpm must be a positive number" in capsys.readouterr().err


def test_workers_share_one_batch_without_running_an_item_twice(tmp_path, lineup_file, llm, capsys):
    """`--workers 2`: a second `moa batch-worker` process claims from the same SQLite file; every item is
    answered exactly once (the server sees one request per model per item), and both workers took items."""
    from moa_core.storage import RunStore
    from moa_core.storage.db import default_url

    for model in ("p1", "p2", "agg", "base"):
        llm.set(model, latency_s=1.5)
    items = 8
    path = tmp_path / "eight.jsonl"
    path.write_text("".join(json.dumps({"query": f"Question {i}?"}) + "\n" for i in range(items)))
    code = main(["batch", str(path), "--lineup", str(lineup_file), "--baseline", "base", "--api-base", llm.base_url,
                 "--concurrency", "2", "--workers", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert out["status"] == "done" and out["done"] == 2 * items and out["failed"] == 0
    for model in ("p1", "p2", "agg", "base"):
        assert llm.request_count(model) == items, model
    store = RunStore.open(default_url())
    rows = store.batches.batch_items(out["batch_id"])
    assert all(r.status == "done" and r.attempts == 1 for r in rows)
    assert len({r.claimed_by for r in rows}) == 2  # the helper process did its share
    store.close()


def test_workers_must_not_exceed_the_concurrency(set_file, lineup_file, capsys):
    assert main(["batch", str(set_file), "--lineup", str(lineup_file), "--concurrency", "2", "--workers", "3"]) == 2
    assert "--workers 3 is more than --concurrency 2" in capsys.readouterr().err


def test_limit_takes_the_first_items_as_a_set_of_its_own(tmp_path, lineup_file, llm, capsys):
    path = tmp_path / "five.jsonl"
    path.write_text("".join(json.dumps({"query": f"Question {i}?"}) + "\n" for i in range(5)))
    assert main(["batch", str(path), "--lineup", str(lineup_file), "--limit", "2", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["items"] == 2 and first["done"] == 2
    assert main(["batch", str(path), "--lineup", str(lineup_file), "--json"]) == 0  # the whole file: 5 items
    assert json.loads(capsys.readouterr().out)["items"] == 5
    assert main(["batch", str(path), "--lineup", str(lineup_file), "--limit", "0"]) == 2
    assert "--limit must be at least 1" in capsys.readouterr().err


@pytest.mark.local_model
def test_the_offline_demo_batch_runs_on_the_embedded_model(capsys):
    """What the README tells a newcomer to try, on two of the demo set's questions: the default lineup
    (Self-MoA on the embedded model) against the embedded model alone, offline, free."""
    from pathlib import Path

    demo = Path(__file__).resolve().parents[2] / "data" / "demo-eval.jsonl"
    code = main(["batch", str(demo), "--baseline", "local/gemma-3-270m", "--limit", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert out["status"] == "done" and out["items"] == 4 and out["done"] == 4 and out["failed"] == 0
    assert out["cost_usd"] == 0
    assert [s["name"] for s in out["systems"]][1] == "local/gemma-3-270m"
    assert all(s["items"] == 2 for s in out["systems"])


def test_lineup_and_compare_take_a_saved_lineups_name(set_file, lineup_file, llm, capsys):
    """`--lineup NAME` (and `--compare NAME`) as `moa run --lineup` takes it: a file that exists wins, else the
    lineup saved under that name, else one line naming the saved lineups."""
    from moa_core.cli.storage import open_store
    from moa_core.lineup import Lineup, ModelSpec

    seat = lambda m: ModelSpec(model=m, api_base=llm.base_url)  # noqa: E731
    store = open_store()
    try:
        store.catalog.save_lineup("saved duo", Lineup(proposers=[seat("p1"), seat("p2")], aggregator=seat("agg"),
                                              timeout_s=5).to_toml())
        store.catalog.save_lineup("saved solo", Lineup(proposers=[seat("p3")], aggregator=seat("agg")).to_toml())
    finally:
        store.close()
    code = main(["batch", str(set_file), "--lineup", "saved duo", "--compare", "saved solo", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert [s["name"] for s in out["systems"]] == ["saved duo", "saved solo"] and out["done"] == 6
    assert main(["batch", str(set_file), "--lineup", "no such lineup"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no lineup file or saved lineup named 'no such lineup'" in err
    assert "saved lineups: saved duo, saved solo" in err


def test_ctrl_c_says_how_to_resume_and_what_is_left(set_file, lineup_file, llm):
    """Ctrl-C (SIGINT) on `moa batch`: one line with the batch id, what is done and left, and the command that
    resumes it (it used to print only "moa: interrupted"); exit 130."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from moa_core.cli.storage import open_store
    from tests.browser_support import eventually

    llm.set("base", hang=True)  # the single model's items are in flight when Ctrl-C comes
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "moa_core.cli", "batch", str(set_file), "--lineup",
                             str(lineup_file), "--baseline", "base", "--api-base", llm.base_url],
                            cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    store = open_store()
    try:
        def in_flight() -> bool:
            batches = store.batches.list_batches()
            return bool(batches) and store.batches.batch_counts(batches[0].id)["done"] >= 3 and llm.request_count("base") >= 1
        assert eventually(in_flight, 60), proc.poll()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        batch_id = store.batches.list_batches()[0].id
        counts = store.batches.batch_counts(batch_id)
        status = store.batches.get_batch(batch_id).status
    finally:
        if proc.poll() is None:
            proc.kill()
        store.close()
    assert proc.returncode == 130, err
    assert status == "interrupted" and counts["running"] == 0 and counts["done"] == 3 and counts["pending"] == 3
    last = err.strip().splitlines()[-1]
    assert last == (f"batch {batch_id}: interrupted; 3 of 6 work items done, 0 failed, 3 left; "
                    f"resume with: moa batch --resume {batch_id}"), err
