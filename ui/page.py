"""Page set-up shared by every page file."""
from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

APP = Path(__file__).resolve().parent.parent / "app.py"


def ensure_app_navigation() -> None:
    """Hand a page over to app.py when Streamlit ran it on its own.

    Because a `pages/` folder exists, a fresh server's first visit to e.g. /history runs that file
    directly (Streamlit's old multipage mode: wrong menu, narrow layout) until app.py has called
    st.navigation once. Running app.py here switches the process to our navigation for good.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()
