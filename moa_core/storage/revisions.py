"""The newest migration revision, read from the revision files (no alembic, no SQLAlchemy)."""
from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]+)?=\s*['\"]?([\w]+)?['\"]?", re.MULTILINE)


def head_revision() -> str | None:
    """The newest revision, read from the revision files themselves: importing alembic (and every
    revision module) to learn it cost `moa runs` a third of its start-up; alembic is needed only to upgrade."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION.findall(path.read_text(encoding="utf-8")))
        if found.get("revision"):
            revisions.add(found["revision"])
            if found.get("down_revision") and found["down_revision"] != "None":
                parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
