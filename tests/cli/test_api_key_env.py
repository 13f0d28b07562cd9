"""Every model given on the command line, judge included, can log in to a keyed gateway with `--api-key-env NAME`:
the loopback server records the Authorization header each call arrived with. Without the flag a base URL gets a
placeholder, never the user's OpenAI key (it would leak to whatever server was typed)."""
import json

import pytest

from moa_core.cli import main

pytestmark = pytest.mark.slow  # out of the quick tier: whole runs and a batch through the CLI

TEAM_KEY = "sk-team-gateway-0123456789abcdef"
OPENAI_KEY = "sk-openai-personal-fedcba9876543210"


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("TEAM_GATEWAY_KEY", TEAM_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)


def _auth(llm) -> dict[str, set[str]]:
    """model -> the Authorization headers its calls carried."""
    seen: dict[str, set[str]] = {}
    for r in llm.requests:
        seen.setdefault(r.model, set()).add(r.headers.get("authorization"))
    return seen


def test_moa_run_sends_the_named_variable_to_every_seat(llm, keys, capsys):
    code = main(["run", "--proposer", "p1", "--proposer", "p2", "--aggregator", "agg", "--baseline", "base",
                 "--api-base", llm.base_url, "--api-key-env", "TEAM_GATEWAY_KEY", "--json", "Notice period?"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "ok"
    assert _auth(llm) == {m: {f"Bearer {TEAM_KEY}"} for m in ("p1", "p2", "agg", "base")}
    assert TEAM_KEY not in json.dumps(out)  # the variable's name travels with the run, never its value


def test_without_the_flag_a_base_url_never_gets_the_openai_key(llm, keys, capsys):
    code = main(["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url, "--json", "hi"])
    assert code == 0, capsys.readouterr().err
    headers = set().union(*_auth(llm).values())
    assert headers == {"Bearer sk-no-key-needed"}
    assert not any(OPENAI_KEY in h for h in headers)


def test_an_unset_key_variable_is_named_before_any_call(llm, monkeypatch, capsys):
    monkeypatch.delenv("TEAM_GATEWAY_KEY", raising=False)
    code = main(["run", "--proposer", "p1", "--aggregator", "agg", "--api-base", llm.base_url,
                 "--api-key-env", "TEAM_GATEWAY_KEY", "hi"])
    err = capsys.readouterr().err
    assert code == 2 and "TEAM_GATEWAY_KEY" in err and len(err.strip().splitlines()) == 1
    assert llm.requests == []


def test_a_key_variable_is_a_name_not_a_key(llm, keys, capsys):
    code = main(["run", "--proposer", "p1", "--api-base", llm.base_url, "--api-key-env", TEAM_KEY, "hi"])
    err = capsys.readouterr().err
    assert code == 2 and "--api-key-env" in err and TEAM_KEY not in err  # the pasted key is not echoed
    assert llm.requests == []


def test_moa_batch_sends_the_named_variable_from_baseline_self_moa_and_judge(llm, keys, tmp_path, capsys):
    set_file = tmp_path / "qs.jsonl"
    set_file.write_text("\n".join(json.dumps({"query": f"Q{i}?"}) for i in range(2)) + "\n")
    lineup = tmp_path / "lineup.toml"
    lineup.write_text(f'timeout_s = 5\n[[proposers]]\nmodel = "p1"\napi_base = "{llm.base_url}"\n'
                      f'[aggregator]\nmodel = "agg"\napi_base = "{llm.base_url}"\n')
    llm.set("judge", text="Both are fine. [[C]]")
    code = main(["batch", str(set_file), "--lineup", str(lineup), "--baseline", "base", "--self-moa", "selfm:2",
                 "--judge", "judge", "--api-base", llm.base_url, "--api-key-env", "TEAM_GATEWAY_KEY", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    seen = _auth(llm)
    for model in ("base", "selfm", "judge"):  # every model named on the command line logs in
        assert seen[model] == {f"Bearer {TEAM_KEY}"}, model
    # the lineup's own seats keep what the lineup says (no key variable there: the placeholder)
    assert seen["p1"] == {"Bearer sk-no-key-needed"}
    assert not any(OPENAI_KEY in h for hs in seen.values() for h in hs)
