"""The warm-up: one real streamed call through litellm to its own loopback server (not the test server)."""
from __future__ import annotations

import threading

from moa_core.providers import warmup
from moa_core.providers.llm import Target, stream_completion


async def test_its_server_streams_one_answer_litellm_reads_with_usage():
    with warmup._LoopbackServer() as server:
        target = Target(model="openai/warm-up", api_base=server.base_url, api_key="warm-up")
        done = await stream_completion(target, [{"role": "user", "content": "hi"}], max_tokens=4, timeout_s=10)
    assert done.text == "ok"
    assert (done.prompt_tokens, done.completion_tokens) == (1, 1)  # the server's usage chunk, not an estimate
    assert server.answered == 1


async def test_warm_up_marks_the_process_warm_once(monkeypatch):
    monkeypatch.setattr(warmup, "_warm", threading.Event())
    served = []
    real = warmup._LoopbackServer

    class Counting(real):
        def __exit__(self, *exc):
            served.append(self.answered)
            super().__exit__(*exc)

    monkeypatch.setattr(warmup, "_LoopbackServer", Counting)
    assert not warmup.is_warm()
    await warmup.warm_up()
    await warmup.warm_up()  # already warm: no second server, no second call
    assert warmup.is_warm() and served == [1]
