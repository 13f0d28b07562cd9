"""`moa run` with hostile or odd input: one line each, never a traceback; model output made inert."""
import io
import os
import subprocess
import sys

import pytest

from moa_core.cli import main
from moa_core.cli.run import LiveView, terminal_safe
from moa_core.records import CallRecord, TokenDelta

pytestmark = pytest.mark.slow  # out of the quick tier: the moa command in subprocesses


@pytest.mark.parametrize("option", ["--timeout", "--temperature", "--quorum-deadline"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_infinity_are_refused(option, value, capsys):
    assert main(["run", "--proposer", "p", "--api-base", "http://127.0.0.1:1/v1", f"{option}={value}", "q"]) == 2
    err = capsys.readouterr().err
    assert "must be a finite number" in err and err.count("\n") == 1


def test_a_query_starting_with_a_dash_goes_after_double_dash(llm, capsys):
    code = main(["run", "--proposer", "p", "--api-base", llm.base_url, "--no-store", "--json", "--",
                 "-5 degrees: is that cold?"])
    capsys.readouterr()
    assert code == 0 and any("-5 degrees: is that cold?" in str(r.messages) for r in llm.requests)
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "after '--'" in capsys.readouterr().out


def test_live_view_strips_terminal_escapes_from_model_output():
    out = io.StringIO()
    call = CallRecord(role="aggregator", round=1, index=0, model="agg", label="agg")
    LiveView(out)(TokenDelta(call, "ok\x1b[2J\x1b]0;pwned\x07 done\r\x08\nnext\tline\x9b"))
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\x9b" not in text
    assert text.endswith("ok done\nnext\tline")
    assert terminal_safe("a\nb\tc") == "a\nb\tc"


def test_a_failed_run_names_the_first_error(llm, capsys):
    llm.set("down", fail_times=99, fail_status=400, error_body={"error": {"message": "model is not served here"}})
    code = main(["run", "--proposer", "down", "--aggregator", "down", "--api-base", llm.base_url, "--no-store",
                 "--retries", "0", "q"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "\n" not in err
    assert "only 0 of 1 proposals succeeded" in err and "first error: down:" in err and "not served here" in err


def test_a_model_litellm_cannot_place_is_refused_before_any_call(monkeypatch, capsys):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-used")
    code = main(["run", "--proposer", "claude-3-5-haiku-20241022", "--no-store", "q"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "write it as provider/model, e.g. anthropic/claude-3-5-haiku-20241022, or give --api-base" in err


def test_a_one_passage_document_is_counted_in_the_singular(llm, tmp_path, capsys):
    doc = tmp_path / "note.txt"
    doc.write_text("Notice period: 30 days.")
    assert main(["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url,
                 "--document", str(doc), "notice?"]) == 0
    out = capsys.readouterr().out
    assert "document note.txt: 1 passage\n" in out


def _moa(args, stdin: bytes, tmp_path):
    env = dict(os.environ, MOA_DATA_DIR=str(tmp_path / "data"), LC_ALL="C.UTF-8")
    moa = os.path.join(os.path.dirname(sys.executable), "moa")
    return subprocess.run([moa, *args], input=stdin, capture_output=True, timeout=60, env=env)


def test_a_prompt_that_is_not_utf8_is_refused_in_one_line(llm, tmp_path):
    base = ["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url]
    done = _moa(base + ["-"], b"caf\xe9 au lait?", tmp_path)
    err = done.stderr.decode()
    assert done.returncode == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "the prompt on standard input is not UTF-8 text (byte 0xe9 at position 3)" in err
    done = _moa(base + [b"caf\xe9?"], b"", tmp_path)
    err = done.stderr.decode()
    assert done.returncode == 2 and "the prompt is not UTF-8 text (byte 0xe9 at position 3)" in err, err
    assert not llm.requests  # refused before any call
    done = _moa(base + ["--json", "-"], "café au lait?".encode(), tmp_path)  # UTF-8 is read as such
    assert done.returncode == 0, done.stderr
    assert "café au lait?" in llm.requests[0].messages[-1]["content"]


@pytest.mark.parametrize("argv, message", [
    (["--rounds", "50"], "--rounds must be between 1 and 10 (or auto), not 50"),
    (["--rounds", "0"], "--rounds must be between 1 and 10 (or auto), not 0"),
    (["--rounds", "auto", "--max-rounds", "11"], "--max-rounds must be between 1 and 10, not 11"),
    (["--retries", "1000"], "--retries must be between 0 and 10, not 1000"),
    (["--retries", "-1"], "--retries must be between 0 and 10, not -1"),
    (["--timeout", "-1"], "--timeout must be a positive number of seconds, not -1"),
    (["--timeout", "0"], "--timeout must be a positive number of seconds, not 0"),
    (["--quorum-deadline", "-2"], "--quorum-deadline must be a positive number of seconds, not -2"),
    (["--api-base", "notaurl"], "--api-base must be a URL starting with http:// or https://, not 'notaurl'"),
])
def test_out_of_range_options_name_the_flag(argv, message, capsys):
    assert main(["run", "--proposer", "p", *argv, "q"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
