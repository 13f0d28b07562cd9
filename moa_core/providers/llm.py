"""The one door to litellm: offline-safe import, and one call (streamed, or not) with a timeout.

`LITELLM_LOCAL_MODEL_COST_MAP` must be set before litellm is imported, or it fetches its
price map from the internet (and may swap prices mid-run): importing litellm only from here
guarantees that.
"""
from __future__ import annotations

import asyncio
import os
import random
import re
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402

from ..counts import count  # noqa: E402
from ..redact import redact  # noqa: E402
from . import litellm_adapter as adapter  # noqa: E402

litellm.suppress_debug_info = True
litellm.drop_params = True  # providers that reject e.g. temperature still answer
litellm.telemetry = False
litellm.disable_hf_tokenizer_download = True  # token counts use tiktoken offline, never a download from a hub

DeltaHandler = Callable[[str], Awaitable[None] | None]


@dataclass
class Target:
    """Where a call goes once a ModelSpec is resolved: litellm model string, endpoint, key."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    extra: dict[str, Any] | None = None
    system_in_user: bool = False  # chat format has no system role (Gemma): fold it into the user turn
    # A base model answers far better prompted as text: when set, the engine sends its calls as
    # completion frames (providers.completion_frame) to this litellm model (its /v1/completions).
    completion_model: str | None = None


@dataclass
class Completion:
    text: str
    first_token_at: float | None  # time.monotonic() of the first content token
    prompt_tokens: int | None
    completion_tokens: int | None


class CallError(Exception):
    """A call that failed for good (after retries), with a message a user can read."""


class IncompleteStream(ConnectionError):
    """The stream ended before the model finished (no finish reason): retried like a dropped connection."""


class NotJSONReply(Exception):
    """A 200 reply that is not the JSON/SSE an OpenAI-style API sends (a proxy page, a captive portal)."""


@dataclass
class RetryPolicy:
    max_retries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter; a server's Retry-After wins when it is longer."""
        backoff = random.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** attempt))
        return max(backoff, min(retry_after, self.max_delay_s * 3)) if retry_after else backoff


_RETRYABLE = (
    litellm.RateLimitError,
    litellm.InternalServerError,
    litellm.ServiceUnavailableError,
    litellm.APIConnectionError,
    litellm.Timeout,
    asyncio.TimeoutError,
    ConnectionError,
)


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, _RETRYABLE):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status >= 500 or status == 429)


def retry_after_s(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait, from a Retry-After header if litellm kept one."""
    headers = adapter.response_headers(exc)
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def describe_error(exc: BaseException) -> str:
    """A one-line reason, without litellm's multi-line banners, and without any key the provider echoed."""
    return redact(_describe(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, (IncompleteStream, NotJSONReply)):
        return str(exc)
    name = type(exc).__name__
    message = adapter.error_text(exc).strip().splitlines()
    text = (message[0] if message else "").replace("litellm.", "")
    prefix = re.compile(rf"^\s*({re.escape(name)}|OpenAIException|APIError)\s*[:-]\s*")
    while prefix.match(text):
        text = prefix.sub("", text, count=1)
    return f"{name}: {text[:300]}" if text else name


def _request(target: Target, messages: list[dict[str, Any]], *, stream: bool, temperature: float | None,
             max_tokens: int | None, timeout_s: float, stop: list[str] | None) -> dict[str, Any]:
    """litellm's arguments for one attempt; litellm's own retries are off (the engine retries)."""
    kwargs: dict[str, Any] = dict(model=target.model, messages=messages, stream=stream, timeout=timeout_s,
                                  num_retries=0, max_retries=0)
    if stream:
        kwargs["stream_options"] = {"include_usage": True}
    if target.api_base:
        kwargs["api_base"] = target.api_base
    if target.api_key:
        kwargs["api_key"] = target.api_key
    if temperature is not None:
        kwargs["temperature"] = temperature
    if max_tokens is not None:
        kwargs["max_tokens"] = max_tokens
    if stop:
        kwargs["stop"] = list(stop)
    return kwargs | (target.extra or {})


async def stream_completion(
    target: Target,
    messages: list[dict[str, Any]],
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    timeout_s: float = 120.0,
    on_delta: DeltaHandler | None = None,
    stop: list[str] | None = None,
) -> Completion:
    """One streamed attempt, bounded by `timeout_s` from request to last token."""
    kwargs = _request(target, messages, stream=True, temperature=temperature, max_tokens=max_tokens,
                      timeout_s=timeout_s, stop=stop)

    parts: list[str] = []
    first_token_at: float | None = None
    usage = None
    finished = False
    async with asyncio.timeout(timeout_s):
        stream = await litellm.acompletion(**kwargs)
        await _refuse_non_sse(stream)
        async for chunk in stream:
            if getattr(chunk, "usage", None):
                usage = chunk.usage
            if not chunk.choices:
                continue
            finished = finished or chunk.choices[0].finish_reason is not None
            delta = chunk.choices[0].delta.content or ""
            if delta:
                if first_token_at is None:
                    first_token_at = time.monotonic()
                parts.append(delta)
                if on_delta is not None:
                    result = on_delta(delta)
                    if asyncio.iscoroutine(result):
                        await result
    text = "".join(parts)
    if not _provider_finished(stream, finished):
        n = count_tokens(target.model, text=text) if text else 0
        raise IncompleteStream(f"stream ended without a finish reason after {count(n, 'token')}")
    return Completion(text, first_token_at, *_token_counts(target, messages, text, usage))


def _token_counts(target: Target, messages: list[dict[str, Any]], text: str, usage: Any) -> tuple[int, int]:
    """(prompt, completion) tokens: the provider's usage when it sent one, else litellm's count."""
    prompt_tokens = getattr(usage, "prompt_tokens", None) if usage else None
    completion_tokens = getattr(usage, "completion_tokens", None) if usage else None
    if prompt_tokens is None:
        prompt_tokens = count_tokens(target.model, messages)
    if completion_tokens is None:
        completion_tokens = count_tokens(target.model, text=text) if text else 0
    return prompt_tokens, completion_tokens


async def complete(
    target: Target,
    messages: list[dict[str, Any]],
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    timeout_s: float = 120.0,
    stop: list[str] | None = None,
) -> Completion:
    """One attempt without streaming, for calls nobody watches live (batch items).

    litellm and the OpenAI SDK spend about 1 ms of CPU on every streamed chunk (a 200-token
    answer: ~240 ms against ~10 ms unstreamed, bench/llm_calls.py), which caps a batch on a
    small machine. The reply is one JSON document, so a cut connection fails to parse and is
    retried: there is no half answer to mistake for a whole one.
    """
    kwargs = _request(target, messages, stream=False, temperature=temperature, max_tokens=max_tokens,
                      timeout_s=timeout_s, stop=stop)
    try:
        async with asyncio.timeout(timeout_s):
            response = await litellm.acompletion(**kwargs)
    except litellm.InternalServerError as exc:  # a proxy page is not worth retrying: say what came back
        raise _invalid_reply(exc) or exc
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise NotJSONReply("the server's reply had no answer in it (no choices)")
    text = choices[0].message.content or ""
    return Completion(text, None, *_token_counts(target, messages, text, getattr(response, "usage", None)))


async def _refuse_non_sse(stream: Any) -> None:
    """A 200 reply that is neither an event stream nor JSON is said for what it is, not "empty response"."""
    response = adapter.http_response(stream)
    if response is None:
        return
    kind = (response.headers.get("content-type") or "").lower()
    if "event-stream" in kind or "json" in kind:
        return
    raise _not_json((await response.aread()).decode("utf-8", "replace"), kind)


def _not_json(body: str, kind: str) -> NotJSONReply:
    body = body.strip()
    snippet = " ".join(body.split())
    snippet = snippet if len(snippet) <= 80 else snippet[:80] + "…"
    return NotJSONReply(f"the server's reply was not JSON: {snippet!r}" if body else
                        f"the server's reply was empty ({kind or 'no content type'})")


def _invalid_reply(exc: Exception) -> NotJSONReply | None:
    """litellm's "empty or invalid response" error as the NotJSONReply it is (None for other errors)."""
    body = adapter.invalid_reply_body(exc)
    return None if body is None else _not_json(body, "")


def _provider_finished(stream: Any, seen_finish: bool) -> bool:
    """Did the provider itself say the answer is complete?

    litellm adds a synthetic finish_reason "stop" when a stream just ends, so over HTTP the
    truth is what the wrapper received from the provider; streams without an HTTP response
    (litellm's mock, custom in-process providers) are judged by the chunks' finish_reason.
    """
    if adapter.http_response(stream) is None:
        return seen_finish
    return bool(adapter.provider_finish_reason(stream))


def count_tokens(model: str, messages: list[dict[str, Any]] | None = None, text: str | None = None) -> int:
    """litellm's offline token counter (the model's tokenizer when known, else tiktoken)."""
    try:
        if messages is not None:
            return litellm.token_counter(model=model, messages=messages)
        return litellm.token_counter(model=model, text=text or "")
    except Exception:  # tokenizer trouble must never sink a run: fall back to a rough estimate
        raw = text if text is not None else " ".join(str(m.get("content", "")) for m in messages or [])
        return max(1, len(raw) // 4)
