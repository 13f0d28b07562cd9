"""The Run page with several documents (AppTest, loopback server, a private SQLite file): both are read,
named in the prompt and in the run view; too-long documents offer the choice to fit them."""
import re

from streamlit.testing.v1 import AppTest

import pytest

from moa_core.storage import RunStore
from tests.ui.test_app import _query_box, _run_to_the_end, loopback_lineup

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest pages (~15 s)

LEASE = ("lease.txt", b"7.2 Notice\nEither party may terminate with ninety days written notice.", "text/plain")
ANNEX = ("annex.md", b"# Annex B\n\nThe tenant receives three keys.", "text/markdown")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return AppTest.from_file("../../app.py", default_timeout=60)


def _start(app, llm):
    app.session_state["lineup_data"] = loopback_lineup(llm)
    app.session_state["editor_version"] = 1
    app.run()
    assert not app.exception


def test_two_uploaded_documents_are_both_named_in_the_prompt_and_the_run_view(app, llm, tmp_path, run_queued_jobs):
    _start(app, llm)
    app.file_uploader[0].set_value([LEASE, ANNEX])
    app.run()
    assert not app.exception and not app.error
    assert [e.label for e in app.expander if e.label.startswith("Extracted text")] == [
        f"Extracted text of lease.txt · {len(LEASE[1])} characters",
        f"Extracted text of annex.md · {len(ANNEX[1])} characters"]
    _query_box(app).input("Notice and keys?")
    _run_to_the_end(app, run_queued_jobs)
    assert not app.exception
    labels = [e.label.replace("\\", "") for e in app.expander if e.label.startswith("Document ")]  # markdown-escaped
    assert labels == [f"Document 1: lease.txt · {len(LEASE[1])} characters, 1 passage",
                      f"Document 2: annex.md · {len(ANNEX[1])} characters, 2 passages"]
    sent = next(r for r in llm.requests if r.model == "alpha").messages[-1]["content"]
    assert '<document name="lease.txt">' in sent and '<document name="annex.md">' in sent
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    try:
        [summary] = store.list_runs()
        assert [d.name for d in store.get_run(summary.run_id).documents] == ["lease.txt", "annex.md"]
    finally:
        store.close()


def test_too_long_documents_offer_to_fit_and_the_run_view_lists_what_was_left_out(app, llm, monkeypatch, tmp_path, run_queued_jobs):
    from moa_core.providers import endpoints

    monkeypatch.setattr(endpoints, "context_window", lambda spec: 8000)
    paragraphs = [f"Paragraph {i} describes the hallway carpet and the opening hours of the gym." for i in range(600)]
    paragraphs[390] = "Notice of termination is ninety days, given in writing to the landlord."
    _start(app, llm)
    app.file_uploader[0].set_value(("long.txt", "\n\n".join(paragraphs).encode(), "text/plain"))
    app.run()
    assert any("too long" in e.value for e in app.error)
    [choice] = [r for r in app.radio if r.label == "When the documents are too long"]
    assert choice.value.startswith("Refuse")
    _query_box(app).input("How much notice to terminate?")
    next(b for b in app.button if b.label == "Run").click()
    app.run()
    assert any("The run could not start: the prompt is" in e.value for e in app.error)
    [choice] = [r for r in app.radio if r.label == "When the documents are too long"]  # this run's widget
    choice.set_value(next(o for o in choice.options if o.startswith("Fit")))
    _run_to_the_end(app, run_queued_jobs)
    assert not app.exception
    warning = next(w.value for w in app.warning if "fitted to the context window" in w.value).replace("\\", "")
    # the shorter of the two lists: what was kept or what was left out (issue 24)
    match = re.fullmatch(r"long.txt: fitted to the context window, (kept|left out) (\d+) of 600 passages: "
                         r"paragraphs ([\d, -]+)", warning)
    assert match, warning
    listed = {n for a, b in re.findall(r"(\d+)(?:-(\d+))?", match[3]) for n in range(int(a), int(b or a) + 1)}
    assert len(listed) == int(match[2])
    gone = listed if match[1] == "left out" else set(range(1, 601)) - listed
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    stored = store.get_run(app.session_state["active_run"]).documents[0]
    store.close()
    assert 391 not in gone and len(gone) == len(stored.left_out)  # the notice paragraph kept, the rest listed
    assert any("fitted to" in c.value and "passages chosen by" in c.value for c in app.caption)  # the fit note
