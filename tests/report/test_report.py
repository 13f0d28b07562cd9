"""`moa report`: each format is read back (DOCX with python-docx, HTML in headless Chromium)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from moa_core.cli import main
from moa_core.records import CallRecord, RunRecord
from moa_core.storage import RunStore

LEASE = "1. Term\n\nThe tenant must give 90 days' written notice before terminating the lease.\n\n2. Rent\n\nMonthly rent is $1,500."
EVIL = '<script>alert(1)</script> <img src=x onerror="alert(2)">'


def _call(role, label, text, i=0):
    return CallRecord(role=role, round=1, index=i, model=f"openai/{label}", label=label, status="ok", started_s=0.0,
                      first_token_s=0.1, ended_s=1.0 + i, prompt_tokens=10, completion_tokens=5, cost_usd=0.001,
                      text=text, messages=[])


@pytest.fixture
def stored(tmp_path, monkeypatch):
    monkeypatch.setenv("MOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = RunStore.open_default()
    run = RunRecord(query="What notice must the tenant give?", lineup={"proposers": []}, status="ok",
                    final="The tenant must give 30 days' notice before terminating the lease.\n\nNote: " + EVIL,
                    wall_s=2.0, document_name="lease.txt", document_text=LEASE)
    run.calls = [_call("proposer", "alpha", 'The lease says "The tenant must give 90 days\' written notice".', 0),
                 _call("proposer", "beta", 'The tenant must give 30 days\' notice. Clause 1 says "30 days is enough".', 1),
                 _call("aggregator", "agg", run.final, 2)]
    store.save_run(run)
    store.ratings.add_rating("call", call_id=run.calls[2].call_id, run_id=run.run_id, stars=2, comment="picked the wrong side",
                     rater="ana")
    yield store, run
    store.close()


def test_markdown_report(stored, tmp_path, capsys):
    _, run = stored
    out = tmp_path / "r.md"
    assert main(["report", run.run_id[:8], "--format", "md", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "What notice must the tenant give?" in text and "lease.txt" in text
    assert "**verified** · proposal 1" in text and "**NOT IN THE DOCUMENTS** · proposal 2" in text
    assert "contradicts lease.txt, paragraph 2" in text
    assert "2.0 / 5 (1 rater)" in text and "ana: picked the wrong side" in text
    assert "| 90" not in text or "Differs in" in text
    assert "Differs in: duration" in text


def test_docx_report_reads_back(stored, tmp_path):
    import docx
    _, run = stored
    out = tmp_path / "r.docx"
    assert main(["report", run.run_id, "--format", "docx", "--out", str(out)]) == 0
    d = docx.Document(str(out))
    body = "\n".join(p.text for p in d.paragraphs)
    assert "NOT IN THE DOCUMENTS" in body and "verified" in body
    assert "Rating: 2.0 / 5 (1 rater)" in body
    assert EVIL in body  # hostile model text is plain text in Word, as the model wrote it
    cells = " ".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert "openai/agg" in cells and "90 days" in cells


def test_report_errors_are_one_line(stored, tmp_path, capsys):
    assert main(["report", "nope", "--format", "md", "--out", str(tmp_path / "x.md")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no run 'nope'" in err[0]


@pytest.mark.browser
def test_html_report_in_chromium_escapes_model_text(stored, tmp_path):
    from playwright.sync_api import sync_playwright
    _, run = stored
    out = tmp_path / "r.html"
    assert main(["report", run.run_id, "--format", "html", "--out", str(out)]) == 0
    html_text = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html_text and "&lt;script&gt;" in html_text
    shot = Path(os.environ.get("MOA_REPORT_SCREENSHOT", tmp_path / "report.png"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--headless", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        assert page.locator(".missing").count() >= 1 and page.locator(".verified").count() >= 1
        assert "NOT IN THE DOCUMENTS" in page.inner_text("body")
        assert page.locator("img").count() == 0 and dialogs == []
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000


def test_the_report_lists_every_document_and_what_was_left_out():
    from moa_core.documents import Document
    from moa_core.records import CallRecord, RunRecord
    from moa_core.report.model import build_report

    calls = [CallRecord(role="proposer", round=1, index=i, model=m, label=m, status="ok", text=t)
             for i, (m, t) in enumerate([("a", "Notice is ninety days."), ("b", "Ninety days notice.")])]
    run = RunRecord(query="q", lineup={}, status="ok", final="Ninety days.", calls=calls, documents=[
        Document("lease.txt", "One.\n\nTwo.\n\nThree.", left_out=["paragraph 2", "paragraph 3"]),
        Document("annex.md", "Keys: three.")])
    report = build_report(run, [], method="offline")
    assert report.documents == [
        ("lease.txt", "14 characters, 3 passages; left out to fit the context window: paragraphs 2-3"),
        ("annex.md", "12 characters, 1 passage")]


def test_markdown_report_keeps_model_html_as_text(stored, tmp_path):
    """A Markdown viewer renders raw HTML (even inside a block quote): model text must be escaped."""
    _, run = stored
    out = tmp_path / "r.md"
    assert main(["report", run.run_id, "--format", "md", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text
    assert "&lt;script>alert(1)&lt;/script>" in text  # shown as the characters the model wrote
    from moa_core.report.markdown import _inert

    assert _inert("see ![t](http://evil.example/t.png) & <b>") == "see !\\[t](http://evil.example/t.png) &amp; &lt;b>"
