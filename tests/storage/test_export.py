"""Export shapes: JSONL and CSV rows built from records, without a database."""
from moa_core.storage.export import csv_rows, run_dict
from tests.storage.samples import call, record


def test_export_shapes_are_pure():
    r = record(calls=[call("m1")])
    assert run_dict(r)["calls"][0]["model"] == "m1"
    assert csv_rows(record(), [])[0]["run_id"]
