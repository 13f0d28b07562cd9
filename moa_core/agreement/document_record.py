"""The documents as one record: their sentences in force, in order, indexed once.

Several documents are one record in order (upload order, or `prevails` names the ones that win): an
amendment's text replaces the clause it amends (`evidence.amendments`), a newer version replaces the
older as a whole. Each sentence keeps where it stands (document, passage, clause, what it replaces or
what replaced it); its claim and clauses are worked out on first use, and a word index (BM25) picks the
few sentences a claim is compared with, so a 300-page record costs what its candidates cost.
"""
from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Sequence

from moa_core.documents.defined_terms import defined_parties
from moa_core.evidence.amendments import Amendment, find_amendments, find_supersessions, units

from .claims import Claim, content_tokens, known_entities, make_claims
from .lexicon import NEGATION_CUES, ROLES, STOPWORDS, canon
from .sentences import split_claims
from .slots import (_CLAUSE_BREAK, _same_amount, _same_date, _same_duration, _same_value, extract_slots,
                    word_tokens)


CANDIDATES = 40          # sentences judged per claim, the best by BM25 (the candidate filter)


MEASURED = (("amount", "amounts", _same_amount), ("percentage", "percents", _same_value),
             ("duration", "durations", _same_duration), ("number", "numbers", _same_value),
             ("date", "dates", _same_date))


@dataclass(frozen=True)
class Piece:
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
            self._pieces = clause_pieces(self.text, self.entities)
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


def name_words(parties) -> frozenset:
    return frozenset(canon(w)[0] for p in parties if p not in ROLE_NAMES for w in p.split())


def clause_pieces(text: str, entities: frozenset) -> tuple:
    """The sentence's clauses: a clause continuing the previous one (after a comma) keeps its words,
    a subordinate one ("which ...", "if ...") stands alone."""
    out, previous = [], frozenset()
    bounds = [0] + [m.start() for m in _CLAUSE_BREAK.finditer(text)] + [len(text)]
    for start, end in zip(bounds, bounds[1:]):
        part = text[start:end]
        slots, blanked = extract_slots(part.strip(" ,;:"), entities)
        words = frozenset(t for t in content_tokens(blanked, slots) if not t.startswith("<"))
        words |= name_words(slots.parties)
        subordinate = bool(re.match(r"\s*[,;:]?\s*(?:which|who|whom|whose|that|if|unless|where|when|whenever|because|"
                                    r"although|though|provided|until|except|whereas|while)\b", part, re.I))
        if not subordinate:
            words |= previous
        values = tuple((kind, v) for kind, name, _ in MEASURED for v in getattr(slots, name))
        if any(not (kind == "duration" and v[0] == "per") for kind, v in values):
            # beside a figure a rate qualifies it ("annual rent of £48,000", "2% per month"); alone it is
            # the value ("reviewed every two years")
            values = tuple((kind, v) for kind, v in values if not (kind == "duration" and v[0] == "per"))
        out.append(Piece(words, values, slots.dates))
        previous = words
    return tuple(out)


ROLE_NAMES = frozenset(ROLES.values())
