"""Which process writes a run, and whether it is still alive: how a crashed run is told from a running one.

A run row carries its owner (host:pid:start-time). On open, a `running` run whose owner is gone
is closed as `interrupted` with its finished calls kept.
"""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

STALE_AFTER_S = 3600.0  # a `running` run of another host with no write for this long is dead


def owner_token(pid: int | None = None) -> str:
    """host:pid:start-time of a process; the start time tells a live process from a reused pid."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def owner_gone(owner: str | None) -> bool | None:
    """True when the process that wrote a run is dead, None when it runs on another host."""
    if not owner or owner.count(":") < 2:
        return None
    host, pid, start = owner.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        pass
    state, ticks = _proc_stat(int(pid))
    return state == "Z" or ticks != start  # a zombie is dead; other ticks mean the pid was reused


def run_is_dead(owner: str | None, updated_at: datetime, now: datetime, stale_after_s: float = STALE_AFTER_S) -> bool:
    """Whether a `running` run is over without having said so: its process is gone, or it runs on another host
    and has written nothing for `stale_after_s` (the store closes such runs on open; `moa runs`' quick read
    leaves the listing to the store when there is one)."""
    gone = owner_gone(owner)
    return gone is True or (gone is None and now - updated_at >= timedelta(seconds=stale_after_s))


def _start_ticks(pid: int) -> str:
    return _proc_stat(pid)[1]


def _proc_stat(pid: int) -> tuple[str, str]:
    """State and start time since boot (fields 3 and 22 of /proc/PID/stat); '' without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return "", ""
    return fields[0], fields[19]
