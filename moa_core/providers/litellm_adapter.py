"""Every read of litellm's undocumented internals, in one place, each behind a small named function.

litellm's public API does not say (a) whether the provider itself ended a stream (litellm adds a
synthetic finish_reason "stop" when a stream just stops), (b) the HTTP response under a stream,
(c) the body of a 200 reply that did not parse (only inside its error text), or (d) a failed
call's response headers. `providers.llm` needs all four; it asks here. tests/providers/
test_litellm_adapter.py drives real litellm objects through the loopback server and names the
function below that broke, with litellm's version, when an upgrade moves any of it.

Nothing here imports litellm: these functions read objects litellm made (`providers.llm` is still
the only importer, so the offline price-map setting is in force first).
"""
from __future__ import annotations

import ast
import re
from importlib import metadata
from typing import Any, Mapping


def litellm_version() -> str:
    """The installed litellm's version, for messages about what changed."""
    try:
        return metadata.version("litellm")
    except metadata.PackageNotFoundError:
        return "not installed"


def http_response(stream: Any) -> Any | None:
    """The HTTP response under litellm's stream wrapper (`CustomStreamWrapper.completion_stream.response`),
    or None when the provider spoke no HTTP (litellm's mock, in-process providers)."""
    response = getattr(getattr(stream, "completion_stream", None), "response", None)
    return response if hasattr(response, "headers") else None


def provider_finish_reason(stream: Any) -> str | None:
    """The finish reason the provider sent on a consumed stream, or None if it sent none.

    `CustomStreamWrapper.received_finish_reason` (or `intermittent_finish_reason`, where litellm keeps it
    while later chunks such as usage still arrive) holds what came over the wire, unlike the chunks'
    finish_reason, which litellm fills in with "stop" when a stream merely ends.
    """
    return (getattr(stream, "received_finish_reason", None)
            or getattr(stream, "intermittent_finish_reason", None))


def error_text(exc: BaseException) -> str:
    """A litellm exception's message (`.message`, without the str()'s extra lines), else str(exc)."""
    return str(getattr(exc, "message", "") or exc)


# litellm's words for a 200 reply that did not parse as a completion (non-streamed requests)
_INVALID_REPLY = re.compile(r"Empty or invalid response from LLM endpoint\. Received: (?P<body>.*?)\. Check the ",
                            re.S)


def invalid_reply_body(exc: BaseException) -> str | None:
    """The body of a 200 reply litellm could not parse, recovered from its error text; None for other errors.

    litellm puts the body's Python repr in the message (`Received: '<html>…'`), so it is read back with
    `ast.literal_eval`; a body that is not a string literal comes back as "" (said as an empty reply).
    """
    match = _INVALID_REPLY.search(error_text(exc))
    if match is None:
        return None
    try:
        body = ast.literal_eval(match["body"])
    except (ValueError, SyntaxError):
        return match["body"]
    return body if isinstance(body, str) else ""


def response_headers(exc: BaseException) -> Mapping[str, str]:
    """A failed call's HTTP response headers: the exception's `response`, else litellm's
    `litellm_response_headers` copy; empty when neither was kept."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) if response is not None else None
    return headers or getattr(exc, "litellm_response_headers", None) or {}
