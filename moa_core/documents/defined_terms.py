"""Defined parties: "Marlow Optics Limited (the "Tenant")" makes Marlow Optics the Tenant.

Contracts name each party once and use its defined term from then on; answers use either ("Marlow
Optics pays the rent", "the Tenant pays the rent"). Reading the parties clause lets a claim that names
the company be compared with clauses that name the role. Only party definitions are read: a name with a
company suffix, or a name written right before its term ("Priya Natarajan ("you")"); "30 June 2029 (the
"Break Date")" defines a date, not a party.
"""
from __future__ import annotations

import re
from typing import Iterable

_MARKER = re.compile(r"\(\s*(?:the\s+)?[\"\u201c]([^\"\u201d]{1,40})[\"\u201d]"
                     r"((?:\s*(?:,|or|and)\s*(?:the\s+)?[\"\u201c][^\"\u201d]{1,40}[\"\u201d])*)\s*\)")
_MORE_TERMS = re.compile(r"[\"\u201c]([^\"\u201d]{1,40})[\"\u201d]")
# Where the text before a definition starts its party: "(1)", ";", ":", "between", "and", a line or sentence end.
_PARTY_START = re.compile(r"\(\d+\)|\([a-z]\)|;|:|\bbetween\b|\band\b|\n|\.\s")
_NAME = re.compile(r"[A-Z][\w&.'\u00c0-\u017f-]*(?:\s+(?:&\s+|of\s+|de\s+|and\s+(?=[A-Z]))?[A-Z][\w&.'\u00c0-\u017f-]*)*")
_SUFFIX = re.compile(r"[\s,]+(?:limited|ltd\.?|plc|inc\.?|llc|llp|gmbh|ag|sa|s\.a\.|bv|b\.v\.|nv|corp\.?|"
                     r"corporation|company|co\.?)$", re.I)
_NOT_NAMES = frozenset("this the these that it its each either any all".split())
LOOK_BACK = 250  # characters read before a definition for the party's name


def defined_parties(texts: Iterable[str]) -> dict[str, str]:
    """Alias (lowercased) -> defined term, from every party definition in the texts. Aliases are the full
    name, the name without its company suffix, its leading words, and its first word when that is
    distinctive ("Luminate" of "Luminate Cloud, Inc.")."""
    out: dict[str, str] = {}
    for text in texts:
        for m in _MARKER.finditer(text):
            name = _party_name(text, m.start())
            if not name:
                continue
            terms = [m[1]] + _MORE_TERMS.findall(m[2] or "")
            # the term the document goes on to use: "we" of ("Fernleaf", "we", "us"), "Group" of
            # ("Halden" or the "Group"); the other terms are further names of the party
            term = next((t.lower() for t in terms if t.lower() in ("we", "us", "you")), terms[-1])
            term = "we" if term == "us" else term
            for alias in _aliases(name) + [t.lower() for t in terms if t.lower() != term.lower()]:
                if alias != term.lower() and alias not in ("we", "us", "you", "our"):
                    out.setdefault(alias, term)
    return out


def _party_name(text: str, at: int) -> str:
    before = text[max(0, at - LOOK_BACK):at]
    cut = max((m.end() for m in _PARTY_START.finditer(before)), default=0)
    segment = before[cut:]
    name = _NAME.search(segment)
    if name is None or name[0].split()[0].lower() in _NOT_NAMES:
        return ""
    words = name[0].rstrip(".,").strip()
    trailing = segment[name.end():]
    directly = not trailing.strip(" ,")  # the name stands right before its term
    company = bool(_SUFFIX.search(words)) or bool(re.match(r"[\s,]+(?:inc|ltd|llc|plc|gmbh)\b", trailing, re.I))
    if company or (directly and len(words.split()) >= 2):
        return words
    return ""


def _aliases(name: str) -> list[str]:
    full = name.lower()
    bare = _SUFFIX.sub("", name).strip(" ,").lower()
    words = bare.split()
    out = [full, bare]
    # its leading words, as answers shorten it ("Orchard Lane" of "Orchard Lane Holdings Limited")
    out += [" ".join(words[:n]) for n in range(len(words) - 1, 1, -1)]
    if len(words) >= 2 and len(words[0]) >= 4 and words[0] not in _NOT_NAMES:
        out.append(words[0])
    return [a for a in dict.fromkeys(out) if a]


def name_parties(text: str, parties: dict[str, str]) -> str:
    """The text with each defined party's name replaced by its term: "Marlow Optics pays" -> "the Tenant
    pays", "Priya's salary" -> "your salary"."""
    for alias in sorted(parties, key=len, reverse=True):
        term = parties[alias]
        # a one-word alias only as a name, capitalised: "Bright" of "Bright Bakery Ltd", not "bright"
        flags = 0 if " " not in alias else re.I
        word = alias if flags else alias.capitalize()
        pattern = re.compile(r"(?<![\w])" + re.escape(word) + r"(?:'s|\u2019s)?(?![\w])", flags)

        def swap(m: re.Match, term: str = term) -> str:
            possessive = m[0].lower().endswith(("'s", "\u2019s"))
            if term.lower() in ("you", "we", "us"):
                return {"you": "your", "we": "our", "us": "our"}[term.lower()] if possessive else term.lower()
            return f"the {term}" + ("'s" if possessive else "")
        text = pattern.sub(swap, text)
    return re.sub(r"\b(the|a|an)\s+the\b", "the", text, flags=re.I)
