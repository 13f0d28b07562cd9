"""`moa runs` and `moa export`: listings, exports, and one-line errors."""
import csv
import io
import json
from datetime import timedelta

import pytest

from moa_core.cli import main
from moa_core.records import utcnow
from moa_core.storage import RunStore
from tests.storage.samples import call, record


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = RunStore.open_default()
    yield store
    store.close()


def test_moa_runs_lists_recent_runs(cli_store, capsys):
    assert main(["runs"]) == 0
    assert "no runs found" in capsys.readouterr().out
    known = record("known", [call("m1", cost=0.25)])
    unknown = record("unknown", [call("m2", cost=None)], started_at=utcnow() + timedelta(seconds=1))
    cli_store.save_run(known)
    cli_store.save_run(unknown)
    assert main(["runs", "--limit", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run_id", "date", "status", "models", "cost", "wall"]
    assert lines[1].startswith(unknown.run_id) and "unknown" in lines[1] and "m2" in lines[1]
    assert known.run_id in lines[2] and "$0.25 " in lines[2] and "2.5s" in lines[2]
    assert main(["runs", "--json", "--model", "m1"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["run_id"] == known.run_id and row["cost_usd"] == 0.25


@pytest.mark.parametrize("argv, message", [
    (["runs", "--limit", "0"], "--limit must be at least 1"),
    (["runs", "--limit", "x"], "invalid int value"),
    (["export", "--format", "xml"], "invalid choice"),
    (["export"], "--format"),
    (["export", "--format", "csv", "--out", "/nonexistent/dir/x.csv"], "folder does not exist"),
])
def test_cli_bad_input_is_one_line(cli_store, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_database_url_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert main(["runs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("moa: error: cannot open database") and err.count("\n") == 1


def test_export_jsonl_and_csv(cli_store, tmp_path, capsys):
    r = record(calls=[call("m1"), call("agg", role="aggregator")])
    empty = record("no calls yet", status="interrupted", started_at=utcnow() + timedelta(seconds=1))
    cli_store.save_run(r)
    cli_store.save_run(empty)
    cli_store.ratings.add_rating("run", run_id=r.run_id, stars=5, rater="ann")
    cli_store.ratings.add_rating("call", call_id=r.calls[1].call_id, stars=3, rater="bob")

    assert main(["export", "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 2 and first["run_id"] == r.run_id
    assert [c["model"] for c in first["calls"]] == ["m1", "agg"] and first["calls"][0]["messages"]
    assert sorted(x["stars"] for x in first["ratings"]) == [3, 5]

    out = tmp_path / "calls.csv"
    assert main(["export", "--format", "csv", "--out", str(out)]) == 0
    assert "wrote 3 rows" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(x["run_id"], x["model"]) for x in rows] == [(r.run_id, "m1"), (r.run_id, "agg"), (empty.run_id, "")]
    # the rating rule: a whole-run rating and a rating of the synthesis both rate the final answer
    assert rows[0]["run_avg_stars"] == "4.0" and rows[1]["call_avg_stars"] == "4.0"
    assert rows[0]["call_avg_stars"] == ""  # nobody rated the proposal
    assert float(rows[0]["duration_s"]) == 1.0
