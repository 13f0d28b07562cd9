"""The local fallback for runs the database refused: nothing already done is lost.

When a run's final write still fails after retries, its whole record goes to
`unsaved-runs.jsonl` in the data folder (one `RunRecord.to_dict()` per line); the next
`RunStore.open` imports those runs and removes the file.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Callable

from ..logs import UNSAVED_RUNS_NAME
from ..records import RunRecord
from ..redact import redact_all
from .db import data_dir

log = logging.getLogger(__name__)

FILE_NAME = UNSAVED_RUNS_NAME
_LOCK = threading.Lock()


def path() -> Path:
    return data_dir() / FILE_NAME


def keep(record: RunRecord) -> Path:
    """Append the run to the fallback file; returns where it went (raises OSError if it cannot)."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(redact_all(record.to_dict()), ensure_ascii=False)
    with _LOCK, open(target, "a", encoding="utf-8") as f:
        f.write(line + "\n")
    return target


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is not ours
        return True
    return True


def _orphans(source: Path) -> list[Path]:
    """Files claimed by an importer that died before it finished (`<name>.<pid>.importing`, pid gone)."""
    found = []
    for claimed in source.parent.glob(f"{FILE_NAME}.*.importing"):
        pid = claimed.name[len(FILE_NAME) + 1:-len(".importing")].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            found.append(claimed)
    return found


def import_into(save: Callable[[RunRecord], None]) -> list[str]:
    """Hand every kept run to `save`, then remove the file; runs that fail to save stay in it.
    Runs left by an importer that died mid-way are imported too."""
    source = path()
    imported = []
    for orphan in _orphans(source):
        imported += _import_file(orphan, source, save)
    if source.is_file():
        imported += _import_file(source, source, save)
    return imported


def _import_file(found: Path, source: Path, save: Callable[[RunRecord], None]) -> list[str]:
    claimed = source.with_name(f"{FILE_NAME}.{os.getpid()}-{threading.get_ident()}.importing")
    try:
        os.replace(found, claimed)  # another process opening at the same time finds no file
    except OSError:
        return []
    imported, left = [], []
    for line in claimed.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = RunRecord.from_dict(json.loads(line))
            save(record)
            imported.append(record.run_id)
        except Exception as exc:  # keep it for next time rather than lose it
            log.warning("could not import a kept run: %s", exc)
            left.append(line)
    if left:
        with _LOCK, open(source, "a", encoding="utf-8") as f:
            f.write("\n".join(left) + "\n")
    claimed.unlink(missing_ok=True)
    return imported
