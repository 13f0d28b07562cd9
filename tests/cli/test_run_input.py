"""`moa run` with hostile or odd input: one line each, never a traceback; model output made inert."""
import io

import pytest

from moa_core.cli import main
from moa_core.cli.run import LiveView, terminal_safe
from moa_core.records import CallRecord, TokenDelta


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
