"""Model, document and server text shown through Streamlit markdown, made inert.

st.markdown never renders raw HTML, but a markdown image in model output (`![](https://…)`) would make
the reader's browser fetch a URL the model or a planted document chose. Images become plain text;
everything else keeps its markdown formatting.
"""
from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def model_markdown(text: str) -> str:
    """Markdown formatting kept, images shown as text instead of loaded."""
    return _IMAGE.sub(r"!\\[", text)


def plain(text: str) -> str:
    """Any text shown literally inside a markdown element (queries, error messages)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
