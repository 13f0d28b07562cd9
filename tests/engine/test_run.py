"""Engine unit tests on litellm's mock_response: the method, statuses, records, events, prompts."""
import re

import pytest

from moa_core.engine import Document, RunInputError, run_moa, stream_run
from moa_core.lineup import Lineup, ModelSpec
from moa_core.prompts import DOCUMENTS_ARE_DATA, PROPOSALS_ARE_DATA, REFERENCE_AGGREGATOR_PROMPT
from moa_core.records import CallFinished, CallStarted, RunFinished, RunStarted, TokenDelta


def lineup(proposers=("a", "b", "c"), aggregator="agg", **kwargs):
    return Lineup(proposers=[ModelSpec(p) for p in proposers], aggregator=ModelSpec(aggregator),
                  max_retries=0, **kwargs)


async def test_ok_run_records_every_call(mock_models):
    mock_models({"a": "Paris is the capital.", "b": "It is Paris.", "c": "Paris.", "agg": "The capital is Paris."})
    run = await run_moa("Capital of France?", lineup())
    assert run.status == "ok" and run.final == "The capital is Paris."
    assert run.note == "synthesized from 3 of 3 proposals"
    assert [c.role for c in run.calls] == ["proposer"] * 3 + ["aggregator"]
    for call in run.calls:
        assert call.status == "ok" and call.error is None
        assert 0 <= call.started_s <= call.first_token_s <= call.ended_s <= run.wall_s
        assert call.prompt_tokens > 0 and call.completion_tokens > 0
        assert call.messages[-1] == {"role": "user", "content": "Capital of France?"}
        assert call.cost_usd is None  # models "a", "b"... have no known price: unknown, not 0
    assert run.cost_usd is None


async def test_aggregator_sees_labelled_proposals_under_the_reference_prompt(mock_models):
    mock_models({"a": "Answer A", "b": "Answer B", "c": "Answer C", "agg": "final"})
    run = await run_moa("q", lineup())
    system = run.calls_for("aggregator")[0].messages[0]
    assert system["role"] == "system"
    assert system["content"].startswith(REFERENCE_AGGREGATOR_PROMPT.split("{")[0].strip()[:60])
    assert "[1] a\nAnswer A" in system["content"] and "[3] c\nAnswer C" in system["content"]


async def test_custom_aggregator_template(mock_models):
    mock_models({"a": "A", "b": "B", "c": "C", "agg": "final"})
    run = await run_moa("q", lineup(aggregator_prompt="Pick the best of:\n{proposals}\nEnd."))
    assert run.calls_for("aggregator")[0].messages[0]["content"] == (
        f"Pick the best of:\n[1] a\nA\n\n[2] b\nB\n\n[3] c\nC\n\n{PROPOSALS_ARE_DATA}\nEnd.")


async def test_failed_proposer_leaves_others_and_run_is_partial(mock_models):
    mock_models({"a": "A", "b": ValueError("provider exploded"), "c": "C", "agg": "final"})
    run = await run_moa("q", lineup())
    assert run.status == "partial" and run.final == "final"
    assert run.synthesized_from == 2 and run.proposers_total == 3
    assert run.note.startswith("synthesized from 2 of 3 proposals; failed: b (round 1)")
    failed = run.calls_for("proposer")[1]
    assert failed.status == "failed" and "provider exploded" in failed.error
    assert "[2] c\nC" in run.calls_for("aggregator")[0].messages[0]["content"]


async def test_aggregator_failure_falls_back_to_single_model(mock_models):
    mock_models({"a": "A", "b": "B", "c": "C", "agg": ValueError("agg down"), "fb": "fallback answer"})
    run = await run_moa("q", lineup(fallback=ModelSpec("fb")))
    assert run.status == "fallback" and run.final == "fallback answer"
    assert "aggregator failed" in run.note and "answered by fb alone" in run.note
    fallback = run.calls_for("fallback")[0]
    assert fallback.messages == [{"role": "user", "content": "q"}]


async def test_too_few_proposals_use_fallback_or_fail(mock_models):
    mock_models({"a": "A", "b": ValueError("x"), "c": ValueError("y"), "agg": "final", "fb": "alone"})
    run = await run_moa("q", lineup(min_proposals=2, fallback=ModelSpec("fb")))
    assert run.status == "fallback" and run.final == "alone"
    assert "only 1 of 3 proposals succeeded" in run.note
    assert not run.calls_for("aggregator")
    run = await run_moa("q", lineup(min_proposals=2))
    assert run.status == "failed" and "only 1 of 3" in run.error and run.final == ""


async def test_rounds_feed_previous_proposals_back(mock_models):
    mock_models({"a": "A says", "b": "B says", "agg": "final"})
    run = await run_moa("q", lineup(("a", "b"), rounds=3))
    assert [c.round for c in run.calls] == [1, 1, 2, 2, 3, 3, 3]
    round2 = run.calls_for("proposer", 2)[0].messages
    assert round2[0]["role"] == "system" and "[1] a\nA says" in round2[0]["content"]
    assert run.calls_for("proposer", 1)[0].messages == [{"role": "user", "content": "q"}]


async def test_events_stream_in_order(mock_models):
    mock_models({"a": "one two three", "agg": "final words"})
    events = [e async for e in stream_run("q", lineup(("a",)))]
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    kinds = [type(e) for e in events]
    assert kinds.count(CallStarted) == 2 and kinds.count(CallFinished) == 2
    deltas = "".join(e.text for e in events if isinstance(e, TokenDelta) and e.call.role == "proposer")
    assert deltas == "one two three"


async def test_persona_and_document_reach_the_model(mock_models):
    mock_models({"a": "A", "agg": "final"})
    lu = Lineup(proposers=[ModelSpec("a", system_prompt="You are a lawyer.")], aggregator=ModelSpec("agg"))
    run = await run_moa("Notice period?", lu, document=Document("lease.txt", "Notice is 30 days."))
    messages = run.calls[0].messages
    assert messages[0] == {"role": "system", "content": "You are a lawyer."}
    assert (f'{DOCUMENTS_ARE_DATA}\n\n<document name="lease.txt">\nNotice is 30 days.\n</document>\n\nNotice period?'
            == messages[1]["content"])
    assert run.document_name == "lease.txt"


async def test_price_override_and_known_prices(mock_models):
    mock_models({"a": "A", "agg": "final"})
    lu = Lineup(proposers=[ModelSpec("a", input_cost_per_token=1e-6, output_cost_per_token=2e-6)],
                aggregator=ModelSpec("agg"))
    run = await run_moa("q", lu)
    prop = run.calls[0]
    assert prop.cost_usd == pytest.approx(prop.prompt_tokens * 1e-6 + prop.completion_tokens * 2e-6)
    assert run.calls[1].cost_usd is None and run.cost_usd is None


async def test_empty_query_and_missing_key_are_refused(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(RunInputError, match="empty"):
        await run_moa("  ", lineup())
    with pytest.raises(RunInputError, match="OPENAI_API_KEY"):
        await run_moa("q", Lineup(proposers=[ModelSpec("gpt-4o-mini")], aggregator=ModelSpec("gpt-4o-mini")))
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(RunInputError, match="MY_KEY"):
        await run_moa("q", Lineup(proposers=[ModelSpec("x", api_base="http://127.0.0.1:9", api_key_env="MY_KEY")],
                                  aggregator=ModelSpec("x", api_base="http://127.0.0.1:9")))


async def test_document_over_context_window_names_model_and_numbers(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    lu = Lineup(proposers=[ModelSpec("gpt-3.5-turbo")], aggregator=ModelSpec("gpt-3.5-turbo"))
    with pytest.raises(RunInputError) as info:
        await run_moa("Summarise", lu, document=Document("big.txt", "word " * 40_000))
    message = str(info.value)
    assert "gpt-3.5-turbo" in message and "accepts at most 16,385" in message and re.search(r"prompt is 40,\d{3} tokens", message)


async def test_aggregator_prompt_over_its_window_is_not_sent_and_falls_back(mock_models, monkeypatch):
    from moa_core.providers import endpoints

    mock_models({"a": "word " * 300, "b": "word " * 300, "agg": "never", "fb": "alone"})
    monkeypatch.setattr(endpoints, "context_window", lambda spec: 400 if spec.model == "agg" else None)
    run = await run_moa("q", lineup(("a", "b"), fallback=ModelSpec("fb")))
    aggregator = run.calls_for("aggregator")[0]
    assert aggregator.status == "failed" and aggregator.attempts == 0
    assert re.match(r"prompt is [\d,]+ tokens but agg accepts at most 400; not sent", aggregator.error)
    assert run.status == "fallback" and run.final == "alone"


@pytest.mark.parametrize("cost, shown", [(None, "unknown"), (0, "$0"), (1.86e-05, "$0.0000186"), (0.0123, "$0.0123"),
                                         (0.00045509, "$0.000455"), (0.5, "$0.50"), (0.25, "$0.25"),
                                         (1234.5, "$1,234.50")])
def test_costs_read_as_money(cost, shown):
    from moa_core.providers.prices import format_cost

    assert format_cost(cost) == shown
