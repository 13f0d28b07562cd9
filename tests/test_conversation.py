"""Follow-up questions: linked runs, the earlier syntheses as assistant turns, proposals never sent again."""
import json

import pytest

from moa_core.cli import main
from moa_core.conversation import thread_of
from moa_core.service import run_and_record
from moa_core.storage import RunStore


@pytest.fixture
def store(tmp_path):
    s = RunStore.open(f"sqlite:///{tmp_path / 'moa.db'}")
    yield s
    s.close()


async def test_a_follow_up_sees_the_conversation_but_not_the_old_proposals(llm, lineup_for, store):
    llm.set("a", text="Proposal A: thirty days.")
    llm.set("b", text="Proposal B: ninety days.")
    llm.set("agg", text="First synthesis: thirty days, ninety at renewal.")
    first = await run_and_record("What is the notice period?", lineup_for(["a", "b"]), store=store)
    llm.set("agg", text="Second synthesis: renewal is yearly.")
    second = await run_and_record("And when is renewal?", lineup_for(["a", "b"]), store=store,
                                  thread=thread_of(store, first.run_id))
    assert second.parent_run_id == first.run_id and second.thread_id == first.run_id
    for call in second.calls:
        turns = [m for m in call.messages if m["role"] != "system"]
        assert [m["role"] for m in turns] == ["user", "assistant", "user"]
        assert turns[0]["content"] == "What is the notice period?"
        assert turns[1]["content"] == "First synthesis: thirty days, ninety at renewal."
        assert turns[2]["content"] == "And when is renewal?"
    aggregator = second.calls_for("aggregator")[0]
    assert "Proposal A: thirty days." in aggregator.messages[0]["content"]  # this turn's proposals only:
    assert all("Proposal" not in m["content"] for m in aggregator.messages[1:])  # earlier ones are not sent
    third = await run_and_record("Thanks, summarise.", lineup_for(["a", "b"]), store=store,
                                 thread=thread_of(store, second.run_id))
    assert third.thread_id == first.run_id
    thread = thread_of(store, third.run_id)
    assert [r.run_id for r in thread.runs] == [first.run_id, second.run_id, third.run_id]
    stored = store.get_run(second.run_id)
    assert stored.parent_run_id == first.run_id and stored.thread_id == first.run_id
    lone = await run_and_record("Unrelated question.", lineup_for(["a", "b"]), store=store)
    listed = {r.run_id: r.turn for r in store.list_runs()}  # History's "conversation" column
    assert listed == {first.run_id: 1, second.run_id: 2, third.run_id: 3, lone.run_id: None}
    assert store.list_runs(limit=1, offset=1)[0].turn == 3  # counted over the thread, not the listed page


async def test_a_conversation_too_long_for_a_model_is_refused_before_anything_is_sent(llm, lineup_for, store,
                                                                                    monkeypatch):
    from moa_core.engine import RunInputError
    from moa_core.providers import endpoints

    llm.set("agg", text=" ".join(f"fact{i}" for i in range(300)))
    first = await run_and_record("Tell me a lot.", lineup_for(["a"]), store=store)
    monkeypatch.setattr(endpoints, "context_window", lambda spec: 200)
    before = len(llm.requests)
    with pytest.raises(RunInputError, match="the conversation is .* tokens .* start a new conversation"):
        await run_and_record("More?", lineup_for(["a"]), store=store, thread=thread_of(store, first.run_id))
    assert len(llm.requests) == before


def test_cli_continue(llm, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "cli"))
    llm.set("a", text="Paris.")
    base = ["run", "--api-base", llm.base_url, "--proposer", "a", "--json"]
    assert main([*base, "Capital of France?"]) == 0
    first = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["run", "--continue", first, "--json", "And of Italy?"]) == 0  # the conversation's lineup
    second = json.loads(capsys.readouterr().out)
    store = RunStore.open_default()
    run = store.get_run(second["run_id"])
    assert run.parent_run_id == first and [m["role"] for m in run.calls[0].messages] == ["user", "assistant", "user"]
    store.close()
    assert main(["run", "--continue", "nope", "x"]) == 2
    assert "no run 'nope' to continue" in capsys.readouterr().err
