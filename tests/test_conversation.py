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


# ---- issue 24: follow-ups keep their documents -----------------------------------------------------------

LEASE = ("LEASE\n\n9. Termination\nEither party may terminate this Lease by giving not less than ninety (90) days "
         "written notice.\n\n10. Keys\nThe Tenant returns all keys on the last day.")


async def test_a_follow_up_carries_the_documents_of_the_earlier_turns(llm, lineup_for, store):
    from moa_core.documents import Document
    from moa_core.evidence import answer_list, check_answers, run_documents, run_proposals

    llm.set("agg", text="Ninety days.")
    first = await run_and_record("What notice?", lineup_for(["a"]), store=store,
                                 documents=[Document("lease.txt", LEASE)])
    llm.set("a", text='It says "The Tenant returns all keys on the last day" and "The Tenant may keep one spare key".')
    llm.set("agg", text="Keys go back on the last day (clause 10); clause 14 covers spares.")
    second = await run_and_record("And the keys?", lineup_for(["a"]), store=store,
                                  thread=thread_of(store, first.run_id))
    for run in (second, store.get_run(second.run_id)):  # as it ran, and as read back
        assert [(d.name, d.carried_from) for d in run.documents] == [("lease.txt", first.run_id)]
        assert run.prompt_documents() == []  # the history carries it: it is not fenced a second time
    sent = second.calls_for("proposer")[0].messages
    assert sum('<document name="lease.txt">' in m["content"] for m in sent) == 1  # in the first turn's question
    assert '<document name="lease.txt">' not in sent[-1]["content"]
    stored = store.get_run(second.run_id)
    checks = check_answers(answer_list(run_proposals(stored), stored.final), run_documents(stored))
    assert [(q.status, q.location) for q in checks.quotes] == [("exact", "paragraph 3"), ("not_found", None)]
    assert [(r.text, r.status) for r in checks.references] == [("clause 10", "found"), ("clause 14", "not_found")]
    third = await run_and_record("Anything else?", lineup_for(["a"]), store=store,
                                 thread=thread_of(store, second.run_id))
    assert [(d.name, d.carried_from) for d in third.documents] == [("lease.txt", first.run_id)]  # once, from turn 1
    assert sum('<document name="lease.txt">' in m["content"] for m in third.calls[0].messages) == 1


def test_cli_continue_json_has_documents_and_quotes(llm, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "cli"))
    doc = tmp_path / "lease.txt"
    doc.write_text(LEASE)
    llm.set("a", text="Ninety days.")
    base = ["run", "--api-base", llm.base_url, "--proposer", "a", "--json"]
    assert main([*base, "--document", str(doc), "What notice?"]) == 0
    first = json.loads(capsys.readouterr().out)["run_id"]
    llm.set("a", text='"The Tenant returns all keys on the last day", clause 10.')
    assert main(["run", "--continue", first, "--json", "And the keys?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(d["name"], d["carried_from"]) for d in out["documents"]] == [("lease.txt", first)]
    assert {(q["source"], q["status"]) for q in out["quotes"]} == {("proposal 1", "exact"), ("final", "exact")}
    assert {(r["text"], r["status"]) for r in out["references"]} == {("clause 10", "found")}
