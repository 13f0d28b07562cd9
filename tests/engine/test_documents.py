"""Several documents per run, and documents over a context window: refused with the numbers, or fitted."""
import re

import pytest

from moa_core.engine import Document, RunInputError, preflight, run_moa
from moa_core.engine.preflight import document_tokens, seat_budgets
from moa_core.lineup import Lineup, ModelSpec
from moa_core.providers import endpoints

LEASE = Document("lease.txt", "1. Term\nThe term is two years.\n\n7.2 Notice\nNotice is ninety days.")
ANNEX = Document("annex <B>.md", "Annex B lists the keys: three keys are handed over.")


def lineup(**kwargs):
    return Lineup(proposers=[ModelSpec("a"), ModelSpec("b")], aggregator=ModelSpec("agg"), max_retries=0, **kwargs)


async def test_each_document_is_fenced_under_its_name_in_every_prompt(mock_models):
    mock_models({"a": "A", "b": "B", "agg": "final"})
    run = await run_moa("How long is the notice?", lineup(), documents=[LEASE, ANNEX])
    assert [d.name for d in run.documents] == ["lease.txt", "annex <B>.md"]
    assert run.document_name == "lease.txt" and run.document_text == LEASE.text  # the first, for older callers
    for call in run.calls:
        user = call.messages[-1]["content"]
        assert '<document name="lease.txt">\n' + LEASE.text + "\n</document>" in user
        assert '<document name="annex &lt;B&gt;.md">\n' + ANNEX.text + "\n</document>" in user
        assert user.index("lease.txt") < user.index("annex") < user.index("How long is the notice?")


async def test_document_keyword_is_a_one_item_list(mock_models):
    mock_models({"a": "A", "b": "B", "agg": "final"})
    run = await run_moa("q", lineup(), document=LEASE)
    assert [d.name for d in run.documents] == ["lease.txt"]


def _long_lease(n=40):
    filler = [f"Paragraph {i} is about the colour of the hallway carpet and the opening hours of the gym."
              for i in range(n)]
    filler.insert(n // 2, "Notice of termination is ninety days, given in writing to the landlord.")
    return Document("long.txt", "\n\n".join(filler))


def test_too_long_documents_are_refused_with_the_numbers_by_default(monkeypatch, mock_models):
    mock_models({})
    monkeypatch.setattr(endpoints, "context_window", lambda spec: 1500 if spec.model == "agg" else None)
    with pytest.raises(RunInputError) as info:
        preflight("What notice is needed?", lineup(), [_long_lease(80)])
    assert re.search(r"prompt is [\d,]+ tokens but aggregator agg accepts at most 1,500", str(info.value))
    assert "--fit-documents" in str(info.value)


async def test_fit_keeps_the_relevant_passage_within_the_tightest_seat(monkeypatch, mock_models):
    mock_models({"a": "A", "b": "B", "agg": "final"})
    windows = {"a": 4000, "b": 3000, "agg": 2500}
    monkeypatch.setattr(endpoints, "context_window", lambda spec: windows[spec.model])
    lu = lineup()
    for spec in [*lu.proposers, lu.aggregator]:
        spec.max_tokens = 300
    doc = _long_lease(80)
    seats = seat_budgets("What notice is needed to terminate?", lu)
    tight = min(seats, key=lambda s: s.for_documents)
    assert tight.role == "aggregator" and tight.reserve == 300 + 2 * 300  # its answer and both proposals
    assert document_tokens("q", lu.aggregator, [doc]) > tight.for_documents

    run = await run_moa("What notice is needed to terminate?", lu, documents=[doc], on_overflow="fit")
    [fitted] = run.documents
    assert fitted.left_out and "Notice of termination is ninety days" in fitted.prompt_text()
    assert "fitted to" in fitted.fit_note and "aggregator agg" in fitted.fit_note
    for seat in seats:
        assert document_tokens("What notice is needed to terminate?", seat.spec, [fitted]) <= seat.for_documents
    sent = run.calls_for("proposer")[0].messages[-1]["content"]
    assert "left out to fit the context window" in sent and "Notice of termination" in sent
    assert run.status == "ok"


def test_fit_is_a_no_op_when_the_documents_fit(monkeypatch, mock_models):
    mock_models({})
    monkeypatch.setattr(endpoints, "context_window", lambda spec: 100_000)
    [doc] = preflight("q", lineup(), [LEASE], on_overflow="fit")
    assert doc.left_out == [] and doc.prompt_text() == LEASE.text


def test_fit_says_when_a_seat_has_no_room_for_documents(monkeypatch, mock_models):
    mock_models({})
    monkeypatch.setattr(endpoints, "context_window", lambda spec: 800)
    with pytest.raises(RunInputError, match=r"has no room for documents.*800-token context window"):
        preflight("q", lineup(), [_long_lease()], on_overflow="fit")
    with pytest.raises(RunInputError, match="on_overflow must be one of refuse, fit"):
        preflight("q", lineup(), [LEASE], on_overflow="shrink")
