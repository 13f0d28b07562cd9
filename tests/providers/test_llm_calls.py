"""The two ways a call goes out (providers.llm): streamed for people watching, unstreamed for batches.
Both against the loopback server over real HTTP; both must say the same things about the same reply."""
from __future__ import annotations

import pytest

from moa_core.providers.llm import NotJSONReply, Target, complete, describe_error, is_retryable, stream_completion

MESSAGES = [{"role": "user", "content": "What is the notice period?"}]


def _target(llm, model: str) -> Target:
    return Target(model=f"openai/{model}", api_base=llm.base_url, api_key="test")


async def test_an_unstreamed_call_returns_the_whole_answer_and_the_servers_usage(llm):
    llm.set("m", text="Thirty days, in writing.")
    done = await complete(_target(llm, "m"), MESSAGES, max_tokens=32, temperature=0.2, stop=["END"])
    assert done.text == "Thirty days, in writing."
    assert (done.prompt_tokens, done.completion_tokens) == (5, 4)  # the server's own count, not an estimate
    assert done.first_token_at is None  # unstreamed: no time to first token to report
    [request] = llm.requests
    assert request.stream is False
    assert (request.body["max_tokens"], request.body["temperature"], request.body["stop"]) == (32, 0.2, ["END"])


async def test_streamed_and_unstreamed_calls_agree_on_text_and_tokens(llm):
    llm.set("m", text="one two three four five")
    streamed = await stream_completion(_target(llm, "m"), MESSAGES)
    whole = await complete(_target(llm, "m"), MESSAGES)
    assert (streamed.text, streamed.prompt_tokens, streamed.completion_tokens) == \
        (whole.text, whole.prompt_tokens, whole.completion_tokens)
    assert [r.stream for r in llm.requests] == [True, False]


async def test_a_proxy_page_is_named_for_what_it_is_and_not_retried(llm):
    llm.set("m", raw_body="<html><body>Please sign in to the proxy</body></html>")
    with pytest.raises(NotJSONReply) as caught:
        await complete(_target(llm, "m"), MESSAGES)
    assert describe_error(caught.value) == ("the server's reply was not JSON: "
                                            "'<html><body>Please sign in to the proxy</body></html>'")
    assert not is_retryable(caught.value)


async def test_a_reply_cut_off_mid_body_is_a_retryable_error_never_an_answer(llm):
    llm.set("m", text="one two three four five six", drop_after_tokens=3)
    with pytest.raises(Exception) as caught:
        await complete(_target(llm, "m"), MESSAGES, timeout_s=5)
    assert is_retryable(caught.value) and "Connection" in describe_error(caught.value)



async def test_json_that_is_not_a_completion_fails_saying_so(llm):
    llm.set("m", raw_body='{"status": "ok", "detail": "maintenance"}')
    with pytest.raises(Exception) as caught:
        await complete(_target(llm, "m"), MESSAGES)
    said = describe_error(caught.value)
    assert "choices" in said and "\n" not in said  # one readable line, never taken for an (empty) answer


def test_counting_tokens_never_fetches_a_tokenizer_from_the_network(monkeypatch):
    """litellm picks a Hugging Face tokenizer for llama-3/llama-2/command-r names and downloads it from the hub
    (a DNS lookup and 23 s of retries offline): our counts use the bundled tiktoken instead."""
    import litellm.utils

    from moa_core.providers.llm import count_tokens

    fetched = []
    monkeypatch.setattr(litellm.utils, "_load_huggingface_tokenizer",
                        lambda *a, **k: fetched.append(a) or (_ for _ in ()).throw(AssertionError("network")))
    for model in ("groq/llama-3.1-8b-instant", "together_ai/meta-llama/Llama-2-7b-chat-hf", "command-r",
                  "replicate/meta/llama-2-70b"):
        assert count_tokens(model, text="hello world how are you") == 5
        assert count_tokens(model, messages=[{"role": "user", "content": "hello"}]) > 1
    assert fetched == []
