"""The embedded server's patches, on stand-ins (no model is built or loaded), and against the installed llama_cpp."""
from __future__ import annotations

import importlib.util
import inspect
import threading
from types import SimpleNamespace

import pytest

from moa_core.providers import llama_server_patch as patch
from moa_core.providers import local_model

EOG = 99  # the stand-in vocabulary's end-of-generation token


class FakeLlama:
    """The shape of llama_cpp.Llama that the patch touches: generate, chat and text completions."""

    def __init__(self, generated=(5, 6, 7, EOG)):
        self._model = SimpleNamespace(vocab="fake-vocab")
        self._generated = list(generated)

    def generate(self, tokens, temp=0.8):
        yield from self._generated

    def _chunks(self, kind, prompt_tokens):
        for token in self.generate(prompt_tokens):
            yield {"id": "cmpl-1", "object": kind, "created": 7, "model": "m",
                   "choices": [{"index": 0, "text": str(token)}]}

    def create_chat_completion(self, messages, stream=False):
        if stream:
            return self._chunks("chat.completion.chunk", [1] * len(messages) * 4)
        return {"choices": [{"message": {"content": "whole"}}]}

    def __call__(self, prompt, stream=False):
        if stream:
            return self._chunks("text_completion", list(range(len(prompt.split()))))
        return {"choices": [{"text": "whole"}]}


def patched(generated=(5, 6, 7, EOG)):
    """A fresh FakeLlama subclass with the patch installed (the base class stays as it was)."""
    cls = type("Patched", (FakeLlama,), {})
    calls = []
    low_level = SimpleNamespace(llama_model_default_params=lambda: SimpleNamespace(use_extra_bufts=True))

    def is_eog(vocab, token):
        calls.append(vocab)
        return token == EOG
    patch.install(SimpleNamespace(Llama=cls, llama_vocab_is_eog=is_eog), low_level)
    return cls(generated), low_level, calls


def test_a_streamed_chat_ends_with_the_usage_of_this_request():
    llama, _, vocabs = patched()
    chunks = list(llama.create_chat_completion([{"role": "user"}, {"role": "assistant"}], stream=True))
    assert [c["choices"][0]["text"] for c in chunks[:-1]] == ["5", "6", "7", "99"]
    last = chunks[-1]
    assert last["choices"] == [] and last["object"] == "chat.completion.chunk"
    assert (last["id"], last["created"], last["model"]) == ("cmpl-1", 7, "m")
    # 2 messages x 4 prompt tokens; 4 generated, of which the end token does not count
    assert last["usage"] == {"prompt_tokens": 8, "completion_tokens": 3, "total_tokens": 11}
    assert set(vocabs) == {"fake-vocab"}  # asked of the instance's own vocabulary


def test_a_streamed_text_completion_counts_once_and_unstreamed_results_are_untouched():
    llama, _, _ = patched(generated=(1, 2))
    chunks = list(llama("one two three", stream=True))
    assert len(chunks) == 3 and chunks[-1]["object"] == "text_completion"
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert llama("one", stream=False) == {"choices": [{"text": "whole"}]}
    assert llama.create_chat_completion([], stream=False) == {"choices": [{"message": {"content": "whole"}}]}


def test_an_empty_stream_gets_no_usage_chunk_and_a_stale_count_is_never_reused():
    llama, _, _ = patched()
    list(llama("a b", stream=True))  # leaves a count on the instance
    empty = patch.with_usage(llama, iter([]), "text_completion")
    assert list(empty) == []
    # a stream whose chunks never came from generate (e.g. a cached reply) reports nothing
    assert list(patch.with_usage(llama, iter([{"id": "x", "created": 1, "model": "m"}]), "k")) == [
        {"id": "x", "created": 1, "model": "m"}]


def test_model_params_load_in_plain_cpu_buffers():
    _, low_level, _ = patched()
    assert low_level.llama_model_default_params().use_extra_bufts is False


def test_the_watcher_exits_when_the_parent_changes():
    parents = iter([42, 42, 1])  # re-parented to init: the parent died
    exited = threading.Event()
    codes = []
    thread = patch.watch_parent(42, getppid=lambda: next(parents),
                                exit=lambda code: (codes.append(code), exited.set()), interval_s=0.001)
    assert exited.wait(5) and codes == [0]
    thread.join(5)
    assert thread.daemon and not thread.is_alive()


def test_the_server_command_runs_this_module():
    cmd = local_model.server_command("/m.gguf", 1234, n_threads=1)
    assert cmd[1:3] == ["-m", "moa_core.providers.llama_server_patch"]
    assert local_model.SERVER_MODULE == patch.__name__


def test_the_installed_llama_cpp_still_has_what_the_patch_wraps():
    """Fails on an upgrade of llama-cpp-python that renames or reshapes what install() patches."""
    llama_cpp = pytest.importorskip("llama_cpp")
    import llama_cpp.llama_cpp as low_level

    version = getattr(llama_cpp, "__version__", "?")
    for name in ("generate", "create_chat_completion", "__call__"):
        assert callable(getattr(llama_cpp.Llama, name, None)), f"llama_cpp {version}: Llama.{name} is gone"
    assert list(inspect.signature(llama_cpp.Llama.generate).parameters)[:2] == ["self", "tokens"], version
    for method in (llama_cpp.Llama.create_chat_completion, llama_cpp.Llama.__call__):
        assert "stream" in inspect.signature(method).parameters, f"llama_cpp {version}: {method.__name__}"
    assert callable(llama_cpp.llama_vocab_is_eog), version
    # the real params struct takes the flag (a ctypes call into libllama; no model needed)
    params = patch.plain_cpu_buffers(low_level.llama_model_default_params)()
    assert params.use_extra_bufts is False, f"llama_cpp {version}: use_extra_bufts not settable"
    assert importlib.util.find_spec("llama_cpp.server.__main__"), f"llama_cpp {version}: no llama_cpp.server"
