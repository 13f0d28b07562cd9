"""Slots: the facts inside a claim that must agree (numbers, amounts, percentages, dates,
durations, parties, places, polarity), extracted with regular expressions, and how two claims' slots conflict.

Embeddings rate "30 days" and "90 days" as near-identical; these checks are what keeps them apart.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .value_patterns import (AMOUNT, BARE_NUM, BIGO, DATE_PATTERNS, DURATION, EVERY, PERCENT, RATE,
                             VERSION)
from .lexicon import (CURRENCY, FREQUENCIES, MONTHS, NEGATION_CUES, NEGATION_IDIOMS, NUMBER_WORDS, ORDINALS, PLACES,
                      POLAR_WORDS, ROLES, SCALE, STOPWORDS, UNITS, WEEKDAYS, canon)


# Capitalised runs ("Rio de Janeiro", "U.S.", "New York City") looked up in the gazetteer, longest name first:
# one pass over the words instead of a pattern of thousands of names.
_CAPITAL_RUN = re.compile(r"(?<![\w.])[A-Z][\w.'\u00c0-\u017f-]*(?:\s(?:(?:of|de|del|da|do|la|le|las|los|am|upon|on)\s)?"
                          r"[A-Z][\w.'\u00c0-\u017f-]*)*")
_LONGEST_PLACE = max(len(n.split()) for n in PLACES)
_CONNECTORS = frozenset("of de del da do la le las los am upon on".split())


def find_places(text: str) -> list[tuple[int, int, str]]:
    """(start, end, place key) of every gazetteer name in the text; acronyms only in capitals."""
    found = []
    for run in _CAPITAL_RUN.finditer(text):
        words = [(m.start() + run.start(), m.end() + run.start()) for m in re.finditer(r"\S+", run[0])]
        i = 0
        while i < len(words):
            # inside a name a place counts only at its start or after "of", "de", "In", ...: "U.S. Treasury",
            # "Bank of England", "In Madrid", but not the "Stanley" of "Morgan Stanley"
            before = text[words[i - 1][0]:words[i - 1][1]] if i else ""
            if i and before not in _CONNECTORS and before.lower() not in STOPWORDS:  # "In Madrid", "The Hague"
                i += 1
                continue
            for n in range(min(_LONGEST_PLACE, len(words) - i), 0, -1):
                start, end = words[i][0], words[i + n - 1][1]
                name = text[start:end]
                key = PLACES.get(name) or (PLACES.get(name.rstrip(".")) if not name.endswith(".S.") else None)
                if key is None and name.endswith("."):
                    key = PLACES.get(name[:-1])
                    end -= 1 if key else 0
                if key is not None:
                    found.append((start, end, key))
                    i += n
                    break
            else:
                i += 1
    return found
TOKEN_RE = re.compile(r"[a-z0-9]+(?:['_][a-z0-9]+)*")
_DETERMINERS = r"(?:(?:the|a|an|any|prior|its|their|his|her|our|your|this|that|some|proper|enough)\s+)*"
_PRIVATIVE = re.compile(r"\b(?P<cue>without|with|lacks?|lacking|lacked|has|have|had)\s+" + _DETERMINERS
                        + r"(?P<thing>[a-z][\w-]*)", re.I)


def _to_number(text: str) -> float:
    t = text.lower().replace(",", "")
    if t in NUMBER_WORDS:
        return float(NUMBER_WORDS[t])
    return float(t)


def _approx(a: float, b: float, tol: float = 0.03) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-12)


@dataclass(frozen=True)
class Slots:
    """What must agree between two aligned claims; each a frozenset of normalised values."""
    numbers: frozenset = frozenset()
    amounts: frozenset = frozenset()       # (currency, value)
    percents: frozenset = frozenset()
    durations: frozenset = frozenset()     # (unit kind, days) ; rates as ("per", days)
    dates: frozenset = frozenset()         # (year, month, day, quarter, weekday, time)
    parties: frozenset = frozenset()
    negated: bool = False                  # an odd number of negation cues
    polar: frozenset = frozenset()         # (canonical word, is_antonym) for antonym pairs
    places: frozenset = frozenset()        # countries, cities, regions ("eu", "us", "paris")
    order: frozenset = frozenset()         # (converse word, words left of it, words right of it)
    clauses: tuple = ()                    # (content words, negated) per clause: negation scoped to its clause
    subject: str = ""                      # the role a sentence opens with ("the Licensee may audit ...")


def extract_slots(text: str, known_entities: frozenset = frozenset(),
                  spans: list | None = None) -> tuple[Slots, str]:
    """Extract the slots of one claim; also return the text with slot spans blanked. `spans`, when
    given, receives (kind, value, start, end) of every measured value and place (`binding` reads it)."""
    work = NEGATION_IDIOMS.sub(" ", text)
    amounts, percents, durations, dates, numbers = set(), set(), set(), set(), set()

    def blank(m, kind: str = "", value=None):
        nonlocal work
        work = work[:m.start()] + " " * (m.end() - m.start()) + work[m.end():]
        if spans is not None and kind:
            spans.append((kind, value, m.start(), m.end()))

    for m in list(AMOUNT.finditer(work)):
        n, sc = (m["n1"], m["s1"]) if m["n1"] else (m["n2"], m["s2"])
        cur = CURRENCY[(m["pre"] or m["post"]).lower()]
        value = (cur, round(_to_number(n) * SCALE.get((sc or "").lower(), 1), 2))
        amounts.add(value)
        blank(m, "amount", value)
    for m in list(PERCENT.finditer(work)):
        basis = m[2].lower().startswith("b")
        value = round(_to_number(m[1]) / (100 if basis else 1), 4)
        percents.add(value)
        blank(m, "percentage", value)
    for m in list(EVERY.finditer(work)):  # "every two years", "once in any twelve-month period": a rate
        n = float(m["paren"]) if m["paren"] else _to_number(m["n"])
        value = ("per", round(n * UNITS[_unit(m["unit"])], 6))
        durations.add(value)
        blank(m, "duration", value)
    for m in list(DURATION.finditer(work)):
        if m["unit1"]:
            unit, n, kind = m["unit1"].lower(), 1.0, ""
        else:
            # "one hundred and twenty (120) days": the figure in brackets is the one that counts
            n = float(m["paren"]) if m["paren"] else _to_number(m["n"])
            unit, kind = m["unit"].lower(), (m["kind"] or "").lower()
        unit = {"mins": "min", "secs": "sec", "hrs": "hr", "yrs": "yr"}.get(unit, unit)
        if unit not in UNITS and unit.endswith("s"):
            unit = unit[:-1]
        kind = "business" if kind in ("business", "working", "banking") else ""
        value = (kind, round(n * UNITS[unit], 6))
        durations.add(value)
        blank(m, "duration", value)
    for m in list(RATE.finditer(work)):
        unit = m["unit"].lower() if m["unit"] else FREQUENCIES[m["freq"].lower()]
        value = ("per", round(UNITS[unit], 6))  # in days: "quarterly" = "every quarter" = per 91 days
        durations.add(value)
        blank(m, "duration", value)
    for m in list(BIGO.finditer(work)):
        value = "O(" + re.sub(r"\s+", "", m[1].lower()).replace("**", "^") + ")"
        numbers.add(value)
        blank(m, "number", value)
    for pat in DATE_PATTERNS:
        for m in list(pat.finditer(work)):
            g = m.groupdict()
            if g.get("mon") and m["mon"].lower() == "may" and not m["mon"][0].isupper():
                continue  # the modal verb
            y = int(g["y"]) if g.get("y") else None
            if y is not None and y < 100:
                y += 2000
            mon = MONTHS.get(g["mon"].lower().rstrip(".")) if g.get("mon") else None
            d = int(g["d"]) if g.get("d") else (ORDINALS.get(g["dw"].lower()) if g.get("dw") else None)
            if g.get("m"):
                mon = int(g["m"])
            if g.get("a"):  # 03/04/2025: day/month order unknown, keep both readings together
                mon, d = int(g["a"]), int(g["b"])
                if mon > 12:
                    mon, d = d, mon
            q = int(g["q"]) if g.get("q") else (ORDINALS[g["qw"].lower()] if g.get("qw") else None)
            wd = g["wd"].lower() if g.get("wd") else None
            t = None
            if g.get("h"):
                h = int(g["h"]) % 12 + (12 if g["ampm"].lower().startswith("p") else 0)
                t = h * 60 + int(g["min"] or 0)
            dates.add((y, mon, d, q, wd, t))
            blank(m, "date", (y, mon, d, q, wd, t))
    for m in list(VERSION.finditer(work)):  # "2.5.1": one version, not the figure 2.5
        value = "v" + m[1]
        numbers.add(value)
        blank(m, "number", value)
    for m in list(BARE_NUM.finditer(work)):
        tok = m["n"] or m["w"]
        scale = (m["sa"] or m["sw"] or m["ws"] or "").lower()
        if tok.lower() == "one" and not scale:
            continue  # "one of", "no one": too often not a count
        value = round(_to_number(tok) * SCALE.get(scale, 1), 6)
        numbers.add(value)
        blank(m, "number", value)

    places = set()
    for start, end, key in find_places(work):
        places.add(key)
        work = work[:start] + " " * (end - start) + work[end:]
        if spans is not None:
            spans.append(("place", key, start, end))
    words = word_tokens(work)
    parties = {ROLES[w] for w in words if w in ROLES}
    parties |= _entities(work, known_entities)
    negs = 1 if _negated(words, work) else 0
    polar = frozenset(c for c in (canon(w) for w in words) if c[0] in POLAR_WORDS) | privatives(work)
    slots = Slots(frozenset(numbers), frozenset(amounts), frozenset(percents),
                  frozenset(durations), frozenset(dates), frozenset(parties),
                  bool(negs % 2), polar, frozenset(places), converse_sides(work),
                  negation_clauses(work), sentence_subject(work, parties))
    return slots, work


# Where one clause ends and the next begins: a negation governs only the predicate of its own clause
# ("may terminate ... if a breach is not remedied within 30 days" does not deny the termination).
# The comma of "1,200,000" and the colon of "10:00" are inside a figure, not between clauses.
_CLAUSE_BREAK = re.compile(r";|[:,](?!\d)|\s(?=(?:which|who|whom|whose|that|if|unless|where|when|whenever|because|"
                           r"although|though|provided|until|except|whereas|while|but|so that)\b)", re.I)


def _negated(words: list[str], text: str) -> bool:
    negs = sum(1 for w in words if w in NEGATION_CUES or w.endswith("n't"))
    negs += len(re.findall(r"\bfail(?:s|ed)? to\b|\brecommend(?:s|ed)? against\b", text, re.I))
    return bool(negs % 2)


def negation_clauses(text: str) -> tuple:
    """(content words, negated, governed words) for each clause of a sentence that says something.

    The governed words are those after the negation cue: the predicate it denies ("are not *charged*",
    "may not *subcontract*", "Neither *party* is *liable*"). Two clauses differ in polarity only about
    a predicate they share, not because they share a subject ("Requests are not charged for" says
    nothing against "Requests are answered within 30 days")."""
    out = []
    for part in _CLAUSE_BREAK.split(text):
        words = word_tokens(part or "")
        content = frozenset(canon(w)[0] for w in words
                            if w not in STOPWORDS and w not in NEGATION_CUES and not w.endswith("n't")
                            and not w.isdigit())
        negated = _negated(words, part)
        if content:
            cue = next((i for i, w in enumerate(words) if w in NEGATION_CUES or w.endswith("n't") or w == "fail"), None)
            governed = frozenset(canon(w)[0] for w in words[cue + 1:]
                                 if w not in STOPWORDS and w not in NEGATION_CUES and not w.isdigit()) \
                if negated and cue is not None else frozenset()
            out.append((content, negated, governed))
        elif out and negated:  # "..., not ..." with no word of its own
            out[-1] = (out[-1][0], not out[-1][1], frozenset())
    return tuple(out)


def _denies_same_predicate(x: tuple, y: tuple) -> bool:
    """Clauses x and y (of opposite polarity) speak of the same predicate: the negated one's governed
    words meet the other clause (no governed words known: assume they do)."""
    neg, pos = (x, y) if x[1] else (y, x)
    return not neg[2] or bool(neg[2] & pos[0])


def sentence_subject(text: str, parties: set) -> str:
    """The role or name a sentence opens with, when it is the agent (no "by the X" passive)."""
    words = [w for w in word_tokens(text) if w not in ("the", "a", "an", "each", "any")]
    if not words or re.search(r"\bby\s+(?:the\s+)?(?:" + "|".join(re.escape(w) for w in ROLES) + r")\b", text, re.I):
        return ""
    first = ROLES.get(words[0], words[0])
    return first if first in parties else ""


def negation_differs(a: Slots, b: Slots) -> bool:
    """Do a and b differ in polarity? Clause by clause when either sentence has several clauses:
    each clause of the shorter is compared with the clause of the other it shares most words with."""
    if not a.clauses or not b.clauses:
        return a.negated != b.negated
    if len(a.clauses) == 1 and len(b.clauses) == 1:
        x, y = a.clauses[0], b.clauses[0]
        return a.negated != b.negated and (x[1] == y[1] or _denies_same_predicate(x, y))
    few, many = (a.clauses, b.clauses) if len(a.clauses) <= len(b.clauses) else (b.clauses, a.clauses)
    compared = False
    for clause in few:
        words, neg = clause[0], clause[1]
        most = max(len(words & c[0]) for c in many)
        if most:
            compared = True
            # a tie between clauses is no evidence of a denial: it differs only if every best clause
            # does, and about the predicate the negation governs
            best = [c for c in many if len(words & c[0]) == most]
            if all(c[1] != neg and _denies_same_predicate(clause, c) for c in best):
                return True
    return False if compared else a.negated != b.negated


# Converse relations: "A before B" states what "B after A" does, so their flip needs the same order.
CONVERSE = frozenset(canon(w)[0] for w in ("before", "above"))


def converse_sides(text: str) -> frozenset:
    """For a claim with one before/after (above/below) word: the content words on either side.

    A fronted clause reads as its own order: "Before X, Y" is "Y before X".
    """
    words = word_tokens(text)
    keyed = [(i, canon(w)[0]) for i, w in enumerate(words) if canon(w)[0] in CONVERSE]
    if len(keyed) != 1:
        return frozenset()
    i, key = keyed[0]
    side = lambda ws: frozenset(canon(w)[0] for w in ws if w not in STOPWORDS and not w.isdigit())  # noqa: E731
    left, right = words[:i], words[i + 1:]
    if not side(left) and "," in text:  # "Before X, Y"
        head, tail = text.split(",", 1)
        right, left = word_tokens(head)[i + 1:], word_tokens(tail)
    return frozenset({(key, side(left), side(right))})


def _swapped(a: frozenset, b: frozenset, key: str) -> bool:
    """Do the two claims put the same things on opposite sides of `key` ("died before it was
    published" / "it was published after the death")?"""
    sa = next(((l, r) for k, l, r in a if k == key), None)
    sb = next(((l, r) for k, l, r in b if k == key), None)
    if sa is None or sb is None:
        return False
    straight = len(sa[0] & sb[0]) + len(sa[1] & sb[1])
    return len(sa[0] & sb[1]) + len(sa[1] & sb[0]) > straight


def privatives(text: str) -> frozenset:
    """("with:" / "have:" + the thing, denied?) for "with X"/"without X", "has X"/"lacks X".

    "Without X" denies X, not the claim: it contrasts with "with X" only (with/without consent),
    never with a claim that says the same thing positively ("in the dark" / "without light").
    """
    out = set()
    for m in _PRIVATIVE.finditer(text):
        cue = m["cue"].lower()
        kind = "with:" if cue.startswith("with") else "have:"
        out.add((kind + canon(m["thing"].lower())[0], cue == "without" or cue.startswith("lack")))
    return frozenset(out)


NOT_ENTITIES = frozenset(
    "I The A An This That These Those It Its In On At If When While For And But Or So "
    "Not No Yes All Any Each Every Both Either Neither Some Most Many Also However "
    "Overall Note Please There They We You He She".split())


def _entities(text: str, known: frozenset) -> set[str]:
    """Named entities: capitalised runs not at a sentence start, or known from elsewhere."""
    found = set()
    for m in re.finditer(r"[A-Z][\w&.-]*(?:\s+(?:of\s+|for\s+|&\s+)?[A-Z][\w&.-]*)*", text):
        words = m.group(0).split()
        at_start = not text[:m.start()].strip() or text[:m.start()].rstrip()[-1:] in ".:;!?(\"'"
        if at_start:
            while words and words[0] in NOT_ENTITIES:
                words = words[1:]
            if len(words) == 1 and words[0].lower() not in known and not _looks_like_name(words[0]):
                continue
        words = [w for w in words if w not in NOT_ENTITIES]
        if not words:
            continue
        name = " ".join(words).rstrip(".").lower()
        if name in ROLES or name in MONTHS or name in WEEKDAYS or name.startswith("q") and name[1:].isdigit():
            continue
        found.add(ROLES.get(name, name))
    return found


def _looks_like_name(word: str) -> bool:
    return word.isupper() and len(word) > 1 or any(c.isupper() for c in word[1:])


def word_tokens(text: str) -> list[str]:
    """Lowercased word tokens, possessives removed ("landlord's" -> "landlord")."""
    return [w[:-2] if w.endswith("'s") else w for w in TOKEN_RE.findall(text.lower())]


# ---------------------------------------------------------------- comparing slots
def _mutually_novel(a: frozenset, b: frozenset, same) -> bool:
    """Each side has a value the other lacks (a subset is extra detail, not a conflict)."""
    a_new = any(not any(same(x, y) for y in b) for x in a)
    b_new = any(not any(same(x, y) for x in a) for y in b)
    return a_new and b_new


def _same_date(x, y) -> bool:
    for i in (0, 1, 2, 4, 5):
        if x[i] is not None and y[i] is not None and x[i] != y[i]:
            return False
    if x[3] is not None and y[3] is not None and x[3] != y[3]:
        return False
    for a, b in ((x, y), (y, x)):  # month against quarter
        if a[3] is not None and b[1] is not None and (b[1] - 1) // 3 + 1 != a[3]:
            return False
    return True


def _unit(unit: str) -> str:
    unit = {"mins": "min", "secs": "sec", "hrs": "hr", "yrs": "yr"}.get(unit.lower(), unit.lower())
    return unit[:-1] if unit not in UNITS and unit.endswith("s") else unit


def _same_duration(x, y) -> bool:
    if x[0] == "per" or y[0] == "per":
        return x[0] == y[0] and _approx(x[1], y[1])
    return x[0] == y[0] and _approx(x[1], y[1])


def _same_value(x, y) -> bool:
    if isinstance(x, str) or isinstance(y, str):
        return x == y
    return _approx(x, y, 1e-9)  # figures are stated exactly: 99.9 is not 99.95


def _same_party(x: str, y: str) -> bool:
    """One name is the other or a part of it ("Fleming" = "Alexander Fleming")."""
    wx, wy = x.split(), y.split()
    return x == y or set(wx) <= set(wy) or set(wy) <= set(wx)


def _same_amount(x, y) -> bool:
    return x[0] == y[0] and _approx(x[1], y[1], 0.001)


def slot_conflicts(a: Slots, b: Slots) -> list[str]:
    """Kinds on which two aligned claims disagree: number, amount, percentage, date, ..."""
    kinds = []
    # An antonym pair used by both claims flips polarity like a negation: "did not rise"
    # agrees with "fell"; an antonym on one side only says nothing.
    a_pol, b_pol = dict(a.polar), dict(b.polar)
    flips = sum(1 for w in a_pol.keys() & b_pol.keys()
                if a_pol[w] != b_pol[w] and not (w in CONVERSE and _swapped(a.order, b.order, w)))
    if negation_differs(a, b) != bool(flips % 2):
        kinds.append("negation")
    checks = (("amount", a.amounts, b.amounts, _same_amount),
              ("percentage", a.percents, b.percents, _same_value),
              ("duration", a.durations, b.durations, _same_duration),
              ("date", a.dates, b.dates, _same_date),
              ("number", a.numbers, b.numbers, _same_value),
              ("party", a.parties, b.parties, _same_party),
              ("place", a.places, b.places, lambda x, y: x == y))
    for kind, x, y, same in checks:
        if x and y and _mutually_novel(x, y, same):
            kinds.append(kind)
    # Roles swapped: "the Licensee may audit the Licensor" / "the Licensor may audit the Licensee".
    if ("party" not in kinds and a.subject and b.subject and a.subject != b.subject
            and len(a.parties) >= 2 and a.parties == b.parties):
        kinds.append("party")
    # "Headcount rose 5% in 2023" / "rose 9% in 2024": figures of two periods, not a dispute.
    measured = {"amount", "percentage", "duration", "number"}
    if "date" in kinds and measured & set(kinds) and _periods_differ(a.dates, b.dates):
        return []
    return kinds


def _periods_differ(a: frozenset, b: frozenset) -> bool:
    years = lambda ds: {(d[0], d[3]) for d in ds if d[0] is not None or d[3] is not None}  # noqa: E731
    ya, yb = years(a), years(b)
    return bool(ya and yb and ya != yb)
