"""Checks before any call is made: a run that cannot work is refused with one readable reason."""
from __future__ import annotations

from typing import Sequence

from ..documents import Document
from ..lineup import Lineup
from ..prompts import messages_for, user_content
from ..providers import endpoints
from ..providers.llm import count_tokens


class RunInputError(ValueError):
    """The run cannot start: empty query, missing key, a prompt over a model's context window."""


def preflight(query: str, lineup: Lineup, document: Document | None = None,
              history: Sequence[dict[str, str]] = ()) -> None:
    """Refuse a run that cannot work before any call is made: empty query, missing key, over budget."""
    if not query or not query.strip():
        raise RunInputError("the query is empty")
    for role, spec in lineup.all_specs():
        if endpoints.unknown_provider(spec):
            raise RunInputError(
                f"{role} {spec.model}: litellm cannot tell which provider serves it; write it as provider/model, "
                "e.g. anthropic/claude-3-5-haiku-20241022, or give --api-base")
        key = endpoints.missing_key(spec)
        if key:
            raise RunInputError(f"{role} {spec.model} needs an API key: set the environment variable {key}")
    user = user_content(query, document.name if document else None, document.text if document else None)
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
                "shorten the document or pick a model with a larger context window")
