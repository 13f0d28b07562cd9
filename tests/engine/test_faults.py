"""Fault injection through the loopback server, for every role: what the run does and what is stored.

Each fault is put on one seat (proposer, aggregator, baseline or fallback); the other seats are
well-behaved. Transient faults (429 with and without Retry-After, 500, 503) must be retried into
an answer; persistent ones (refused connection, timeout, hang, dropped stream, a stream that ends
without a finish reason, a non-JSON body, an empty answer) must fail that call only, keep any
partial text as partial (status failed), and never make a failed call's text the run's answer.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field

import pytest

from moa_core.lineup import Lineup, ModelSpec
from moa_core.service import run_and_record
from moa_core.storage import RunStore

pytestmark = pytest.mark.slow  # out of the quick tier: timeouts and retries on the loopback server (~50 s)

BIG = "lorem " * 175_000  # ~1 MB


@dataclass
class Fault:
    behaviour: dict = field(default_factory=dict)
    recovers: bool = False  # the call ends ok after retries
    error: str = ""  # substring of the failed call's error
    partial: bool = False  # the failed call keeps the text it streamed
    refused: bool = False  # the seat points at a port nobody listens on


FAULTS = {
    "429 with Retry-After": Fault({"fail_times": 1, "fail_status": 429, "retry_after": 0.3}, recovers=True),
    "429 without Retry-After": Fault({"fail_times": 1, "fail_status": 429}, recovers=True),
    "500": Fault({"fail_times": 1, "fail_status": 500}, recovers=True),
    "503": Fault({"fail_times": 1, "fail_status": 503}, recovers=True),
    "refused connection": Fault(refused=True, error="Connection"),
    "timeout": Fault({"latency_s": 3.0, "ttft_s": 3.0}, error="timed out"),
    "hang": Fault({"hang": True}, error="timed out"),
    "dropped stream": Fault({"drop_after_tokens": 3, "text": "one two three four five six"}, partial=True,
                            error="MidStream"),
    "stream ends without finish reason": Fault({"end_after_tokens": 3, "text": "one two three four five six"},
                                               partial=True, error="stream ended without a finish reason after 3 tokens"),
    "non-JSON body": Fault({"raw_body": "<html><body>Please sign in to the proxy</body></html>"},
                           error="the server's reply was not JSON: '<html><body>Please sign in"),
    "empty answer": Fault({"text": ""}, error="empty response"),
    "1 MB answer": Fault({"text": BIG, "chunk_words": 5000}, recovers=True),
}
ROLES = ("proposer", "aggregator", "baseline", "fallback")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lineup(llm, role: str, fault: Fault) -> Lineup:
    def spec(name: str) -> ModelSpec:
        return ModelSpec(model=name, api_base=llm.base_url)

    bad = ModelSpec(model="faulty", api_base=f"http://127.0.0.1:{_closed_port()}/v1" if fault.refused else llm.base_url)
    seats = {"proposers": [spec("p1"), spec("p2")], "aggregator": spec("agg"), "baseline": None, "fallback": spec("fb")}
    if role == "proposer":
        seats["proposers"] = [bad, spec("p2")]
    elif role == "aggregator":
        seats["aggregator"] = bad
    elif role == "baseline":
        seats["baseline"] = bad
    else:  # the fallback answers only when MoA cannot: every proposer is down
        llm.set("down", fail_times=99, fail_status=400)
        seats["proposers"], seats["fallback"] = [spec("down")], bad
    slow = any(k in fault.behaviour for k in ("hang", "latency_s"))
    return Lineup(**seats, timeout_s=1.0 if slow else 10.0, max_retries=1)


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("role", ROLES)
async def test_fault(llm, role, fault_name, private_data_dir):
    fault = FAULTS[fault_name]
    llm.set("agg", text="The synthesis.")
    llm.set("fb", text="The fallback answer.")
    llm.set("faulty", **fault.behaviour)
    store = RunStore.open(f"sqlite:///{private_data_dir / 'faults.db'}")
    run = await run_and_record("What is MoA?", _lineup(llm, role, fault), store=store)
    call = next(c for c in run.calls if c.model == "faulty")

    if fault.recovers:
        assert call.status == "ok", call.error
        assert call.attempts == (1 if fault_name == "1 MB answer" else 2)
        if fault_name == "1 MB answer":
            assert len(call.text) == len(BIG.strip()) and call.completion_tokens > 0
        expected = {"proposer": "ok", "aggregator": "ok", "baseline": "ok", "fallback": "fallback"}[role]
        assert run.status == expected
        if role in ("aggregator", "fallback"):
            assert run.final == call.text
    else:
        assert call.status == "failed" and fault.error in call.error
        assert call.attempts == (1 if fault_name in ("non-JSON body", "empty answer") else 2)  # transient ones retried
        if fault.partial:
            assert call.text and call.text in "one two three four five six"  # kept, shown as partial
        expected = {"proposer": "partial", "aggregator": "fallback", "baseline": "ok", "fallback": "failed"}[role]
        assert run.status == expected
        assert not call.text or call.text not in run.final  # a failed call's text is never the answer
        if role == "aggregator":
            assert run.final == "The fallback answer." and fault.error in run.note
        if role == "fallback":
            assert run.final == "" and fault.error in run.error
        if role == "proposer":
            assert run.synthesized_from == 1 and run.final == "The synthesis."

    stored = store.get_run(run.run_id)
    store.close()
    assert stored.status == run.status and stored.final == run.final
    kept = next(c for c in stored.calls if c.call_id == call.call_id)
    assert (kept.status, kept.error, kept.text, kept.attempts) == (call.status, call.error, call.text, call.attempts)
