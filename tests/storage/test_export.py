"""Export shapes: JSONL and CSV rows built from records, without a database."""
from moa_core.storage.export import csv_rows, run_dict
from tests.storage.samples import call, record


def test_export_shapes_are_pure():
    r = record(calls=[call("m1")])
    assert run_dict(r)["calls"][0]["model"] == "m1"
    assert csv_rows(record(), [])[0]["run_id"]


def test_csv_says_which_calls_were_cached_and_what_they_saved():
    import csv
    import io

    from moa_core.storage.export import write_csv

    fresh, hit = call("m1"), call("m1")
    fresh.cost_usd = 0.003
    hit.cached, hit.cost_usd, hit.saved_usd = True, 0.0, 0.003
    out = io.StringIO()
    write_csv([(record(calls=[fresh, hit]), [])], out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["cached"], r["cost_usd"], r["saved_usd"]) for r in rows] == [("False", "0.003", ""),
                                                                           ("True", "0.0", "0.003")]
