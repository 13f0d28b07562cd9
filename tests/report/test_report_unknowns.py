"""Reports show an unknown value as "—" (never the word None), in every format."""
import io

import pytest

from moa_core.evidence import Check
from moa_core.report import render
from moa_core.report.model import Answer, Report


def _report() -> Report:
    return Report(
        title="Review of run abc", facts=[("Run", "abc"), ("Cost", None), ("Wall time", None)],
        query="q", documents=[("lease.txt", None)], synthesis=[], synthesis_text="Thirty days.",
        quotes=[Check("proposal 1", "30 days", "exact", "lease.txt")],
        references=[], disagreements=[("duration", [(None, "30 days")])], dropped=[],
        proposals=[Answer("Proposal 1", None, "30 days", None, [])],
        final=Answer("Synthesis", "agg", "Thirty days.", None, []),
        calls=[["role", "round", "cost"], ["proposer", "1", None], ["aggregator", "1", "unknown"]])


def _docx_text(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_unknown_values_are_a_dash_not_none(fmt):
    data = render(_report(), fmt)
    text = _docx_text(data) if fmt == "docx" else data.decode("utf-8")
    assert "None" not in text
    assert "Rating: —" in text and "lease.txt, —" in text
    if fmt == "md":
        assert "- **Cost**: —" in text and "| proposer | 1 | — |" in text and "lease.txt (—)" in text
    if fmt == "html":
        assert "<td>—</td>" in text and "(—)" in text
    if fmt == "docx":
        assert "—" in text.split("Cost", 1)[1].splitlines()[0] or "\n—\n" in text
