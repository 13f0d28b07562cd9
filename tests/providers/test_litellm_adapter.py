"""What providers.litellm_adapter reads from litellm is still there: real litellm objects, made by real calls
to the loopback server. A failure names the adapter function that broke and the installed litellm version,
so an upgrade that moves litellm's internals fails here, loudly, instead of quietly misjudging streams."""
from __future__ import annotations

import pytest

from moa_core.providers import litellm_adapter as adapter
from moa_core.providers.llm import litellm

MESSAGES = [{"role": "user", "content": "What is the notice period?"}]


def require(ok: bool, function: str, what: str) -> None:
    """Fail with the adapter function, what litellm no longer does, and the version that does not."""
    if not ok:
        pytest.fail(f"moa_core.providers.litellm_adapter.{function}: {what} (litellm {adapter.litellm_version()}); "
                    "read the new version's CustomStreamWrapper / exception mapping and update the adapter.")


def kwargs(llm, model: str, **extra) -> dict:
    return dict(model=f"openai/{model}", api_base=llm.base_url, api_key="test", messages=MESSAGES,
                num_retries=0, max_retries=0, timeout=10, **extra)


async def consumed_stream(llm, model: str):
    stream = await litellm.acompletion(**kwargs(llm, model, stream=True, stream_options={"include_usage": True}))
    async for _ in stream:
        pass
    return stream


async def test_the_stream_wrapper_still_keeps_the_http_response_and_the_providers_finish_reason(llm):
    llm.set("m", text="Thirty days.")
    stream = await consumed_stream(llm, "m")
    require(type(stream).__name__ == "CustomStreamWrapper", "http_response",
            f"acompletion(stream=True) returns {type(stream).__name__}, not CustomStreamWrapper")
    response = adapter.http_response(stream)
    require(response is not None, "http_response", "the stream has no completion_stream.response with headers")
    require("event-stream" in (response.headers.get("content-type") or ""), "http_response",
            "completion_stream.response is not the provider's HTTP response")
    require(hasattr(stream, "received_finish_reason") and hasattr(stream, "intermittent_finish_reason"),
            "provider_finish_reason", "CustomStreamWrapper lost received_finish_reason/intermittent_finish_reason")
    require(adapter.provider_finish_reason(stream) == "stop", "provider_finish_reason",
            f"a stream the server finished with 'stop' reads {adapter.provider_finish_reason(stream)!r}")


async def test_a_stream_that_just_ends_has_no_provider_finish_reason(llm):
    llm.set("m", text="one two three four five", end_after_tokens=2)  # clean end of body, no finish_reason
    stream = await consumed_stream(llm, "m")
    require(adapter.http_response(stream) is not None, "http_response", "no HTTP response under the stream")
    require(adapter.provider_finish_reason(stream) is None, "provider_finish_reason",
            f"a stream cut before its finish_reason reads {adapter.provider_finish_reason(stream)!r} "
            "(litellm's synthetic 'stop' leaked into the provider's reason)")


async def test_a_reply_that_is_not_json_is_still_quoted_in_litellms_error_text(llm):
    body = "<html><body>Please sign in, 'proxy' \\ user</body></html>"
    llm.set("m", raw_body=body)
    with pytest.raises(Exception) as caught:
        await litellm.acompletion(**kwargs(llm, "m"))
    require(isinstance(caught.value, litellm.InternalServerError), "invalid_reply_body",
            f"a 200 HTML reply now raises {type(caught.value).__name__}, not InternalServerError")
    require(adapter.invalid_reply_body(caught.value) == body, "invalid_reply_body",
            f"the body is no longer recovered from the error text {adapter.error_text(caught.value)[:200]!r}")


async def test_other_errors_are_not_taken_for_an_invalid_reply_and_keep_their_headers(llm):
    llm.set("m", fail_times=1, fail_status=429, retry_after=7)
    with pytest.raises(litellm.RateLimitError) as caught:
        await litellm.acompletion(**kwargs(llm, "m"))
    require(adapter.invalid_reply_body(caught.value) is None, "invalid_reply_body",
            "a rate-limit error was read as an invalid reply")
    headers = adapter.response_headers(caught.value)
    require(headers.get("retry-after") == "7", "response_headers",
            f"the Retry-After header is not on the exception (headers: {dict(headers)!r})")
    require("\n" not in adapter.error_text(caught.value).strip().splitlines()[0], "error_text", "multi-line")


def test_litellm_objects_without_an_http_response_are_said_to_have_none():
    stream = litellm.completion(model="openai/x", messages=MESSAGES, mock_response="hi", stream=True)
    for _ in stream:
        pass
    require(adapter.http_response(stream) is None, "http_response",
            "litellm's mock stream now claims an HTTP response")
    assert adapter.invalid_reply_body(ValueError("Empty or invalid response from LLM endpoint. Received: "
                                                 "{'a': 1}. Check the reply")) == ""  # not a string: empty
    assert adapter.response_headers(ValueError("no response")) == {}
    assert adapter.litellm_version()[0].isdigit()
