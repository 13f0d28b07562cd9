"""Stopping the subprocesses that tests and benchmarks start (a worker, the app, the loopback server)."""
from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen | None, grace_s: float = 10) -> int | None:
    """SIGTERM, then SIGKILL if it has not exited within `grace_s` (a worker's graceful hand-back is given the
    grace first); the exit code, or None when there was no process."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()
