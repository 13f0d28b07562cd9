"""`moa leaderboard` without --votes reads the votes table (same JSON shape as from a file)."""
import json

from moa_core.cli import main
from moa_core.review.pairs import pairs_for_run
from moa_core.storage import RunStore
from tests.review.samples import moa_run


def test_leaderboard_from_the_database(private_data_dir, capsys):
    store = RunStore.open()
    for i in range(6):
        run = moa_run(query=f"q{i}")
        store.save_run(run)
        pair = next(p for p in pairs_for_run(run) if p.kind == "baseline")
        for reviewer, winner in (("ann", "a"), ("bob", "a" if i < 4 else "b")):
            store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b,
                           winner=winner, reviewer=reviewer, run_a_id=pair.run_a_id, run_b_id=pair.run_b_id,
                           call_a_id=pair.call_a_id, call_b_id=pair.call_b_id, shown_pair=pair.key)
        store.votes.add_vote(prompt_id=pair.prompt_id, system_a=pair.system_a, system_b=pair.system_b, winner="b",
                       reviewer="judge-model", rater_kind="judge", run_a_id=pair.run_a_id, run_b_id=pair.run_b_id,
                       call_a_id=pair.call_a_id, call_b_id=pair.call_b_id)
    store.close()
    assert main(["leaderboard", "--json", "--bootstrap", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"systems", "pairs", "warnings"} and out["warnings"] == []
    assert [s["name"] for s in out["systems"]] == ["pair", "base-model"]
    (pair,) = out["pairs"]
    assert (pair["a"], pair["wins_a"], pair["wins_b"]) == ("base-model", 2, 10)  # humans only (pairs ordered by name)
    assert main(["leaderboard", "--json", "--bootstrap", "0", "--judges"]) == 0
    (pair,) = json.loads(capsys.readouterr().out)["pairs"]
    assert pair["wins_a"] == 8  # base-model: 2 human + 6 judge wins


def test_a_votes_file_with_old_names_counts_each_system_once(tmp_path, capsys):
    """Older exports name one lineup "MoA: x" (Compare) and "moa: x" (batches), one model "single: m" and "m"."""
    rows = [{"prompt_id": f"p{i}", "a": a, "b": b, "winner": "a"} for i, (a, b) in enumerate(
        [("MoA: pm-3fakes", "base"), ("moa: pm-3fakes", "single: base"), ("pm-3fakes", "proposal: m1")])]
    path = tmp_path / "votes.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["leaderboard", "--votes", str(path), "--json", "--bootstrap", "0"]) == 0
    systems = {s["name"]: s["votes"] for s in json.loads(capsys.readouterr().out)["systems"]}
    assert systems == {"pm-3fakes": 3, "base": 2, "proposal: m1": 1}
