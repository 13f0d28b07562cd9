"""A password inside a seat's base URL never reaches the database or an export (the database URL's never did)."""
from __future__ import annotations

from moa_core.records import CallRecord, RunRecord
from moa_core.redact import mask_url_credentials, redact
import io

from moa_core.storage.export import write_csv, write_jsonl
from moa_core.storage.store import RunStore

URL = "http://alice:s3cr3t-pw@gateway.internal:8000/v1"


def test_credentials_in_a_url_are_masked_wherever_the_url_appears():
    assert mask_url_credentials(URL) == "http://[REDACTED]@gateway.internal:8000/v1"
    assert mask_url_credentials("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    assert "s3cr3t-pw" not in redact(f"connection to {URL} refused")
    assert mask_url_credentials("write to alice@example.com") == "write to alice@example.com"


def test_a_stored_run_and_its_exports_keep_no_url_password(tmp_path):
    seat = {"model": "openai/m", "api_base": URL}
    run = RunRecord(query="q", lineup={"name": "gw", "proposers": [seat], "aggregator": seat})
    run.calls.append(CallRecord(role="proposer", round=1, index=0, model="openai/m", label="m", api_base=URL,
                                status="ok", text="answer"))
    run.status, run.final = "ok", "answer"
    store = RunStore.open(f"sqlite:///{tmp_path / 'runs.db'}")
    store.save_run(run)
    assert b"s3cr3t-pw" not in (tmp_path / "runs.db").read_bytes()
    stored = store.get_run(run.run_id)
    assert stored.lineup["proposers"][0]["api_base"] == "http://[REDACTED]@gateway.internal:8000/v1"
    assert stored.calls[0].api_base == "http://[REDACTED]@gateway.internal:8000/v1"
    for write in (write_jsonl, write_csv):
        out = io.StringIO()
        write([(stored, [])], out)
        assert "s3cr3t-pw" not in out.getvalue() and "gateway.internal" in out.getvalue()
