import re

import pytest

from moa_core.lineup import Lineup, LineupError, ModelSpec

TOML = """
rounds = 2
[[proposers]]
model = "openai/gpt-4o-mini"
temperature = 0.2
[[proposers]]
model = "openai/gpt-4o-mini"
temperature = 0.9
system_prompt = "You are a skeptic."
[[proposers]]
model = "ollama_chat/llama3"
api_base = "http://localhost:11434"
label = "llama"
[aggregator]
model = "anthropic/claude-sonnet-4"
api_key_env = "MY_ANTHROPIC_KEY"
max_tokens = 2048
[fallback]
model = "openai/gpt-4o"
"""


def test_toml_round_trip_keeps_every_seat():
    lineup = Lineup.from_toml(TOML)
    assert lineup.rounds == 2
    assert [p.temperature for p in lineup.proposers] == [0.2, 0.9, 0.7]
    assert lineup.aggregator.api_key_env == "MY_ANTHROPIC_KEY"
    assert lineup.fallback.model == "openai/gpt-4o" and lineup.baseline is None
    again = Lineup.from_toml(lineup.to_toml())
    assert again.to_dict() == lineup.to_dict()


def test_self_moa_copies_get_distinct_labels():
    lineup = Lineup.from_toml(TOML)
    labels = [p.display_label for p in lineup.proposers]
    assert labels == ["openai/gpt-4o-mini", "openai/gpt-4o-mini (t=0.9)", "llama"]
    same = Lineup(proposers=[ModelSpec("m", temperature=0.5)] * 3, aggregator=ModelSpec("m"))
    assert len({p.display_label for p in same.proposers}) == 3


@pytest.mark.parametrize("text, message", [
    ("rounds = 1\n[aggregator]\nmodel='x'", "at least one [[proposers]]"),
    ("[[proposers]]\nmodel='x'", "[aggregator]"),
    ("rounds = 0\n[[proposers]]\nmodel='x'\n[aggregator]\nmodel='x'", "rounds"),
    ("[[proposers]]\nmodel='x'\ncolour='red'\n[aggregator]\nmodel='x'", "unknown key(s) colour"),
    ("[[proposers]]\ntemperature=1\n[aggregator]\nmodel='x'", "`model` is required"),
    ("[[proposers]]\nmodel='x'\ntemperature=-1\n[aggregator]\nmodel='x'", "temperature"),
    ("quorum = 3\n[[proposers]]\nmodel='x'\n[aggregator]\nmodel='x'", "quorum"),
    ("this is = not toml =", "invalid TOML"),
    ("min_proposals = '2'\n[[proposers]]\nmodel='x'\n[aggregator]\nmodel='x'", "`min_proposals` must be a number"),
    ("[[proposers]]\nmodel='x'\nmax_tokens=true\n[aggregator]\nmodel='x'", "max_tokens"),
])
def test_bad_lineups_say_what_is_wrong(text, message):
    with pytest.raises(LineupError, match=None) as info:
        Lineup.from_toml(text)
    assert message in str(info.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(LineupError, match="not found"):
        Lineup.load(tmp_path / "nope.toml")


def test_lineup_file_that_is_not_text(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00rounds")
    with pytest.raises(LineupError, match="cannot read lineup file"):
        Lineup.load(path)


@pytest.mark.parametrize("seat, message", [
    ("system_prompt = 42", "proposers[0]: `system_prompt` must be text, not 42"),
    ("api_key_env = 3", "proposers[0]: `api_key_env` must be text, not 3"),
    ("label = true", "proposers[0]: `label` must be text"),
    ("api_base = 1", "proposers[0]: `api_base` must be text"),
    ("temperature = nan", "proposers[0]: `temperature` must be a non-negative finite number"),
    ("input_cost_per_token = inf", "`input_cost_per_token` must be a non-negative finite number"),
    ("output_cost_per_token = nan", "`output_cost_per_token` must be a non-negative finite number"),
])
def test_every_seat_field_is_type_checked(seat, message):
    with pytest.raises(LineupError, match=re.escape(message)):
        Lineup.from_toml(f"[[proposers]]\nmodel='x'\n{seat}\n[aggregator]\nmodel='x'\n")


@pytest.mark.parametrize("top, message", [
    ("aggregator_prompt = 7", "`aggregator_prompt` must be text, not 7"),
    ("name = 5", "`name` must be text"),
    ("timeout_s = nan", "`timeout_s` must be a finite number"),
    ("quorum_deadline_s = inf", "`quorum_deadline_s` must be a finite number"),
])
def test_lineup_fields_are_type_checked(top, message):
    with pytest.raises(LineupError, match=re.escape(message)):
        Lineup.from_toml(f"{top}\n[[proposers]]\nmodel='x'\n[aggregator]\nmodel='x'\n")


def test_seats_built_in_code_are_checked_too():
    with pytest.raises(LineupError, match="aggregator: `system_prompt` must be text"):
        Lineup(proposers=[ModelSpec("x")], aggregator=ModelSpec("x", system_prompt=42))
    with pytest.raises(LineupError, match="`temperature` must be a non-negative finite number"):
        Lineup(proposers=[ModelSpec("x", temperature=float("nan"))], aggregator=ModelSpec("x"))


def test_an_empty_api_base_is_refused_not_read_as_the_public_endpoint():
    with pytest.raises(LineupError, match="api_base` is empty"):
        Lineup.from_toml('[aggregator]\nmodel = "openai/x"\napi_base = ""\n[[proposers]]\nmodel = "openai/x"\n')


@pytest.mark.parametrize("toml, message", [
    ("rounds = 11\n[[proposers]]\nmodel='x'\n[aggregator]\nmodel='x'", "`rounds` must be between 1 and 10"),
    ("max_retries = 11\n[[proposers]]\nmodel='x'\n[aggregator]\nmodel='x'", "`max_retries` must be between 0 and 10"),
    ("[[proposers]]\nmodel=42\n[aggregator]\nmodel='x'", "proposers[0]: `model` must be text, not 42"),
    ("[[proposers]]\nmodel='x'\napi_base='notaurl'\n[aggregator]\nmodel='x'",
     "proposers[0]: `api_base` must be a URL starting with http:// or https://, not 'notaurl'"),
])
def test_upper_limits_model_type_and_url_shape(toml, message):
    with pytest.raises(LineupError, match=re.escape(message)):
        Lineup.from_toml(toml)


def test_a_stored_lineup_reads_as_a_typed_snapshot_old_shapes_included():
    from moa_core.lineup import LineupSnapshot, SeatSnapshot
    from moa_core.records import RunRecord

    lineup = Lineup.from_toml(TOML)
    lineup.name, lineup.baseline = "team", ModelSpec(model="solo", temperature=None)
    snap = RunRecord(query="q", lineup=lineup.to_dict()).lineup_snapshot
    assert snap.name == "team" and snap.rounds == 2 and not snap.adaptive
    assert [p.model for p in snap.proposers] == [p.model for p in lineup.proposers]
    assert snap.proposers[0].temperature == 0.2 and snap.aggregator.model == lineup.aggregator.model
    # a stored seat drops None values, so a missing key reads as ModelSpec's default (as Lineup.from_dict reads it)
    assert snap.baseline == SeatSnapshot(model="solo") and snap.baseline.temperature == 0.7
    assert snap.fallback.model == lineup.fallback.model and snap.seat("fallback") is snap.fallback
    assert snap.seat("proposer", 9) is None and snap.seat("judge") is None
    # an old or hand-made record: no aggregator, a seat that is not a table, odd types, unknown keys
    old = LineupSnapshot.from_dict({"proposers": [{"model": "a", "temperature": None, "max_tokens": "9"}, "junk"],
                                    "rounds": "3", "name": 7, "quorum": True, "whatever": 1})
    assert old.aggregator is None and old.name == "" and old.rounds == 1 and old.quorum is None
    assert old.proposers == (SeatSnapshot(model="a", temperature=None, max_tokens=None), SeatSnapshot())
    single = LineupSnapshot.from_dict({"name": "single: x", "proposers": [], "baseline": {"model": "x"}})
    assert single.proposers == () and single.baseline.model == "x"
    assert LineupSnapshot.from_dict(None) == LineupSnapshot() == RunRecord(query="q", lineup={}).lineup_snapshot
    assert LineupSnapshot.from_dict({"rounds": "auto", "max_rounds": 5}).adaptive
