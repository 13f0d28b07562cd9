"""`moa runs` reads the listing with stdlib sqlite3 (issue 26: it must start at once) and prints byte for byte what
the store's listing prints, for every option; what only the store can settle (a migration due, a dead `running`
run, runs kept in the fallback file, PostgreSQL) still goes through the store."""
import json
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import update

from moa_core.cli import main
from moa_core.cli import storage as cli_storage
from moa_core.records import utcnow
from moa_core.storage import RunStore, quick_read, unsaved
from moa_core.storage.liveness import owner_token
from moa_core.storage.schema import Run
from tests.storage.samples import call, dead_pid, record

OPTIONS = [
    [], ["--limit", "3"], ["--limit", "1"], ["--json"], ["--json", "--limit", "2"],
    ["--status", "ok"], ["--status", "failed"], ["--status", "interrupted"], ["--status", "partial", "--json"],
    ["--status", "nothing-has-it"], ["--status", ""],
    ["--model", "m1"], ["--model", "unpriced"], ["--model", "nobody", "--json"], ["--model", "m2", "--status", "ok"],
    ["--search", "moa"], ["--search", "MOA"], ["--search", "100%"], ["--search", "a_b"], ["--search", "back\\slash"],
    ["--search", "%"], ["--search", "_"], ["--search", "follow"], ["--search", "é"],
    ["--search", "moa", "--model", "m1", "--status", "ok", "--limit", "2", "--json"],
]


def _awkward_store() -> dict[str, str]:
    """A real SQLite file with the rows a listing gets wrong first; returns a few of their run ids."""
    store = RunStore.open_default()
    t0 = utcnow() - timedelta(hours=1)
    at = iter(t0 + timedelta(seconds=i) for i in range(100))
    plain = record("What is MoA?", [call("m1", cost=0.25), call("m2", index=1, cost=0.5),
                                    call("agg", role="aggregator", cost=0.125)], started_at=next(at),
                   document_name="contract.pdf")
    cached = record("cached: what is MoA?", [call("m1", cost=0.0, cached=True, saved_usd=0.25),
                                            call("agg", role="aggregator", cost=0.0, cached=True, saved_usd=None)],
                    started_at=next(at))
    unknown = record("priced 100% unknown", [call("unpriced", cost=None), call("m1", index=1, cost=0.01),
                                             call("agg", role="aggregator", cost=0.02)], started_at=next(at))
    failed = record("a_b fails", [call("m1", status="failed", cost=None, error="HTTP 500"),
                                  call("agg", role="aggregator", status="failed", cost=None)],
                    status="failed", started_at=next(at))
    partial = record("back\\slash PARTIAL Größe é", [call("m2", cost=0.1), call("m3", index=1, status="failed")],
                     status="partial", started_at=next(at))
    fallback = record("fell back", [call("m1", cost=0.1), call("fb", role="fallback", cost=0.2)],
                      status="fallback", started_at=next(at))
    first = record("follow me: first turn", [call("m1", cost=0.1), call("agg", role="aggregator", cost=0.1)],
                   started_at=next(at))
    second = record("follow-up two", [call("m1", cost=0.1), call("agg", role="aggregator", cost=0.1)],
                    started_at=next(at), thread_id=first.run_id, parent_run_id=first.run_id)
    third = record("follow-up three", [call("m2", cost=0.1), call("agg", role="aggregator", cost=0.1)],
                   started_at=next(at), thread_id=first.run_id, parent_run_id=second.run_id)
    killed = record("killed mid-way", [call("m1", cost=0.01)], status="running", started_at=next(at))
    same_time = [record(f"same second {i}", [call("m4", cost=0.001)], started_at=t0 + timedelta(seconds=50))
                 for i in range(3)]  # ties on started_at: the id decides, in both paths
    failed.wall_s = killed.wall_s = None  # no wall time: "-" in the table
    for r in (plain, cached, unknown, failed, partial, fallback, first, second, third, killed, *same_time):
        store.save_run(r)
    with store.engine.begin() as conn:  # the killed run's process is gone: the next open closes it
        conn.execute(update(Run).where(Run.id == killed.run_id).values(owner=owner_token(dead_pid())))
    ratings = store.ratings
    [agg] = [c for c in plain.calls if c.role == "aggregator"]
    ratings.add_rating("call", call_id=agg.call_id, rater="ann", stars=2)
    ratings.add_rating("call", call_id=agg.call_id, rater="ann", stars=5)  # re-rated: the latest counts
    ratings.add_rating("run", run_id=plain.run_id, rater="bob", stars=4)
    ratings.add_rating("call", call_id=plain.calls[0].call_id, rater="ann", stars=3)
    ratings.add_rating("run", run_id=unknown.run_id, rater="cy", comment="no stars, a comment")
    ratings.add_rating("call", call_id=second.calls[1].call_id, rater="ann", stars=1)
    store.close()
    RunStore.open_default().close()  # closes the killed run as interrupted, as any open does
    return {"plain": plain.run_id, "killed": killed.run_id, "first": first.run_id}


def _output(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(["runs", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _quick_only(monkeypatch):
    """The store must not open: only the quick read can answer."""
    def refuse():
        raise AssertionError("the store was opened")
    monkeypatch.setattr(cli_storage, "open_store", refuse)


def test_the_quick_listing_prints_what_the_store_prints_for_every_option(capsys, monkeypatch):
    ids = _awkward_store()
    full = {}
    with monkeypatch.context() as m:
        m.setattr(quick_read, "list_runs", lambda **kw: None)  # the store's path, as before
        for argv in OPTIONS:
            full[tuple(argv)] = _output(capsys, argv)
    _quick_only(monkeypatch)
    for argv in OPTIONS:
        assert _output(capsys, argv) == full[tuple(argv)], argv
    listed = json.loads(full[("--json",)][1])
    by_id = {r["run_id"]: r for r in listed}
    assert by_id[ids["plain"]]["avg_stars"] == 4.5 and by_id[ids["plain"]]["turn"] is None
    assert by_id[ids["killed"]]["status"] == "interrupted"
    assert by_id[ids["first"]]["turn"] == 1 and sorted(r["turn"] for r in listed if r["turn"]) == [1, 2, 3]
    assert any(r["cost_usd"] is None and r["unpriced_tokens"] for r in listed)
    assert "no runs found in sqlite:///" in full[("--status", "nothing-has-it")][1]


def test_an_empty_database_names_the_same_url(capsys, monkeypatch, private_data_dir):
    # a folder name the URL has to quote: the store's URL, not the path as written
    folder = private_data_dir / "a b@c é"
    folder.mkdir(parents=True)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder}//./moa.db")  # as written, not as pathlib tidies it
    RunStore.open_default().close()
    with monkeypatch.context() as m:
        m.setattr(quick_read, "list_runs", lambda **kw: None)
        expected = _output(capsys, [])
    _quick_only(monkeypatch)
    assert _output(capsys, []) == expected
    assert expected[1].startswith("no runs found in sqlite:///") and "%40" in expected[1]


@pytest.mark.slow  # a fresh interpreter in a subprocess
def test_moa_runs_imports_no_sqlalchemy_in_a_fresh_interpreter(private_data_dir):
    _awkward_store()
    code = ("import sys\nfrom moa_core.cli import main\nassert main(['runs']) == 0\n"
            "assert main(['runs', '--json', '--search', 'follow']) == 0\n"
            "print([m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'litellm', 'moa_core.storage.store')"
            " if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "[]" and "follow-up three" in lines[-2]


def test_a_migration_due_is_left_to_the_store_which_upgrades_and_lists(capsys, monkeypatch, private_data_dir):
    ids = _awkward_store()
    from alembic import command

    from moa_core.storage import db

    store = RunStore.open_default()
    with store.engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "-1")
    store.engine.dispose()
    assert quick_read.list_runs(limit=20) is None
    assert main(["runs", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert ids["plain"] in {r["run_id"] for r in listed}
    with sqlite3.connect(private_data_dir / "moa.db") as conn:  # the store opened it and upgraded it
        assert [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")] == [db.head_revision()]
    assert quick_read.list_runs(limit=20) is not None


def test_a_dead_running_run_is_left_to_the_store_which_closes_it(capsys, private_data_dir):
    store = RunStore.open_default()
    killed = record("killed", [call("m1", cost=0.01)], status="running")
    store.save_run(killed)
    with store.engine.begin() as conn:
        conn.execute(update(Run).where(Run.id == killed.run_id).values(owner=owner_token(dead_pid())))
    live = record("still running", [call("m1", cost=0.01)], status="running")
    store.save_run(live)
    with store.engine.begin() as conn:  # this process owns it: alive, so the quick read may list it as running
        conn.execute(update(Run).where(Run.id == live.run_id).values(owner=owner_token()))
    store.close()
    assert quick_read.list_runs(limit=20) is None
    assert main(["runs", "--json"]) == 0
    statuses = {r["run_id"]: r["status"] for r in json.loads(capsys.readouterr().out)}
    assert statuses == {killed.run_id: "interrupted", live.run_id: "running"}
    url, quick = quick_read.list_runs(limit=20)  # nothing left to settle
    assert {r.run_id: r.status for r in quick} == statuses


def test_runs_kept_in_the_fallback_file_are_left_to_the_store_which_imports_them(capsys, private_data_dir):
    RunStore.open_default().close()
    kept = record("kept while the database was down", [call("m1", cost=0.01)])
    unsaved.keep(kept)
    assert quick_read.list_runs(limit=20) is None
    assert main(["runs", "--json"]) == 0
    assert [r["run_id"] for r in json.loads(capsys.readouterr().out)] == [kept.run_id]
    assert not unsaved.path().exists()


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite:///:memory:",
                                 "sqlite:///x.db?mode=ro", "sqlite:///~/moa.db"])
def test_other_databases_are_left_to_the_store(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert quick_read.list_runs(limit=20) is None


def test_a_missing_or_foreign_file_is_left_to_the_store(capsys, private_data_dir):
    assert quick_read.list_runs(limit=20) is None  # no file yet: the store creates it
    private_data_dir.mkdir(parents=True)
    (private_data_dir / "moa.db").write_text("not a database")
    assert quick_read.list_runs(limit=20) is None
    assert main(["runs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("moa: error: cannot open database") and err.count("\n") == 1
