"""`moa run` opens the store alongside the run (issue 26): the run's events wait in order until it is open,
the stored template and price overrides still apply, and a database that cannot be used stops the run with
one line, before any call when that can be known cheaply, else at once with nothing recorded."""
import asyncio
import json
import threading

import pytest

from moa_core.cli import main
from moa_core.prompts import AGGREGATOR_PROMPT_SETTING
from moa_core.records import CallFinished
from moa_core.service import run_and_record
from moa_core.storage import RunStore, StorageError
from moa_core.storage.deferred import DeferredStore
from moa_core.storage.quick_read import read_settings

pytestmark = pytest.mark.slow  # the CLI against the loopback server (~3 s)

TEMPLATE = "TEMPLATE-MARK: merge these answers.\n{responses}"


def _store_with_override_and_template() -> RunStore:
    store = RunStore.open_default()
    store.catalog.set_setting(AGGREGATOR_PROMPT_SETTING, TEMPLATE)
    store.catalog.set_price("p1", 0.001, 0.002)
    store.catalog.set_price("agg", 0.003, 0.004)
    store.close()
    return store


def test_the_store_opens_after_every_call_ended_and_keeps_the_run_whole(lineup_for):
    _store_with_override_and_template()
    ended = threading.Event()
    opened_after: list[bool] = []

    def late_open():  # the store is not there until the aggregator's call has ended
        ended.wait(30)
        opened_after.append(ended.is_set())
        return RunStore.open_default()

    def watch(event):
        if isinstance(event, CallFinished) and event.call.role == "aggregator":
            ended.set()

    deferred = DeferredStore(read_settings((AGGREGATOR_PROMPT_SETTING,)), opener=late_open)
    record = asyncio.run(run_and_record("What is MoA?", lineup_for(["p1"], "agg"), store=deferred, observers=[watch]))
    assert opened_after == [True] and record.status == "ok"
    aggregator = record.calls_for("aggregator")[0]
    assert "TEMPLATE-MARK" in aggregator.messages[0]["content"]  # the stored template applied
    assert aggregator.cost_usd == pytest.approx(aggregator.prompt_tokens * 0.003 + aggregator.completion_tokens * 0.004)
    proposer = record.calls_for("proposer")[0]
    assert proposer.cost_usd == pytest.approx(proposer.prompt_tokens * 0.001 + proposer.completion_tokens * 0.002)

    stored = RunStore.open_default().get_run(record.run_id)  # every event reached the database, in order
    assert stored.status == "ok" and stored.final == record.final
    assert [(c.role, c.status, c.cost_usd) for c in stored.calls] == \
        [(c.role, c.status, c.cost_usd) for c in record.calls]
    assert "TEMPLATE-MARK" in stored.calls_for("aggregator")[0].messages[0]["content"]
    assert stored.cost_usd == pytest.approx(record.cost_usd)


def test_moa_run_stores_the_run_with_the_template_and_prices(llm, capsys):
    _store_with_override_and_template()
    code = main(["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url, "--json", "hi"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["cost_usd"] is not None and out["cost_usd"] > 0
    stored = RunStore.open_default().get_run(out["run_id"])
    assert [c.role for c in stored.calls] == ["proposer", "aggregator"] and stored.status == "ok"
    assert "TEMPLATE-MARK" in stored.calls_for("aggregator")[0].messages[0]["content"]
    assert stored.cost_usd == pytest.approx(out["cost_usd"])


def test_a_database_that_is_not_one_fails_before_any_call(llm, private_data_dir, capsys):
    private_data_dir.mkdir(parents=True)
    (private_data_dir / "moa.db").write_bytes(b"this is not a database" * 100)
    seen = len(llm.requests)
    assert main(["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url, "hi"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot open database" in err and "Traceback" not in err
    assert len(llm.requests) == seen  # no call was made


def test_a_data_folder_under_a_file_fails_before_any_call(llm, tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "afile" / "data"))
    seen = len(llm.requests)
    assert main(["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url, "hi"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not writable" in err
    assert len(llm.requests) == seen


def test_a_store_that_fails_to_open_mid_run_stops_it_with_nothing_recorded(lineup_for):
    def broken():
        raise StorageError("cannot open database sqlite:///x: OperationalError: disk I/O error")

    deferred = DeferredStore(read_settings((AGGREGATOR_PROMPT_SETTING,)), opener=broken)
    with pytest.raises(StorageError, match="disk I/O error"):
        asyncio.run(run_and_record("What is MoA?", lineup_for(["p1", "p2"], "agg"), store=deferred))
    assert RunStore.open_default().list_runs() == []


def test_a_database_with_a_migration_due_is_left_to_the_store(private_data_dir):
    RunStore.open_default().close()
    import sqlite3

    with sqlite3.connect(private_data_dir / "moa.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'older'")
    assert read_settings((AGGREGATOR_PROMPT_SETTING,)) is None  # `moa run` opens (and upgrades) it first


def test_the_quick_read_loads_no_sqlalchemy(tmp_path):
    import subprocess
    import sys

    code = ("import os, sys; os.environ['MOA_DATA_DIR'] = sys.argv[1]\n"
            "from moa_core.storage.quick_read import read_settings\n"
            "s = read_settings(('aggregator_prompt',)); assert s.get_setting('aggregator_prompt') == 'T', s\n"
            "print([m for m in ('sqlalchemy', 'sqlmodel', 'alembic') if m in sys.modules])")
    folder = tmp_path / "fresh"
    folder.mkdir()
    store = RunStore.open(f"sqlite:///{folder / 'moa.db'}")
    store.catalog.set_setting(AGGREGATOR_PROMPT_SETTING, "T")
    store.close()
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
