"""Reports open with the question and a summary, include the baseline's answer, list each rater's latest
comment once, and name a follow-up's documents and earlier turns (issue 24)."""
from __future__ import annotations

from types import SimpleNamespace

from moa_core.documents import Document
from moa_core.records import CallRecord, RunRecord
from moa_core.report import build_report, render

LEASE = ("9. Termination\n\nEither party may terminate by giving ninety (90) days written notice.\n\n"
         "10. Keys\n\nThe Tenant returns all keys on the last day.")


def _call(role: str, label: str, text: str, i: int = 0) -> CallRecord:
    return CallRecord(role=role, round=1, index=i, model=f"openai/{label}", label=label, status="ok", text=text,
                      started_s=0.0, ended_s=1.0, call_id=f"{role}-{label}")


def _rating(call_id: str | None, rater: str, comment: str, stars: int | None = None, target: str = "call"):
    return SimpleNamespace(call_id=call_id, rater=rater, comment=comment, stars=stars, target=target)


def _run(**kwargs) -> RunRecord:
    final = "Ninety days' notice is needed."
    return RunRecord(query="How much notice must a party give to terminate?\nAnswer briefly.", lineup={},
                     status="ok", final=final, calls=[
                         _call("proposer", "alpha", 'It says "Either party may terminate by giving ninety (90) days '
                                                    'written notice" (clause 9).', 0),
                         _call("proposer", "beta", 'Clause 12.4 says "either party may leave at any time at all".', 1),
                         _call("aggregator", "agg", final, 2),
                         _call("baseline", "solo", "Thirty days, I believe.", 3)],
                     documents=[Document("lease.txt", LEASE)], **kwargs)


def test_the_report_opens_with_the_question_and_a_summary_worked_out_from_the_checks():
    report = build_report(_run(), [], method="offline")
    assert report.title == "How much notice must a party give to terminate?"  # its first line
    # by hand: alpha's quote is in clause 9 (exact), beta's is invented; clause 9 exists, clause 12.4 does not
    assert [q.status for q in report.quotes] == ["exact", "not_found"]
    assert "Quotes: 2 checked, 1 not in the documents" in report.summary
    assert "Clause references: 2 checked, 1 not in the documents (Clause 12.4)" in report.summary
    contradicting = sum(s.verdict is not None and s.verdict.tone == "contradicts" for s in report.synthesis)
    assert f"Synthesis sentences that contradict the documents: {contradicting}" in report.summary
    assert f"Disagreements between proposals: {len(report.disagreements)}" in report.summary
    md = render(report, "md").decode()
    assert md.startswith("# How much notice must a party give to terminate?\n")
    assert md.index("## Summary") < md.index("## Query") and "Quotes: 2 checked, 1 not in the documents" in md


def test_the_baseline_answer_is_in_every_format():
    report = build_report(_run(), [], method="offline")
    assert report.baseline is not None and report.baseline.text == "Thirty days, I believe."
    assert report.baseline.title == "Baseline"
    for fmt in ("md", "html"):
        text = render(report, fmt).decode()
        assert "Baseline" in text and "Thirty days, I believe." in text
    import io

    import docx

    body = "\n".join(p.text for p in docx.Document(io.BytesIO(render(report, "docx"))).paragraphs)
    assert "Baseline (openai/solo)" in body and "Thirty days, I believe." in body


def test_each_raters_latest_comment_is_listed_once():
    ratings = [_rating("aggregator-agg", "ana", "first thought", 3),
               _rating("aggregator-agg", "ana", "picked the wrong side", 2),
               _rating(None, "ana", "picked the wrong side", target="run"),  # the same word on the whole run
               _rating("aggregator-agg", "bo", "fine by me", 4),
               _rating("proposer-alpha", "ana", "good quote", 5),
               _rating("proposer-alpha", "ana", "good quote", 5)]
    report = build_report(_run(), ratings, method="offline")
    assert report.final.comments == ["ana: picked the wrong side", "bo: fine by me"]
    assert report.proposals[0].comments == ["ana: good quote"]
    md = render(report, "md").decode()
    assert md.count("picked the wrong side") == 1 and "first thought" not in md


def test_a_follow_ups_report_names_its_documents_and_earlier_turns():
    first = _run()
    second = RunRecord(query="And the keys?", lineup={}, status="ok", final="Keys go back on the last day.",
                       calls=[_call("proposer", "alpha", "On the last day (clause 10).", 0),
                              _call("aggregator", "agg", "Keys go back on the last day.", 1)],
                       parent_run_id=first.run_id, thread_id=first.run_id,
                       documents=[Document("lease.txt", LEASE, carried_from=first.run_id)])
    report = build_report(second, [], method="offline", earlier=[first])
    assert report.conversation == [(f"turn 1 · run {first.run_id[:8]}", first.query)]
    [(name, size)] = report.documents
    assert name == "lease.txt" and size.endswith(f"sent with turn 1 (run {first.run_id[:8]})")
    for fmt in ("md", "html"):
        text = render(report, fmt).decode()
        assert "Earlier turns" in text and "How much notice must a party give" in text
        assert "sent with turn 1" in text


def test_moa_report_of_a_follow_up_names_the_earlier_turns_and_documents(llm, tmp_path, capsys, monkeypatch):
    import json

    from moa_core.cli import main

    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path / "cli"))
    doc = tmp_path / "lease.txt"
    doc.write_text(LEASE)
    llm.set("a", text="Ninety days.")
    assert main(["run", "--api-base", llm.base_url, "--proposer", "a", "--json", "--document", str(doc),
                 "What notice?"]) == 0
    first = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["run", "--continue", first, "--json", "And the keys?"]) == 0
    second = json.loads(capsys.readouterr().out)["run_id"]
    out = tmp_path / "r.md"
    assert main(["report", second, "--format", "md", "--out", str(out), "--method", "offline"]) == 0
    text = out.read_text()
    assert text.startswith("# And the keys?\n")
    assert f"- **turn 1 \u00b7 run {first[:8]}**: What notice?" in text
    assert f"- lease.txt (" in text and f"sent with turn 1 (run {first[:8]})" in text
