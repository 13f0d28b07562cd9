"""Document verdicts in the reports (issue 24): only "supported" is support, "contradicts" a contradiction,
"superseded" and "related" notes; one verdict per synthesis sentence; each disagreement says which side
the documents back, with the passage. On the termination scenario: the 30-day answer is supported by the
amendment that replaces clause 9.1, the invented clause 12.4 is never supported."""
from __future__ import annotations

import io

import pytest

from moa_core.agreement.result import ClauseRef, DocumentLink, FinalSentence
from moa_core.evidence import load_files
from moa_core.records import CallRecord, RunRecord
from moa_core.report import build_report, render
from moa_core.report.verdicts import sentence_verdict
from tests.report import termination_scenario as sc


def _call(role: str, label: str, text: str, i: int) -> CallRecord:
    return CallRecord(role=role, round=1, index=i, model=f"openai/{label}", label=label, status="ok", text=text,
                      started_s=0.0, ended_s=1.0, call_id=f"{role}-{label}")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> RunRecord:
    folder = tmp_path_factory.mktemp("termination")
    documents = load_files([str(p) for p in sc.write_documents(folder)])  # the real PDF and DOCX readers
    calls = [_call("proposer", label, text, i) for i, (label, text) in enumerate(sc.PROPOSALS.items())]
    calls.append(_call("aggregator", "agg", sc.SYNTHESIS, 3))
    return RunRecord(query=sc.QUESTION, lineup={}, status="ok", final=sc.SYNTHESIS, calls=calls, documents=documents)


@pytest.mark.parametrize("method", ["offline", "semantic"])
def test_the_report_says_the_amendment_backs_30_days_and_never_supports_clause_12_4(run, method):
    report = build_report(run, [], method=method)
    thirty, invented = report.synthesis
    assert (thirty.verdict.tone, thirty.verdict.text) == ("supported", sc.SUPPORTED_BY_AMENDMENT)
    assert thirty.verdict.quote == sc.AMENDED  # the amendment's new text for clause 9.1
    # the invented clause: a grey related passage that says the clause is missing, never support
    assert invented.verdict.tone == "related"
    assert invented.verdict.text.endswith("cites Clause 12.4, which the documents do not have")
    # which side of 30 vs 90 days the documents back, with the passage's words
    side = (f"The documents back [1] alpha (\u201c{sc.THIRTY}\u201d): {sc.SUPPORTED_BY_AMENDMENT} "
            f"\u2014 \u201c{sc.AMENDED}\u201d")
    assert report.document_sides == [side]
    assert side in report.summary and "Synthesis sentences that contradict the documents: 0" in report.summary

    md = render(report, "md").decode()
    line = next(ln for ln in md.splitlines() if ln.startswith(f"- {sc.THIRTY} [1] "))
    assert line.endswith(f" **[{sc.SUPPORTED_BY_AMENDMENT}: \u201c{sc.AMENDED}\u201d]**")
    assert line.count("**[") == 2 and f"**[contested: proposal 2 says: {sc.NINETY}]**" in line
    line = next(ln for ln in md.splitlines() if ln.startswith(f"- {sc.INVENTED} [3] "))
    assert line.endswith(" **[related passage: amendment-1.docx, paragraph 4; cites Clause 12.4, which the "
                         "documents do not have]**")
    assert "[in amendment-1.docx" not in md and "[in services-agreement.pdf" not in md  # "related" is not support
    disagreements = md[md.index("## Disagreements"):md.index("## Synthesis (")]
    assert f"| [1] alpha | {sc.THIRTY} |" in disagreements and f"| [2] beta | {sc.NINETY} |" in disagreements
    assert side in disagreements

    html = render(report, "html").decode()
    assert (f'<span class="good">[{sc.SUPPORTED_BY_AMENDMENT}: \u201c{sc.AMENDED.replace(chr(39), "&#x27;")}'
            in html)
    assert '<span class="muted">[related passage: amendment-1.docx, paragraph 4; cites Clause 12.4' in html
    import docx

    body = "\n".join(p.text for p in docx.Document(io.BytesIO(render(report, "docx"))).paragraphs)
    assert sc.SUPPORTED_BY_AMENDMENT in body and side in body


def _link(status: str, summary: str, **kw) -> DocumentLink:
    return DocumentLink(status, "agreement.pdf", "page 3, paragraph 2", "the document's sentence", "the passage",
                        summary=summary, **kw)


def test_one_verdict_per_sentence_and_only_supported_is_support():
    supported = _link("supported", "supported by agreement.pdf, page 3, paragraph 2")
    # the aggregator added it and the documents state it: green, saying so, never red "unsupported" beside it
    v = sentence_verdict(FinalSentence("X.", [], unsupported=True, document=supported))
    assert (v.tone, v.text) == ("supported", "supported by agreement.pdf, page 3, paragraph 2 (no proposal says this)")
    old = ClauseRef("agreement.pdf", "page 3, paragraph 2", "9.1", "ninety days", "90 days")
    superseded = _link("superseded", "matches agreement.pdf clause 9.1 (90 days), replaced by amendment.docx, "
                                     "paragraph 4", superseded=old)
    v = sentence_verdict(FinalSentence("Y.", [0], unsupported=False, document=superseded))
    assert (v.tone, v.text) == ("superseded", superseded.summary)
    related = _link("related", "related passage: agreement.pdf, page 3, paragraph 2")
    assert sentence_verdict(FinalSentence("Z.", [0], unsupported=False, document=related)).tone == "related"
    v = sentence_verdict(FinalSentence("Z.", [], unsupported=True, document=related))
    assert v.tone == "unsupported" and v.text == ("unsupported: no proposal says this; related passage: "
                                                  "agreement.pdf, page 3, paragraph 2")
    contradicts = _link("contradicts", "contradicts agreement.pdf, page 3, paragraph 2 (duration)")
    v = sentence_verdict(FinalSentence("W.", [], unsupported=True, document=contradicts))
    assert (v.tone, v.text) == ("contradicts", contradicts.summary + "; no proposal says this")
    assert sentence_verdict(FinalSentence("V.", [0], unsupported=False)) is None
    assert sentence_verdict(FinalSentence("V.", [], unsupported=True)).text == "unsupported: no proposal says this"


def test_a_verdict_from_model_and_document_text_is_escaped_in_html(run):
    report = build_report(run, [], method="offline")
    evil = _link("superseded", 'matches <img src=x onerror="alert(1)"> clause 9.1')
    report.synthesis[0].verdict = sentence_verdict(FinalSentence("<script>alert(2)</script>", [0], False,
                                                                 document=evil))
    report.synthesis[0].text = "<script>alert(2)</script>"
    html = render(report, "html").decode()
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert '<span class="note">[matches &lt;img src=x onerror=&quot;alert(1)&quot;&gt; clause 9.1' in html
