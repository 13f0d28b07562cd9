"""A seat's own context window (issue 24): a self-hosted model litellm does not know gets one from the
table, the TOML or the CLI, so a long upload is refused with the numbers or fitted instead of "unknown"."""
from __future__ import annotations

import json
import re

import pytest

from moa_core.cli import main
from moa_core.documents import Document
from moa_core.engine import RunInputError, preflight
from moa_core.lineup import Lineup, LineupError, ModelSpec
from moa_core.providers import endpoints

LONG = Document("manual.txt", "\n\n".join(
    [f"Section {i}. The device shall be cleaned with a dry cloth and stored in its case after use {i}."
     for i in range(1, 120)] + ["Section 999. The warranty lasts twenty-four months from delivery."]))


def _seat(llm, name: str, window: int | None = None) -> ModelSpec:
    return ModelSpec(name, api_base=llm.base_url, max_tokens=200, context_window=window)


def test_the_toml_round_trips_a_seats_context_window():
    lineup = Lineup(proposers=[ModelSpec("openai/mine", api_base="http://127.0.0.1:9/v1", context_window=8192)],
                    aggregator=ModelSpec("openai/mine", api_base="http://127.0.0.1:9/v1"))
    again = Lineup.from_toml(lineup.to_toml())
    assert again.proposers[0].context_window == 8192 and again.aggregator.context_window is None
    assert "context_window = 8192" in lineup.to_toml()


@pytest.mark.parametrize("value", [0, -5, 1.5, "8k", True])
def test_a_context_window_must_be_a_positive_integer(value):
    with pytest.raises(LineupError, match="context_window"):
        ModelSpec.from_dict({"model": "openai/mine", "context_window": value})


def test_a_set_window_is_the_seats_window_known_or_not(llm):
    assert endpoints.context_window(_seat(llm, "self-hosted")) is None  # litellm has never heard of it
    assert endpoints.context_window(_seat(llm, "self-hosted", 4096)) == 4096
    assert endpoints.context_window(ModelSpec("gpt-4o-mini", context_window=2000)) == 2000  # the user's word wins


def test_a_self_hosted_seat_with_a_window_is_refused_with_numbers_or_fitted(llm):
    unknown = Lineup(proposers=[_seat(llm, "p")], aggregator=_seat(llm, "agg"))
    assert preflight("How long is the warranty?", unknown, [LONG]) == [LONG]  # no window: nothing to check
    lineup = Lineup(proposers=[_seat(llm, "p", 1500)], aggregator=_seat(llm, "agg", 1500))
    with pytest.raises(RunInputError, match=r"accepts at most 1,500"):
        preflight("How long is the warranty?", lineup, [LONG])
    [fitted] = preflight("How long is the warranty?", lineup, [LONG], on_overflow="fit")
    assert fitted.left_out and "twenty-four months" in fitted.prompt_text()
    assert "1,500-token window" in fitted.fit_note


def test_the_cli_sets_the_window_of_its_models(llm, tmp_path, capsys):
    doc = tmp_path / "manual.txt"
    doc.write_text(LONG.text)
    llm.set("agg", text="The warranty lasts twenty-four months.")
    argv = ["run", "--proposer", "p", "--aggregator", "agg", "--api-base", llm.base_url, "--max-tokens", "200",
            "--context-window", "1500", "--document", str(doc), "--json", "How long is the warranty?"]
    assert main(argv) == 2
    assert re.search(r"accepts at most 1,500", capsys.readouterr().err)
    assert main(argv[:-2] + ["--fit-documents", "--json", "How long is the warranty?"]) == 0
    [info] = json.loads(capsys.readouterr().out)["documents"]
    assert info["passages_left_out"] > 0 and "1,500-token window" in info["fit_note"]
