"""The document as a voice in the agreement map: what the documents say about each claim.

Precision first, because an analyst who sees one wrong "contradicts" stops reading:
- **supported** only when one document sentence states the same fact: every value of the claim
  (amount, percentage, duration, number, date, place, party) is in it, anchored to the same predicate
  (the "30 days" of "not remedied within 30 days" does not support "terminate on 30 days' notice"),
  with the same polarity clause by clause, and the claim's content words mostly there;
- **contradicts** only for the opposite fact about the same subject: the same content words, and a value
  of the same kind on the same predicate that differs, a role swap, or a negation of the same clause;
  never on a tie with a supporting passage;
- **superseded** when the claim matches a clause a later document replaced; **related** for a passage
  on the topic that settles nothing. A claim citing a clause the reference check cannot find is
  never supported.
Several documents are one record in order (upload order, or `prevails` names the ones that win): an
amendment's text replaces the clause it amends (`evidence.amendments`), and where two documents
disagree the later one wins.
"""
from __future__ import annotations

import copy
import hashlib
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Sequence

from moa_core.documents.defined_terms import defined_parties, name_parties
from moa_core.evidence.amendments import Amendment, Unit, find_amendments, find_supersessions, units

from .binding import differing_kinds, misbound
from .qualifiers import bound_reversed, quantifier_differs
from .align import LEXICAL, Thresholds, claim_similarity, coverage
from .claims import Claim, content_tokens, known_entities, make_claims
from .lexicon import NEGATION_CUES, ROLES, STOPWORDS, canon
from .slots import NOT_ENTITIES as _NOT_NAMES
from .sentences import split_claims
from .result import AgreementResult, ClauseRef, DocumentLink, DocumentSide
from .slots import (_CLAUSE_BREAK, _same_amount, _same_date, _same_duration, _same_party, _same_value,
                    extract_slots, slot_conflicts, word_tokens)

SUPPORT_COVER = 0.6      # share of the claim's content words a supporting sentence must have
CONTRADICT_COVER = 0.7   # ... and a contradicting one (the same subject)
ANCHOR_COVER = 0.6       # a value's clause must share this much with the document clause holding the value
RELATED_COVER = 0.5
CANDIDATES = 40          # sentences judged per claim, the best by BM25 (the candidate filter)
_REFERENCE = re.compile(r"\b(?:(?:the\s+)?(?:amendment|agreement|lease|addendum|contract)(?:'s)?\s+)?"
                        r"\(?(?:clause|section|article|schedule|annex|appendix|paragraph|§)\s*\d+(?:\.\d+)*(?:\s?\([a-z0-9]{1,4}\))*\)?"
                        r"(?:\s+of\s+the\s+(?:agreement|lease|contract|amendment))?", re.IGNORECASE)
_MEASURED = (("amount", "amounts", _same_amount), ("percentage", "percents", _same_value),
             ("duration", "durations", _same_duration), ("number", "numbers", _same_value),
             ("date", "dates", _same_date))


@dataclass(frozen=True)
class _Piece:
    """One clause of a sentence: its content words (with those of the clause it continues) and values."""
    words: frozenset
    values: tuple      # (kind, value)
    dates: frozenset = frozenset()


class DocSentence:
    """One sentence of the record, with where it stands in it. Its claim (slots) and clauses are worked
    out on first use: a 300-page document has thousands of sentences and a verdict reads a few dozen."""

    __slots__ = ("text", "passage", "order", "clause", "replaces", "superseded", "words", "entities",
                 "_claim", "_pieces")

    def __init__(self, text: str, passage, order: int, clause: str, replaces: Amendment | None = None,
                 superseded: Amendment | None = None, entities: frozenset = frozenset()):
        self.text = text
        self.passage = passage        # evidence Passage
        self.order = order            # the document's rank: a higher rank prevails
        self.clause = clause
        self.replaces = replaces      # the sentence is an amendment's new text for an earlier clause
        self.superseded = superseded  # the sentence's clause was replaced by a later document
        self.words = index_words(text)
        self.entities = entities
        self._claim = self._pieces = None

    @property
    def claim(self) -> Claim | None:
        """The sentence as a claim; None when it states nothing to compare (a heading, "Yes.")."""
        if self._claim is None:
            claim = make_claims(self.text, -2, self.entities)
            self._claim = claim[0] if len(claim) == 1 and claim[0].text == self.text else \
                _one_claim(self.text, self.entities)
        return self._claim or None

    @property
    def pieces(self) -> tuple:
        if self._pieces is None:
            self._pieces = _pieces(self.text, self.entities)
        return self._pieces


def _one_claim(text: str, entities: frozenset):
    """A sentence the splitter would cut again, kept whole (it was cut once already)."""
    slots, blanked = extract_slots(text, entities)
    tokens = content_tokens(blanked, slots)
    return Claim(text, -2, 0, frozenset(tokens), slots) if len(tokens) >= 2 else False


def index_words(text: str) -> frozenset:
    """The words a sentence is found by (the candidate filter): canonical content words, no figures."""
    return frozenset(c for w in word_tokens(text)
                     if w not in STOPWORDS and w not in NEGATION_CUES and not w.isdigit()
                     and len(c := ROLES.get(w) or canon(w)[0]) > 1)


@dataclass
class DocumentRecord:
    """The documents as one record: their sentences (amended text in force), the amendments, an index."""
    documents: list
    sentences: list[DocSentence]
    amendments: list[Amendment]
    entities: frozenset
    index: dict = field(default_factory=dict)  # content word -> sentence numbers (the candidate filter)
    missing: dict = field(default_factory=dict)  # claim text -> the clause it cites that no document has
    key: str = ""                                # sha256 of the documents (`fingerprint`)
    parties: dict = field(default_factory=dict)  # a defined party's names -> its term ("marlow optics" -> "Tenant")

    def candidates(self, words: frozenset, limit: int = CANDIDATES) -> list[int]:
        """The sentences a claim is compared with: those sharing a content word with it, the `limit`
        best by BM25 (rare shared words count most, long sentences a little less), in record order.
        Pairwise work is then bounded by the claim, not by the length of the documents."""
        n = len(self.sentences)
        scores: dict[int, float] = {}
        for t in words:
            hits = self.index.get(t, ())
            if not hits:
                continue
            idf = math.log(1 + (n - len(hits) + 0.5) / (len(hits) + 0.5))
            for i in hits:
                scores[i] = scores.get(i, 0.0) + idf
        if len(scores) > limit:
            mean = self.mean_length or 1.0
            k1, b = 1.2, 0.75
            ranked = sorted(scores, key=lambda i: -scores[i] * (k1 + 1) /
                            (1 + k1 * (1 - b + b * len(self.sentences[i].words) / mean)))
            return sorted(ranked[:limit])
        return sorted(scores)

    @property
    def mean_length(self) -> float:
        return sum(len(s.words) for s in self.sentences) / len(self.sentences) if self.sentences else 0.0


def order_documents(documents: Sequence, prevails: Sequence[str] | str | None = None) -> list:
    """The record's order: upload order, with the documents named in `prevails` moved last (they win)."""
    documents = list(documents)
    if not prevails:
        return documents
    names = [prevails] if isinstance(prevails, str) else list(prevails)
    winners = [d for name in names for d in documents if d.name == name]
    return [d for d in documents if d not in winners] + winners


_RECORDS: OrderedDict = OrderedDict()   # fingerprint -> DocumentRecord (the app analyses a run again and again)
_RECORDS_KEPT = 4
_records_lock = threading.Lock()


def fingerprint(documents: Sequence, prevails: Sequence[str] | str | None = None) -> str:
    """sha256 of the documents as read (names, locations, texts) and of which ones prevail."""
    h = hashlib.sha256(repr(prevails).encode())
    for d in documents:
        h.update(b"\0doc\0" + d.name.encode())
        for p in d.passages:
            h.update(b"\0" + p.location.encode() + b"\0" + p.text.encode())
    return h.hexdigest()


def build_record(documents: Sequence, entities: frozenset = frozenset(),
                 prevails: Sequence[str] | str | None = None) -> DocumentRecord:
    """The documents as one record, indexed once: sentences per provision, amendments applied, a word ->
    sentence map. Kept per document set (sha256 of the text), so the app and a report of the same run
    reuse it; the sentences' claims are worked out when a verdict first reads them. `entities` are
    names known from elsewhere; the documents' own names are always known."""
    key = fingerprint(documents, prevails)
    with _records_lock:
        record = _RECORDS.get(key)
        if record is not None:
            _RECORDS.move_to_end(key)
            return record
    record = _build_record(documents, prevails)
    record.key = key
    with _records_lock:
        _RECORDS[key] = record
        while len(_RECORDS) > _RECORDS_KEPT:
            _RECORDS.popitem(last=False)
    return record


def _build_record(documents: Sequence, prevails) -> DocumentRecord:
    ordered = order_documents(documents, prevails)
    amendments = find_amendments([d.passages for d in ordered])
    entities = known_entities(p.text for d in ordered for p in d.passages)
    replaced = {(a.target.passage.document, a.target.passage.location, a.target.clause): a
                for a in amendments if a.target is not None}
    instructions = {(a.passage.document, a.passage.location) for a in amendments}
    wholesale = find_supersessions([d.passages for d in ordered])  # earlier versions replaced as a whole
    sentences: list[DocSentence] = []
    for order, doc in enumerate(ordered):
        for unit in units(doc.passages, order):
            if (unit.passage.document, unit.passage.location) in instructions:
                continue  # "Clause 9.1 is deleted and replaced by ...": its new text is added below
            over = replaced.get((unit.passage.document, unit.passage.location, unit.clause)) or wholesale.get(order)
            for text in _sentences(unit.text):
                sentences.append(DocSentence(text, unit.passage, order, unit.clause, superseded=over,
                                             entities=entities))
    for a in amendments:
        for text in _sentences(a.new_text):
            sentences.append(DocSentence(text, a.passage, a.order, a.clause, replaces=a, entities=entities))
    record = DocumentRecord(ordered, sentences, amendments, entities,
                            parties=defined_parties(p.text for d in ordered for p in d.passages))
    for i, s in enumerate(sentences):
        for t in s.words:
            record.index.setdefault(t, []).append(i)
    return record


def document_claims(documents: Sequence, entities: frozenset = frozenset()) -> list[tuple[Claim, object]]:
    """Each sentence of the record as a claim (source -2), with its passage."""
    return [(s.claim, s.passage) for s in build_record(documents, entities).sentences if s.claim]


def _sentences(text: str) -> list[str]:
    """A provision's sentences, one line at a time (a heading is no sentence)."""
    return [s for line in text.split("\n") for s in split_claims(line)]


def _clean(text: str) -> str:
    """A claim without its clause references: the reference check judges those, the slots must not
    read "12.4" as a figure."""
    return re.sub(r"\s+", " ", _REFERENCE.sub(" ", text)).strip(" ,")


def _real(c: Claim) -> frozenset:
    """Content words, names included ("Agreement" is a name in one sentence, a word in another);
    roles stay out, they are compared as parties."""
    return frozenset(t for t in c.tokens if not t.startswith("<")) | _name_words(c.slots.parties)


def _name_words(parties) -> frozenset:
    return frozenset(canon(w)[0] for p in parties if p not in _ROLE_NAMES for w in p.split())


def _cover(small: frozenset, big: frozenset) -> float:
    return len(small & big) / len(small) if small else 1.0


def _pieces(text: str, entities: frozenset) -> tuple:
    """The sentence's clauses: a clause continuing the previous one (after a comma) keeps its words,
    a subordinate one ("which ...", "if ...") stands alone."""
    out, previous = [], frozenset()
    bounds = [0] + [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    for start, end in zip(bounds, bounds[1:]):
        part = text[start:end]
        slots, blanked = extract_slots(part.strip(" ,;:"), entities)
        words = frozenset(t for t in content_tokens(blanked, slots) if not t.startswith("<"))
        words |= _name_words(slots.parties)
        subordinate = bool(re.match(r"\s*[,;:]?\s*(?:which|who|whom|whose|that|if|unless|where|when|whenever|because|"
                                    r"although|though|provided|until|except|whereas|while)\b", part, re.I))
        if not subordinate:
            words |= previous
        values = tuple((kind, v) for kind, name, _ in _MEASURED for v in getattr(slots, name))
        if any(not (kind == "duration" and v[0] == "per") for kind, v in values):
            # beside a figure a rate qualifies it ("annual rent of £48,000", "2% per month"); alone it is
            # the value ("reviewed every two years")
            values = tuple((kind, v) for kind, v in values if not (kind == "duration" and v[0] == "per"))
        out.append(_Piece(words, values, slots.dates))
        previous = words
    return tuple(out)


_SAME = {kind: same for kind, _, same in _MEASURED}
_ROLE_NAMES = frozenset(ROLES.values())


def _anchored(claim_pieces: tuple, doc_pieces: tuple) -> tuple[bool, set]:
    """(every claim value is stated on the same predicate, the kinds of value that differ on the same predicate)."""
    all_found, differs = True, set()
    for cp in claim_pieces:
        for kind, v in cp.values:
            same = _SAME[kind]
            found = False
            for dp in doc_pieces:
                if _cover(cp.words, dp.words) < ANCHOR_COVER:
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


def _slots_stated(claim: Claim, doc: Claim, terms: frozenset = frozenset()) -> bool:
    """Every value of the claim is one the document sentence states (places and names too; a role, or a
    party's defined term ("the Group"), only when the sentence names any: a policy's "leave may be
    carried over" is about employees, a results statement's "Revenue increased" about the Group)."""
    a, b = claim.slots, doc.slots
    roles = _ROLE_NAMES | terms
    doc_roles = b.parties & roles
    parties = frozenset(p for p in a.parties if p not in roles or doc_roles)
    checks = ((a.amounts, b.amounts, _same_amount), (a.percents, b.percents, _same_value),
              (a.durations, b.durations, _same_duration), (a.dates, b.dates, _same_date),
              (a.numbers, b.numbers, _same_value), (parties, b.parties, _same_party),
              (a.places, b.places, lambda x, y: x == y))
    return all(any(same(x, y) for y in theirs) for mine, theirs, same in checks for x in mine)


_VALUE_KINDS = frozenset({"amount", "percentage", "duration", "number"})
# Where a clause's subject ends: its first auxiliary, modal or past-tense verb ("E-bike sales in France
# | reached ...", "Staff travelling to Russia | must ...", "In Madrid, neighbourhoods ... | were ...").
_AUX = frozenset("is are was were be been being shall will may must can could should would has have had "
                 "do does did".split())
_SUPERLATIVE = re.compile(r"\b(?:most|least|best|worst|only|(?:high|larg|bigg|low|small|fast|great|long|short|"
                          r"strong|weak|old|new|earli|lat|cheap|rich|poor|slow|warm|cold|hott|heavi|wid|deep|"
                          r"tall|young)est)\b", re.I)


def subject_part(text: str) -> str:
    """The words before a sentence's first verb ("" when none is found: then nothing is called a subject)."""
    from .lexicon import _IRREGULAR
    for m in re.finditer(r"[A-Za-z][\w'-]*", text):
        w = m[0].lower()
        if m.start() and (w in _AUX or w in _IRREGULAR or (w.endswith("ed") and len(w) > 4 and w != "need")):
            return text[:m.start()]
    return ""


def _other_subject(claim: Claim, d: DocSentence, conflicts: list) -> bool:
    """Is the document sentence about another subject than the claim? A different place, name, period
    or segment (a number in the subject: "Priority 2 incidents") makes a figure another subject's figure,
    not a contradiction: "E-bike sales in France reached 1.2 million" says nothing against the German
    figure. A superlative both state ("the highest share") is one fact for the whole field, so a
    different subject does contradict it."""
    a, b = subject_part(claim.text), subject_part(d.text)
    if a and b:
        sa, sb = extract_slots(a)[0], extract_slots(b)[0]
        names = lambda x: frozenset(p for p in x.parties if p not in _ROLE_NAMES)  # noqa: E731
        pairs = ((sa.places, sb.places, lambda x, y: x == y), (names(sa), names(sb), _same_party),
                 (sa.numbers, sb.numbers, _same_value), (sa.dates, sb.dates, _same_date))
        differ = any(x and y and not any(same(i, j) for i in x for j in y) for x, y, same in pairs)
        if differ and not (_SUPERLATIVE.search(claim.text) and _SUPERLATIVE.search(d.text)):
            return True
    kinds = set(conflicts)
    # a place, name or period that differs together with a figure: two facts differ, so two subjects
    if kinds & _VALUE_KINDS and kinds & {"place", "date"}:
        return True
    if kinds & _VALUE_KINDS and "party" in kinds and not (claim.slots.parties & _ROLE_NAMES):
        return True
    # a bare number that differs beside another figure is a label ("Tier 2 customers ... 5%"): a segment
    return "number" in kinds and bool(kinds & (_VALUE_KINDS - {"number"}))


def predicate_words(claim: Claim) -> tuple[frozenset, frozenset]:
    """(subject words, predicate words) of a claim: its content words (names and roles included) split
    at its first verb. The predicate and its objects are the fact itself: "reported to the insurer" is
    not "reported to the police", "is paid out" is not "is carried over", however many other words the
    two sentences share. With no verb found every word is the predicate (nothing is excused)."""
    words = (_real(claim) | _roles(claim.text)) - _LIGHT_VERBS - _JOINERS - _BOUND_WORDS
    head = subject_part(claim.text)
    if not head:
        return frozenset(), words
    subject = words & (_roles(head) | frozenset(canon(w)[0] for w in word_tokens(head)) | _name_words(
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
    if w in _ROLE_NAMES or len(w) < 4:
        return False  # "insurer" is not "insurance"; "part" is not "party"
    return any(len(s) >= 4 and ((w.startswith(s) and w[len(s):] in _DERIVED) or
                                (s.startswith(w) and s[len(w):] in _DERIVED)) for s in stated)


def _roles(text: str) -> frozenset:
    return frozenset(ROLES[w] for w in word_tokens(text) if w in ROLES)


def _predicate_stated(claim: Claim, d: DocSentence) -> bool:
    """Every content word of the claim's predicate is in the sentence (the same word, an inflection or a
    lexicon synonym: `canon` folds them); when the predicate has none ("The primary data centre is in
    Frankfurt"), the subject carries the fact and its head words must be there."""
    subject, predicate = predicate_words(claim)
    stated = _real(d.claim) | d.words | d.claim.slots.parties
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
_NOT_WITHOUT = re.compile(r"\b(?:not|never|no)\b[^,;:.]{0,40}?\bwithout\b", re.I)


def _figures_written(claim: Claim, text: str) -> bool:
    """Every bare number of the claim is a figure written in the sentence, whatever its unit."""
    written = {float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    numbers = [n for n in claim.slots.numbers if isinstance(n, float)]
    return bool(numbers) and all(any(abs(n - w) < 1e-9 for w in written) for n in numbers)


def _only_roles_differ(claim: Claim, d: DocSentence) -> bool:
    """The parties the two sentences differ on are all roles (insurer, Lender), no names."""
    a, b = claim.slots.parties, d.claim.slots.parties
    return all(p in _ROLE_NAMES for p in a ^ b)


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


def _same_subject(claim: Claim, d: DocSentence) -> bool:
    """The noun the sentence's subject names is one the claim states: "The rent deposit" is not the
    subject of "The rent is £86,500", "Suspected security incidents" are the claim's "Suspected
    incidents". Roles and names in the subject are the agent or the speaker ("The Supplier shall make
    the platform available", "The Chief Financial Officer reported that ..."), not the subject of the fact."""
    head = _subject_head(d.text)
    nouns = [canon(m[0].lower())[0] for m in re.finditer(r"[A-Za-z][\w'-]*", head)
             if not m[0][0].isupper() and m[0].lower() not in STOPWORDS and m[0].lower() not in ROLES]
    if not nouns:
        return True
    stated = _real(claim) | _roles(claim.text) | claim.slots.parties
    return _stated_word(nouns[-1], stated)


def _qualifiers_stated(claim: Claim, d: DocSentence) -> bool:
    """The places and names that narrow the claim are in the sentence: "Revenue in North America" is a
    part, and the group's figure says nothing against it."""
    a, b = claim.slots, d.claim.slots
    names = [p for p in a.parties if p not in _ROLE_NAMES]
    return (all(p in b.places for p in a.places)
            and all(any(_same_party(p, q) for q in b.parties) or p in d.text.lower() for p in names))


def _subjects_differ(claim: Claim, d: DocSentence) -> bool:
    """The party who acts differs: the roles or names the two sentences open with."""
    a, b = claim.slots.subject, d.claim.slots.subject
    if a and b:
        return a != b
    mine = extract_slots(subject_part(claim.text))[0].parties
    theirs = extract_slots(subject_part(d.text))[0].parties
    return bool(mine and theirs and not any(_same_party(x, y) for x in mine for y in theirs))


def _figure_of_another_period(claim: Claim, d: DocSentence) -> bool:
    """The claim's figures are all in the sentence, only the date differs: "38% in 2021" against "rose to
    38% in 2023" puts the figure in another period, which the sentence says nothing about."""
    a, b = claim.slots, d.claim.slots
    pairs = ((a.amounts, b.amounts, _same_amount), (a.percents, b.percents, _same_value),
             (a.numbers, b.numbers, _same_value),
             (frozenset(x for x in a.durations if x[0] != "per"), b.durations, _same_duration))
    if not any(mine for mine, _, _ in pairs):
        return False  # the date is the value ("closes on 30 June 2027")
    return all(any(same(x, y) for y in theirs) for mine, theirs, same in pairs for x in mine)


def _qualified_alike(claim_text: str, d: DocSentence) -> bool:
    """The sentence states the claim's values where the claim puts them, under the same bounds and
    quantifiers: "not exceed" is not "not less than", "all of" is not "half of"."""
    return not (misbound(claim_text, d.text, d.entities) or bound_reversed(claim_text, d.text)
                or quantifier_differs(claim_text, d.text))


@dataclass
class _Judged:
    kind: str                  # supports | contradicts | related
    score: float
    sentence: DocSentence
    kinds: list = field(default_factory=list)


def _judge(claim: Claim, pieces: tuple, d: DocSentence, s: float, thresholds: Thresholds,
           terms: frozenset = frozenset()) -> _Judged | None:
    """One claim against one document sentence. `terms`: the record's defined party terms."""
    cover = _cover(_real(claim), _real(d.claim))
    relevant = s >= thresholds.align or cover >= 0.8 or coverage(d.claim, claim) >= 0.8
    if not relevant:
        return None
    conflicts = slot_conflicts(claim.slots, d.claim.slots)
    all_found, differs = _anchored(pieces, d.pieces)
    if (not conflicts and cover >= SUPPORT_COVER and all_found and _slots_stated(claim, d.claim, terms)
            and _predicate_stated(claim, d) and _qualified_alike(claim.text, d)):
        return _Judged("supports", s + cover, d)
    if cover >= CONTRADICT_COVER and conflicts:
        kinds = [k for k in conflicts if k not in _SAME or k in differs]
        if "party" in kinds or "place" in kinds:
            if cover < 0.8:
                kinds = [k for k in kinds if k not in ("party", "place")]
        if "party" in kinds and _only_roles_differ(claim, d) and not _subjects_differ(claim, d):
            kinds.remove("party")  # "notify the insurer" / "notify the Lender": another recipient, not a denial
        if "negation" in kinds and len(conflicts) > 1:
            kinds = []  # denied and a different figure: "does not expect it before 2025" vs "expects it in 2026"
        if "negation" in kinds and _NOT_WITHOUT.search(claim.text) is None and _NOT_WITHOUT.search(d.text) \
                and not re.search(r"\bwithout\b", claim.text, re.I):
            kinds.remove("negation")  # "not permitted without a permit" is "needs a permit", not its denial
        if "negation" in kinds and not (_predicate_stated(claim, d) and _slots_stated(claim, d.claim)):
            # the opposite fact needs the same fact: the claim's predicate and every value in the sentence
            # ("did not approve the acquisition" says nothing against "discussed the acquisition")
            kinds.remove("negation")
        if kinds and _other_subject(claim, d, conflicts):
            kinds = []
        value_kinds = [k for k in kinds if k in _VALUE_KINDS | {"date", "place"}]
        if value_kinds:
            # the differing value must stand where the claim's does, and a bare number the sentence
            # writes in another form ("37.5" of "37.5 hours", "1.6x" of "1.6 times") is no conflict
            keep = differing_kinds(claim.text, d.text, value_kinds, d.entities)
            if "number" in keep and _figures_written(claim, d.text):
                keep.discard("number")
            kinds = [k for k in kinds if k not in value_kinds or k in keep]
            if any(k in _VALUE_KINDS for k in kinds) and not (_same_subject(claim, d) and _qualifiers_stated(claim, d)):
                # "The rent deposit ... is reduced to £19,750" is not about "the rent"; "Revenue in North
                # America grew by 12%" is not denied by the group's revenue growth
                kinds = [k for k in kinds if k not in _VALUE_KINDS]
        if kinds == ["date"] and _figure_of_another_period(claim, d):
            kinds = []
        if kinds:
            return _Judged("contradicts", s + cover, d, sorted(set(kinds)))
    if cover >= RELATED_COVER:
        return _Judged("related", s + cover, d, sorted(differs))
    return None


def verdict(claim: Claim | str, record: DocumentRecord, sim=claim_similarity,
            thresholds: Thresholds = LEXICAL, entities: frozenset = frozenset()) -> DocumentLink | None:
    """What the record says about one claim (a Claim or its text): a DocumentLink, or None.
    `entities`: names known from the answers, added to the documents' own."""
    text = claim if isinstance(claim, str) else claim.text
    entities = record.entities | entities
    # "Marlow Optics pays" is judged as "the Tenant pays" when the parties clause defines it so
    cleaned = make_claims(_clean(name_parties(text, record.parties)), -3, entities)
    if not cleaned or not record.sentences:
        return None
    c = cleaned[0]
    pieces = _pieces(c.text, entities)
    candidates = [record.sentences[i] for i in record.candidates(_real(c) | index_words(c.text))]
    words = _real(c)
    # below RELATED_COVER a sentence is not even related, whatever its similarity: no need to embed it
    candidates = [d for d in candidates if d.claim and _cover(words, _real(d.claim)) >= RELATED_COVER]
    prepare = getattr(sim, "prepare", None)
    if prepare is not None:  # embed the claim and its candidates in one batch
        prepare([c.text] + [d.claim.text for d in candidates])
    terms = frozenset(t.lower() for t in record.parties.values())
    judged = [j for d in candidates if (j := _judge(c, pieces, d, sim(c, d.claim), thresholds, terms))]
    link = _decide(judged)
    missing = _missing_reference(text, record)
    if link and missing:
        link.status, link.kinds, link.reference = "related", [], missing
        link.summary = f"related passage: {_where(link)}; cites {missing}, which the documents do not have"
    return link


def _decide(judged: list[_Judged]) -> DocumentLink | None:
    best = lambda xs: max(xs, key=lambda j: (j.score, j.sentence.order))  # noqa: E731
    supports = [j for j in judged if j.kind == "supports" and not j.sentence.superseded]
    old = [j for j in judged if j.kind == "supports" and j.sentence.superseded]
    against = [j for j in judged if j.kind == "contradicts" and not j.sentence.superseded]
    related = [j for j in judged if j.kind == "related" and not j.sentence.superseded]
    if supports and against:
        top_s, top_k = max(j.sentence.order for j in supports), max(j.sentence.order for j in against)
        if top_k > top_s:  # a later document says otherwise: it prevails
            k = best([j for j in against if j.sentence.order == top_k])
            return _link("contradicts", k, matches=best(supports))
        if top_s > top_k or best(supports).score > best(against).score:
            return _link("supported", best([j for j in supports if j.sentence.order == top_s]))
        return _link("related", best(supports), note="the documents state this both ways")
    if supports:
        return _link("supported", best(supports))
    if against:
        return _link("contradicts", best(against), matches=best(old) if old else None)
    if old:
        # it states the replaced clause; the clause's new text gives the same predicate another value
        o = best(old)
        newer = [j for j in judged if j.sentence.replaces is o.sentence.superseded and j.kinds]
        if newer:
            return _link("contradicts", best(newer), matches=o)
        return _link("superseded", best(old))
    if related:
        return _link("related", best(related))
    return None


def _clause_ref(unit: Unit | None, passage=None, clause: str = "", text: str = "") -> ClauseRef:
    if unit is not None:
        passage, clause, text = unit.passage, unit.clause, unit.text
    return ClauseRef(passage.document, passage.location, clause, text.strip(), _values(text))


def _values(text: str) -> str:
    """The figures of a clause as a reader names them: "ninety (90) days'" -> "90 days"."""
    from .slots import _AMOUNT, _DURATION, _PERCENT
    found = []
    for pattern in (_DURATION, _AMOUNT, _PERCENT):
        for m in pattern.finditer(text):
            v = re.sub(r"\b[\w-]+(?:\s+and\s+[\w-]+)*\s*\((\d+)\)", r"\1", m.group(0)).strip(" '")
            if v not in found and not any(v in f for f in found):
                found.append(v)
    return ", ".join(found)


def _where(link) -> str:
    return f"{link.document}, {link.location}"


def _named(ref: ClauseRef) -> str:
    where = f"{ref.document} clause {ref.clause}" if ref.clause else f"{ref.document}, {ref.location}"
    return where + (f" ({ref.values})" if ref.values else "")


def _link(status: str, j: _Judged, matches: _Judged | None = None, note: str = "") -> DocumentLink:
    d = j.sentence
    link = DocumentLink(status, d.passage.document, d.passage.location, d.text, d.passage.text,
                        list(j.kinds))
    if d.replaces is not None:
        a = d.replaces
        link.replaces = _clause_ref(a.target) if a.target else ClauseRef("", "", a.clause, "", "")
    if status == "superseded":
        a = d.superseded
        link.superseded = _clause_ref(None, d.passage, d.clause, d.text)
        link.document, link.location = a.passage.document, a.passage.location
        link.sentence, link.passage = a.new_text, a.passage.text
        link.summary = f"matches {_named(link.superseded)}, replaced by {_where(link)}"
        return link
    if matches is not None:
        m = matches.sentence
        link.superseded = _clause_ref(None, m.passage, m.clause, m.text)
    verb = {"supported": "supported by", "contradicts": "contradicts", "related": "related passage:"}[status]
    summary = f"{verb} {_where(link)}"
    if link.replaces is not None:
        summary += f", which replaces {_named(link.replaces) if link.replaces.document else 'clause ' + link.replaces.clause}"
    if status == "contradicts" and link.kinds:
        summary += f" ({', '.join(link.kinds)})"
    if link.superseded is not None:
        ref = link.superseded
        if m.superseded is not None:
            summary += f"; matches {_named(ref)}, replaced by {m.superseded.passage.document}, {m.superseded.passage.location}"
        else:
            summary += f"; matches {_named(ref)}, which the later {link.document} prevails over"
    if note:
        summary += f"; {note}"
    link.summary = summary
    return link


def _missing_reference(text: str, record: DocumentRecord) -> str:
    """The first clause the sentence cites that no document of the record has ("" when all are found)."""
    from moa_core.evidence.references import check_references, find_references
    if not find_references(text):
        return ""
    if text not in record.missing:
        checks = check_references([("claim", text)], list(record.documents))
        record.missing[text] = next((c.text for c in checks if c.status == "not_found"), "")
    return record.missing[text]


def document_side(texts: Sequence[str], record: DocumentRecord, sim=claim_similarity,
                  thresholds: Thresholds = LEXICAL, judge=None) -> DocumentSide:
    """Which of competing versions of one claim ("30 days" / "90 days") the documents support."""
    links = [judge(t) if judge else verdict(t, record, sim, thresholds) for t in texts]
    backed = [i for i, link in enumerate(links) if link and link.status == "supported"]
    if len(backed) == 1:
        link = links[backed[0]]
        summary = f"the documents back version {backed[0] + 1}: {link.summary}"
    elif backed:
        summary = "the documents support more than one version"
    else:
        summary = "the documents back no version"
    return DocumentSide(backed, links, summary)


def add_document_voice(result: AgreementResult, claims: list[list[Claim]], final_claims: list[Claim],
                       documents: Sequence, entities: frozenset, sim=claim_similarity,
                       thresholds: Thresholds = LEXICAL, prevails: Sequence[str] | str | None = None) -> None:
    """Fill `document` on every proposal claim, synthesis sentence and claim group (in place)."""
    record = build_record(documents, entities, prevails)
    if not record.sentences:
        return
    seen: dict[str, DocumentLink | None] = {}

    def judge(text: str) -> DocumentLink | None:
        """One verdict per distinct text (a claim, its group's version and the synthesis often repeat)."""
        if text not in seen:
            seen[text] = verdict(text, record, sim, thresholds, entities)
        return copy.copy(seen[text])

    by_position = {(c.source, c.position): c for per in claims for c in per}
    for per in result.proposal_claims:
        for pc in per:
            source = by_position.get((pc.proposal, pc.position))
            if source is not None:
                pc.document = judge(source.text)
    for sentence, claim in zip(result.final_sentences, final_claims):
        sentence.document = judge(claim.text)
    for group in result.claims:
        group.document = document_side([v.text for v in group.versions], record, sim, thresholds, judge)

