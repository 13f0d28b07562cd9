"""Page set-up shared by every page file: pages run under app.py's `st.navigation`, whoever started them.

Why a page may start without app.py: a folder named `pages/` beside the main script puts Streamlit in its
first multipage mode until some script calls `st.navigation`. On a fresh server the first visit to, say,
/history then runs pages/history.py alone (Streamlit's own menu of file names, the narrow layout, no
reviewer box). Streamlit has no public switch for that mode (no config option, no argument of
`st.navigation`); its only public ends are renaming the folder (the folder is part of the product's
layout) or calling `st.navigation`, which is what the hand-over below does. Knowing whether app.py chose
the page needs no Streamlit internals: app.py runs the chosen page through `run_from_app`, which marks
the current context, and a page that finds no mark while app.py is the main script hands over to it.
"""
from __future__ import annotations

import contextvars
import runpy
import sys
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parent.parent / "app.py"

# Set while app.py runs the page its navigation chose. A context variable, not a global: every session
# runs its script in its own thread, and a page run by Streamlit's folder mode must not see another
# session's mark.
_chosen_by_app: contextvars.ContextVar[bool] = contextvars.ContextVar("moa_page_chosen_by_app", default=False)


def run_from_app(page) -> None:
    """Run the page `st.navigation` returned (app.py's last line), marked as chosen by app.py."""
    token = _chosen_by_app.set(True)
    try:
        page.run()
    finally:
        _chosen_by_app.reset(token)


def _main_script_is_app() -> bool:
    """Whether app.py is the script Streamlit started: it installs the main script as `__main__` with its
    `__file__` (plain Python, the module pickling and `__file__` rely on). A page run as the main script
    itself (`AppTest.from_file("pages/x.py")`, `streamlit run pages/x.py`) has no app.py to hand over to."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    try:
        return path is not None and Path(path).resolve() == APP
    except OSError:
        return False


def ensure_app_navigation() -> None:
    """Hand a page over to app.py when Streamlit ran it without app.py's navigation (see the module doc).

    Running app.py here calls `st.navigation`, which switches the whole process to app.py's pages for
    good; app.py then runs this page again through `run_from_app`, and this run stops.
    """
    if _chosen_by_app.get() or not _main_script_is_app():
        return
    runpy.run_path(str(APP), run_name="__main__")
    st.stop()
