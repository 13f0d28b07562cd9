"""`moa run` as users and other tools drive it: JSON shape, live view, exit codes, one-line errors."""
import json
import os
import subprocess
import sys

import pytest

from moa_core.cli import main

pytestmark = pytest.mark.slow  # out of the quick tier: the CLI in subprocesses (~7 s)

CALL_KEYS = {"role", "round", "model", "label", "started_s", "first_token_s", "ended_s", "prompt_tokens",
             "completion_tokens", "cost_usd", "error", "text"}


def test_json_output_has_the_stable_shape(llm, capsys):
    llm.set("agg", text="The synthesis.")
    code = main(["run", "--proposer", "p1", "--proposer", "p2", "--aggregator", "agg",
                 "--api-base", llm.base_url, "--json", "What is MoA?"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"run_id", "status", "final", "wall_s", "critical_path_s", "cost_usd", "calls"} <= set(out)
    assert out["status"] == "ok" and out["final"] == "The synthesis."
    assert [c["role"] for c in out["calls"]] == ["proposer", "proposer", "aggregator"]
    assert all(CALL_KEYS <= set(c) for c in out["calls"])
    assert out["cost_usd"] is None  # loopback models have no known price


def test_live_view_shows_progress_then_synthesis(llm, capsys):
    llm.set("agg", text="Final answer here.")
    llm.set("p2", fail_times=9, fail_status=500)
    code = main(["run", "--proposer", "p1", "--proposer", "p2", "--aggregator", "agg", "--retries", "0",
                 "--api-base", llm.base_url, "hello"])
    out = capsys.readouterr().out
    assert code == 0
    assert "✓ [1] p1 (round 1)" in out and "✗ [2] p2 (round 1) failed" in out
    assert "── aggregator: agg ──\nFinal answer here." in out
    assert "partial — synthesized from 1 of 2 proposals" in out


def test_lineup_file_document_baseline_and_quorum(llm, tmp_path, capsys):
    lineup = tmp_path / "l.toml"
    lineup.write_text(f'rounds = 2\n[[proposers]]\nmodel = "a"\napi_base = "{llm.base_url}"\n'
                      f'[[proposers]]\nmodel = "b"\napi_base = "{llm.base_url}"\n'
                      f'[aggregator]\nmodel = "agg"\napi_base = "{llm.base_url}"\n')
    doc = tmp_path / "contract.txt"
    doc.write_text("Notice period: 30 days.")
    code = main(["run", "--lineup", str(lineup), "--document", str(doc), "--baseline", "base",
                 "--api-base", llm.base_url, "--quorum", "2", "--json", "Notice period?"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert sorted({(c["role"], c["round"]) for c in out["calls"]}) == [
        ("aggregator", 2), ("baseline", 1), ("proposer", 1), ("proposer", 2)]
    first = next(r for r in llm.requests if r.model == "a")
    assert "Notice period: 30 days." in first.messages[-1]["content"]


@pytest.mark.parametrize("argv, message", [
    (["run", "--bogus", "x"], "unrecognized arguments: --bogus"),
    (["run", "--proposer", "p", "   "], "the prompt is empty"),
    (["run", "--proposer", "p", "--document", "/nonexistent/file.txt", "q"], "document not found"),
    (["run", "--lineup", "/nonexistent/l.toml", "q"], "no lineup file or saved lineup named '/nonexistent/l.toml'"),
    (["run", "--proposer", "gpt-4o-mini", "q"], "set the environment variable OPENAI_API_KEY"),
    (["run", "--proposer", "p", "--rounds", "0", "q"], "--rounds must be between 1 and 10"),
    (["frobnicate"], "invalid choice"),
    (["run", "--proposer", "local/no-such-model", "q"], "proposer local/no-such-model cannot be reached"),
])
def test_bad_input_is_one_line_on_stderr(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_failed_run_exits_non_zero_with_reason(llm, capsys):
    llm.set("down", fail_times=99, fail_status=500)
    code = main(["run", "--proposer", "down", "--aggregator", "down", "--retries", "0",
                 "--api-base", llm.base_url, "--json", "q"])
    captured = capsys.readouterr()
    assert code == 1 and json.loads(captured.out)["status"] == "failed"
    assert captured.err.startswith("moa: error: run failed: only 0 of 1 proposals")


def test_console_script_is_installed_and_never_prints_a_traceback(tmp_path):
    moa = os.path.join(os.path.dirname(sys.executable), "moa")
    done = subprocess.run([moa, "run", "--proposer", "p", "--document", str(tmp_path / "missing.pdf"), "q"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"moa: error: document not found: {tmp_path / 'missing.pdf'}"]


def test_the_aggregator_prompt_saved_in_settings_applies_to_cli_runs(llm, capsys):
    from moa_core.prompts import AGGREGATOR_PROMPT_SETTING
    from moa_core.storage import RunStore

    store = RunStore.open_default()
    store.catalog.set_setting(AGGREGATOR_PROMPT_SETTING, "Merge these carefully:\n{proposals}")
    try:
        assert main(["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url, "--json", "q"]) == 0
    finally:
        store.catalog.set_setting(AGGREGATOR_PROMPT_SETTING, None)
    aggregator = next(r for r in llm.requests if r.model == "agg")
    assert aggregator.messages[0]["content"].startswith("Merge these carefully:\n[1] p1\n")


def test_several_documents_are_each_named_and_quotes_say_which_document(llm, tmp_path, capsys):
    lease, annex = tmp_path / "lease.txt", tmp_path / "annex.md"
    lease.write_text("7.2 Notice\nEither party may terminate this lease with ninety days written notice.")
    annex.write_text("Annex B\nThe tenant receives three keys at the start of the term.")
    llm.set("p1", text='The lease says "terminate this lease with ninety days written notice".')
    llm.set("p2", text='Annex B says "the tenant receives three keys at the start".')
    llm.set("agg", text='Notice is "thirty days by email to the landlord" per clause 7.2.')
    code = main(["run", "--proposer", "p1", "--proposer", "p2", "--aggregator", "agg", "--api-base", llm.base_url,
                 "--document", str(lease), "--document", str(annex), "--json", "Notice and keys?"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [d["name"] for d in out["documents"]] == ["lease.txt", "annex.md"]
    assert all(d["left_out"] == [] and d["passages_left_out"] == 0 for d in out["documents"])
    sent = next(r for r in llm.requests if r.model == "p1").messages[-1]["content"]
    assert '<document name="lease.txt">' in sent and '<document name="annex.md">' in sent
    quotes = {(q["source"], q["status"], q["document"], q["location"]) for q in out["quotes"]}
    assert quotes == {("proposal 1", "exact", "lease.txt", "paragraph 1"),
                      ("proposal 2", "exact", "annex.md", "paragraph 1"),
                      ("final", "not_found", None, None)}
    refs = {(r["source"], r["text"], r["status"], r["document"]) for r in out["references"]}
    assert refs == {("proposal 2", "Annex B", "found", "annex.md"), ("final", "clause 7.2", "found", "lease.txt")}


def test_fit_documents_reports_what_was_left_out(llm, tmp_path, capsys, monkeypatch):
    from moa_core.providers import endpoints

    paragraphs = [f"Paragraph {i} describes the hallway carpet and the opening hours of the gym." for i in range(60)]
    paragraphs[41] = "Notice of termination is ninety days, given in writing to the landlord."
    doc = tmp_path / "long.txt"
    doc.write_text("\n\n".join(paragraphs))
    monkeypatch.setattr(endpoints, "context_window", lambda spec: 700)
    argv = ["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url, "--max-tokens", "200",
            "--document", str(doc), "--json", "How much notice to terminate?"]
    assert main(argv) == 2
    assert "accepts at most 700" in capsys.readouterr().err
    assert main(argv[:-2] + ["--fit-documents", "--json", "How much notice to terminate?"]) == 0
    [info] = json.loads(capsys.readouterr().out)["documents"]
    assert 0 < info["passages_left_out"] < 60 and info["passages"] == 60
    assert "paragraph 42" not in ", ".join(info["left_out"]) and "fitted to" in info["fit_note"]
    sent = next(r for r in llm.requests if r.model == "p1").messages[-1]["content"]
    assert "Notice of termination is ninety days" in sent and "left out to fit the context window" in sent
    assert main(argv[:-2] + ["--on-overflow", "fit", "How much notice to terminate?"]) == 0
    assert "left out to fit: paragraph" in capsys.readouterr().out
