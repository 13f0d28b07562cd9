"""Qualifiers: the words that turn the same value or thing into another fact.

"must not exceed 4.0:1" and "is not less than 4.0:1" share every word and figure but state opposite
bounds; "All of the retention is released" and "Half of the retention is released" differ by one word
the content-word comparison throws away. Both are read here, from the text as written (the slot reader
removes bound phrases such as "not less than" before it looks for negations).
"""
from __future__ import annotations

import re

from .binding import SAME_VALUE
from .slots import extract_slots

_MAX = (r"not\s+(?:to\s+)?exceed(?:ing)?|(?:does|do|shall|must|will|may|should)\s+not\s+exceed|"
        r"(?:no|not)\s+(?:more|greater|later|longer|higher)\s+than|at\s+(?:the\s+)?most|up\s+to|"
        r"(?:a\s+)?maximum(?:\s+of)?|max\.?|capped\s+at|(?:a\s+)?cap\s+of|limited\s+to|"
        r"less\s+than|fewer\s+than|lower\s+than|below|under|within|not\s+later\s+than")
_MIN = (r"(?:no|not)\s+(?:less|fewer|earlier|lower|shorter|sooner)\s+than|at\s+least|(?:a\s+)?minimum(?:\s+of)?|"
        r"min\.?|more\s+than|greater\s+than|higher\s+than|over|above|exceed(?:s|ing)?|in\s+excess\s+of")
_BOUND = re.compile(rf"\b(?:(?P<max>{_MAX})|(?P<min>{_MIN}))\s+(?:(?:a|an|the)\s+)?(?=\S)", re.I)

_QUANTIFIERS = {"all": "all", "entire": "all", "whole": "all", "full": "all", "fully": "all", "wholly": "all",
                "half": "half", "most": "most", "majority": "most",
                "some": "some", "part": "some", "partly": "some", "partially": "some", "portion": "some",
                "minority": "some"}
_PART_OF = re.compile(r"\b(\d[\d,]*)\s+(?:out\s+)?of\s+(?:the\s+|all\s+)?(\d[\d,]*)\b", re.I)
_QUANTIFIER = re.compile(r"\b(" + "|".join(_QUANTIFIERS) + r")\b", re.I)


def bounds(text: str) -> list[tuple[str, str, object]]:
    """(direction, kind, value) of every value a bound phrase governs: ("max", "duration", ("", 30.0))
    for "within 30 days", ("min", "amount", ("GBP", 1e7)) for "not less than £10 million"."""
    out = []
    for m in _BOUND.finditer(text):
        spans: list = []
        extract_slots(text[m.end():m.end() + 48], spans=spans)
        first = min(spans, key=lambda s: s[2], default=None)
        if first is not None and first[2] <= 1:
            out.append(("max" if m["max"] else "min", first[0], first[1]))
    return out


def bound_reversed(claim_text: str, doc_text: str) -> bool:
    """Does the sentence put the claim's value under the opposite bound ("not exceed" / "not less than")?"""
    theirs = bounds(doc_text)
    for direction, kind, value in bounds(claim_text):
        same = [d for d, k, v in theirs if k == kind and SAME_VALUE[kind](value, v)]
        if same and direction not in same:
            return True
    return False


def quantifiers(text: str) -> frozenset:
    """The quantifier classes a sentence uses: all, half, most, some ("9 of the 25" is some of them)."""
    found = {_QUANTIFIERS[m[1].lower()] for m in _QUANTIFIER.finditer(text)}
    for m in _PART_OF.finditer(text):
        part, whole = float(m[1].replace(",", "")), float(m[2].replace(",", ""))
        found.add("all" if part == whole else "some" if part < whole else "")
    return frozenset(found - {""})


def quantifier_differs(claim_text: str, doc_text: str) -> bool:
    """The claim quantifies ("All of the retention") and the sentence quantifies otherwise, never as the
    claim does ("Half of the retention")."""
    mine, theirs = quantifiers(claim_text), quantifiers(doc_text)
    return bool(mine and theirs and not mine & theirs)
