"""Agreement, disagreement and provenance across MoA proposals and into the synthesis.

`analyze(proposals, final)` splits each proposal into claims (`sentences`, `claims`), aligns
claims that say the same thing (`align`), marks aligned claims whose slots differ (numbers,
amounts, dates, durations, parties, negation: `slots`, word lists in `lexicon`) as conflicts,
traces each synthesis sentence to the proposals that support it, lists majority claims the
synthesis dropped, and gives a proposal similarity matrix (`result` holds the types).

Three methods behind one interface: "semantic" (the default: sentence embeddings on
onnxruntime plus the slot checks, `semantic`, `embeddings`; lexical with a note when the model
cannot load), "offline" (lexical, deterministic, no model) and "llm" (`llm_method`: a chosen
model groups the claims as validated JSON; bad output falls back to the lexical method).
"""
from __future__ import annotations

import asyncio
from typing import Sequence

from moa_core.evidence import answer_list, check_answers

from .align import analyze_offline, build_result, similarity_matrix
from .semantic import analyze_semantic
from .claims import Claim, known_entities, make_claims
from .document_voice import add_document_voice
from .llm_method import LLMOutputError, analyze_llm, parse_llm_reply
from .result import (CATEGORIES, AgreementResult, ClaimGroup, ClaimVersion, DocumentLink, FinalSentence,
                     ProposalClaim, to_dict, to_json)
from .sentences import split_claims

METHODS = ("semantic", "offline", "llm")

__all__ = ["analyze", "analyze_async", "analyze_offline", "analyze_semantic", "METHODS", "analyze_llm", "build_result", "similarity_matrix",
           "parse_llm_reply", "LLMOutputError", "AgreementResult", "DocumentLink", "ClaimGroup", "ClaimVersion", "FinalSentence",
           "ProposalClaim", "CATEGORIES", "to_dict", "to_json", "Claim", "make_claims", "split_claims"]


def analyze(proposals: Sequence[str], final: str = "", method: str = "semantic",
            model: str | None = None, documents: Sequence | None = None,
            prevails: Sequence[str] | str | None = None, **llm_kwargs) -> AgreementResult:
    """Analyse proposals and synthesis with the "semantic", "offline" or "llm" method (blocking).

    `documents` (moa_core.evidence SourceDocument list, in upload order): claims are also compared with
    the documents' sentences (one record: a later document and an amendment's new text win), and quotes
    and clause references are checked against them. `prevails` names the document(s) that win instead.
    """
    if method in ("offline", "semantic"):
        result = analyze_offline(proposals, final) if method == "offline" else \
            analyze_semantic(proposals, final, documents or (), prevails)
        return _with_documents(result, proposals, final, documents, prevails)
    coro = analyze_async(proposals, final, method=method, model=model, documents=documents, prevails=prevails,
                         **llm_kwargs)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside an event loop (a notebook): run ours in a worker thread.
    from concurrent.futures import ThreadPoolExecutor  # only a notebook's running loop needs a thread
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def analyze_async(proposals: Sequence[str], final: str = "", method: str = "semantic",
                        model: str | None = None, documents: Sequence | None = None,
                        prevails: Sequence[str] | str | None = None, **llm_kwargs) -> AgreementResult:
    """Async `analyze`: the llm method awaits the model; the others return at once."""
    if method in ("offline", "semantic"):
        return analyze(proposals, final, method=method, documents=documents, prevails=prevails)
    if method != "llm":
        raise ValueError(f"unknown method {method!r} (semantic, offline or llm)")
    if not model:
        raise ValueError("the llm method needs a model")
    result = await analyze_llm(proposals, final, model, **llm_kwargs)
    return _with_documents(result, proposals, final, documents, prevails)


def _with_documents(result: AgreementResult, proposals: Sequence[str], final: str,
                    documents: Sequence | None, prevails=None) -> AgreementResult:
    """With documents: the document voice (lexical unless the semantic method did it) and the
    quote and reference checks."""
    if documents and result.method_used != "semantic":
        entities = known_entities([*proposals, final])
        claims = [make_claims(p or "", i, entities) for i, p in enumerate(proposals)]
        final_claims = make_claims(final or "", -1, entities)
        add_document_voice(result, claims, final_claims, documents, entities, prevails=prevails)
    if documents is not None:
        checks = check_answers(answer_list(proposals, final), list(documents))
        result.quotes, result.references = list(checks.quotes), list(checks.references)
    return result
