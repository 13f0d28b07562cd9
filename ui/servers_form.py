"""Reading the Settings form that adds a server: a base URL once, whatever its trailing slashes."""
from __future__ import annotations

from urllib.parse import urlsplit


def normalise_url(url: str) -> str:
    """The URL as stored and compared: no surrounding spaces or trailing slashes, scheme and host in
    lower case (they are case-insensitive; the path is not)."""
    text = (url or "").strip().rstrip("/")
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        return text
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def new_server(url: str, kind: str, servers: list[dict]) -> dict:
    """The entry to add, or ValueError with one line: not http(s), no host, or already in the list."""
    text = (url or "").strip()
    if not text.lower().startswith(("http://", "https://")):
        raise ValueError("A base URL starts with http:// or https://")
    normal = normalise_url(text)
    if not urlsplit(normal).netloc:
        raise ValueError(f"{text} has no host name (e.g. http://localhost:11434)")
    for entry in servers:
        if normalise_url(entry.get("url", "")) == normal:
            raise ValueError(f"{normal} is already in the list ({entry.get('kind', 'openai')})")
    return {"url": normal, "kind": kind}
