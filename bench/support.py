"""What several bench scripts do the same way: the loopback LLM server as a process of its own (so its timing is
not disturbed by the bench), a command run and timed, the environment of a `moa` process on a data folder, and a
fresh database on a throwaway PostgreSQL server. One copy, so a fix to any of them reaches every bench."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from moa_core.testing.processes import stop_process as stop  # noqa: F401 - the bench scripts' `stop`

ROOT = Path(__file__).resolve().parents[1]


def streamed(latencies: dict[str, float], words: int, ttft_s: float = 0.2) -> dict[str, dict]:
    """Loopback server behaviours: each model streams `words` one-word chunks spread over its latency."""
    text = " ".join(f"w{i}" for i in range(words))
    return {model: {"text": text, "ttft_s": ttft_s, "latency_s": s} for model, s in latencies.items()}


def start_llm_server(config: dict, folder: Path) -> tuple[subprocess.Popen, str]:
    """`moa_core.testing.llm_server` with `config` (model -> behaviour; {} = every model echoes at once) in its
    own process; returns it and its base URL, read from its READY line."""
    path = Path(folder) / "llm.json"
    path.write_text(json.dumps(config))
    proc = subprocess.Popen([sys.executable, "-m", "moa_core.testing.llm_server", "--port", "0", "--config",
                             str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the loopback server did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def moa_env(data_dir: str | Path, **extra: str) -> dict[str, str]:
    """This process's environment for a `moa` subprocess on `data_dir` (its own SQLite file unless `extra` names a
    DATABASE_URL; the caller's DATABASE_URL and MOA_DEBUG are dropped so a shell's settings do not leak in)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MOA_DEBUG")}
    return env | {"MOA_DATA_DIR": str(data_dir), **extra}


def run(cmd: list[str], env: dict[str, str], timeout_s: float = 300, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `cmd` in `cwd` (a checkout: the repo root unless another is compared); a failure raises with the end
    of its stderr."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}: {done.stderr[-500:]}")
    return done


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    """Wall seconds of `run(cmd)`, spawn to exit."""
    start = time.perf_counter()
    run(cmd, env, timeout_s=120, cwd=cwd)
    return time.perf_counter() - start


def start_postgres():
    """A throwaway PostgreSQL server (tests/pg.py); `.stop()` it."""
    sys.path.insert(0, str(ROOT))
    from tests.pg import start_server

    return start_server()


def new_database(server, prefix: str) -> str:
    """The URL of a new, empty database on `server`."""
    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    server.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)
