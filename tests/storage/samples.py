"""Hand-built call and run records for the storage tests, and a pid that is surely dead."""
import subprocess
import sys

from moa_core.records import CallRecord, RunRecord


def call(model="m1", role="proposer", status="ok", start=0.0, end=1.0, cost=0.001, index=0, **kw) -> CallRecord:
    return CallRecord(role=role, round=1, index=index, model=model, label=model, status=status, started_s=start,
                      first_token_s=start + 0.1, ended_s=end, prompt_tokens=10, completion_tokens=5,
                      cost_usd=cost, text=f"answer of {model}", messages=[{"role": "user", "content": "q"}], **kw)


def record(query="what is MoA?", calls=(), status="ok", started_at=None, **kw) -> RunRecord:
    r = RunRecord(query=query, lineup={"name": "pair", "proposers": [{"model": "m1"}]}, status=status,
                  final="the synthesis", note="synthesized from 2 of 2 proposals", wall_s=2.5, **kw)
    if started_at:
        r.started_at = started_at
    r.calls = list(calls)
    return r


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
