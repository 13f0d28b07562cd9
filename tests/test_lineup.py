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
