"""Who is reviewing: a name typed once and kept in the address (`?reviewer=NAME`, so a reload keeps it),
or the signed-in user when Streamlit's login is configured. Every star rating and vote stores it, so
agreement and per-reviewer counts mean something, a reviewer votes on a pair only once, and each
reviewer sees only their own stars. Nothing is rated or voted without a name; the name can be changed
at any time (a colleague taking over the same browser)."""
from __future__ import annotations

import streamlit as st

KEY = "reviewer_name"
PARAM = "reviewer"  # the query parameter that keeps the name across reloads
MAX_LEN = 200
LABEL = "Your name (stored with your ratings and votes)"
NEEDED = "Type your name first, under **Your name** in the sidebar (then Enter): ratings are stored with it."


def clean(text) -> str:
    """One line of at most MAX_LEN characters, inner spaces collapsed."""
    return " ".join(str(text or "").split())[:MAX_LEN]


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
    """The reviewer's name, or "" when none was given yet: the signed-in user, else this session's name,
    else the one in the address (a reload starts a new session)."""
    signed = _signed_in()
    if signed:
        return signed
    if KEY in st.session_state:
        return st.session_state[KEY]
    return clean(st.query_params.get(PARAM))


def _save(widget_key: str) -> None:
    """A name typed (or cleared) switches the reviewer; an empty box means nobody is reviewing."""
    st.session_state[KEY] = clean(st.session_state.get(widget_key))


def _keep_in_url(name: str) -> None:
    if name and st.query_params.get(PARAM) != name:
        st.query_params[PARAM] = name
    elif not name and PARAM in st.query_params:
        del st.query_params[PARAM]


def ask(where=None, *, key: str = "reviewer_input") -> str:
    """Show who is reviewing in a box that can be changed at any time; returns the name ("" until one is
    given). `where` is a container (default: the sidebar)."""
    box = where if where is not None else st.sidebar
    signed = _signed_in()
    if signed:
        box.caption(f"Reviewing as **{_md(signed)}** (signed in)")
        return signed
    name = current()
    st.session_state[KEY] = name  # a name from the address belongs to this session from now on
    _keep_in_url(name)
    if st.session_state.get(key) != name:  # the box shows the name, also when it was typed in another box
        st.session_state[key] = name
    box.text_input(LABEL, key=key, max_chars=MAX_LEN, placeholder="e.g. ana@example.com",
                   on_change=_save, args=(key,))
    if name:  # no help= tooltip: its button would share the box's label
        box.caption("Change it to switch reviewer; the address keeps it, so a reload does not ask again.")
    return name


def _md(text: str) -> str:
    from .safe_text import plain

    return plain(text)
