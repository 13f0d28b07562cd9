"""The checks a document verdict applies: does a sentence state the claim's fact, about the same subject?

Pure functions of a claim and one document sentence (`document_record.DocSentence`): the claim's values
on the same predicate (`anchored`), every value stated (`slots_stated`), every predicate word stated
(`predicate_stated`), the same bounds, quantifiers and bindings (`qualified_alike`), and for a
contradiction the same subject and part (`same_subject`, `qualifiers_stated`, `other_subject`).
`document_voice` combines them into verdicts.
"""
from __future__ import annotations

import re

from .binding import misbound
from .claims import Claim
from .document_record import MEASURED, ROLE_NAMES, DocSentence, name_words
from .lexicon import _IRREGULAR, ROLES, STOPWORDS, canon
from .qualifiers import bound_reversed, quantifier_differs
from .slots import NOT_ENTITIES as _NOT_NAMES
from .slots import _same_amount, _same_date, _same_duration, _same_party, _same_value, extract_slots, word_tokens


ANCHOR_COVER = 0.6       # a value's clause must share this much with the document clause holding the value


def real_words(c: Claim) -> frozenset:
    """Content words, names included ("Agreement" is a name in one sentence, a word in another);
    roles stay out, they are compared as parties."""
    return frozenset(t for t in c.tokens if not t.startswith("<")) | name_words(c.slots.parties)


def share(small: frozenset, big: frozenset) -> float:
    return len(small & big) / len(small) if small else 1.0


SAME_MEASURED = {kind: same for kind, _, same in MEASURED}


def anchored(claim_pieces: tuple, doc_pieces: tuple) -> tuple[bool, set]:
    """(every claim value is stated on the same predicate, the kinds of value that differ on the same predicate)."""
    all_found, differs = True, set()
    for cp in claim_pieces:
        for kind, v in cp.values:
            same = SAME_MEASURED[kind]
            found = False
            for dp in doc_pieces:
                if share(cp.words, dp.words) < ANCHOR_COVER:
                    continue
                if (kind != "date" and cp.dates and dp.dates
                        and not any(_same_date(x, y) for x in cp.dates for y in dp.dates)):
                    continue  # "revenue for 2024" is not the figure of the third quarter of 2025
                for k2, w in dp.values:
                    if k2 != kind:
                        continue
                    if same(v, w):
                        found = True
                    elif (not any(same(w, x) for p in claim_pieces for k3, x in p.values if k3 == kind)
                          and (dp.dates or not cp.dates)):  # a dated figure against an undated one: another period
                        differs.add(kind)
            if not found:
                all_found = False
    return all_found, differs


def slots_stated(claim: Claim, doc: Claim, terms: frozenset = frozenset()) -> bool:
    """Every value of the claim is one the document sentence states (places and names too; a role, or a
    party's defined term ("the Group"), only when the sentence names any: a policy's "leave may be
    carried over" is about employees, a results statement's "Revenue increased" about the Group)."""
    a, b = claim.slots, doc.slots
    roles = ROLE_NAMES | terms
    doc_roles = b.parties & roles
    parties = frozenset(p for p in a.parties if p not in roles or doc_roles)
    checks = ((a.amounts, b.amounts, _same_amount), (a.percents, b.percents, _same_value),
              (a.durations, b.durations, _same_duration), (a.dates, b.dates, _same_date),
              (a.numbers, b.numbers, _same_value), (parties, b.parties, _same_party),
              (a.places, b.places, lambda x, y: x == y))
    return all(any(same(x, y) for y in theirs) for mine, theirs, same in checks for x in mine)


VALUE_KINDS = frozenset({"amount", "percentage", "duration", "number"})


# Where a clause's subject ends: its first auxiliary, modal or past-tense verb ("E-bike sales in France
# | reached ...", "Staff travelling to Russia | must ...", "In Madrid, neighbourhoods ... | were ...").
_AUX = frozenset("is are was were be been being shall will may must can could should would has have had "
                 "do does did".split())


_SUPERLATIVE = re.compile(r"\b(?:most|least|best|worst|only|(?:high|larg|bigg|low|small|fast|great|long|short|"
                          r"strong|weak|old|new|earli|lat|cheap|rich|poor|slow|warm|cold|hott|heavi|wid|deep|"
                          r"tall|young)est)\b", re.I)


def subject_part(text: str) -> str:
    """The words before a sentence's first verb ("" when none is found: then nothing is called a subject)."""
    for m in re.finditer(r"[A-Za-z][\w'-]*", text):
        w = m[0].lower()
        if m.start() and (w in _AUX or w in _IRREGULAR or (w.endswith("ed") and len(w) > 4 and w != "need")):
            return text[:m.start()]
    return ""


def other_subject(claim: Claim, d: DocSentence, conflicts: list) -> bool:
    """Is the document sentence about another subject than the claim? A different place, name, period
    or segment (a number in the subject: "Priority 2 incidents") makes a figure another subject's figure,
    not a contradiction: "E-bike sales in France reached 1.2 million" says nothing against the German
    figure. A superlative both state ("the highest share") is one fact for the whole field, so a
    different subject does contradict it."""
    a, b = subject_part(claim.text), subject_part(d.text)
    if a and b:
        sa, sb = extract_slots(a)[0], extract_slots(b)[0]
        names = lambda x: frozenset(p for p in x.parties if p not in ROLE_NAMES)  # noqa: E731
        pairs = ((sa.places, sb.places, lambda x, y: x == y), (names(sa), names(sb), _same_party),
                 (sa.numbers, sb.numbers, _same_value), (sa.dates, sb.dates, _same_date))
        differ = any(x and y and not any(same(i, j) for i in x for j in y) for x, y, same in pairs)
        if differ and not (_SUPERLATIVE.search(claim.text) and _SUPERLATIVE.search(d.text)):
            return True
    kinds = set(conflicts)
    # a place, name or period that differs together with a figure: two facts differ, so two subjects
    if kinds & VALUE_KINDS and kinds & {"place", "date"}:
        return True
    if kinds & VALUE_KINDS and "party" in kinds and not (claim.slots.parties & ROLE_NAMES):
        return True
    # a bare number that differs beside another figure is a label ("Tier 2 customers ... 5%"): a segment
    return "number" in kinds and bool(kinds & (VALUE_KINDS - {"number"}))


def predicate_words(claim: Claim) -> tuple[frozenset, frozenset]:
    """(subject words, predicate words) of a claim: its content words (names and roles included) split
    at its first verb. The predicate and its objects are the fact itself: "reported to the insurer" is
    not "reported to the police", "is paid out" is not "is carried over", however many other words the
    two sentences share. With no verb found every word is the predicate (nothing is excused)."""
    words = (real_words(claim) | _roles(claim.text)) - _LIGHT_VERBS - _JOINERS - _BOUND_WORDS
    head = subject_part(claim.text)
    if not head:
        return frozenset(), words
    subject = words & (_roles(head) | frozenset(canon(w)[0] for w in word_tokens(head)) | name_words(
        extract_slots(head)[0].parties))
    return subject, words - subject


# Verbs that carry the modality or the object, not the fact: "Termination requires 90 days' notice" is
# "may terminate by giving 90 days' notice"; "gets 25 days" is "is entitled to 25 days".
_LIGHT_VERBS = frozenset(canon(w)[0] for w in "require need give get take make have do".split())


# Words that join or quantify what the figures and the other words state ("plus public holidays", "from
# another supplier"): they are not the fact.
_JOINERS = frozenset(canon(w)[0] for w in "plus another other".split())


# Bound words: `qualifiers.bound_reversed` compares the bound itself ("at least" = "not less than").
_BOUND_WORDS = frozenset(canon(w)[0] for w in "least most minimum maximum exceed cap capped up".split())


# A derived form the stemmer leaves apart: "closure" / "closed", "remotely" / "remote".
_DERIVED = ("e", "ur", "ure", "ion", "al", "ly")


def _stated_word(w: str, stated: frozenset) -> bool:
    if w in stated:
        return True
    if w in ROLE_NAMES or len(w) < 4:
        return False  # "insurer" is not "insurance"; "part" is not "party"
    return any(len(s) >= 4 and ((w.startswith(s) and w[len(s):] in _DERIVED) or
                                (s.startswith(w) and s[len(w):] in _DERIVED)) for s in stated)


def _roles(text: str) -> frozenset:
    return frozenset(ROLES[w] for w in word_tokens(text) if w in ROLES)


def predicate_stated(claim: Claim, d: DocSentence) -> bool:
    """Every content word of the claim's predicate is in the sentence (the same word, an inflection or a
    lexicon synonym: `canon` folds them); when the predicate has none ("The primary data centre is in
    Frankfurt"), the subject carries the fact and its head words must be there."""
    subject, predicate = predicate_words(claim)
    stated = real_words(d.claim) | d.words | d.claim.slots.parties
    if not all(_stated_word(w, stated) for w in (predicate or _head_words(claim, subject))):
        return False
    if _PASSIVE.search(claim.text) and not all(_stated_word(w, stated) for w in subject):
        return False  # "Indoor temperatures were measured": the subject is what the fact is about
    return not _other_name_acts(claim.text, d, stated)


def _head_words(claim: Claim, subject: frozenset) -> frozenset:
    """The subject's words before its first preposition: "The margin | on the loan is 2.40%" states
    the margin; the loan is where it applies, which the sentence may leave to its context."""
    head = re.split(r"\b(?:of|on|for|in|under|at|to|from|with|by)\b", subject_part(claim.text), maxsplit=1, flags=re.I)[0]
    words = frozenset(canon(w)[0] for w in word_tokens(head)) | _roles(head)
    return (subject & words) or subject


# A passive clause ("were measured", "is stored", "must be delivered"): its subject receives the action.
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being)\s+(?:not\s+)?(?:\w+ly\s+)?\w+(?:ed|en|wn|ld|nt|ght)\b", re.I)


def _other_name_acts(claim_text: str, d: DocSentence, stated: frozenset) -> bool:
    """The claim's subject is a name ("Deloitte will not be invited") and the sentence's subject is
    another name ("KPMG will not be invited"): the same predicate about someone else. In the document
    a word opening the sentence is a name only when the documents use it as one ("Revenue increased"
    is no name); the claim's opening word may be a name the documents never mention."""
    def names(text: str, known: frozenset | None) -> set:
        head = subject_part(text)
        out = set()
        for m in re.finditer(r"\b[A-Z][\w&-]+", head):
            w = re.sub(r"'s$", "", m[0]).lower()
            if w in STOPWORDS or w in ROLES or m[0] in _NOT_NAMES:
                continue
            at_start = not head[:m.start()].strip()
            if known is not None and at_start and w not in known and not (m[0].isupper() and len(m[0]) > 1):
                continue
            out.add(w)
        return out
    known = frozenset(w for e in d.entities for w in e.split())
    mine, theirs = names(claim_text, None), names(d.text, known)
    return bool(mine and theirs and not mine & theirs
                and not any(_stated_word(canon(w)[0], stated) for w in mine))


# A denial of doing something without a thing: a requirement of that thing, not a denial of the claim.
NOT_WITHOUT = re.compile(r"\b(?:not|never|no)\b[^,;:.]{0,40}?\bwithout\b", re.I)


def figures_written(claim: Claim, text: str) -> bool:
    """Every bare number of the claim is a figure written in the sentence, whatever its unit."""
    written = {float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    numbers = [n for n in claim.slots.numbers if isinstance(n, float)]
    return bool(numbers) and all(any(abs(n - w) < 1e-9 for w in written) for n in numbers)


def only_roles_differ(claim: Claim, d: DocSentence) -> bool:
    """The parties the two sentences differ on are all roles (insurer, Lender), no names."""
    a, b = claim.slots.parties, d.claim.slots.parties
    return all(p in ROLE_NAMES for p in a ^ b)


def _subject_head(text: str) -> str:
    """The noun phrase a sentence's subject names: its last comma-separated part, without a leading
    adverbial ("For 2026 the Board" -> "the Board", "With effect from the Date, the Rent" -> "the Rent"),
    cut at its first preposition ("The margin on the loan" -> "The margin")."""
    part = re.split(r"[,;:]", subject_part(text))[-1].strip()
    lead = re.match(r"(?:for|in|on|at|from|with|after|before|during|by|since|until|as|under|between|among|"
                    r"within|following|over|through|across)\b.*?\b"
                    r"(?=(?:the|a|an|this|its|our|their|each|all|every)\b)", part, re.I)
    if lead:
        part = part[lead.end():]
    return re.split(r"\b(?:of|on|for|in|under|at|to|from|with|by)\b", part, maxsplit=1, flags=re.I)[0]


def same_subject(claim: Claim, d: DocSentence) -> bool:
    """The noun the sentence's subject names is one the claim states: "The rent deposit" is not the
    subject of "The rent is £86,500", "Suspected security incidents" are the claim's "Suspected
    incidents". Roles and names in the subject are the agent or the speaker ("The Supplier shall make
    the platform available", "The Chief Financial Officer reported that ..."), not the subject of the fact."""
    head = _subject_head(d.text)
    nouns = [canon(m[0].lower())[0] for m in re.finditer(r"[A-Za-z][\w'-]*", head)
             if not m[0][0].isupper() and m[0].lower() not in STOPWORDS and m[0].lower() not in ROLES]
    if not nouns:
        return True
    stated = real_words(claim) | _roles(claim.text) | claim.slots.parties
    return _stated_word(nouns[-1], stated)


def qualifiers_stated(claim: Claim, d: DocSentence) -> bool:
    """The places and names that narrow the claim are in the sentence: "Revenue in North America" is a
    part, and the group's figure says nothing against it."""
    a, b = claim.slots, d.claim.slots
    names = [p for p in a.parties if p not in ROLE_NAMES]
    return (all(p in b.places for p in a.places)
            and all(any(_same_party(p, q) for q in b.parties) or p in d.text.lower() for p in names))


def subjects_differ(claim: Claim, d: DocSentence) -> bool:
    """The party who acts differs: the roles or names the two sentences open with."""
    a, b = claim.slots.subject, d.claim.slots.subject
    if a and b:
        return a != b
    mine = extract_slots(subject_part(claim.text))[0].parties
    theirs = extract_slots(subject_part(d.text))[0].parties
    return bool(mine and theirs and not any(_same_party(x, y) for x in mine for y in theirs))


def figure_of_another_period(claim: Claim, d: DocSentence) -> bool:
    """The claim's figures are all in the sentence, only the date differs: "38% in 2021" against "rose to
    38% in 2023" puts the figure in another period, which the sentence says nothing about."""
    a, b = claim.slots, d.claim.slots
    pairs = ((a.amounts, b.amounts, _same_amount), (a.percents, b.percents, _same_value),
             (a.numbers, b.numbers, _same_value),
             (frozenset(x for x in a.durations if x[0] != "per"), b.durations, _same_duration))
    if not any(mine for mine, _, _ in pairs):
        return False  # the date is the value ("closes on 30 June 2027")
    return all(any(same(x, y) for y in theirs) for mine, theirs, same in pairs for x in mine)


def qualified_alike(claim_text: str, d: DocSentence) -> bool:
    """The sentence states the claim's values where the claim puts them, under the same bounds and
    quantifiers: "not exceed" is not "not less than", "all of" is not "half of"."""
    return not (misbound(claim_text, d.text, d.entities) or bound_reversed(claim_text, d.text)
                or quantifier_differs(claim_text, d.text))
