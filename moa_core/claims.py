"""Claims: split a text into claims and reduce each to comparable features.

Pure and lexical. A claim is a sentence or a list item with its markdown stripped; its
features are the content words (stemmed, light synonyms folded) used to align claims
across proposals, and the "slots" (numbers, amounts, percentages, dates, durations,
parties, polarity) whose disagreement between two aligned claims is a conflict.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------- splitting

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_HRULE = re.compile(r"^\s*([-*_]\s*){3,}$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)]|[a-zA-Z][.)](?=\s)|\(\w{1,3}\))\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPH = re.compile(r"(\*\*|__|\*|`|~~)")
_ABBREV = ("e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "no.", "inc.", "ltd.",
           "co.", "corp.", "st.", "approx.", "fig.", "sec.", "art.", "para.", "cf.", "u.s.", "jr.")
# A sentence ends at . ! ? followed by space and something that can start a sentence.
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def strip_markdown(line: str) -> str:
    """Remove list markers, quote marks, emphasis and link syntax from one line."""
    line = _QUOTE.sub("", line)
    line = _BULLET.sub("", line, count=1)
    line = _LINK.sub(r"\1", line)
    line = _EMPH.sub("", line)
    return re.sub(r"\s+", " ", line).strip()


def _sentences(paragraph: str) -> list[str]:
    parts, start = [], 0
    for m in _SENT_END.finditer(paragraph):
        before = paragraph[start:m.start()].lower()
        last = before.rsplit(None, 1)[-1] if before.strip() else ""
        if last.lstrip("(\"'") in _ABBREV or re.fullmatch(r"[a-z]\.", last):
            continue  # "e.g. X" or an initial: not a sentence end
        parts.append(paragraph[start:m.start()].strip())
        start = m.end()
    parts.append(paragraph[start:].strip())
    return [p for p in parts if p]


def split_claims(text: str) -> list[str]:
    """Split text into claims: sentences of paragraphs, list items, table rows.

    Headings, code blocks, rules and short lead-in lines ("Key terms:") are not claims.
    """
    claims: list[str] = []
    paragraph: list[str] = []
    in_code = False

    def flush():
        if paragraph:
            claims.extend(_sentences(" ".join(paragraph)))
            paragraph.clear()

    lines = (text or "").replace("\u2019", "'").splitlines()
    for n, raw in enumerate(lines):
        if _FENCE.match(raw):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if not raw.strip() or _HEADING.match(raw) or _HRULE.match(raw) or _TABLE_SEP.match(raw):
            flush()
            continue
        if raw.lstrip().startswith("|"):  # table row: one claim, cells joined
            flush()
            if n + 1 < len(lines) and _TABLE_SEP.match(lines[n + 1]):
                continue  # the header row names columns, it claims nothing
            cells = [strip_markdown(c) for c in raw.strip().strip("|").split("|")]
            claims.append("; ".join(c for c in cells if c))
            continue
        if _BULLET.match(raw) or _QUOTE.match(raw):
            flush()  # each list item starts its own claim (continuation lines join it)
        paragraph.append(strip_markdown(raw))
    flush()
    return [c for c in claims if not _is_lead_in(c)]


def _is_lead_in(claim: str) -> bool:
    words = claim.split()
    return claim.endswith(":") and len(words) <= 8 or not re.search(r"[A-Za-z0-9]", claim)


# ---------------------------------------------------------------- vocabulary

STOPWORDS = frozenset("""
a about above across also although am an and any are as at be because been being both but by
can could did do does doing done during each either etc for from had has have having he her
here hers him his how however i if in into is it its itself just let may me might must my
of on once only or other our ours out over own per quite rather really same shall she should
so some such than that the their theirs them then there these they this those though through
thus to too under until upon us very via was we were what when where whether which while who
whom whose why will with within would yet you your yours overall about roughly approximately
around nearly almost just e g i e eg ie etc instead additionally furthermore moreover
therefore hence simply actually basically generally currently typically usually probably
perhaps maybe likely already
""".split())

# Light synonyms: each word maps to the first word of its group (before stemming).
_SYNONYM_GROUPS = """
terminate end cancel termination cancellation
begin start commence commencement
finish complete completion
buy purchase acquire
pay payable payment cover
cost fee charge price
revenue sales turnover income
profit earnings
use utilize utilise employ
need require requirement necessary
change modify alter amend amendment modification
fix repair resolve
check verify validate
bug defect flaw
error exception
function method
fast quick rapid
slow sluggish
large big
small little
show display
get obtain receive
give provide supply
say state
effective valid
leave holiday vacation
contribute account
stderr standard_error
pr pull_request
""".strip().splitlines()

# Antonyms: "positive words | negative words"; a negative word folds to the first positive
# word and flips polarity ("costs fell" = "costs did not rise").
_ANTONYMS = """
increase rise grow climb go_up | decrease decline fall drop reduce shrink cut go_down
higher | lower
more | less fewer
above | below
before | after
gain profit | loss
include | exclude
allow permit | prohibit forbid ban
require mandatory | optional
accept | reject
approve | deny
enable | disable
safe | unsafe
secure | insecure
valid | invalid
correct | incorrect
mutable | immutable
legal | illegal
liable | exempt
""".strip().splitlines()

NEGATION_CUES = frozenset(
    "not no never none nothing neither nor cannot without lacks lack lacking "
    "unable isn't aren't wasn't weren't doesn't don't didn't won't can't couldn't shouldn't "
    "mustn't hasn't haven't hadn't wouldn't nobody nowhere".split())
# Bounds and set phrases that contain a negation word but negate nothing.
_NEG_IDIOMS = re.compile(
    r"\b(?:no|not) (?:later|earlier|more|less|fewer|sooner|longer than|greater) than\b|"
    r"\bnot only\b|\bwhether or not\b|\bno matter\b|\bwithout limitation\b|\bnot to exceed\b|"
    r"\bif not\b|\bno later\b", re.I)

# Roles in contracts, reports and code reviews; synonyms fold to one name.
_ROLES = {
    "tenant": "tenant", "tenants": "tenant", "lessee": "tenant", "renter": "tenant",
    "landlord": "landlord", "landlords": "landlord", "lessor": "landlord",
    "buyer": "buyer", "buyers": "buyer", "purchaser": "buyer",
    "seller": "seller", "sellers": "seller", "vendor": "seller",
    "supplier": "supplier", "suppliers": "supplier",
    "customer": "customer", "customers": "customer", "client": "customer", "clients": "customer",
    "contractor": "contractor", "subcontractor": "subcontractor",
    "employer": "employer", "employee": "employee", "employees": "employee", "staff": "employee",
    "worker": "employee", "workers": "employee", "personnel": "employee",
    "licensor": "licensor", "licensee": "licensee",
    "lender": "lender", "borrower": "borrower", "guarantor": "guarantor",
    "provider": "provider", "insurer": "insurer", "insured": "insured",
    "caller": "caller", "callee": "callee", "client-side": "client", "server": "server",
    "user": "user", "users": "user", "admin": "admin", "administrator": "admin",
}

_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                      "eighty": 80, "ninety": 90, "hundred": 100})
_ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9,
          "bn": 1e9, "b": 1e9, "trillion": 1e12}
_CURRENCY = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
             "\u20ac": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
             "\u00a3": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
             "\u00a5": "JPY", "jpy": "JPY", "yen": "JPY", "chf": "CHF", "inr": "INR",
             "\u20b9": "INR", "rupees": "INR", "cad": "CAD", "aud": "AUD"}
# Duration units in days (seconds for the sub-day ones are fractions of a day).
_UNITS = {"ms": 1 / 86_400_000, "millisecond": 1 / 86_400_000, "s": 1 / 86400, "sec": 1 / 86400,
          "second": 1 / 86400, "min": 1 / 1440, "minute": 1 / 1440, "h": 1 / 24, "hr": 1 / 24,
          "hour": 1 / 24, "day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 91,
          "year": 365, "yr": 365, "decade": 3650}
_FREQ = {"hourly": "hour", "daily": "day", "weekly": "week", "biweekly": "fortnight",
         "fortnightly": "fortnight", "monthly": "month", "quarterly": "quarter",
         "annually": "year", "annual": "year", "yearly": "year"}


def _build_maps():
    syn, flip = {}, {}
    for line in _SYNONYM_GROUPS:
        words = line.split()
        for w in words:
            syn[w] = words[0]
    for line in _ANTONYMS:
        pos, neg = (side.split() for side in line.split("|"))
        for w in pos:
            syn[w] = pos[0]
        for w in neg:
            flip[w] = pos[0]
    return syn, flip


_SYN, _FLIP = _build_maps()


def stem(word: str) -> str:
    """A tiny suffix stripper: enough to fold plurals, tenses and -ation/-ment nouns."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (("ational", "ate"), ("ization", "ize"), ("isation", "ize"),
                         ("fulness", "ful"), ("iveness", "ive"), ("ousness", "ous"),
                         ("ations", ""), ("ation", ""), ("ements", ""), ("ement", ""),
                         ("ments", ""), ("ment", ""), ("ness", ""), ("ities", ""), ("ity", ""),
                         ("ings", ""), ("ing", ""), ("ies", "y"), ("ied", "y"), ("edly", ""),
                         ("ed", ""), ("ly", ""), ("es", ""), ("s", ""), ("e", "")):
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            continue
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] != "s":
        word = word[:-1]  # "stopped" -> "stopp" -> "stop"
    return word


_IRREGULAR = dict(pair.split(":") for pair in """
grew:grow grown:grow rose:rise risen:rise fell:fall fallen:fall shrank:shrink shrunk:shrink
paid:pay given:give gave:give made:make written:write wrote:write taken:take took:take
shown:show known:know done:do gone:go went:go begun:begin began:begin held:hold kept:keep
sold:sell bought:buy brought:bring spent:spend sent:send built:build chose:choose
chosen:choose broke:break broken:break won:win lost:lose met:meet ran:run found:find
told:tell thought:think left:leave led:lead drove:drive driven:drive""".split())


def _canon(word: str) -> tuple[str, bool]:
    """Fold a lowercased word to its canonical stem; the flag says it is an antonym."""
    word = _IRREGULAR.get(word, word)
    if word in _FLIP:
        return stem(_FLIP[word]), True
    if word in _SYN:
        return stem(_SYN[word]), False
    s = stem(word)
    for cand in (s, s + "e"):
        if cand in _FLIP:
            return stem(_FLIP[cand]), True
        if cand in _SYN:
            return stem(_SYN[cand]), False
    return s, False


_POLAR = frozenset(stem(w) for w in _FLIP.values())

# ---------------------------------------------------------------- slots

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORDNUM = "|".join(sorted((w for w in _NUMBER_WORDS if " " not in w), key=len, reverse=True))
_AMOUNT = re.compile(
    r"(?P<pre>us\$|\$|\u20ac|\u00a3|\u00a5|\u20b9|\b(?:usd|eur|gbp|jpy|chf|inr|cad|aud)\b)\s?"
    rf"(?P<n1>{_NUM})\s?(?P<s1>thousand|million|billion|trillion|bn|mn|k|m|b)?\b|"
    rf"(?<![\w.])(?P<n2>{_NUM}|{_WORDNUM})\s?(?P<s2>thousand|million|billion|trillion|bn|mn|k|m)?\s?"
    r"(?P<post>usd|eur|gbp|jpy|chf|inr|cad|aud|dollars?|euros?|pounds?|yen|rupees)\b", re.I)
_PERCENT = re.compile(rf"(?<![\w.])({_NUM}|{_WORDNUM})\s?(%|percent\b|per cent\b|pc\b)", re.I)
_UNIT_RE = (r"milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|weeks?|"
            r"fortnights?|months?|years?|yrs?|decades?")
_DURATION = re.compile(
    rf"(?<![\w.])(?P<n>{_NUM}|{_WORDNUM})(?:\s*\(\d+\))?[\s-]?"
    r"(?P<kind>business|working|calendar|banking)?\s?"
    rf"(?P<unit>{_UNIT_RE})(?:'s|s'|')?(?![\w])"
    r"|\b(?:within|for|after|in|than|of)\s(?:a|an|one)\s(?P<unit1>day|week|fortnight|month|year|decade)\b",
    re.I)
_RATE = re.compile(r"\b(?:per|a|an|each|every)\s(?P<unit>second|minute|hour|day|week|month|year|quarter)\b"
                   rf"|\b(?P<freq>{'|'.join(_FREQ)})\b", re.I)
_MONTH_RE = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b"),
    re.compile(rf"\b(?P<mon>{_MONTH_RE})\.?\s(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s(?P<y>\d{{4}}))?", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?(?P<mon>{_MONTH_RE})\b\.?(?:,?\s(?P<y>\d{{4}}))?", re.I),
    re.compile(rf"\b(?P<mon>{_MONTH_RE})\.?,?\s(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?:q(?P<q>[1-4])|(?P<qw>first|second|third|fourth)[\s-]quarter)"
               r"(?:\s(?:of\s)?(?:fy\s?)?(?P<y>\d{4}))?\b", re.I),
    re.compile(r"\b(?:the\s)?(?P<d>\d{1,2})(?:st|nd|rd|th)\b|\bthe\s(?P<dw>first|second|third|fourth|fifth|"
               r"sixth|seventh|eighth|ninth|tenth)\s(?:day|of)\b", re.I),
    re.compile(r"\b(?:fy\s?|fiscal\s)?(?P<y>(?:19|20)\d{2})\b", re.I),
    re.compile(rf"\b(?:in|by|from|until|since|during|of|before|after)\s(?P<mon>{_MONTH_RE.replace('may|', '')})\b", re.I),
    re.compile(r"\b(?P<h>\d{1,2})(?::(?P<min>\d{2}))?\s?(?P<ampm>am|pm|a\.m\.|p\.m\.)", re.I),
    re.compile(r"\b(?P<wd>" + "|".join(_WEEKDAYS) + r")s?\b", re.I),
]
_BIGO = re.compile(r"\bO\(\s*([^)]{1,20})\)")
_BARE_NUM = re.compile(rf"(?<![\w.$\u20ac\u00a3])({_NUM})(?![\w%])|\b({_WORDNUM})\b", re.I)
_TOKEN = re.compile(r"[a-z0-9]+(?:['_][a-z0-9]+)*")


def _to_number(text: str) -> float:
    t = text.lower().replace(",", "")
    if t in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[t])
    return float(t)


def _approx(a: float, b: float, tol: float = 0.03) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-12)


@dataclass(frozen=True)
class Slots:
    """What must agree between two aligned claims; each a frozenset of normalised values."""
    numbers: frozenset = frozenset()
    amounts: frozenset = frozenset()       # (currency, value)
    percents: frozenset = frozenset()
    durations: frozenset = frozenset()     # (unit kind, days) ; rates as ("per", unit)
    dates: frozenset = frozenset()         # (year, month, day, quarter, weekday, time)
    parties: frozenset = frozenset()
    negated: bool = False                  # an odd number of negation cues
    polar: frozenset = frozenset()         # (canonical word, is_antonym) for antonym pairs


@dataclass(frozen=True)
class Claim:
    """One claim of one text: its cleaned text, where it comes from and its features."""
    text: str
    source: int                    # proposal index, or -1 for the synthesis
    position: int                  # index of the claim within its text
    tokens: frozenset = field(default=frozenset())
    slots: Slots = field(default_factory=Slots)


def extract_slots(text: str, known_entities: frozenset = frozenset()) -> tuple[Slots, str]:
    """Extract the slots of one claim; also return the text with slot spans blanked."""
    work = _NEG_IDIOMS.sub(" ", text)
    amounts, percents, durations, dates, numbers = set(), set(), set(), set(), set()

    def blank(m):
        nonlocal work
        work = work[:m.start()] + " " * (m.end() - m.start()) + work[m.end():]

    for m in list(_AMOUNT.finditer(work)):
        n, sc = (m["n1"], m["s1"]) if m["n1"] else (m["n2"], m["s2"])
        cur = _CURRENCY[(m["pre"] or m["post"]).lower()]
        amounts.add((cur, round(_to_number(n) * _SCALE.get((sc or "").lower(), 1), 2)))
        blank(m)
    for m in list(_PERCENT.finditer(work)):
        percents.add(round(_to_number(m[1]), 4))
        blank(m)
    for m in list(_DURATION.finditer(work)):
        if m["unit1"]:
            unit, n, kind = m["unit1"].lower(), 1.0, ""
        else:
            unit, n, kind = m["unit"].lower(), _to_number(m["n"]), (m["kind"] or "").lower()
        unit = {"mins": "min", "secs": "sec", "hrs": "hr", "yrs": "yr"}.get(unit, unit)
        if unit not in _UNITS and unit.endswith("s"):
            unit = unit[:-1]
        kind = "business" if kind in ("business", "working", "banking") else ""
        durations.add((kind, round(n * _UNITS[unit], 6)))
        blank(m)
    for m in list(_RATE.finditer(work)):
        unit = m["unit"].lower() if m["unit"] else _FREQ[m["freq"].lower()]
        durations.add(("per", unit))
        blank(m)
    for m in list(_BIGO.finditer(work)):
        numbers.add("O(" + re.sub(r"\s+", "", m[1].lower()).replace("**", "^") + ")")
        blank(m)
    for pat in _DATE_PATTERNS:
        for m in list(pat.finditer(work)):
            g = m.groupdict()
            if g.get("mon") and m["mon"].lower() == "may" and not m["mon"][0].isupper():
                continue  # the modal verb
            y = int(g["y"]) if g.get("y") else None
            if y is not None and y < 100:
                y += 2000
            mon = _MONTHS.get(g["mon"].lower().rstrip(".")) if g.get("mon") else None
            d = int(g["d"]) if g.get("d") else (_ORDINALS.get(g["dw"].lower()) if g.get("dw") else None)
            if g.get("m"):
                mon = int(g["m"])
            if g.get("a"):  # 03/04/2025: day/month order unknown, keep both readings together
                mon, d = int(g["a"]), int(g["b"])
                if mon > 12:
                    mon, d = d, mon
            q = int(g["q"]) if g.get("q") else (_ORDINALS[g["qw"].lower()] if g.get("qw") else None)
            wd = g["wd"].lower() if g.get("wd") else None
            t = None
            if g.get("h"):
                h = int(g["h"]) % 12 + (12 if g["ampm"].lower().startswith("p") else 0)
                t = h * 60 + int(g["min"] or 0)
            dates.add((y, mon, d, q, wd, t))
            blank(m)
    for m in _BARE_NUM.finditer(work):
        tok = m[1] or m[2]
        if tok.lower() == "one":
            continue  # "one of", "no one": too often not a count
        numbers.add(round(_to_number(tok), 6))
        blank(m)

    words = _words(work)
    parties = {_ROLES[w] for w in words if w in _ROLES}
    parties |= _entities(work, known_entities)
    negs = sum(1 for w in words if w in NEGATION_CUES or w.endswith("n't"))
    negs += len(re.findall(r"\bfail(?:s|ed)? to\b", work, re.I))
    polar = frozenset(c for c in (_canon(w) for w in words) if c[0] in _POLAR)
    slots = Slots(frozenset(numbers), frozenset(amounts), frozenset(percents),
                  frozenset(durations), frozenset(dates), frozenset(parties),
                  bool(negs % 2), polar)
    return slots, work


_NOT_ENTITIES = frozenset(
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
            while words and words[0] in _NOT_ENTITIES:
                words = words[1:]
            if len(words) == 1 and words[0].lower() not in known and not _looks_like_name(words[0]):
                continue
        words = [w for w in words if w not in _NOT_ENTITIES]
        if not words:
            continue
        name = " ".join(words).rstrip(".").lower()
        if name in _ROLES or name in _MONTHS or name in _WEEKDAYS or name.startswith("q") and name[1:].isdigit():
            continue
        found.add(_ROLES.get(name, name))
    return found


def _looks_like_name(word: str) -> bool:
    return word.isupper() and len(word) > 1 or any(c.isupper() for c in word[1:])


def _words(text: str) -> list[str]:
    """Lowercased word tokens, possessives removed ("landlord's" -> "landlord")."""
    return [w[:-2] if w.endswith("'s") else w for w in _TOKEN.findall(text.lower())]


def content_tokens(text_with_slots_blanked: str, slots: Slots) -> list[str]:
    """Canonical content words of a claim, then placeholders for the kinds of slot it has."""
    entity_words = {_canon(w)[0] for p in slots.parties for w in p.split()}
    toks: list[str] = []
    for w in _words(text_with_slots_blanked):
        if w in STOPWORDS or w in NEGATION_CUES or w in _ROLES or w.isdigit() or w.endswith("n't"):
            continue
        c, _ = _canon(w)
        # entity words count only through the <parties> placeholder
        if len(c) > 1 and c not in STOPWORDS and c not in entity_words and c not in toks:
            toks.append(c)
    for name in ("numbers", "amounts", "percents", "durations", "dates", "parties"):
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
    for w in _words(text or ""):
        if w not in STOPWORDS and w not in NEGATION_CUES and not w.isdigit():
            c = _ROLES.get(w) or _canon(w)[0]
            if len(c) > 1:
                out.append(c)
    return out


def known_entities(texts) -> frozenset:
    """Capitalised words seen mid-sentence anywhere: they are names wherever they appear."""
    seen = set()
    for text in texts:
        for m in re.finditer(r"(?<=[a-z,;] )([A-Z][\w&-]+)", text or ""):
            seen.add(m[1].lower())
    return frozenset(seen - {w.lower() for w in _NOT_ENTITIES})


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


def _same_duration(x, y) -> bool:
    if x[0] == "per" or y[0] == "per":
        return x == y
    return x[0] == y[0] and _approx(x[1], y[1])


def _same_value(x, y) -> bool:
    if isinstance(x, str) or isinstance(y, str):
        return x == y
    return _approx(x, y, 0.001)


def _same_amount(x, y) -> bool:
    return x[0] == y[0] and _approx(x[1], y[1], 0.001)


def slot_conflicts(a: Slots, b: Slots) -> list[str]:
    """Kinds on which two aligned claims disagree: number, amount, percentage, date, ..."""
    kinds = []
    # An antonym pair used by both claims flips polarity like a negation: "did not rise"
    # agrees with "fell"; an antonym on one side only says nothing.
    a_pol, b_pol = dict(a.polar), dict(b.polar)
    flips = sum(1 for w in a_pol.keys() & b_pol.keys() if a_pol[w] != b_pol[w])
    if (a.negated != b.negated) != bool(flips % 2):
        kinds.append("negation")
    checks = (("amount", a.amounts, b.amounts, _same_amount),
              ("percentage", a.percents, b.percents, _same_value),
              ("duration", a.durations, b.durations, _same_duration),
              ("date", a.dates, b.dates, _same_date),
              ("number", a.numbers, b.numbers, _same_value),
              ("party", a.parties, b.parties, lambda x, y: x == y))
    for kind, x, y, same in checks:
        if x and y and _mutually_novel(x, y, same):
            kinds.append(kind)
    # "Headcount rose 5% in 2023" / "rose 9% in 2024": figures of two periods, not a dispute.
    measured = {"amount", "percentage", "duration", "number"}
    if "date" in kinds and measured & set(kinds) and _periods_differ(a.dates, b.dates):
        return []
    return kinds


def _periods_differ(a: frozenset, b: frozenset) -> bool:
    years = lambda ds: {(d[0], d[3]) for d in ds if d[0] is not None or d[3] is not None}  # noqa: E731
    ya, yb = years(a), years(b)
    return bool(ya and yb and ya != yb)
