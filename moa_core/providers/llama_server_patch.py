"""The embedded model's server process: llama_cpp.server with the workbench's four changes.

`local_model.server_command` starts it as
`python -m moa_core.providers.llama_server_patch <parent pid> <llama_cpp.server args>`. It
1. exits when the parent process is gone (no orphan servers, whatever killed the parent);
2. reports usage on streams: llama-cpp-python's streamed completions carry no `usage`, so the
   last chunk gets this request's exact prompt/completion token counts, as OpenAI does for
   `stream_options.include_usage` (the server runs one request at a time, so a per-instance
   counter is safe);
3. loads the weights in plain CPU buffers (no AMX/repacked "extra buffer types": on AMX CPUs in
   some VMs the first decode segfaults, killing every call of a run);
4. runs llama_cpp.server unchanged.

Only the standard library is imported at module level and every patch takes the objects it
changes as arguments, so tests run the logic on stand-ins without building or loading a model.
"""
from __future__ import annotations

import os
import runpy
import sys
import threading
import time
from typing import Any, Callable, Iterable, Iterator


def watch_parent(parent: int, *, getppid: Callable[[], int] = os.getppid,
                 exit: Callable[[int], Any] = os._exit, interval_s: float = 0.5) -> threading.Thread:
    """Exit this process (code 0) once `parent` is no longer its parent: the parent died, even by SIGKILL."""
    def wait() -> None:
        while getppid() == parent:
            time.sleep(interval_s)
        exit(0)

    thread = threading.Thread(target=wait, name="watch-parent", daemon=True)
    thread.start()
    return thread


def plain_cpu_buffers(default_params: Callable[[], Any]) -> Callable[[], Any]:
    """llama.cpp's default model params with `--no-repack`: AMX/repacked buffers segfault in some VMs."""
    def params() -> Any:
        value = default_params()
        value.use_extra_bufts = False
        return value
    return params


def counting_generate(generate: Callable[..., Iterator[int]],
                      is_eog: Callable[[Any, int], bool]) -> Callable[..., Iterator[int]]:
    """`Llama.generate` that keeps [prompt tokens, generated tokens] on the instance as `_moa_usage`.

    End-of-generation tokens are not counted: OpenAI's completion_tokens count none either.
    """
    def generate_counted(self, tokens, *args, **kwargs):
        usage = self._moa_usage = [len(tokens), 0]
        for token in generate(self, tokens, *args, **kwargs):
            if not is_eog(self, token):
                usage[1] += 1
            yield token
    return generate_counted


def with_usage(llama: Any, chunks: Iterable[dict], kind: str) -> Iterator[dict]:
    """The stream's chunks, then one chunk with no choices and the request's `usage` (OpenAI's shape)."""
    llama._moa_usage = None
    last = None
    for chunk in chunks:
        last = chunk
        yield chunk
    usage = llama._moa_usage
    if last is not None and usage is not None:
        yield {"id": last["id"], "object": kind, "created": last["created"], "model": last["model"],
               "choices": [], "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                                        "total_tokens": usage[0] + usage[1]}}


def reporting_usage(method: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """A completion method whose streamed results end with a usage chunk; other results unchanged."""
    def call(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        return with_usage(self, result, kind) if kwargs.get("stream") else result
    return call


def install(llama_cpp: Any, low_level: Any) -> None:
    """Patch `llama_cpp.Llama` (usage on streams) and `low_level` (llama_cpp.llama_cpp: plain CPU buffers)."""
    low_level.llama_model_default_params = plain_cpu_buffers(low_level.llama_model_default_params)
    llama = llama_cpp.Llama
    llama.generate = counting_generate(
        llama.generate, lambda self, token: llama_cpp.llama_vocab_is_eog(self._model.vocab, token))
    llama.create_chat_completion = reporting_usage(llama.create_chat_completion, "chat.completion.chunk")
    # /v1/completions calls Llama.__call__ (chat formats call create_completion directly, so
    # patching __call__ counts each text completion once and leaves chat streams alone).
    llama.__call__ = reporting_usage(llama.__call__, "text_completion")


def main(argv: list[str]) -> None:
    """argv: [this module, parent pid, llama_cpp.server args...]."""
    watch_parent(int(argv.pop(1)))
    import llama_cpp
    import llama_cpp.llama_cpp as low_level

    install(llama_cpp, low_level)
    argv[0] = "llama_cpp.server"
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv)
