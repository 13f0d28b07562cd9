"""The Agreement tab's document verdicts (issue 24) through AppTest, on a stored run of the termination
scenario (the agreement as a PDF, the amendment as a DOCX): the 30-day sentence is green support by the
amendment that replaces clause 9.1; the invented clause 12.4 is never support; the disagreement says
which side the documents back and each version opens its passage. The browser test shows the same."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from moa_core.evidence import load_files
from moa_core.records import CallRecord, RunRecord
from moa_core.storage import RunStore
from tests.report import termination_scenario as sc

pytestmark = pytest.mark.slow  # out of the quick tier: AppTest page


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return AppTest.from_file("../../app.py", default_timeout=90)


def _stored_run(tmp_path) -> str:
    documents = load_files([str(p) for p in sc.write_documents(tmp_path)])
    calls = [CallRecord(role="proposer", round=1, index=i, model=f"openai/{label}", label=label, status="ok",
                        started_s=0.0, ended_s=1.0, text=text) for i, (label, text) in enumerate(sc.PROPOSALS.items())]
    calls.append(CallRecord(role="aggregator", round=1, index=0, model="openai/agg", label="agg", status="ok",
                            started_s=1.0, ended_s=2.0, text=sc.SYNTHESIS))
    run = RunRecord(query=sc.QUESTION, lineup={}, status="ok", final=sc.SYNTHESIS, calls=calls, documents=documents)
    store = RunStore.open(f"sqlite:///{tmp_path}/moa.db")
    try:
        store.save_run(run)
    finally:
        store.close()
    return run.run_id


def test_the_agreement_tab_shows_one_verdict_per_sentence_and_the_side_the_documents_back(app, tmp_path):
    run_id = _stored_run(tmp_path)
    app.run()
    app.switch_page("pages/history.py")
    app.query_params["run"] = run_id
    app.run()
    assert not app.exception
    blocks = " ".join(str(h.proto.body) for h in app.get("html"))
    # the 30-day sentence: one green verdict, the engine's line, the amendment's words on hover
    assert (f'<span class="moa-verdict moa-supported" style="color:#187a2f;font-weight:400;font-size:1em" '
            f'title="{sc.AMENDED.replace(chr(39), "&#x27;")}">[{sc.SUPPORTED_BY_AMENDMENT}]</span>') in blocks
    # the invented clause: grey related passage, and it says the clause is missing; never green
    assert ('<span class="moa-verdict moa-related" style="color:#777;font-weight:400;font-size:0.85em" '
            'title="') in blocks and "cites Clause 12.4, which the documents do not have]" in blocks
    synthesis = next(str(h.proto.body) for h in app.get("html") if "line-height:1.7" in str(h.proto.body))
    invented = synthesis.split(f"{sc.INVENTED} <sup", 1)[1]
    assert "moa-related" in invented and "moa-supported" not in invented
    assert "[in amendment-1.docx" not in blocks and "[unsupported]" not in blocks
    # which side of the disagreement the documents back, with the passage's words
    assert f"✔ The documents back [1] alpha (“{sc.THIRTY}”): {sc.SUPPORTED_BY_AMENDMENT}" in blocks
    labels = [e.label for e in app.expander]
    # each version of the disagreement and each synthesis verdict opens its passage
    supported = [label for label in labels if label.startswith(":green[✔ supported by amendment")]
    assert len(supported) == 2  # the synthesis sentence and the 30-day version
    assert any(label.startswith(":red[✘ contradicts amendment") for label in labels)  # the 90-day version
    assert not any("✔" in label and "12\\.4" in label for label in labels)
