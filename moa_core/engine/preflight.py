"""Checks before any call is made: a run that cannot work is refused with one readable reason.

Documents longer than a seat's context window are refused with the numbers (the default), or,
with `on_overflow="fit"`, cut to the budget of the tightest seat: the passages most relevant to
the query are kept (`fitting`), leaving room for the answer and for the proposals that later
rounds and the aggregator read.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Sequence

from ..documents import Document
from ..documents.fitting import fit_documents
from ..lineup import Lineup, ModelSpec
from ..prompts import messages_for, user_content
from ..providers import endpoints
from ..providers.llm import count_tokens

ON_OVERFLOW = ("refuse", "fit")
DEFAULT_ANSWER_TOKENS = 1024  # room for an answer whose seat sets no max_tokens
FIT_ATTEMPTS = 6  # tokenizers differ per seat: shrink and try again until every seat fits


class RunInputError(ValueError):
    """The run cannot start: empty query, missing key, a prompt over a model's context window."""


@dataclass(frozen=True)
class SeatBudget:
    """One seat's context window split up: the prompt without documents, room kept for answers, the rest."""

    role: str
    spec: ModelSpec
    window: int
    fixed: int  # the prompt without documents (persona, history, and for aggregation the proposal frame)
    reserve: int  # its own answer, plus the proposals it reads (aggregator, later rounds)

    @property
    def for_documents(self) -> int:
        return self.window - self.fixed - self.reserve


def as_documents(documents: Document | Sequence[Document] | None) -> list[Document]:
    """`document=` was one Document; a run now takes a list: accept either (and None)."""
    if documents is None:
        return []
    if isinstance(documents, Document):
        return [documents]
    return list(documents)


def _answer_tokens(spec: ModelSpec) -> int:
    return spec.max_tokens or DEFAULT_ANSWER_TOKENS


def seat_budgets(query: str, lineup: Lineup, history: Sequence[dict[str, str]] = ()) -> list[SeatBudget]:
    """Every seat with a known window: what its prompts need besides the documents (same arithmetic as
    the engine's own check before each call: the aggregator and rounds 2.. also read every proposal)."""
    proposals = sum(_answer_tokens(p) for p in lineup.proposers)
    frame = [(p.display_label, "") for p in lineup.proposers]
    budgets = []
    for role, spec in lineup.all_specs():
        window = endpoints.context_window(spec)
        if window is None:
            continue
        reads_proposals = role == "aggregator" or (role == "proposer" and lineup.round_limit > 1)
        messages = messages_for(query, system_prompt=spec.system_prompt, history=history,
                                references=frame if reads_proposals else None, template=lineup.aggregator_prompt)
        fixed = count_tokens(endpoints.litellm_model_for(spec), messages)
        reserve = _answer_tokens(spec) + (proposals if reads_proposals else 0)
        budgets.append(SeatBudget(role, spec, window, fixed, reserve))
    return budgets


def document_tokens(query: str, spec: ModelSpec, documents: Sequence[Document]) -> int:
    """Tokens the documents add to a seat's prompt (their fences included), as the models will read them."""
    model = endpoints.litellm_model_for(spec)
    with_docs = user_content(query, documents=[(d.name, d.prompt_text()) for d in documents])
    return count_tokens(model, [{"role": "user", "content": with_docs}]) - \
        count_tokens(model, [{"role": "user", "content": query}])


def preflight(query: str, lineup: Lineup, documents: Document | Sequence[Document] | None = None,
              history: Sequence[dict[str, str]] = (), on_overflow: str = "refuse") -> list[Document]:
    """Refuse a run that cannot work before any call is made: empty query, missing key, over budget.

    Returns the documents as the run will use them: unchanged, or fitted (`left_out` set) when
    `on_overflow="fit"` and they are longer than the tightest seat's room for documents.
    """
    if not query or not query.strip():
        raise RunInputError("the query is empty")
    if on_overflow not in ON_OVERFLOW:
        raise RunInputError(f"on_overflow must be one of {', '.join(ON_OVERFLOW)}, not {on_overflow!r}")
    docs = as_documents(documents)
    for role, spec in lineup.all_specs():
        if endpoints.unknown_provider(spec):
            raise RunInputError(
                f"{role} {spec.model}: litellm cannot tell which provider serves it; write it as provider/model, "
                "e.g. anthropic/claude-3-5-haiku-20241022, or give --api-base")
        key = endpoints.missing_key(spec)
        if key:
            raise RunInputError(f"{role} {spec.model} needs an API key: set the environment variable {key}")
    if docs and on_overflow == "fit":
        docs = _fit(query, lineup, docs, history)
    user = user_content(query, documents=[(d.name, d.prompt_text()) for d in docs])
    for role, spec in lineup.all_specs():
        window = endpoints.context_window(spec)
        if window is None:
            continue
        needed = count_tokens(endpoints.litellm_model_for(spec),
                              messages_for(user, system_prompt=spec.system_prompt, history=history))
        if needed > window and history:
            raise RunInputError(
                f"the conversation is {needed:,} tokens but {role} {spec.model} accepts at most {window:,}: "
                "start a new conversation (ask without following up) or pick a model with a larger context window")
        if needed > window:
            raise RunInputError(
                f"the prompt is {needed:,} tokens but {role} {spec.model} accepts at most {window:,}: "
                "shorten the documents, fit them to the budget (moa run --fit-documents; \"Fit to the budget\" "
                "on the Run page) or pick a model with a larger context window")
    return docs


def _fit(query: str, lineup: Lineup, docs: list[Document], history: Sequence[dict[str, str]]) -> list[Document]:
    """The documents cut to the room of the tightest seat; unchanged when every seat has room for them."""
    seats = seat_budgets(query, lineup, history)
    over = [s for s in seats if document_tokens(query, s.spec, docs) > s.for_documents]
    if not over:
        return docs
    tight = min(seats, key=lambda s: s.for_documents)
    if tight.for_documents <= 0:
        raise RunInputError(
            f"{tight.role} {tight.spec.model} has no room for documents: the query and the room kept for answers "
            f"({tight.fixed:,} + {tight.reserve:,} tokens) fill its {tight.window:,}-token context window; lower "
            "max_tokens or pick a model with a larger context window")
    model = endpoints.litellm_model_for(tight.spec)
    count = lru_cache(maxsize=None)(lambda text: count_tokens(model, text=text))
    meaning: dict[tuple, list[float] | None] = {}

    def semantic(q: str, texts: Sequence[str]) -> list[float] | None:  # scored once, however many attempts
        key = (q, tuple(texts))
        if key not in meaning:
            from ..agreement.embeddings import semantic_scores  # for start-up speed: agreement loads only to fit

            meaning[key] = semantic_scores(q, texts)
        return meaning[key]

    budget = tight.for_documents
    for _ in range(FIT_ATTEMPTS):
        fitted, how = fit_documents(query, docs, budget, count, semantic)
        excess = max(document_tokens(query, s.spec, fitted) - s.for_documents for s in seats)
        if excess <= 0:
            note = (f"fitted to {tight.for_documents:,} tokens, the room for documents of {tight.role} "
                    f"{tight.spec.model} ({tight.window:,}-token window less {tight.fixed:,} for the prompt and "
                    f"{tight.reserve:,} kept for answers); passages chosen by {how}")
            return [replace(d, fit_note=note if d.left_out else "") for d in fitted]
        budget -= excess + 4  # fences and gap markers cost tokens the passages' own counts do not include
    raise RunInputError(f"the documents cannot be fitted to the {tight.for_documents:,} tokens {tight.role} "
                        f"{tight.spec.model} has room for; shorten them or pick a model with a larger context window")
