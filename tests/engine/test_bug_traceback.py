"""A bug inside a run closes it with one readable line; the redacted traceback goes to `<data folder>/moa.log`
for whoever debugs (and to stderr with MOA_DEBUG=1). Real run against the loopback server; the bug is injected
into the orchestration step that waits for a round's proposers."""
import moa_core.engine.run as engine_run
from moa_core.engine import run_moa_sync

SECRET = "sk-proj-abcdefghijklmnop1234"


def _broken_round(monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError(f"provider echoed key {SECRET}")
    monkeypatch.setattr(engine_run, "until_quorum", broken)


def test_a_bug_in_a_run_is_one_line_on_the_record_and_a_traceback_in_the_log(llm, lineup_for, private_data_dir,
                                                                              monkeypatch, capsys):
    monkeypatch.delenv("MOA_DEBUG", raising=False)
    _broken_round(monkeypatch)
    record = run_moa_sync("How many?", lineup_for(["a", "b"]))
    assert record.status == "failed"
    assert record.error.startswith("internal error:") and "\n" not in record.error and SECRET not in record.error
    log = (private_data_dir / "moa.log").read_text()
    assert f"run {record.run_id} failed: internal error" in log
    assert "Traceback" in log and "RuntimeError: provider echoed key [REDACTED]" in log
    assert "in broken" in log  # the frame where the bug is, for whoever debugs
    assert SECRET not in log
    assert "Traceback" not in capsys.readouterr().err


def test_moa_debug_prints_the_runs_traceback_on_stderr(llm, lineup_for, private_data_dir, monkeypatch, capsys):
    monkeypatch.setenv("MOA_DEBUG", "1")
    _broken_round(monkeypatch)
    assert run_moa_sync("How many?", lineup_for(["a"])).status == "failed"
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError" in err and SECRET not in err
