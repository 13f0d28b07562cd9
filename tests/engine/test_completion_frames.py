"""The engine sends a base-model seat completion frames; every other seat gets the chat messages as before."""
from moa_core.engine import calls, run_moa
from moa_core.lineup import Lineup, ModelSpec
from moa_core.providers import completion_frame as cf
from moa_core.providers import endpoints
from moa_core.providers.llm import Target

PERSONA = "You are careful and concise. Answer accurately in a few sentences."


def _install(monkeypatch, replies: dict, base_models: set[str]) -> list[dict]:
    """Mocked seats; those in `base_models` resolve like the embedded model (a completion model)."""
    sent: list[dict] = []

    def resolve(spec: ModelSpec) -> Target:
        completion = "text-completion-openai/base" if spec.model in base_models else None
        return Target(model="openai/gpt-4o-mini", api_key="sk-mock", system_in_user=completion is not None,
                      completion_model=completion, extra={"mock_response": replies[spec.model]})

    real = calls.stream_completion

    async def spy(target, messages, **kwargs):
        sent.append({"model": target.model, "reply": target.extra["mock_response"], "messages": messages,
                     "stop": kwargs.get("stop")})
        return await real(target, messages, **kwargs)

    monkeypatch.setattr(endpoints, "resolve", resolve)
    monkeypatch.setattr(endpoints, "missing_key", lambda spec: None)
    monkeypatch.setattr(endpoints, "unknown_provider", lambda spec: False)
    monkeypatch.setattr(calls, "stream_completion", spy)
    return sent


async def test_local_seats_store_and_send_the_framed_messages_others_are_unchanged(monkeypatch):
    sent = _install(monkeypatch, {"local-a": " Cats purr when calm.", "remote-b": "They purr to heal.",
                                  "local-agg": " Cats purr when calm, and maybe to heal."}, {"local-a", "local-agg"})
    lineup = Lineup(proposers=[ModelSpec("local-a", system_prompt=PERSONA, label="A"),
                               ModelSpec("remote-b", system_prompt=PERSONA, label="B")],
                    aggregator=ModelSpec("local-agg", label="agg"), max_retries=0)
    run = await run_moa("Why do cats purr?", lineup)
    assert run.status == "ok" and run.final == " Cats purr when calm, and maybe to heal."
    local, remote = run.calls_for("proposer")
    aggregator = run.calls_for("aggregator")[0]

    assert local.messages == cf.frame([{"role": "system", "content": PERSONA},
                                       {"role": "user", "content": "Why do cats purr?"}]).messages
    assert local.messages[0]["content"].endswith("Question: Why do cats purr?\nAnswer:")
    assert remote.messages == [{"role": "system", "content": PERSONA},
                               {"role": "user", "content": "Why do cats purr?"}]
    assert aggregator.messages[0]["content"].endswith(
        "Question: Why do cats purr?\n[1] Cats purr when calm.\n[2] They purr to heal.\nCombined answer:")
    assert len(aggregator.messages) == 1 and aggregator.messages[0]["role"] == "user"

    by_reply = {s["reply"]: s for s in sent}
    for record, stop in ((local, cf.STOP), (aggregator, cf.AGGREGATOR_STOP)):  # what was sent is what is stored
        call = by_reply[record.text]
        assert call["messages"] == record.messages and call["stop"] == list(stop)
        assert call["model"] == "text-completion-openai/base"
    assert by_reply[remote.text]["stop"] is None and by_reply[remote.text]["model"] == "openai/gpt-4o-mini"
    for record in run.calls:  # usage and timings recorded as for any call
        assert record.prompt_tokens > 0 and record.completion_tokens > 0
        assert record.started_s <= record.first_token_s <= record.ended_s
