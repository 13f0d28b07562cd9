"""Pages run under app.py's st.navigation without any private Streamlit module (ui/page.py), checked on the
source and on the hand-over's logic with stand-ins; test_browser_first_visit.py checks it in a real browser."""
from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import pytest

from ui import page as page_setup

ROOT = Path(__file__).resolve().parents[2]
NAVIGATION_FILES = [ROOT / "app.py", ROOT / "ui" / "page.py", *sorted((ROOT / "pages").glob("*.py"))]


def streamlit_modules_imported(source: str) -> list[str]:
    """Every `streamlit...` module a source imports, at any depth (function-local imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "streamlit"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "streamlit":
            found.append(node.module)
    return found


@pytest.mark.parametrize("path", NAVIGATION_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_navigation_relies_on_no_private_streamlit_module(path):
    private = [m for m in streamlit_modules_imported(path.read_text()) if m != "streamlit"]
    assert not private, f"{path.name} imports {private}: use the public `streamlit` API (see ui/page.py)"


def test_the_check_catches_the_old_private_import():
    old = "def f():\n    from streamlit.runtime.pages_manager import PagesManager\n"
    assert streamlit_modules_imported(old) == ["streamlit.runtime.pages_manager"]


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_every_page_hands_over_before_it_draws_anything(path):
    body = [n for n in ast.parse(path.read_text()).body
            if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]  # the docstring
    assert ast.unparse(body[0]) == "from ui.page import ensure_app_navigation", path.name
    assert ast.unparse(body[1]) == "ensure_app_navigation()", path.name


@pytest.fixture
def handover(monkeypatch):
    """Record what ensure_app_navigation would run instead of running app.py and stopping the script."""
    ran: list[str] = []
    monkeypatch.setattr(page_setup.runpy, "run_path", lambda path, run_name: ran.append((path, run_name)))
    monkeypatch.setattr(page_setup.st, "stop", lambda: ran.append("stop"))

    def main_script(path: Path | str) -> None:
        module = types.ModuleType("__main__")
        module.__file__ = str(path)
        monkeypatch.setitem(sys.modules, "__main__", module)
    return ran, main_script


def test_a_page_started_without_app_py_hands_over_to_it(handover):
    ran, main_script = handover
    main_script(ROOT / "tests" / ".." / "app.py")  # as AppTest names it: not normalised
    page_setup.ensure_app_navigation()
    assert ran == [(str(page_setup.APP), "__main__"), "stop"]


def test_a_page_app_py_chose_runs_on(handover):
    ran, main_script = handover
    main_script(page_setup.APP)

    class Chosen:
        def run(self):
            page_setup.ensure_app_navigation()
            ran.append("page drawn")
    page_setup.run_from_app(Chosen())
    assert ran == ["page drawn"]
    page_setup.ensure_app_navigation()  # the mark ends with the page's run
    assert ran[-1] == "stop"


def test_the_mark_is_cleared_when_the_page_stops_early(handover):
    ran, main_script = handover
    main_script(page_setup.APP)

    class Stops:
        def run(self):
            raise RuntimeError("st.stop() or st.rerun() inside the page")
    with pytest.raises(RuntimeError):
        page_setup.run_from_app(Stops())
    page_setup.ensure_app_navigation()
    assert ran[-1] == "stop"


def test_a_page_run_as_the_main_script_itself_stays_alone(handover):
    ran, main_script = handover
    main_script(ROOT / "pages" / "analytics.py")  # AppTest.from_file("pages/analytics.py")
    page_setup.ensure_app_navigation()
    main_script("")  # a main module without a real file
    page_setup.ensure_app_navigation()
    assert ran == []
