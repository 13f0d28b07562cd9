"""Streamlit's websocket origin check must not ask the internet for this machine's public IP.

When a websocket's Origin differs from its Host (a reverse proxy that does not pass the Host header on),
Streamlit 1.67 compares the origin with the machine's external IP, found by an HTTP request to
checkip.amazonaws.com (then its https URL): two DNS lookups on the server's event loop, repeated on every
such connection while they fail (a failure is not cached). This app listens on 127.0.0.1 behind a proxy
and names its address in .streamlit/config.toml, so the public IP is never the right answer: the check
gets "unknown" at once, as it would offline, and the origin must match browser.serverAddress or be in
server.corsAllowedOrigins (both checked by Streamlit as before).
"""
from __future__ import annotations

from streamlit import net_util


def _no_public_ip() -> None:
    return None


def no_public_ip_lookup() -> None:
    """Idempotent; takes effect for every connection after the app's first script run in this process."""
    net_util.get_external_ip = _no_public_ip
