"""The Run page paints its query box before any heavy import (issue 26, start-up speed).

What app.py and pages/run.py import before the page's `st.text_area("Query", ...)` runs is what a first
visit waits for: litellm (~2.5 s quiet), SQLAlchemy, pandas and scipy must not be among it; the warm-up
thread imports them in the background. Each check runs in a fresh interpreter (the test process has them all).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("litellm", "sqlalchemy", "pandas", "scipy", "onnxruntime")

pytestmark = pytest.mark.slow  # fresh interpreters


def _imports_before(path: Path, marker: str | None) -> list[str]:
    """The module-level import statements of a file, up to the first top-level statement holding `marker`."""
    source = path.read_text()
    tree = ast.parse(source)
    lines = []
    for node in tree.body:
        text = ast.get_source_segment(source, node)
        if marker is not None and marker in text:
            break
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.append(text)
    return lines


def _modules_loaded(statements: list[str]) -> set[str]:
    code = "\n".join([*statements, "import sys", "print(' '.join(sys.modules))"])
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {name.split(".")[0] for name in done.stdout.split()}


def test_nothing_heavy_is_imported_before_the_query_box():
    statements = _imports_before(ROOT / "app.py", None) + _imports_before(ROOT / "pages/run.py", '"Query"')
    assert any("ui" in s and "resources" in s for s in statements)  # the parse found the pages' imports
    loaded = _modules_loaded(statements)
    assert "streamlit" in loaded
    assert not loaded & set(HEAVY), f"imported before the query box: {sorted(loaded & set(HEAVY))}"


def test_the_warm_up_thread_imports_litellm_and_the_pages_modules():
    # The process waits for the warm-up's streamed call before it exits: exiting while that daemon thread is
    # mid-import left litellm's aiohttp finaliser waiting for the import lock for ever (1 run in 6 here; the
    # faulthandler dump showed http_handler.__del__ -> _find_and_load). A hang now dumps every stack and exits.
    code = ("import faulthandler, sys, threading\nfaulthandler.dump_traceback_later(120, exit=True)\n"
            "from ui import resources\nassert 'litellm' not in sys.modules\n"
            "resources._warm(resources.WARM_MODULES)\n"
            "[t.join(60) for t in threading.enumerate() if t.name == 'moa-warm-up']\n"
            "from moa_core.agreement import embeddings\n"
            "print('litellm' in sys.modules, 'pandas' in sys.modules, 'ui.run_view' in sys.modules, "
            "embeddings._model is not None or embeddings._error is not None)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-6000:]
    assert done.stdout.split()[-4:] == ["True", "True", "True", "True"]
