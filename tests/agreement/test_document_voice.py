"""The document as a voice: claims checked against the documents' sentences; quotes and references."""
from __future__ import annotations

import json

import pytest

from moa_core.agreement import analyze, to_json
from moa_core.cli import main
from moa_core.evidence import SourceDocument

LEASE = ("1. Term\n\nThe tenant must give 90 days' written notice before terminating the lease.\n\n"
         "2. Rent\n\nMonthly rent is $1,500, payable in advance.")
PROPOSALS = ['The tenant must give 90 days\' notice. The lease says "The tenant must give 90 days\' written notice".',
             "The tenant must give 30 days' notice.",
             'Monthly rent is $1,500. Clause 2 says "rent is $2,000 per month".']
FINAL = "The tenant must give 30 days' notice before terminating the lease. Monthly rent is $1,500."


@pytest.mark.parametrize("method", ["semantic", "offline"])
def test_synthesis_contradicting_the_document_is_flagged_with_the_passage(method):
    result = analyze(PROPOSALS, FINAL, method=method, documents=[SourceDocument.from_text("lease.txt", LEASE)])
    notice, rent = result.final_sentences
    assert notice.document.status == "contradicts" and "duration" in notice.document.kinds
    assert notice.document.document == "lease.txt" and "90 days" in notice.document.passage
    assert rent.document.status == "supported" and rent.document.location == "paragraph 4"
    # the synthesis took the minority's side of a contested claim: the other side is named
    assert notice.contested == ["proposal 1 says: The tenant must give 90 days' notice."]
    claims = result.proposal_claims[1]
    assert claims[0].document.status == "contradicts"


def test_quotes_and_references_in_the_json():
    out = to_json(analyze(PROPOSALS, FINAL, documents=[SourceDocument.from_text("lease.txt", LEASE)]))
    statuses = {(q["source"], q["status"]) for q in out["quotes"]}
    assert statuses == {("proposal 1", "exact"), ("proposal 3", "not_found")}
    assert {"source", "text", "status", "document", "location"} <= set(out["quotes"][0])
    assert [(r["source"], r["text"], r["status"]) for r in out["references"]] == [("proposal 3", "Clause 2", "found")]
    assert out["final_sentences"][0]["document"]["status"] == "contradicts"


def test_cli_checks_against_several_documents(tmp_path, capsys):
    (tmp_path / "lease.txt").write_text(LEASE, encoding="utf-8")
    (tmp_path / "annex.md").write_text("Pets are not allowed.", encoding="utf-8")
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"proposals": PROPOSALS, "final": FINAL}), encoding="utf-8")
    assert main(["agreement", str(path), "--document", str(tmp_path / "lease.txt"),
                 "--document", str(tmp_path / "annex.md"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(q["status"] == "not_found" for q in out["quotes"])
    assert main(["agreement", str(path), "--document", str(tmp_path / "lease.txt")]) == 0
    text = capsys.readouterr().out
    assert "NOT IN THE DOCUMENTS" in text and "VERIFIED" in text and "CONTRADICTS lease.txt" in text


def test_cli_missing_document_is_one_line(tmp_path, capsys):
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"proposals": PROPOSALS, "final": FINAL}), encoding="utf-8")
    assert main(["agreement", str(path), "--document", str(tmp_path / "nope.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "document not found" in err[0]
