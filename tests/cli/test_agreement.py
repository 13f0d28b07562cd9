"""`moa agreement FILE`: the JSON shape, the readable report, one-line errors."""
import json

import pytest

from moa_core.cli import main
from tests.agreement.test_align import PROPOSALS


def write(tmp_path, data) -> str:
    path = tmp_path / "input.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_json(tmp_path, capsys):
    path = write(tmp_path, {"proposals": PROPOSALS, "final": "The lease runs for 12 months."})
    assert main(["agreement", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"claims", "final_sentences", "dropped_consensus", "similarity"}
    assert all(set(c) == {"text", "supported_by", "conflicts_with"} for c in out["claims"])
    assert all(set(s) == {"text", "sources", "unsupported"} for s in out["final_sentences"])
    notice = [c for c in out["claims"] if "notice" in c["text"]]
    assert notice[0]["supported_by"] == [0, 1] and notice[0]["conflicts_with"] == [2]
    assert notice[1]["supported_by"] == [2] and notice[1]["conflicts_with"] == [0, 1]  # the other side, too
    assert out["dropped_consensus"] == ["Monthly rent is $1,500.", "The tenant must give 30 days' notice."]
    assert len(out["similarity"]) == 3


def test_cli_report(tmp_path, capsys):
    final = "The tenant must give 30 days' notice. Smoking is forbidden inside the flat."
    path = write(tmp_path, {"proposals": PROPOSALS, "final": final})
    assert main(["agreement", path]) == 0
    out = capsys.readouterr().out
    assert "3/3 [1][2][3] The lease runs for 12 months." in out
    assert "[3] The tenant must give 90 days' notice." in out          # competing version
    assert "The tenant must give 30 days' notice. [1][2] (contradicted by [3])" in out
    assert "Smoking is forbidden inside the flat. UNSUPPORTED" in out
    assert "- Monthly rent is $1,500." in out                           # dropped consensus


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "invalid JSON"),
    ('["a", "b"]', "expected an object"),
    ('{"proposals": "one string", "final": ""}', '"proposals" must be a list of strings'),
    ('{"proposals": [1, 2], "final": ""}', '"proposals" must be a list of strings'),
    ('{"proposals": [], "final": ""}', '"proposals" is empty'),
    ('{"proposals": ["a"], "final": 3}', '"final" must be a string'),
])
def test_cli_bad_input_exit_2_one_line(tmp_path, capsys, content, message):
    path = str(tmp_path / "missing.json") if content is None else write(tmp_path, content)
    assert main(["agreement", path, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("moa: error:")


def test_cli_llm_needs_model(tmp_path, capsys):
    path = write(tmp_path, {"proposals": ["Rent is $900."], "final": ""})
    assert main(["agreement", path, "--method", "llm"]) == 2
    assert "--model" in capsys.readouterr().err
