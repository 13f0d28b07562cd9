"""How long fitting a long document to a small context window takes, and whether the relevant passage survives.

    nice -n 15 .venv/bin/python -m bench.fit_documents 600 2000

For each size N: a plain-text document of N similar paragraphs with one paraphrased answer
("terminate ... ninety days written notice") two thirds in; a lineup of two proposers and an
aggregator with 8,000-token windows (1,024 tokens kept per answer); the preflight fits the
document (`on_overflow="fit"`): scoring (MiniLM up to `fitting.SEMANTIC_LIMIT` passages, BM25),
selection and the per-seat token checks. Prints seconds, passages kept and whether the answer was kept.
"""
from __future__ import annotations

import sys
import time

from moa_core.agreement import embeddings
from moa_core.documents import Document
from moa_core.engine.preflight import preflight
from moa_core.lineup import Lineup, ModelSpec
from moa_core.providers import endpoints

QUERY = "How can the agreement be ended?"
ANSWER = "Either party may terminate this agreement by giving ninety days written notice to the other party."


def document(n: int) -> tuple[Document, str]:
    paragraphs = [f"Paragraph {i}: the tenant shall keep the premises in good repair and report damage "
                  f"number {i} promptly to the landlord's agent." for i in range(n)]
    paragraphs[n * 2 // 3] = ANSWER
    return Document(f"long-{n}.txt", "\n\n".join(paragraphs)), f"paragraph {n * 2 // 3 + 1}"


def main(sizes: list[int]) -> None:
    endpoints.context_window = lambda spec: 8000  # the bench needs no server: windows and keys are given
    endpoints.missing_key = lambda spec: None
    spec = lambda name: ModelSpec(f"openai/{name}", api_base="http://127.0.0.1:9/v1")  # noqa: E731
    lineup = Lineup(proposers=[spec("a"), spec("b")], aggregator=spec("agg"))
    start = time.perf_counter()
    loaded = embeddings.available()
    print(f"embedding model {'loaded' if loaded else 'NOT available'} in {time.perf_counter() - start:.2f} s")
    for n in sizes:
        doc, where = document(n)
        start = time.perf_counter()
        [fitted] = preflight(QUERY, lineup, [doc], on_overflow="fit")
        took = time.perf_counter() - start
        print(f"{n:>6} paragraphs ({len(doc.text):>9,} chars): {took:6.2f} s, kept {n - len(fitted.left_out):>4}, "
              f"answer kept: {where not in fitted.left_out}; {fitted.fit_note.split('; ')[-1]}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300, 1000, 3000])
