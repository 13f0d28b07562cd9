"""Files the CLI writes with `--out`: never the database itself, never half-written.

`moa report RUN --out moa.db` once wrote Markdown over the live SQLite file, and `moa export --out
moa.db` truncated it before the first row. Every `--out` is checked against the database file and its
`-wal`/`-shm`/`-journal` companions, and written to a temporary file in the same folder that replaces
the target only once it is complete (an error or Ctrl-C leaves the old file as it was).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from . import UserError

_COMPANIONS = ("", "-wal", "-shm", "-journal")


def database_files(url: str | None = None) -> list[Path]:
    """The SQLite database file the CLI uses and its companions (none for PostgreSQL)."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    from ..storage.db import default_url, normalize_url

    try:
        parsed = make_url(normalize_url(url or default_url()))
    except (ArgumentError, ValueError):
        return []
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return []
    base = Path(parsed.database).expanduser()
    return [Path(str(base) + suffix) for suffix in _COMPANIONS]


def _same_file(a: Path, b: Path) -> bool:
    """Same path once symlinks and `..` are resolved, or the same inode (a hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_out(path: str, option: str = "--out") -> Path:
    """The target as a Path, or a one-line UserError: a folder, a missing folder, or the database."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise UserError(f"{option} is a directory: {path}")
    if not target.parent.is_dir():
        raise UserError(f"{option} folder does not exist: {target.parent}")
    for db_file in database_files():
        if _same_file(target, db_file):
            raise UserError(f"{option} {path} is the workbench database ({db_file.name}); "
                            "writing there would destroy it: choose another file")
    return target


def _new_file_mode(target: Path) -> int:
    """An existing target keeps its permissions; a new one gets what open() would give it."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def output_file(path: str, binary: bool = False, option: str = "--out") -> Iterator[IO]:
    """A file to write `path` through: a temporary file beside it, renamed over it on success only."""
    target = check_out(path, option)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise


def write_output(path: str, data: bytes, option: str = "--out") -> None:
    """`data` written to `path` whole, through a temporary file."""
    with output_file(path, binary=True, option=option) as out:
        out.write(data)


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
