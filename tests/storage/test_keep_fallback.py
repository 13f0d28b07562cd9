"""The fallback for a run the database refused catches every error: one line, never a traceback."""
import logging

from moa_core.records import RunFinished
from moa_core.storage import RunStore
from tests.storage.samples import call, record


def test_a_run_that_can_be_written_nowhere_is_one_line_and_no_traceback(private_data_dir, caplog):
    store = RunStore.open_default()
    run = record(query="caf\udce9?", calls=[call("m1")])  # a lone surrogate: neither SQLite nor UTF-8 takes it
    caplog.set_level(logging.DEBUG)
    try:
        store.observe(RunFinished(run=run))
        store.flush()
        problem = store.save_problem(run.run_id)
    finally:
        store.close()
    assert problem and f"run {run.run_id} could not be stored" in problem and "\n" not in problem
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
