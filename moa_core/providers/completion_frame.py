"""Completion frames: chat messages rewritten as a few-shot text prompt, for a base model.

A base model (the embedded Gemma 3 270M) does not follow instructions. Given a persona and a
chat template it copies them and rambles; given `Question: ...\\nAnswer:` after two worked
examples it writes one short answer and stops at the next blank line. So for such a model the
engine sends `frame(messages).prompt` as a plain text completion, with `frame(...).stop`.

Everything here is pure: the messages the engine built (`prompts.messages_for`: an optional
system message with the persona and, for an aggregator, the numbered proposals; earlier
user/assistant turns; the user turn with any fenced documents) in, text and stop sequences
out. The examples are neutral everyday facts, not one domain's (they leak into answers).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from ..prompts import DOCUMENTS_ARE_DATA, PROPOSALS_ARE_DATA

QUESTION, ANSWER, COMBINED = "Question:", "Answer:", "Combined answer:"
HEADER = "Questions with short, correct answers."
AGGREGATOR_HEADER = "Questions, several answers to each, and the best combined answer."
# A blank line ends an answer; so does the next label. At most 4 each: litellm keeps only the
# first 4 stop sequences of an OpenAI-style call (OpenAI's limit) and drops the rest silently.
STOP = ("\n\n", "Question:", "Answer:")
AGGREGATOR_STOP = ("\n\n", "Question:", "\n[", "Combined answer:")
DOCUMENT_CHARS = 6000  # the excerpt of each document the frame carries (~1.5k tokens)
STYLE_WORDS = 8

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("What is the largest ocean on Earth?",
     "The Pacific Ocean is the largest. It covers about a third of the Earth's surface."),
    ("Why do people put salt on icy roads?",
     "Salt lowers the temperature at which water freezes, so the ice melts even below 0 °C."),
)
AGGREGATOR_EXAMPLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("How many legs does a spider have?",
     ("A spider has eight legs.", "Spiders have six legs, like all insects.",
      "Eight. Spiders are arachnids, not insects."),
     "A spider has eight legs: spiders are arachnids, not insects, which have six."),
    ("How can I stop a cut apple from turning brown?",
     ("Brush the cut side with lemon juice.", "Keep it in the fridge.",
      "Soak the slices in lightly salted water for a few minutes, then rinse them."),
     "Brush the cut side with lemon juice, or soak the slices briefly in lightly salted water, "
     "then keep them in the fridge."),
)

_DOCUMENT = re.compile(r'<document name="([^"]*)">\n(.*?)\n</document>', re.S)
_PROPOSAL_HEADER = re.compile(r"^\[(\d+)\][^\n]*\n?", re.M)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s")
_YOU_ARE = re.compile(r"^you are (?:an? |the )?", re.I)


@dataclass(frozen=True)
class Framed:
    """A frame: the prompt text, where generation must stop, and the one message that carries it."""

    prompt: str
    stop: tuple[str, ...]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """What is sent and stored (CallRecord.messages): the prompt as one user message."""
        return [{"role": "user", "content": self.prompt}]


def frame(messages: Sequence[dict[str, Any]]) -> Framed:
    """The proposer frame, or the aggregator frame when the system message carries proposals."""
    system = "\n\n".join(_text(m) for m in messages if m.get("role") == "system")
    turns = [m for m in messages if m.get("role") in ("user", "assistant")]
    history, last = _history(turns[:-1]), _text(turns[-1]) if turns else ""
    question, documents = split_documents(last)
    proposals = proposals_in(system)
    if proposals:
        return Framed(aggregator_prompt(question, proposals, documents, history), AGGREGATOR_STOP)
    return Framed(proposer_prompt(question, style_of(system), documents, history), STOP)


def proposer_prompt(question: str, style: str = "", documents: Sequence[tuple[str, str]] = (),
                    history: Sequence[tuple[str, str]] = ()) -> str:
    """Header (with the style line), two worked examples, earlier turns, then the question."""
    header = HEADER + (f" Style: {style}." if style else "")
    blocks = [header, *(_qa(q, a) for q, a in EXAMPLES), *(_qa(q, a) for q, a in history)]
    blocks.append(_document_block(documents) + f"{QUESTION} {_one_paragraph(question, True)}\n{ANSWER}")
    return "\n\n".join(blocks)


def aggregator_prompt(question: str, proposals: Sequence[str], documents: Sequence[tuple[str, str]] = (),
                      history: Sequence[tuple[str, str]] = ()) -> str:
    """Two worked "combine these answers" examples, then the question and its numbered proposals."""
    blocks = [AGGREGATOR_HEADER]
    for q, answers, combined in AGGREGATOR_EXAMPLES:
        blocks.append(f"{QUESTION} {q}\n{_numbered(answers)}\n{COMBINED} {combined}")
    blocks.extend(_qa(q, a) for q, a in history)
    blocks.append(_document_block(documents) + f"{QUESTION} {_one_paragraph(question, True)}\n"
                  f"{_numbered(proposals)}\n{COMBINED}")
    return "\n\n".join(blocks)


def style_of(persona: str) -> str:
    """A persona as a few words of style ("You are careful and concise. ..." -> "careful and
    concise"): its first sentence without "You are", at most STYLE_WORDS words. A base model
    copies whole instructions; a short label only colours the answer."""
    first = _SENTENCE_END.split(" ".join(persona.split()), maxsplit=1)[0].rstrip(".;!? ")
    words = _YOU_ARE.sub("", first).split()
    return " ".join(words[:STYLE_WORDS])


def proposals_in(system: str) -> list[str]:
    """The proposal texts of an aggregator prompt (`prompts.format_proposals` blocks, in order)."""
    headers = list(_PROPOSAL_HEADER.finditer(system))
    first = next((i for i, m in enumerate(headers) if m.group(1) == "1"), None)
    if first is None:
        return []
    end = system.find(PROPOSALS_ARE_DATA, headers[first].start())
    end = len(system) if end < 0 else end
    headers = [m for m in headers[first:] if m.start() < end]
    bounds = [m.end() for m in headers]
    ends = [m.start() for m in headers[1:]] + [end]
    return [system[b:e].strip() for b, e in zip(bounds, ends)]


def split_documents(user: str) -> tuple[str, list[tuple[str, str]]]:
    """(question, [(name, text)]) from a user turn built by `prompts.user_content`."""
    documents = [(name, text) for name, text in _DOCUMENT.findall(user)]
    if not documents:
        return user.strip(), []
    question = _DOCUMENT.sub("", user).replace(DOCUMENTS_ARE_DATA, "")
    return question.strip(), documents


def _document_block(documents: Sequence[tuple[str, str]]) -> str:
    """Each document as a fenced excerpt just before the question (the fence keeps it data)."""
    out = []
    for name, text in documents:
        excerpt = _one_paragraph(text, keep_lines=True)
        if len(excerpt) > DOCUMENT_CHARS:
            excerpt = excerpt[:DOCUMENT_CHARS].rsplit(" ", 1)[0] + f" … (excerpt: {DOCUMENT_CHARS:,} of " \
                      f"{len(excerpt):,} characters)"
        out.append(f'<document name="{name}">\n{excerpt}\n</document>\n')
    return "".join(out)


def _history(turns: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """Earlier (question, answer) pairs; an unanswered question is kept with an empty answer."""
    pairs: list[tuple[str, str]] = []
    for m in turns:
        if m.get("role") == "user":
            pairs.append((split_documents(_text(m))[0], ""))
        elif pairs and not pairs[-1][1]:
            pairs[-1] = (pairs[-1][0], _text(m))
    return [(q, a) for q, a in pairs if q]


def _qa(question: str, answer: str) -> str:
    """One worked pair; an unanswered earlier question stands alone (an empty answer teaches silence)."""
    asked = f"{QUESTION} {_one_paragraph(question, True)}"
    return f"{asked}\n{ANSWER} {_one_paragraph(answer, True)}" if answer.strip() else asked


def _numbered(answers: Sequence[str]) -> str:
    """[1] ..., [2] ...: numbered as everywhere else; no labels (the model would copy them)."""
    return "\n".join(f"[{i}] {_one_paragraph(a, keep_lines=True)}" for i, a in enumerate(answers, 1))


def _one_paragraph(text: str, keep_lines: bool = False) -> str:
    """No blank lines inside a block: a blank line is what ends an answer."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line.strip()]
    return "\n".join(lines) if keep_lines else " ".join(" ".join(lines).split())


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""
