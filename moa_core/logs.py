"""The data folder and the log in it: where a catch-all leaves the traceback for whoever debugs.

The catch-alls (the CLI's, the job runner's, the engine's) turn any exception into one line for users; the
redacted traceback goes to `<data folder>/moa.log`, and to stderr too with MOA_DEBUG=1. This sits on the
ground floor, beside `redact`, so the engine and the job runner can log without importing storage.
"""
from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path

from .redact import redact

APP_DIR_NAME = "moa-workbench"
LOG_NAME = "moa.log"
UNSAVED_RUNS_NAME = "unsaved-runs.jsonl"  # runs the database refused (`storage.unsaved`), named here for light readers


def data_dir() -> Path:
    """`MOA_DATA_DIR`, else the checkout's `data/` when run from a source tree, else the user's data dir."""
    if os.environ.get("MOA_DATA_DIR"):
        return Path(os.environ["MOA_DATA_DIR"]).expanduser()
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / "moa_core").is_dir():
        return root / "data"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / APP_DIR_NAME


def log_traceback(exc: BaseException, context: str, name: str = LOG_NAME) -> Path | None:
    """Append `context` and the redacted traceback of `exc` to the log in the data folder (a provider may echo
    a key in its error); with MOA_DEBUG=1 print them on stderr too. Returns the log's path, or None when it
    could not be written: the log is a courtesy and never raises."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    text = redact(f"{stamp} {context}\n" + "".join(traceback.format_exception(exc)))
    if os.environ.get("MOA_DEBUG") == "1":
        sys.stderr.write(text)
    try:
        path = data_dir() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as out:
            out.write(text + "\n")
        return path
    except Exception:
        return None
