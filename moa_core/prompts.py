"""Prompts: the reference MoA aggregator prompt (editable template) and the messages each role gets.

Proposals are numbered and labelled the same way everywhere: "[1] label" in the prompt,
the UI's columns and the records, so "[2]" means the same answer to the model and the reader.
"""
from __future__ import annotations

from typing import Any

# From togethercomputer/MoA utils.py, kept close to the original wording.
REFERENCE_AGGREGATOR_PROMPT = """You have been provided with a set of responses from various models to the latest user query. \
Your task is to synthesize these responses into a single, high-quality response. \
It is crucial to critically evaluate the information provided in these responses, recognizing that some of it may be biased or incorrect. \
Your response should not simply replicate the given answers but should offer a refined, accurate, and comprehensive reply to the instruction. \
Ensure your response is well-structured, coherent, and adheres to the highest standards of accuracy and reliability.

Responses from models:
{proposals}"""

PROPOSALS_PLACEHOLDER = "{proposals}"
AGGREGATOR_PROMPT_SETTING = "aggregator_prompt"  # where the user's edited template is stored


def format_proposals(proposals: list[tuple[str, str]]) -> str:
    """(label, text) pairs as "[1] label" blocks, numbered from 1 in lineup order."""
    return "\n\n".join(f"[{i}] {label}\n{text.strip()}" for i, (label, text) in enumerate(proposals, 1))


def render_aggregator_prompt(template: str | None, proposals: list[tuple[str, str]]) -> str:
    """Fill the template; a user template without the placeholder gets the proposals appended."""
    template = template or REFERENCE_AGGREGATOR_PROMPT
    block = format_proposals(proposals)
    if PROPOSALS_PLACEHOLDER in template:
        return template.replace(PROPOSALS_PLACEHOLDER, block)
    return f"{template.rstrip()}\n\n{block}"


def user_content(query: str, document_name: str | None = None, document_text: str | None = None) -> str:
    """The user's turn: the document (if any) fenced and named, then the question."""
    if not document_text:
        return query
    name = document_name or "document"
    return f'<document name="{name}">\n{document_text}\n</document>\n\n{query}'


def messages_for(
    user: str,
    *,
    system_prompt: str | None = None,
    references: list[tuple[str, str]] | None = None,
    template: str | None = None,
) -> list[dict[str, Any]]:
    """Messages for any role: persona, then (for aggregation and later rounds) the proposals."""
    system_parts = [system_prompt.strip()] if system_prompt and system_prompt.strip() else []
    if references is not None:
        system_parts.append(render_aggregator_prompt(template, references))
    messages: list[dict[str, Any]] = []
    if system_parts:
        messages.append({"role": "system", "content": "\n\n".join(system_parts)})
    messages.append({"role": "user", "content": user})
    return messages


def fold_system_into_user(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For chat formats without a system role (Gemma): the system text leads the user turn."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    return rest
