"""Claims: each sentence of a text reduced to comparable features (content words and slots).

A claim's tokens align claims across proposals; its slots decide whether aligned claims conflict.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .sentences import split_claims
from .lexicon import NEGATION_CUES, ROLES, STOPWORDS, canon
from .slots import NOT_ENTITIES, Slots, extract_slots, word_tokens


@dataclass(frozen=True)
class Claim:
    """One claim of one text: its cleaned text, where it comes from and its features."""
    text: str
    source: int                    # proposal index, or -1 for the synthesis
    position: int                  # index of the claim within its text
    tokens: frozenset = field(default=frozenset())
    slots: Slots = field(default_factory=Slots)


def content_tokens(text_with_slots_blanked: str, slots: Slots) -> list[str]:
    """Canonical content words of a claim, then placeholders for the kinds of slot it has."""
    entity_words = {canon(w)[0] for p in slots.parties for w in p.split()}
    toks: list[str] = []
    for w in word_tokens(text_with_slots_blanked):
        if w in STOPWORDS or w in NEGATION_CUES or w in ROLES or w.isdigit() or w.endswith("n't"):
            continue
        c, _ = canon(w)
        # entity words count only through the <parties> placeholder
        if len(c) > 1 and c not in STOPWORDS and c not in entity_words and c not in toks:
            toks.append(c)
    for name in ("numbers", "amounts", "percents", "durations", "dates", "parties", "places"):
        if getattr(slots, name):
            toks.append("<" + name + ">")
    return toks


def make_claims(text: str, source: int, known_entities: frozenset = frozenset()) -> list[Claim]:
    """Split a text and compute every claim's tokens and slots."""
    out = []
    for sentence in split_claims(text):
        slots, blanked = extract_slots(sentence, known_entities)
        tokens = content_tokens(blanked, slots)
        if len(tokens) < 2:
            continue  # "Summary." or "Yes." states nothing to compare
        out.append(Claim(sentence, source, len(out), frozenset(tokens), slots))
    return out


def word_bag(text: str) -> list[str]:
    """Every canonical content word of a text, repeats kept (for whole-text similarity)."""
    out = []
    for w in word_tokens(text or ""):
        if w not in STOPWORDS and w not in NEGATION_CUES and not w.isdigit():
            c = ROLES.get(w) or canon(w)[0]
            if len(c) > 1:
                out.append(c)
    return out


def known_entities(texts) -> frozenset:
    """Capitalised words seen mid-sentence anywhere: they are names wherever they appear."""
    seen = set()
    for text in texts:
        for m in re.finditer(r"(?<=[a-z,;] )([A-Z][\w&-]+)", text or ""):
            seen.add(m[1].lower())
    return frozenset(seen - {w.lower() for w in NOT_ENTITIES})
