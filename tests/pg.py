"""A throwaway PostgreSQL server for tests: pytest plugin (`pytest_plugins = ["tests.pg"]`).

Fixtures: `postgres_server` (session; starts one server with initdb + pg_ctl in a temp dir,
on a free port of 127.0.0.1, trust auth, stopped at the end) and `postgres_url` (a fresh,
empty database per test, dropped after it). No system service or cluster is created.

Without a server binary, or when it cannot start, the tests that need it are skipped with the
reason; with `CI=true` that is a failure instead, so CI never goes green without PostgreSQL.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

_server: "PostgresServer | None" = None
_failure: str | None = None


@dataclass
class PostgresServer:
    bindir: Path
    root: Path  # temp dir holding data/, sockets/ and the log
    port: int
    as_user: list[str]  # prefix that runs a command as the server's user ([] when not root)

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = self.as_user + [str(self.bindir / tool), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)

    def start(self) -> None:
        done = self.run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "-A", "trust", "--no-sync",
                        "-E", "UTF8")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {(done.stderr or done.stdout).strip()[-500:]}")
        self.start_postmaster()

    def start_postmaster(self) -> None:
        """Start the server on the initialised data directory (again, after `stop_postmaster`)."""
        data, sockets, log = self.root / "data", self.root / "sockets", self.root / "server.log"
        options = (f"-p {self.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        done = self.run("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "30", "start")
        if done.returncode != 0:
            tail = log.read_text()[-800:] if log.exists() else done.stderr
            raise RuntimeError(f"pg_ctl start failed: {tail.strip()}")

    def stop_postmaster(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data (a database restart is `stop_postmaster` then `start_postmaster`):
        `fast` ends every session as `systemctl restart postgresql` does, `immediate` is a crash."""
        done = self.run("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "-t", "30", "stop")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {(done.stderr or done.stdout).strip()[-500:]}")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin that has initdb and pg_ctl (Debian's layout), or PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    for initdb in reversed(candidates):
        if (Path(initdb).parent / "pg_ctl").exists():
            return Path(initdb).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> PostgresServer:
    """Start a server or raise RuntimeError saying why it cannot."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) found: apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="moa-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no `postgres` system user to run the server") from None
        runuser = shutil.which("runuser")
        if not runuser:
            raise RuntimeError("running as root without `runuser` to start PostgreSQL as postgres")
        as_user = [runuser, "-u", "postgres", "--"]
    (root / "sockets").mkdir()
    if as_user:
        for path in (root, root / "sockets"):
            os.chown(path, user.pw_uid, user.pw_gid)
    server = PostgresServer(bindir, root, free_port(), as_user)
    try:
        server.start()
    except Exception:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


def get_server() -> PostgresServer:
    """The session's server, started on first use; skips (or fails under CI=true) when impossible."""
    global _server, _failure
    if _server is None and _failure is None:
        try:
            _server = start_server()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            _failure = f"PostgreSQL tests need a local server, which could not start: {exc}"
    if _server is None:
        if os.environ.get("CI") == "true":
            pytest.fail(_failure + " (CI=true: this is an error, not a skip)", pytrace=False)
        pytest.skip(_failure)
    return _server


def stop_server() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server for the whole test session."""
    server = get_server()
    yield server
    stop_server()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer):
    """A fresh empty database on the session's server, as a SQLAlchemy URL; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres_server.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.url(name)
    postgres_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
