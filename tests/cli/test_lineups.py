"""Saved lineups from the command line: `--lineup NAME` and `moa lineups` (list, export)."""
import json

import pytest

from moa_core.cli import main
from moa_core.lineup import Lineup, ModelSpec
from moa_core.storage import RunStore


@pytest.fixture
def store():
    store = RunStore.open_default()
    yield store
    store.close()


def _saved(store, name: str, base_url: str, proposers=("a", "b")) -> Lineup:
    lineup = Lineup(proposers=[ModelSpec(model=m, api_base=base_url) for m in proposers],
                    aggregator=ModelSpec(model="agg", api_base=base_url), timeout_s=5)
    store.catalog.save_lineup(name, lineup.to_toml())
    return lineup


def test_a_saved_lineup_runs_by_name(llm, store, capsys):
    _saved(store, "two fast", llm.base_url)
    llm.set("agg", text="From the saved lineup.")
    assert main(["run", "--lineup", "two fast", "--json", "q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["final"] == "From the saved lineup."
    assert [c["model"] for c in out["calls"]] == ["a", "b", "agg"]


def test_an_existing_file_wins_over_a_saved_name(llm, store, tmp_path, monkeypatch, capsys):
    _saved(store, "l.toml", llm.base_url, proposers=("saved",))
    (tmp_path / "l.toml").write_text(f'[[proposers]]\nmodel = "from-file"\napi_base = "{llm.base_url}"\n'
                                     f'[aggregator]\nmodel = "agg"\napi_base = "{llm.base_url}"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--lineup", "l.toml", "--json", "q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["model"] for c in out["calls"]] == ["from-file", "agg"]


def test_an_unknown_lineup_lists_the_saved_names_in_one_line(llm, store, capsys):
    _saved(store, "beta", llm.base_url)
    _saved(store, "alpha", llm.base_url)
    assert main(["run", "--lineup", "gamma", "q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no lineup file or saved lineup named 'gamma'" in err and "saved lineups: alpha, beta" in err


def test_an_unknown_lineup_with_none_saved_says_so(capsys):
    assert main(["run", "--lineup", "gamma", "q"]) == 2
    err = capsys.readouterr().err
    assert "no lineup file or saved lineup named 'gamma'" in err and "no lineups are saved yet" in err
    assert err.count("\n") == 1


def test_a_directory_as_the_lineup_says_it_is_a_directory(tmp_path, capsys):
    assert main(["run", "--lineup", str(tmp_path), "q"]) == 2
    err = capsys.readouterr().err
    assert f"--lineup is a directory, not a lineup file: {tmp_path}" in err and "not found" not in err


def test_moa_lineups_lists_and_exports(llm, store, tmp_path, capsys):
    assert main(["lineups"]) == 0
    assert "no saved lineups" in capsys.readouterr().out
    saved = _saved(store, "two fast", llm.base_url)
    _saved(store, "solo", llm.base_url, proposers=("x",))
    assert main(["lineups"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["name", "proposers", "aggregator"]
    assert lines[1].startswith("solo ") and " 1 " in lines[1]
    assert lines[2].startswith("two fast ") and " 2 " in lines[2] and "agg" in lines[2]
    assert main(["lineups", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["solo", "two fast"] and rows[1]["proposers"] == ["a", "b"]

    assert main(["lineups", "export", "two fast"]) == 0
    assert Lineup.from_toml(capsys.readouterr().out) == saved
    out = tmp_path / "two.toml"
    assert main(["lineups", "export", "two fast", "--out", str(out)]) == 0
    assert Lineup.load(out) == saved and f"wrote {out}" in capsys.readouterr().err
    # the exported file runs as a file
    llm.set("agg", text="ok")
    assert main(["run", "--lineup", str(out), "--json", "q"]) == 0


def test_exporting_an_unknown_lineup_lists_the_saved_ones(llm, store, capsys):
    _saved(store, "solo", llm.base_url, proposers=("x",))
    assert main(["lineups", "export", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no saved lineup named 'nope'" in err and "saved lineups: solo" in err and err.count("\n") == 1
