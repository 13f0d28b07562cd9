"""Several documents as one record: numbered provisions, and the later documents that amend them.

An amendment, addendum or side letter says which clause it changes in a few usual ways ("Clause 9.1
is deleted and replaced by ...", "shall be amended to read", "shall read", "in place of clause 3.1",
"supersedes clause 4", 'in clause 6.2, "48 hours" is replaced with "24 hours"'). This module finds
those instructions and the clause text in force afterwards, so a verdict can say "supported by the
amendment, which replaces clause 9.1" instead of citing the replaced text. Pure: passages in, records out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from moa_core.documents.passages import Passage

# A line that opens a numbered provision: "9.1 Either party ...", "12. Term", "Clause 4 The ...".
# At most three digits per level, so a year ("2024 was ...") is not a clause number.
_NUMBERED = re.compile(r"^\s*(?:(?:clause|section|article)\s+)?(?P<num>\d{1,3}(?:\.\d{1,3})*)(?:[.)]\s*|\s+)(?=\S)"
                       r"(?P<rest>.*)$", re.IGNORECASE)
_REF = r"(?:clause|section|article|paragraph)\s+(?P<num>\d{1,3}(?:\.\d{1,3})*)"
_REF2 = _REF.replace("<num>", "<num2>")
_QUOTE_OPEN, _QUOTE_CLOSE = "\"\u201c", "\"\u201d"
_QUOTED = re.compile(r"[\"\u201c](?P<q>[^\"\u201d]+)[\"\u201d]")
_REPLACE = re.compile(
    rf"\b{_REF}\b(?P<between>[^.:;\"\u201c]*?)\s+(?:is|are|shall\s+be|will\s+be)\s+(?:hereby\s+)?"
    r"(?:deleted\s+and\s+replaced|replaced|amended\s+and\s+restated|amended\s+to\s+read|restated|"
    r"amended\s+so\s+that|varied\s+so\s+that|amended\s+as\s+follows|varied\s+as\s+follows|varied(?=\s*:))\b(?:\s+(?:by|with|in\s+its\s+entirety))*"
    r"(?:\s+the\s+following)?\s*:?\s*",
    re.IGNORECASE)
_SHALL_READ = re.compile(rf"\b{_REF}\b[^.:;\"\u201c]*?\s+(?:shall|will)\s+(?:now\s+)?read\b\s*(?:as\s+follows)?\s*:?\s*",
                         re.IGNORECASE)
_IN_PLACE = re.compile(rf"\b(?:in\s+place\s+of|instead\s+of|in\s+substitution\s+for|(?:this\s+\w+\s+)?supersedes?)\s+"
                       rf"{_REF}\b[^,;:]*[,;:]?\s*", re.IGNORECASE)
_SUBSTITUTE = re.compile(
    rf"\bin\s+{_REF}\b[^,\"\u201c]*,?\s*(?:the\s+words?\s+)?[\"\u201c](?P<old>[^\"\u201d]+)[\"\u201d]\s+"
    r"(?:is|are|shall\s+be)\s+(?:hereby\s+)?(?:replaced|substituted)\s+(?:with|by)\s+[\"\u201c](?P<new>[^\"\u201d]+)[\"\u201d]"
    rf"|\b{_REF2}\b[^.\"\u201c]*?\bdelet(?:e|ing)\s+(?:the\s+words?\s+)?[\"\u201c](?P<old2>[^\"\u201d]+)[\"\u201d]\s+"
    r"and\s+(?:insert|substitut)(?:e|ing)\s+[\"\u201c](?P<new2>[^\"\u201d]+)[\"\u201d]",
    re.IGNORECASE)
# The new text stated in the sentence itself: "With effect from ..., the Rent shall be £79,000, and clause 2.1
# of the Lease shall be read accordingly"; "The rent deposit in clause 5.1 of the Lease is reduced to £19,750".
_ACCORDINGLY = re.compile(rf",?\s*(?:and\s+)?{_REF}\b(?:\s+of\s+the\s+[A-Za-z]+)?\s+(?:shall|will|is\s+to)\s+be\s+"
                          r"(?:read|construed)\s+accordingly", re.IGNORECASE)
_CHANGED = re.compile(rf"\bin\s+{_REF}\b(?:\s+of\s+the\s+[A-Za-z]+)?\s+(?:is|are|shall\s+be|will\s+be)\s+(?:hereby\s+)?"
                      r"(?:reduced|increased|extended|shortened|changed|amended)\s+(?:from\s+[^.;]*?\s+)?to\b",
                      re.IGNORECASE)
_HEADING = re.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3})*[.)]?\s+)?(?:[A-Z][\w -]{0,40}\.\s+)?")
_DELETE = re.compile(rf"\b{_REF}\b[^.\"\u201c]*?\s+(?:is|are|shall\s+be)\s+(?:hereby\s+)?deleted\b(?!\s+and)",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    """One provision (or unnumbered text) of one passage: the clause number it sits under and its text."""
    order: int                 # the document's rank in the record (later = prevails)
    passage: Passage
    clause: str                # "9.1", "" when the document numbers nothing here
    text: str                  # the provision's text, its number removed


@dataclass(frozen=True)
class Amendment:
    """A later document's instruction that changes an earlier clause, and the text in force afterwards."""
    order: int
    passage: Passage           # the amending passage ("amendment-1.docx, paragraph 5")
    clause: str                # the clause it changes ("9.1")
    mode: str                  # replace | substitute | delete
    new_text: str              # the clause as it now reads ("" when deleted)
    target: Unit | None        # the earlier clause it changes, when the record has it


def units(passages: Sequence[Passage], order: int) -> list[Unit]:
    """A document's provisions: each numbered line opens one; unnumbered lines belong to the open one."""
    out: list[Unit] = []
    clause = ""
    for passage in passages:
        current: list[str] = []
        for line in passage.text.split("\n"):
            m = _NUMBERED.match(line)
            if m:
                if current:
                    out.append(Unit(order, passage, clause, "\n".join(current)))
                clause, current = m["num"], [m["rest"]]
            else:
                current.append(line)
        if any(line.strip() for line in current):
            out.append(Unit(order, passage, clause, "\n".join(current)))
    return out


def find_amendments(ordered: Sequence[Sequence[Passage]]) -> list[Amendment]:
    """Every amending instruction of documents 1.. (in record order) with the earlier clause it changes."""
    by_doc = [units(passages, i) for i, passages in enumerate(ordered)]
    found: list[Amendment] = []
    for i, passages in enumerate(ordered):
        if i == 0:
            continue
        for p, passage in enumerate(passages):
            following = passages[p + 1].text if p + 1 < len(passages) else ""
            for clause, mode, new_text in _instructions(passage.text, following):
                target = _target(by_doc[:i], clause)
                if mode == "substitute":
                    old, new = new_text
                    if target is None or old.lower() not in target.text.lower():
                        continue
                    start = target.text.lower().index(old.lower())
                    new_text = target.text[:start] + new + target.text[start + len(old):]
                found.append(Amendment(i, passage, clause, mode, new_text.strip(), target))
    return found


def _instructions(text: str, following: str) -> list[tuple[str, str, object]]:
    """(clause, mode, new text or (old, new) words) for each amending instruction in a passage."""
    out = []
    for m in _SUBSTITUTE.finditer(text):
        old, new = (m["old"], m["new"]) if m["old"] else (m["old2"], m["new2"])
        out.append((m["num"] or m["num2"], "substitute", (old, new)))
    if out:
        return out
    for pattern in (_REPLACE, _SHALL_READ, _IN_PLACE):
        m = pattern.search(text)
        if m:
            return [(m["num"], "replace", _new_text(text, m.end(), following))]
    m = _DELETE.search(text)
    if m:
        return [(m["num"], "delete", "")]
    m = _ACCORDINGLY.search(text) or _CHANGED.search(text)
    if m:  # the sentence states the clause's new value itself
        stated = text.replace(m[0], "") if m.re is _ACCORDINGLY else text
        return [(m["num"], "replace", _HEADING.sub("", stated.strip(), count=1).strip())]
    return []


def _new_text(text: str, end: int, following: str) -> str:
    """What the clause now says: the quotation after the instruction, the next paragraph after a
    colon, or the rest of the sentence ("in place of clause 3.1, the annual rent is ...")."""
    rest = text[end:].strip()
    quoted = _QUOTED.match(rest)
    if quoted:
        return quoted["q"]
    if not rest or text[:end].rstrip().endswith(":") and not rest:
        return _strip_number(following.strip().strip(_QUOTE_OPEN + _QUOTE_CLOSE))
    rest = rest.strip(_QUOTE_OPEN + _QUOTE_CLOSE)
    return rest[:1].upper() + rest[1:]


def _strip_number(text: str) -> str:
    m = _NUMBERED.match(text)
    return m["rest"] if m else text


def _target(earlier: list[list[Unit]], clause: str) -> Unit | None:
    """The clause in the nearest earlier document that has it (an amendment amends what came before)."""
    for doc_units in reversed(earlier):
        for unit in doc_units:
            if unit.clause == clause:
                return unit
    return None


# A newer version that replaces an earlier document as a whole, said near its top: "Amended and Restated
# Supply Agreement", "This version supersedes version 1 ... in its entirety", "These rules replace
# version 2.1 in full", "supersedes all prior versions". Not "supersedes any earlier correspondence":
# only a version, edition, agreement, policy or set of rules is replaced wholesale.
_WHOLESALE = re.compile(
    r"\bamended\s+and\s+restated\b|"
    r"\b(?:supersedes?|replaces?|supersede|replace)\s+(?:and\s+(?:supersedes?|replaces?)\s+)?"
    r"(?:(?:all|any|the)\s+)?(?:(?:prior|previous|earlier|former|existing)\s+"
    r"(?:versions?|editions?|issues?|agreements?|polic(?:y|ies)|rules|terms|contracts?)\b|"
    r"(?:version|edition|issue)\s+(?P<v>\d+(?:\.\d+)*)\b)",
    re.IGNORECASE)
_TOP = 3   # passages read for it: the title and opening lines


def find_supersessions(ordered: Sequence[Sequence[Passage]]) -> dict[int, Amendment]:
    """{index of an earlier document: the passage of the later one that replaces it as a whole}.
    A named version ("supersedes version 1") replaces the earlier documents that call themselves so,
    or, when none does, every earlier one; the latest replacement wins."""
    out: dict[int, Amendment] = {}
    for i, passages in enumerate(ordered):
        if i == 0:
            continue
        for passage in passages[:_TOP]:
            m = _WHOLESALE.search(passage.text)
            if not m:
                continue
            earlier = list(range(i))
            if m["v"]:
                named = re.compile(rf"\b(?:version|edition|issue)\s+{re.escape(m['v'])}\b(?!\.\d)", re.IGNORECASE)
                called = [j for j in earlier if any(named.search(p.text) for p in ordered[j][:_TOP])]
                earlier = called or earlier
            for j in earlier:
                out[j] = Amendment(i, passage, "", "supersede", passage.text.strip(), None)
            break
    return out
