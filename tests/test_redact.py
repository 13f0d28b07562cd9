"""API keys never reach the database, exports, `moa runs --json` or the terminal, even when a provider echoes them."""
import csv
import io
import json

from moa_core.cli import main
from moa_core.redact import MASK, redact, redact_values, register_key_env
from moa_core.storage import RunStore

KEY = "lb-7f3e9a1c5d2b8e4f6a0c"  # not key-shaped: only knowing the configured value can hide it


def test_configured_values_and_key_shapes_are_redacted(monkeypatch):
    monkeypatch.setenv("ACME_API_KEY", "acme-0123456789abcdef")
    monkeypatch.setenv("SOME_TOKEN", "tok-abcdefghijkl")
    monkeypatch.setenv("SEAT_CRED", "seat-zyxwvutsrq987")
    register_key_env("SEAT_CRED")
    text = ("bad key acme-0123456789abcdef; tok-abcdefghijkl; seat-zyxwvutsrq987; Authorization: Bearer abc.def.ghi123; "
            "sk-proj-AAAAbbbbCCCC1234 and sk-ant-api03-xyz_123456789 and AIzaSyA1234567890abcdefghijk")
    out = redact(text)
    for secret in ("acme-0123456789abcdef", "tok-abcdefghijkl", "seat-zyxwvutsrq987", "abc.def.ghi123",
                   "sk-proj-AAAAbbbbCCCC1234", "sk-ant-api03", "AIzaSyA1234567890"):
        assert secret not in out
    assert out.startswith("bad key " + MASK)
    assert redact("timed out") == "timed out" and redact(None) is None
    assert redact_values("keys look like sk-abcdefghijkl") == "keys look like sk-abcdefghijkl"  # model text


def test_a_key_echoed_by_the_provider_is_stored_exported_and_printed_redacted(llm, monkeypatch, tmp_path,
                                                                                  capsys):
    monkeypatch.setenv("LOOPBACK_CRED", KEY)
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    lineup = tmp_path / "lineup.toml"
    lineup.write_text(f'[[proposers]]\nmodel = "echo"\napi_base = "{llm.base_url}"\napi_key_env = "LOOPBACK_CRED"\n'
                      f'[[proposers]]\nmodel = "ok"\napi_base = "{llm.base_url}"\n'
                      f'[aggregator]\nmodel = "agg"\napi_base = "{llm.base_url}"\n')
    llm.set("echo", fail_times=99, fail_status=401,
            error_body={"error": {"message": f"Incorrect API key provided: {KEY}. Bearer {KEY}", "type": "auth"}})
    assert main(["run", "--lineup", str(lineup), "--retries", "0", "q"]) == 0
    live = capsys.readouterr()
    assert "failed" in live.out and KEY not in live.out + live.err
    assert main(["run", "--lineup", str(lineup), "--retries", "0", "--json", "q"]) == 0
    printed = capsys.readouterr()
    summary = json.loads(printed.out)
    echo = next(c for c in summary["calls"] if c["model"] == "echo")
    assert echo["status"] == "failed" and MASK in echo["error"] and KEY not in printed.out + printed.err

    store = RunStore.open_default()
    stored = store.get_run(summary["run_id"])
    assert KEY not in json.dumps(stored.to_dict()) and MASK in stored.note
    store.close()
    for argv in (["runs", "--json"], ["export", "--format", "jsonl"], ["export", "--format", "csv"]):
        assert main(argv) == 0
        out = capsys.readouterr()
        assert KEY not in out.out + out.err, argv
    assert main(["export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert any(MASK in r["error"] for r in rows)
