"""The run store on a real SQLite file and a real PostgreSQL server: migrations, runs written as they go,
ratings, a run killed mid-way, and API keys that must never reach the database or an export."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from moa_core.cli import main
from moa_core.records import CallFailed, CallFinished, RunStarted, utcnow
from moa_core.storage import RunStore, StorageError, db
from moa_core.storage.liveness import owner_token
from moa_core.storage.schema import Run
from tests.storage.samples import call, dead_pid, record

pytestmark = pytest.mark.slow  # out of the quick tier: subprocesses and killed runs (~15 s)

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# `python -m moa_core.cli` needs a __main__.py; this runs the same entry point as the `moa` script.
MOA = [PYTHON, "-c", "import sys; from moa_core.cli import main; sys.exit(main(sys.argv[1:]))"]


# ---- schema ---------------------------------------------------------------------------------------

def test_models_and_migrations_agree(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
        assert diff == []
        assert MigrationContext.configure(conn).get_current_revision() == db.head_revision()


def test_processes_starting_together_migrate_once(store_url):
    code = "import sys; from moa_core.storage import RunStore; RunStore.open(sys.argv[1]).list_runs()"
    procs = [subprocess.Popen([PYTHON, "-c", code, store_url], cwd=ROOT, stderr=subprocess.PIPE) for _ in range(3)]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    store = RunStore.open(store_url)
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == db.head_revision()
    store.close()


def test_sqlite_file_created_on_first_use_with_pragmas(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "nested" / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = RunStore.open_default()
    assert (tmp_path / "nested" / "data" / "moa.db").is_file()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    store.close()


def test_urls(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@db/moa")
    assert db.default_url() == "postgresql://u:pw@db/moa"
    assert db.normalize_url("postgresql://u:pw@db/moa") == "postgresql+psycopg://u:pw@db/moa"
    assert "pw" not in db.describe("postgresql+psycopg://u:pw@db/moa")
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("MOA_DATA_DIR", raising=False)
    assert db.data_dir() == ROOT / "data"  # a checkout keeps its data next to the code
    with pytest.raises(StorageError, match="invalid database URL"):
        RunStore.open("not a url")


# ---- recording runs ----------------------------------------------------------------------------

async def test_a_run_is_written_as_it_goes(store, llm, lineup_for):
    from moa_core.engine import run_moa

    seen, run_ids = [], []

    def observe(event):  # after each write, look at what the database holds
        store.observe(event)
        store.flush()  # writes go through the store's writer thread; wait for this one
        if isinstance(event, RunStarted):
            run_ids.append(event.run.run_id)
            seen.append(("started", store.get_run(event.run.run_id).status))
        elif isinstance(event, (CallFinished, CallFailed)):
            stored = [c.call_id for c in store.get_run(run_ids[0]).calls]
            seen.append((event.call.model, event.call.call_id in stored))

    llm.set("b", fail_times=99, fail_status=400)
    result = await run_moa("hello", lineup_for(["a", "b"], "agg", max_retries=0), on_event=observe)
    assert seen[0] == ("started", "running")
    assert sorted(seen[1:]) == [("a", True), ("agg", True), ("b", True)]  # each call stored as it ended
    stored = store.get_run(result.run_id)
    assert stored.status == "partial" and stored.final == result.final
    assert [c.to_dict() for c in stored.calls] == [c.to_dict() for c in result.calls]
    assert [c.status for c in stored.calls if c.model == "b"] == ["failed"]
    assert store.list_runs()[0].wall_s == pytest.approx(result.wall_s)


def test_save_and_get_run_round_trip(store):
    r = record(calls=[call("m1"), call("m2", status="failed", cost=None, error="boom", retry_errors=["429"],
                                       attempts=2, index=1),
                      call("agg", role="aggregator", start=1.0, end=2.0)],
               document_name="notes.md", document_text="# notes\nbody")
    r.synthesized_from, r.proposers_total = 1, 2
    store.save_run(r)
    got = store.get_run(r.run_id)
    for key in ("query", "lineup", "status", "final", "note", "wall_s", "document_name", "document_text",
                "synthesized_from", "proposers_total", "started_at"):
        assert getattr(got, key) == getattr(r, key), key
    assert [c.to_dict() for c in got.calls] == [c.to_dict() for c in r.calls]
    assert store.get_run("nope") is None
    store.save_run(r)  # saving again updates, never duplicates
    assert len(store.get_run(r.run_id).calls) == 3


def test_list_runs_totals_filters_and_order(store):
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    a = record("first 100% query", [call("m1", cost=0.01), call("agg", role="aggregator", cost=0.02)], started_at=t0)
    b = record("second", [call("m2", cost=None)], status="failed", started_at=t0 + timedelta(hours=1))
    c = record("third", [call("m1", cost=0.5)], started_at=t0 + timedelta(hours=2))
    for r in (a, b, c):
        store.save_run(r)
    runs = store.list_runs()
    assert [r.run_id for r in runs] == [c.run_id, b.run_id, a.run_id]
    first = runs[2]
    assert first.models == ["m1", "agg"] and first.calls == 2
    assert first.cost_usd == pytest.approx(0.03) and first.prompt_tokens == 20
    assert runs[1].cost_usd is None  # unknown price stays unknown
    assert [r.run_id for r in store.list_runs(limit=1, offset=1)] == [b.run_id]
    assert [r.run_id for r in store.list_runs(status="failed")] == [b.run_id]
    assert [r.run_id for r in store.list_runs(model="m1")] == [c.run_id, a.run_id]
    assert [r.run_id for r in store.list_runs(search="100%")] == [a.run_id]
    assert [r.run_id for r in store.list_runs(search="SECOND")] == [b.run_id]
    assert store.list_runs(search="_") == []


def test_ratings_and_delete_cascade(store):
    r = record(calls=[call("m1"), call("m2", index=1)])
    store.save_run(r)
    store.ratings.add_rating("run", run_id=r.run_id, stars=4, rater="ann", scores={"accuracy": 5})
    store.ratings.add_rating("run", run_id=r.run_id, stars=2, preference=None, comment="meh")
    rid = store.ratings.add_rating("call", call_id=r.calls[0].call_id, stars=1)
    ratings = store.ratings.ratings_for(r.run_id)
    assert [x.target for x in ratings] == ["run", "run", "call"]
    assert ratings[2].id == rid and ratings[2].run_id == r.run_id and ratings[0].scores == {"accuracy": 5}
    summary = store.list_runs()[0]
    # the rating rule: whole-run ratings rate the final answer; the proposal's star is not the run's
    assert summary.avg_stars == pytest.approx(3.0) and summary.ratings == 2
    for bad in (dict(target="run", run_id=r.run_id, stars=6), dict(target="run", run_id="missing"),
                dict(target="call", call_id="missing"), dict(target="film"),
                dict(target="run", run_id=r.run_id, preference="maybe")):
        with pytest.raises(ValueError):
            store.ratings.add_rating(**bad)
    pair = store.ratings.add_comparison(query=r.query, run_a_id=r.run_id, call_b_id=r.calls[1].call_id, label_a="moa",
                                label_b="baseline:m2", moa_side="a")
    store.ratings.add_rating("comparison", comparison_id=pair, preference="a", rater="bob")
    assert not store.ratings.get_comparison(pair).revealed
    store.ratings.reveal_comparison(pair)
    assert store.ratings.get_comparison(pair).revealed
    assert store.delete_run(r.run_id) and not store.delete_run(r.run_id)
    assert store.get_run(r.run_id) is None and store.ratings.ratings_for(r.run_id) == []
    assert store.ratings.get_comparison(pair) is None  # the pair went with its run
    assert store.analytics.call_rows() == []


def test_documents_lineups_settings_prices(store):
    d1 = store.catalog.save_document("a.pdf", "pdf", "same text", 1234)
    d2 = store.catalog.save_document("copy.pdf", "pdf", "same text", 1234)
    assert d1.id == d2.id and d1.sha256 == d2.sha256 and store.catalog.get_document(d1.id).text == "same text"
    assert store.catalog.save_document("b.txt", "txt", "other", 5).id != d1.id

    toml = '[[proposers]]\nmodel = "m1"\n[aggregator]\nmodel = "m2"\n'
    store.catalog.save_lineup("pair", toml)
    store.catalog.save_lineup("pair", toml.replace("m2", "m3"))
    store.catalog.save_lineup("another", toml)
    assert [x.name for x in store.catalog.list_lineups()] == ["another", "pair"]
    assert "m3" in store.catalog.get_lineup("pair").toml and store.catalog.get_lineup("none") is None
    with pytest.raises(ValueError, match="aggregator"):
        store.catalog.save_lineup("bad", '[[proposers]]\nmodel = "m1"\n')
    assert store.catalog.delete_lineup("pair") and not store.catalog.delete_lineup("pair")

    assert store.catalog.get_setting("aggregator_prompt", "default") == "default"
    store.catalog.set_setting("aggregator_prompt", "Synthesize {proposals}")
    store.catalog.set_setting("base_urls", {"ollama": "http://localhost:11434"})
    assert store.catalog.get_setting("aggregator_prompt") == "Synthesize {proposals}"
    assert store.catalog.get_setting("base_urls") == {"ollama": "http://localhost:11434"}

    store.catalog.set_price("my/model", 1e-6, 2e-6)
    store.catalog.set_price("my/model", 3e-6, 4e-6)
    book = store.catalog.price_book()
    assert book.cost("my/model", 1000, 1000) == pytest.approx(0.007)
    with pytest.raises(ValueError):
        store.catalog.set_price("x", -1, 0)
    assert store.catalog.delete_price("my/model") and store.catalog.prices() == {}


def test_eval_sets_and_batch_links(store):
    set_id = store.catalog.save_eval_set("smoke", [{"query": "2+2?", "reference": "4", "tags": ["math"]},
                                           {"query": "capital of France?"}], description="quick")
    assert [e.name for e in store.catalog.list_eval_sets()] == ["smoke"] and set_id
    items = store.catalog.eval_items("smoke")
    assert [(i.query, i.reference, i.tags) for i in items] == [("2+2?", "4", ["math"]), ("capital of France?", None, [])]
    with pytest.raises(ValueError, match="already exists"):
        store.catalog.save_eval_set("smoke", [{"query": "x"}])
    with pytest.raises(ValueError, match="no query"):
        store.catalog.save_eval_set("empty", [{"query": " "}])
    r = record(calls=[call()])
    store.save_run(r)
    store.link_run(r.run_id, batch_id="b1", eval_item_id=items[0].id)
    assert {row["batch_id"] for row in store.analytics.call_rows()} == {"b1"}


# ---- interrupted runs ---------------------------------------------------------------------------

def test_mark_interrupted_keeps_finished_calls_and_spares_live_runs(store):
    dead, live, other_old, other_new = (record(status="running") for _ in range(4))
    for r, c in ((dead, call("m1", cost=0.01)), (live, call("m2")), (other_old, call("m3")), (other_new, call("m4"))):
        r.calls, r.wall_s = [c], None
        store.save_run(r)
    owners = {dead.run_id: owner_token(dead_pid()), live.run_id: owner_token(),
              other_old.run_id: "elsewhere:1:1", other_new.run_id: "elsewhere:2:2"}
    old = utcnow() - timedelta(hours=2)
    from sqlalchemy import update
    with store.engine.begin() as conn:
        for run_id, owner in owners.items():
            values = {"owner": owner} | ({"updated_at": old} if run_id == other_old.run_id else {})
            conn.execute(update(Run).where(Run.id == run_id).values(**values))
    closed = store.mark_interrupted()
    assert sorted(closed) == sorted([dead.run_id, other_old.run_id])
    got = store.get_run(dead.run_id)
    assert got.status == "interrupted" and "1 finished call(s) kept" in got.note
    assert [c.model for c in got.calls] == ["m1"] and got.cost_usd == pytest.approx(0.01)
    assert store.get_run(live.run_id).status == "running"
    assert store.get_run(other_new.run_id).status == "running"





def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _count_ok_calls(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM call WHERE status = 'ok'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_run_killed_mid_way_is_interrupted_with_its_finished_calls(tmp_path, llm):
    llm.set("slow", latency_s=60)
    env = os.environ | {"MOA_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([*MOA, "run", "a question", "--api-base", llm.base_url,
                             "--proposer", "fast", "--proposer", "slow", "--aggregator", "fast"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _wait_for(lambda: _count_ok_calls(tmp_path / "moa.db") >= 1, timeout=120), "the fast call was never stored"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    [summary] = store.list_runs()
    assert summary.status == "interrupted" and "1 finished call(s) kept" in summary.note
    run = store.get_run(summary.run_id)
    # the slow call was streaming: its text so far was written as it came, and is kept as a failed call
    assert [(c.model, c.status) for c in run.calls] == [("fast", "ok"), ("slow", "failed")]
    assert run.query == "a question" and run.calls[0].text
    assert run.calls[1].error == "interrupted: the process running it stopped"
    store.close()


# ---- keys never stored ---------------------------------------------------------------------------

def test_api_keys_never_reach_database_logs_or_exports(tmp_path, llm, monkeypatch, capsys):
    canaries = ("sk-SECRET-canary-123", "sk-ENVVAR-canary-456")
    lineup = tmp_path / "lineup.toml"
    lineup.write_text(
        f'[[proposers]]\nmodel = "a"\napi_base = "{llm.base_url}"\napi_key_env = "MOA_CANARY_KEY"\n'
        f'[[proposers]]\nmodel = "openai/b"\napi_base = "{llm.base_url}"\n'
        f'[aggregator]\nmodel = "agg"\napi_base = "{llm.base_url}"\napi_key_env = "MOA_CANARY_KEY"\n')
    env = os.environ | {"MOA_DATA_DIR": str(tmp_path), "OPENAI_API_KEY": canaries[0], "MOA_CANARY_KEY": canaries[1]}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([*MOA, "run", "keys?", "--lineup", str(lineup)], cwd=ROOT,
                          env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert any(r.model == "a" for r in llm.requests)  # the run really went through the server

    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", canaries[0])
    assert main(["export", "--format", "jsonl", "--out", str(tmp_path / "runs.jsonl")]) == 0
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "calls.csv")]) == 0
    assert main(["runs", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["status"] == "ok"

    store_files = sorted(tmp_path.glob("moa.db*"))
    assert store_files and (tmp_path / "runs.jsonl").stat().st_size > 0
    blobs = [p.read_bytes() for p in store_files + [tmp_path / "runs.jsonl", tmp_path / "calls.csv"]]
    blobs += [done.stdout, done.stderr, captured.out.encode(), captured.err.encode()]
    assert b"MOA_CANARY_KEY" in b"".join(blobs)  # the variable's *name* is kept, as configuration
    for canary in canaries:
        assert not any(canary.encode() in blob for blob in blobs), canary


# ---- analytics ------------------------------------------------------------------------------------

def test_model_stats(store):
    store.save_run(record(calls=[call("m1", end=1.0), call("m1", end=3.0, index=1),
                                 call("m1", status="failed", end=9.0, cost=None, index=2),
                                 call("m2", cost=None, end=2.0, index=3)]))
    stats = {s.model: s for s in store.analytics.model_stats()}
    m1 = stats["m1"]
    assert (m1.calls, m1.ok, m1.failed) == (3, 2, 1)
    assert m1.p50_latency_s == pytest.approx(2.0) and m1.p95_latency_s == pytest.approx(2.9)
    assert m1.avg_ttft_s == pytest.approx(0.1)
    assert m1.cost_usd is None and m1.unknown_cost_calls == 1  # the failed call used tokens, price unknown
    assert stats["m2"].cost_usd is None
    assert store.analytics.model_stats(since=utcnow() + timedelta(hours=1)) == []
    rows = store.analytics.call_rows()
    assert {r["model"] for r in rows} == {"m1", "m2"} and rows[0]["run_started_at"].tzinfo is not None


def test_concurrent_writers_do_not_lose_runs(store):
    errors = []

    def write(n):
        try:
            for i in range(10):
                store.save_run(record(f"t{n}-{i}", [call("m1")]))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(store.list_runs(limit=100)) == 40


def test_the_head_revision_is_read_from_the_files_as_alembic_reads_it(tmp_path):
    """`moa runs` learns the head without importing alembic; the answer must be alembic's own."""
    from alembic.script import ScriptDirectory

    from moa_core.storage import db
    assert db.head_revision() == ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    engine = db.create(f"sqlite:///{tmp_path / 'new.db'}")
    assert db.current_revision(engine) is None
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()
