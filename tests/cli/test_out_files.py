"""`--out` never overwrites the database, and every output is written through a temporary file."""
import os
import sqlite3

import pytest

from moa_core.cli import main
from moa_core.storage import RunStore
from tests.storage.samples import call, record


@pytest.fixture
def stored(private_data_dir):
    store = RunStore.open_default()
    run = record(calls=[call("m1"), call("agg", role="aggregator")])
    store.save_run(run)
    store.close()
    return private_data_dir / "moa.db", run


def _intact(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from run").fetchone()[0]


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.parametrize("argv", [["report", "{run}", "--format", "md"], ["export", "--format", "jsonl"],
                                  ["lineups", "export", "x"]])
def test_out_cannot_be_the_database_or_its_companions(stored, argv, suffix, capsys):
    db, run = stored
    size = db.stat().st_size
    argv = [a.replace("{run}", run.run_id) for a in argv] + ["--out", f"{db}{suffix}"]
    if argv[0] == "lineups":
        from moa_core.lineup import Lineup, ModelSpec

        store = RunStore.open_default()
        store.catalog.save_lineup("x", Lineup(proposers=[ModelSpec(model="a")], aggregator=ModelSpec(model="a")).to_toml())
        store.close()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is the workbench database" in err and err.count("\n") == 1
    assert db.stat().st_size >= size and _intact(db) == 1


def test_out_through_a_symlink_or_a_relative_path_is_still_the_database(stored, tmp_path, monkeypatch, capsys):
    db, run = stored
    link = tmp_path / "innocent.md"
    link.symlink_to(db)
    assert main(["report", run.run_id, "--format", "md", "--out", str(link)]) == 2
    monkeypatch.chdir(db.parent)
    assert main(["export", "--format", "csv", "--out", "./moa.db"]) == 2
    assert _intact(db) == 1


def test_a_failed_export_leaves_the_old_file_and_no_temporary_file(stored, tmp_path, monkeypatch, capsys):
    out = tmp_path / "runs.jsonl"
    out.write_text("yesterday's export\n")
    import moa_core.storage.export as export

    def broken(runs, stream):
        stream.write('{"half": ')
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(export, "write_jsonl", broken)
    assert main(["export", "--format", "jsonl", "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_text() == "yesterday's export\n"
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


def test_a_report_replaces_the_file_whole_and_keeps_its_permissions(stored, tmp_path, capsys):
    _, run = stored
    out = tmp_path / "r.md"
    out.write_text("old")
    out.chmod(0o640)
    assert main(["report", run.run_id, "--format", "md", "--out", str(out)]) == 0
    assert f"**Run**: {run.run_id}" in out.read_text(encoding="utf-8")
    assert (out.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
