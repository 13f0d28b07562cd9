"""Value binding: which of a sentence's values a claim's value stands for.

A document sentence often states several values of one kind: "1.2 million sold in Europe, and
310,000 in the United Kingdom", "payable on 16 January 2026 to shareholders on the register on
5 December 2025", "appointed Aisha Rahman ..., replacing Tom Bright". Finding the claim's value
somewhere in the sentence is not enough to support it: the value must sit where the claim puts it.
Each value is read with the words around it (up to `WINDOW` content words on each side, not reaching
past another value of its kind, whose words they are); the claim's value is bound to the sentence's
value whose words it shares most. When another value of the same kind wins that comparison, the
sentence states the claim's value about something else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import NEGATION_CUES, ROLES, STOPWORDS, canon
from .slots import _CLAUSE_BREAK, _same_amount, _same_date, _same_duration, _same_party, _same_value, extract_slots

WINDOW = 4  # content words read on each side of a value
MIN_AFFINITY = 0.5  # shared context a differing value needs to be the claim's value stated otherwise

SAME_VALUE = {"amount": _same_amount, "percentage": _same_value, "duration": _same_duration,
         "number": _same_value, "date": _same_date, "rate": _same_duration, "place": lambda x, y: x == y, "name": _same_party}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@dataclass(frozen=True)
class Located:
    """One value of a sentence with the content words around it, each weighted by its nearness."""
    kind: str
    value: object
    before: dict  # canonical word -> weight (1 for the nearest word, 1/2 for the next, ...)
    after: dict
    clause: int = 0  # which clause of the sentence holds it


def located_values(text: str, entities: frozenset = frozenset()) -> list[Located]:
    """The sentence's measured values, places and names, each with its context words."""
    spans: list = []
    slots, blanked = extract_slots(text, entities, spans)
    for name in slots.parties:
        if name in ROLES.values():
            continue  # roles are compared as parties (subject and swap checks), not as bound values
        for m in re.finditer(r"(?<![\w])" + re.escape(name) + r"(?![\w])", blanked, re.I):
            spans.append(("name", name, m.start(), m.end()))
            blanked = blanked[:m.start()] + " " * (m.end() - m.start()) + blanked[m.end():]
    words = [(m.start(), canon(w)[0]) for m in _WORD.finditer(blanked)
             if (w := m[0].lower()) not in STOPWORDS and w not in NEGATION_CUES and len(w) > 1]
    # a rate ("every six hours") and a length of time ("kept for 90 days") are different kinds of value
    spans = [("rate" if kind == "duration" and value[0] == "per" else kind, value, s, e) for kind, value, s, e in spans]
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(blanked)]
    out = []
    for kind, value, start, end in spans:
        walls = [s for k, _, s, e in spans if k == kind and (s, e) != (start, end)]
        before = [w for pos, w in words if pos < start and not any(pos < s < start for s in walls)]
        after = [w for pos, w in words if pos > end and not any(end < s < pos for s in walls)]
        sides = ({}, {})
        for context, side in zip(sides, (before[::-1][:WINDOW], after[:WINDOW])):
            for i, w in enumerate(side):
                context[w] = max(context.get(w, 0.0), 1.0 / (i + 1))
        out.append(Located(kind, value, sides[0], sides[1], sum(1 for b in breaks if b < start)))
    return out


def _affinity(a: Located, b: Located) -> float:
    """Words shared on the same side count whole, across sides half ("X was appointed" / "appointed X")."""
    def shared(x: dict, y: dict) -> float:
        return sum(min(x[w], y[w]) for w in x.keys() & y.keys())
    return (shared(a.before, b.before) + shared(a.after, b.after)
            + 0.5 * (shared(a.before, b.after) + shared(a.after, b.before)))


def misbound(claim_text: str, doc_text: str, entities: frozenset = frozenset()) -> set[str]:
    """Kinds of value the claim states that the document sentence states too, but about something else:
    the sentence's value of that kind whose words the claim's value shares most is another value.
    Only a sentence with several values of the kind can say this; with one there is nothing to choose.
    When the claim's values of two such kinds stand together in one clause of the sentence ("in the
    United Kingdom the figure was 35%"), that clause binds them, whatever the words around them."""
    mine = located_values(claim_text, entities)
    theirs = located_values(doc_text, entities)
    out, rivalled = set(), []
    for c in mine:
        same = SAME_VALUE[c.kind]
        rivals = [d for d in theirs if d.kind == c.kind]
        if len(rivals) < 2:
            continue
        matching = [d for d in rivals if same(c.value, d.value)]
        others = [d for d in rivals if not same(c.value, d.value)]
        if not matching or not others:
            continue
        rivalled.append((c.kind, {d.clause for d in matching}))
        if max(_affinity(c, d) for d in others) > max(_affinity(c, d) for d in matching):
            out.add(c.kind)
    if len({kind for kind, _ in rivalled}) >= 2 and set.intersection(*(c for _, c in rivalled)):
        return set()
    return out


def differing_kinds(claim_text: str, doc_text: str, kinds, entities: frozenset = frozenset()) -> set[str]:
    """Of the value kinds two sentences differ on, those where the sentence's differing value stands
    where the claim's does: the sentence's value the claim's value is bound to (most words shared, at
    least `MIN_AFFINITY`, unless it is the sentence's only value of the kind) is another value. "99.95% monthly availability" is not contradicted by a
    "service credit of 10%" in a sentence about availability."""
    mine = located_values(claim_text, entities)
    theirs = located_values(doc_text, entities)
    out = set()
    for kind in kinds:
        if kind not in SAME_VALUE:
            out.add(kind)  # not a located value (negation, party roles): the caller's checks decide
            continue
        located = ("duration", "rate") if kind == "duration" else (kind,)  # the slots keep rates as durations
        for c in (x for x in mine if x.kind in located):
            rivals = [d for d in theirs if d.kind == c.kind]
            if not rivals:
                continue
            best = max(rivals, key=lambda d: _affinity(c, d))
            alone = len(rivals) == 1  # one value of the kind: nothing else it could stand for
            if (alone or _affinity(c, best) >= MIN_AFFINITY) and not SAME_VALUE[c.kind](c.value, best.value):
                out.add(kind)
    return out
