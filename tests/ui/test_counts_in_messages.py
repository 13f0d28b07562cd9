"""Counts in the app's status lines read "1 token", "1 retry", "1 word" (not "1 tokens")."""
from moa_core.records import CallRecord
from ui.live import call_status


def test_a_call_with_one_token_and_one_retry():
    call = CallRecord(role="proposer", round=1, index=0, model="m", label="p", status="ok", started_s=0.0,
                      ended_s=1.0, text="Yes", completion_tokens=1, attempts=2, cost_usd=0.0)
    line = call_status(call)
    assert "· 1 token ·" in line and "· 1 retry" in line and "tokens" not in line and "retries" not in line
    call.completion_tokens, call.attempts = 2, 3
    assert "· 2 tokens ·" in call_status(call) and "· 2 retries" in call_status(call)


def test_a_stream_with_one_word():
    call = CallRecord(role="proposer", round=1, index=0, model="m", label="p", status="running", started_s=0.0,
                      text="Yes")
    assert call_status(call).endswith("· 1 word")
