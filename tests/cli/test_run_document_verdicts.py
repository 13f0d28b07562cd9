"""`moa run --json` with documents says which side of each disagreement the documents back (issue 24), in the
shape of `moa agreement --json`'s claims; then `moa report` of the same stored run says it too. The
termination scenario as real files on the loopback server: 30 days is backed by the amendment that
replaces clause 9.1; the invented clause 12.4 is never supported."""
from __future__ import annotations

import json

from moa_core.cli import main
from tests.report import termination_scenario as sc


def test_moa_run_json_says_the_amendment_backs_30_days_and_the_report_agrees(llm, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for label, text in sc.PROPOSALS.items():
        llm.set(label, text=text)
    llm.set("agg", text=sc.SYNTHESIS)
    pdf, docx = sc.write_documents(tmp_path)
    args = ["run", "--api-base", llm.base_url, *[a for label in sc.PROPOSALS for a in ("--proposer", label)],
            "--aggregator", "agg", "--document", str(pdf), "--document", str(docx), "--json", sc.QUESTION]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in out["documents"]] == ["services-agreement.pdf", "amendment-1.docx"]
    assert {(r["source"], r["text"], r["status"]) for r in out["references"]} >= {
        ("proposal 3", "Clause 12.4", "not_found")}
    [disagreement] = out["disagreements"]
    assert "duration" in disagreement["conflict_kinds"]
    versions = {v["text"]: v for v in disagreement["versions"]}
    assert set(versions) >= {sc.THIRTY, sc.NINETY}
    # the same keys as `moa agreement --json`'s claims
    assert all(set(v) == {"text", "supported_by", "conflicts_with", "document", "documents_back"}
               for v in versions.values())
    thirty, ninety = versions[sc.THIRTY], versions[sc.NINETY]
    assert thirty["documents_back"] and thirty["supported_by"] == [0]
    assert thirty["document"]["status"] == "supported" and thirty["document"]["summary"] == sc.SUPPORTED_BY_AMENDMENT
    assert thirty["document"]["replaces"]["clause"] == "9.1" and thirty["document"]["sentence"] == sc.AMENDED
    assert not ninety["documents_back"] and ninety["document"]["status"] == "contradicts"
    assert ninety["document"]["superseded"]["clause"] == "9.1"
    assert [v["text"] for v in versions.values() if v["documents_back"]] == [sc.THIRTY]
    invented = versions.get(sc.INVENTED)  # a version of the disagreement with the semantic method
    assert invented is None or (not invented["documents_back"]
                                and (invented["document"] or {}).get("status") != "supported")

    report = tmp_path / "r.md"
    assert main(["report", out["run_id"], "--format", "md", "--out", str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert f"- The documents back [1] alpha (\u201c{sc.THIRTY}\u201d): {sc.SUPPORTED_BY_AMENDMENT}" in text


def test_moa_run_json_without_documents_has_no_disagreements_field(llm, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "data"))
    llm.set("alpha", text=sc.THIRTY)
    llm.set("beta", text=sc.NINETY)
    assert main(["run", "--api-base", llm.base_url, "--proposer", "alpha", "--proposer", "beta", "--json",
                 "--no-store", sc.QUESTION]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "disagreements" not in out and "documents" not in out
