"""Adaptive rounds: proposers that agree stop after round 1; proposers that keep disagreeing run every round."""
import json

import pytest

from moa_core.engine import run_moa
from moa_core.engine.adaptive import RoundCheck, saved_note, stop_reason
from moa_core.lineup import Lineup, LineupError


def test_the_decision_rule():
    agree = RoundCheck(similarity=0.8, contested=0)
    assert stop_reason(agree, None).startswith("the proposals agree")
    first, second = RoundCheck(0.3, 2), RoundCheck(0.31, 2)
    assert stop_reason(first, None) is None  # disagreeing after round 1: go on
    assert stop_reason(second, first).startswith("the disagreement no longer shrinks")
    assert stop_reason(RoundCheck(0.5, 0), RoundCheck(0.3, 2)) is None  # still converging
    assert saved_note(1, 3, 3, 0.002) == "saved 6 call(s), about $0.0040 against 3 fixed rounds"
    assert saved_note(3, 3, 3, None) == "ran all 3 rounds"


def test_lineup_accepts_auto_and_checks_max_rounds():
    lineup = Lineup.from_dict({"rounds": "auto", "max_rounds": 4, "proposers": [{"model": "a"}],
                               "aggregator": {"model": "a"}})
    assert lineup.adaptive and lineup.round_limit == 4 and lineup.to_dict()["max_rounds"] == 4
    with pytest.raises(LineupError, match="rounds"):
        Lineup.from_dict({"rounds": "often", "proposers": [{"model": "a"}], "aggregator": {"model": "a"}})
    with pytest.raises(LineupError, match="max_rounds"):
        Lineup.from_dict({"rounds": "auto", "max_rounds": 0, "proposers": [{"model": "a"}],
                          "aggregator": {"model": "a"}})


async def test_agreeing_proposers_stop_after_round_one(llm, lineup_for):
    for name in ("a", "b", "c"):
        llm.set(name, text="The notice period is 30 days from written notice to the landlord.")
    run = await run_moa("Notice?", lineup_for(["a", "b", "c"], rounds="auto", max_rounds=3))
    assert run.status == "ok" and run.rounds_run == 1
    assert {c.round for c in run.calls_for("proposer")} == {1}
    assert run.rounds_note.startswith("stopped after round 1 of at most 3: the proposals agree")
    assert "saved 6 call(s)" in run.rounds_note and run.calls_for("aggregator")[0].round == 1


ROUNDS = {  # per proposer, what it says in round 1 and after reading the others: closer, but still apart
    "a": ["Notice is 30 days. Rent is due monthly. Pets are banned.", "Notice is 30 days. Rent is monthly."],
    "b": ["Notice is 90 days. Rent is due weekly. Smoking is banned.", "Notice is 60 days. Rent is monthly."],
}


def _by_round(name):
    def reply(messages):
        system = " ".join(m["content"] for m in messages if m["role"] == "system")
        return ROUNDS[name][1 if "[1]" in system else 0]
    return reply


async def test_proposers_that_keep_disagreeing_run_every_round(llm, lineup_for):
    """Round 2+ see the previous round's proposals ([1], [2] ...): each round they disagree less, never none."""
    for name in ROUNDS:
        llm.set(name, reply=_by_round(name))
    run = await run_moa("Notice?", lineup_for(["a", "b"], rounds="auto", max_rounds=3))
    assert run.rounds_run == 3 and "reached max_rounds" in run.rounds_note


async def test_stuck_disagreement_stops_adding_rounds(llm, lineup_for):
    llm.set("a", text="The notice period is 30 days.")
    llm.set("b", text="The notice period is 90 days.")
    run = await run_moa("Notice?", lineup_for(["a", "b"], rounds="auto", max_rounds=4))
    assert run.rounds_run == 2 and "the disagreement no longer shrinks" in run.rounds_note
    assert "saved 4 call(s)" in run.rounds_note


def test_cli_json_has_rounds_run_and_note(llm, capsys):
    from moa_core.cli import main

    for name in ("a", "b"):
        llm.set(name, text="Paris is the capital of France and its largest city.")
    assert main(["run", "--api-base", llm.base_url, "--proposer", "a", "--proposer", "b", "--rounds", "auto",
                 "--max-rounds", "3", "--json", "--no-store", "Capital of France?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rounds_run"] == 1 and out["rounds_note"].startswith("stopped after round 1")
