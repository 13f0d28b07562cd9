"""Who is reviewing: a name asked once per browser session, or the signed-in user when Streamlit's
login is configured. Every star rating and vote stores it, so agreement and per-reviewer counts
mean something and a reviewer votes on a pair only once."""
from __future__ import annotations

import streamlit as st

KEY = "reviewer_name"
MAX_LEN = 200


def _signed_in() -> str | None:
    """The logged-in user's email (or name), when `st.login` is set up and the user is signed in."""
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        return str(user.get("email") or user.get("name") or "").strip()[:MAX_LEN] or None
    except Exception:  # login not configured: st.user has no is_logged_in, or secrets are missing
        return None


def current() -> str:
    """The reviewer's name, or "" when none was given yet."""
    return _signed_in() or st.session_state.get(KEY, "")


def _save(widget_key: str) -> None:
    name = " ".join(str(st.session_state.get(widget_key) or "").split())[:MAX_LEN]
    if name:
        st.session_state[KEY] = name


def ask(where=None, *, key: str = "reviewer_input") -> str:
    """Show who is reviewing and let them change it; ask for a name when none is known yet.

    Returns the name ("" until one is given). `where` is a container (default: the sidebar).
    """
    box = where if where is not None else st.sidebar
    signed = _signed_in()
    if signed:
        box.caption(f"Reviewing as **{_md(signed)}** (signed in)")
        return signed
    name = st.session_state.get(KEY, "")
    if name:
        box.caption(f"Reviewing as **{_md(name)}**")
        return name
    box.text_input("Your name (stored with your ratings and votes)", key=key, max_chars=MAX_LEN,
                   placeholder="e.g. ana@example.com", on_change=_save, args=(key,))
    return st.session_state.get(KEY, "")


def _md(text: str) -> str:
    from .safe_text import plain

    return plain(text)
