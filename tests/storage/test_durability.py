"""Storage never skews timings nor loses a run: writes off the event loop, retries, a fallback file."""
from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from moa_core.cli import main
from moa_core.records import CallStarted
from moa_core.service import run_and_record
from moa_core.storage import RunStore, StorageError, db, unsaved

pytestmark = pytest.mark.slow  # out of the quick tier: killed writers and busy waits (~17 s)


def _hold_write_lock(path, after_s: float, hold_s: float, started: threading.Event | None = None) -> threading.Thread:
    """Another connection takes SQLite's write lock (BEGIN IMMEDIATE) after `after_s` and keeps it `hold_s`."""
    def hold():
        time.sleep(after_s)
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        if started:
            started.set()
        time.sleep(hold_s)
        conn.execute("ROLLBACK")
        conn.close()
    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    return thread


async def test_a_locked_database_does_not_enter_call_timings(llm, lineup_for, tmp_path):
    path = tmp_path / "locked.db"
    store = RunStore.open(f"sqlite:///{path}")
    llm.set("fast", latency_s=0.2)
    for name in ("slow1", "slow2"):
        llm.set(name, latency_s=1.0)
    llm.set("agg", latency_s=1.0)
    await run_and_record("warm", lineup_for(["warm"]), store=store)  # litellm's first use of the host
    held: list = []

    def lock_when_calls_start(event):  # another process takes the write lock as the calls begin
        if isinstance(event, CallStarted) and not held:
            conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("BEGIN IMMEDIATE")
            held.append(threading.Timer(2.5, lambda: (conn.execute("ROLLBACK"), conn.close())))
            held[0].start()

    # fast's CallFinished (0.2 s) is written while the lock is held: on the event loop it would
    # stall slow1, slow2 and the aggregator for the rest of the hold (busy timeout 5 s)
    run = await run_and_record("q", lineup_for(["fast", "slow1", "slow2"]), store=store,
                               observers=[lock_when_calls_start])
    held[0].join()
    by_model = {c.model: c for c in run.calls}
    for name in ("slow1", "slow2", "agg"):
        assert by_model[name].duration_s < 1.45, (name, by_model[name].duration_s)
    assert by_model["fast"].duration_s < 0.65
    stored = store.get_run(run.run_id)  # RunFinished is durable when run_and_record returns
    assert stored.status == "ok" and len(stored.calls) == 4
    store.close()


def test_database_unavailable_for_the_whole_run_keeps_it_in_a_file_and_says_so(llm, tmp_path, monkeypatch, capsys,
                                                                               private_data_dir):
    path = tmp_path / "moa.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    RunStore.open().close()  # the schema exists; then another process hogs the write lock
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr("moa_core.storage.writer.RETRY_DELAYS_S", (0.05, 0.05))
    llm.set("p1", latency_s=0.5, text="The answer.")
    locked = threading.Event()
    holder = None
    real_open = RunStore.open  # opening succeeds (nothing locked yet); the lock is taken right after

    def open_then_lock(url=None):
        nonlocal holder
        store = real_open(url)
        holder = _hold_write_lock(path, after_s=0.0, hold_s=6.0, started=locked)
        assert locked.wait(5)
        return store

    monkeypatch.setattr(RunStore, "open", classmethod(lambda cls, url=None: open_then_lock(url)))
    code = main(["run", "--proposer", "p1", "--aggregator", "p1", "--api-base", llm.base_url, "q"])
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 1
    assert "The answer." in captured.out  # the answer is still shown
    assert len(errors) == 1 and "could not be stored" in errors[0] and "unsaved-runs.jsonl" in errors[0]
    kept = [json.loads(line) for line in unsaved.path().read_text().splitlines()]
    assert len(kept) == 1 and kept[0]["status"] == "ok" and kept[0]["final"] == "The answer."
    holder.join()
    monkeypatch.setattr(RunStore, "open", classmethod(lambda cls, url=None: real_open(url)))
    store = RunStore.open()  # the next open imports the kept run and removes the file
    stored = store.get_run(kept[0]["run_id"])
    assert stored is not None and stored.status == "ok" and len(stored.calls) == 2
    assert not unsaved.path().exists()
    store.close()


def test_opening_a_locked_database_waits_then_says_so_in_one_line(tmp_path, monkeypatch):
    path = tmp_path / "moa.db"
    RunStore.open(f"sqlite:///{path}").close()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    locked = threading.Event()
    holder = _hold_write_lock(path, after_s=0.0, hold_s=0.6, started=locked)
    assert locked.wait(5)
    store = RunStore.open(f"sqlite:///{path}")  # waits and retries past a short lock
    store.close()
    holder.join()
    locked.clear()
    holder = _hold_write_lock(path, after_s=0.0, hold_s=5.0, started=locked)
    assert locked.wait(5)
    with pytest.raises(StorageError) as info:
        RunStore.open(f"sqlite:///{path}")
    holder.join()
    message = str(info.value)
    assert "locked by another process" in message and "\n" not in message


def test_an_unwritable_database_folder_is_one_clear_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{blocker / 'sub' / 'moa.db'}")
    code = main(["runs"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert f"cannot create the database folder {blocker / 'sub'}" in err


def test_a_run_kept_by_an_import_that_died_is_imported_next_time(tmp_path):
    """A process killed while importing leaves `unsaved-runs.jsonl.<pid>.importing`: the next open imports it."""
    from moa_core.records import RunRecord

    run = RunRecord(query="kept while the importer died", lineup={"name": "x"})
    run.status, run.final = "ok", "answer"
    unsaved.keep(run)
    dead_pid = 2 ** 22 + 12345  # above the kernel's pid limit: never a live process
    orphan = unsaved.path().with_name(f"{unsaved.FILE_NAME}.{dead_pid}.importing")
    unsaved.path().rename(orphan)
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    assert store.get_run(run.run_id) is not None and store.get_run(run.run_id).final == "answer"
    assert not orphan.exists()


def test_an_import_in_progress_elsewhere_is_left_alone(tmp_path):
    import os

    from moa_core.records import RunRecord

    run = RunRecord(query="being imported by a live process", lineup={})
    unsaved.keep(run)
    busy = unsaved.path().with_name(f"{unsaved.FILE_NAME}.{os.getppid()}-1.importing")  # a live pid
    unsaved.path().rename(busy)
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    assert store.get_run(run.run_id) is None and busy.exists()


async def test_a_full_disk_never_turns_a_finished_run_into_an_empty_interrupted_one(llm, lineup_for, tmp_path,
                                                                                  monkeypatch):
    """The database and the data folder on one full disk: the finished run stays in memory, is retried, and is
    stored whole once there is room; meanwhile nothing marks it interrupted."""
    from sqlalchemy.exc import OperationalError

    from moa_core.records import RunStarted
    from moa_core.storage import writer

    monkeypatch.setattr(writer, "RETRY_DELAYS_S", (0.01,))
    store = RunStore.open(f"sqlite:///{tmp_path / 'full.db'}")
    real_store = store._store
    full = {"on": False}

    def store_unless_full(snapshot, owner):
        if full["on"]:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))
        real_store(snapshot, owner)

    def no_space(record):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_store", store_unless_full)
    monkeypatch.setattr(unsaved, "keep", no_space)
    monkeypatch.setattr(store, "RETRY_UNSTORED_S", 3600.0)  # retried by hand below, not by the timer

    def disk_fills_once_started(event):
        if isinstance(event, RunStarted):
            store.flush()  # the running row is written...
            full["on"] = True  # ...then the disk is full

    run = await run_and_record("q", lineup_for(["a", "b"]), store=store, observers=[disk_fills_once_started])
    assert run.status == "ok" and len(run.calls) == 3
    problem = store.save_problem(run.run_id)
    assert problem and "kept in memory" in problem and "No space left" in problem
    assert store.mark_interrupted(stale_after_s=0) == []  # never closed as an empty interrupted run
    assert store.get_run(run.run_id).status == "running"
    full["on"] = False  # room again
    assert store.retry_unstored() == [run.run_id]
    stored = store.get_run(run.run_id)
    assert stored.status == "ok" and len(stored.calls) == 3 and stored.final == run.final
    assert store.save_problem(run.run_id) is None
    store.close()
