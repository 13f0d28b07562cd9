"""The offline (lexical) method: align claims of different proposals by their content words,
resolve each group into versions with the slot checks, trace the synthesis back to proposals.
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .claims import Claim, known_entities, make_claims, word_bag
from .slots import slot_conflicts
from .result import AgreementResult, ClaimGroup, ClaimVersion, FinalSentence, ProposalClaim


ALIGN_THRESHOLD = 0.5     # claims this similar state the same fact
CONFLICT_THRESHOLD = 0.7  # ... and this similar, a differing slot is a conflict; below it,
                          # "revenue grew 12%" / "costs grew 4%" are two facts, not one disputed
LINK_FLOOR = 0.3          # every pair inside a group must be at least this similar
COVER_THRESHOLD = 0.8     # a longer claim containing this much of another also states it
PLACEHOLDER_WEIGHT = 0.5  # "<amounts>" etc. count half a word when comparing claims


@dataclass(frozen=True)
class Thresholds:
    """The similarity bars of one similarity measure (lexical or semantic)."""
    align: float = ALIGN_THRESHOLD
    conflict: float = CONFLICT_THRESHOLD
    link_floor: float = LINK_FLOOR


LEXICAL = Thresholds()


def analyze_offline(proposals: Sequence[str], final: str = "") -> AgreementResult:
    """The lexical method: split, align, find conflicts, trace the synthesis."""
    proposals = [p or "" for p in proposals]
    entities = known_entities([*proposals, final])
    claims = [make_claims(text, i, entities) for i, text in enumerate(proposals)]
    groups = align_claims([c for per in claims for c in per])
    final_claims = make_claims(final or "", -1, entities)
    return build_result(proposals, claims, groups, final_claims)


def build_result(proposals: Sequence[str], claims: list[list[Claim]],
                 groups: list[list[Claim]], final_claims: list[Claim],
                 method_used: str = "offline", note: str = "",
                 final_sources: list[tuple[list[int], list[int]]] | None = None,
                 conflict=None, sim=None, thresholds: Thresholds = LEXICAL,
                 matrix: list[list[float]] | None = None) -> AgreementResult:
    """Turn aligned groups into the result (shared by both methods).

    The llm method passes `conflict(a, b) -> kinds` (the model's versions) and
    `final_sources`, per synthesis sentence its sources and the groups it restates;
    otherwise conflicts come from the claims' slots and provenance is matched with `sim`
    (lexical by default; the semantic method passes its own measure, bars and matrix).
    """
    sim = sim or claim_similarity
    speaking = {i for i, per in enumerate(claims) if per}
    extras = _covering_claims(groups, claims) if conflict is None else [[] for _ in groups]
    conflict = conflict or (lambda a, b: slot_conflicts(a.slots, b.slots))
    claim_groups, claim_index = [], {}
    for gid, members in enumerate(groups):
        group, per_claim = _resolve_group(gid, members, extras[gid], conflict, sim)
        claim_groups.append(group)
        for c, entry in per_claim.items():
            claim_index.setdefault(c, (gid, *entry))
    proposal_claims = [[_proposal_claim(c, *claim_index[c][:3], speaking) for c in per]
                       for per in claims]

    if final_sources is None:
        final_sentences = [_trace_sentence(s, claims, claim_index, sim, thresholds) for s in final_claims]
    else:
        final_sentences = [FinalSentence(s.text, src, not src, [], grp)
                           for s, (src, grp) in zip(final_claims, final_sources)]
    kept = {g for s in final_sentences for g in s.groups}
    majority = len(speaking) / 2
    dropped = [g.text for g in claim_groups
               if final_claims and g.id not in kept and len(g.supported_by) > majority]
    result = AgreementResult(claim_groups, proposal_claims, final_sentences, dropped,
                             matrix if matrix is not None else similarity_matrix(proposals), method_used, note)
    add_contest_notes(result, claims, final_claims, sim)
    return result


@functools.lru_cache(maxsize=1 << 16)
def _weight(tokens: frozenset) -> float:
    # cached: an analysis weighs the same small token sets tens of thousands of times
    return len(tokens) - (1.0 - PLACEHOLDER_WEIGHT) * sum(1 for t in tokens if t[0] == "<")


def claim_similarity(a: Claim, b: Claim) -> float:
    """Weighted overlap of two claims' content words (a set cosine), in [0, 1]."""
    if not a.tokens or not b.tokens:
        return 0.0
    return _weight(a.tokens & b.tokens) / math.sqrt(_weight(a.tokens) * _weight(b.tokens))


def coverage(big: Claim, small: Claim) -> float:
    """Share of `small`'s content words (weighted) that `big` also has."""
    return _weight(small.tokens & big.tokens) / _weight(small.tokens) if small.tokens else 0.0


def _compatible(a: Claim, b: Claim, sim: float, bar: float = CONFLICT_THRESHOLD) -> bool:
    """May a and b be linked: they agree, or are close enough (`bar`) for a difference to count."""
    return sim >= bar or not slot_conflicts(a.slots, b.slots)


def _real_words(c: Claim) -> int:
    return sum(1 for t in c.tokens if not t.startswith("<"))


def align_claims(claims: list[Claim], sim=claim_similarity,
                 thresholds: Thresholds = LEXICAL) -> list[list[Claim]]:
    """Group claims of different proposals that state the same fact.

    Greedy agglomeration from the most similar pair down: a group holds at most one claim
    per proposal, every pair inside it must stay above LINK_FLOOR (one loose match does not
    chain unrelated claims), and claims that differ in a slot are linked only when similar
    enough for that difference to be a dispute rather than two different facts.
    """
    group_of = list(range(len(claims)))
    members = {i: [i] for i in range(len(claims))}
    sims = {}
    pairs = []
    for i, a in enumerate(claims):
        for j in range(i + 1, len(claims)):
            b = claims[j]
            if a.source == b.source:
                continue
            s = sim(a, b)
            sims[i, j] = s
            if (s >= thresholds.align and _real_words(a) and _real_words(b)
                    and _compatible(a, b, s, thresholds.conflict)):
                pairs.append((-s, i, j))
    for _, i, j in sorted(pairs):
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members[gi], members[gj]
        if {claims[k].source for k in left} & {claims[k].source for k in right}:
            continue
        # The merging pair passed the conflict bar; the others need only be close enough
        # to be about the same fact (p1 "$1,500" joins p0 "$1,500" disputed by p2 "$1,600").
        if any(sims[min(x, y), max(x, y)] < thresholds.link_floor
               or not _compatible(claims[x], claims[y], sims[min(x, y), max(x, y)], thresholds.align)
               for x in left for y in right):
            continue
        for k in right:
            group_of[k] = gi
        members[gi] = left + right
        del members[gj]
    return [[claims[k] for k in sorted(m)] for m in sorted(members.values(), key=min)]


def _covering_claims(groups: list[list[Claim]], claims: list[list[Claim]]) -> list[list[Claim]]:
    """Claims outside a group that contain its fact anyway (a compound sentence)."""
    extras = []
    for members in groups:
        present = {c.source for c in members}
        found = []
        for per in claims:
            if not per or per[0].source in present:
                continue
            best = max(per, key=lambda c: min(coverage(c, m) for m in members))
            if all(coverage(best, m) >= COVER_THRESHOLD and _real_words(m) for m in members):
                found.append(best)
        extras.append(found)
    return extras


def _resolve_group(gid: int, members: list[Claim], extras: list[Claim], conflict, sim=claim_similarity):
    """Split a group into compatible versions; the most supported one is the group's text."""
    everyone = members + extras
    conflicts = {(a, b): conflict(a, b) for a in everyone for b in everyone}

    def support(c):
        return sorted({d.source for d in everyone if not conflicts[c, d]})

    def against(c):
        return sorted({d.source for d in everyone if conflicts[c, d]})

    def centrality(c):
        return sum(sim(c, d) for d in members)

    # A vague claim (no number, no party) is compatible with every version, so the group's
    # text is chosen among the claims that take a side when there is a conflict at all.
    specific = [c for c in members if against(c)] or members
    rep = max(specific, key=lambda c: (len(support(c)), centrality(c), -c.source, -c.position))
    versions: list[list[Claim]] = [[c for c in everyone if not conflicts[rep, c]]]
    for c in everyone:
        if any(c in v for v in versions):
            continue
        home = next((v for v in versions[1:] if not conflicts[v[0], c]), None)
        if home is None:
            versions.append([c])
        else:
            home.append(c)
    kinds = sorted({k for c in everyone for k in conflicts[rep, c]})
    group = ClaimGroup(
        gid, rep.text, support(rep), against(rep),
        [ClaimVersion(_version_text(v, rep), sorted({c.source for c in v})) for v in versions],
        kinds)
    return group, {c: (support(c), against(c), c in versions[0]) for c in members}


def _version_text(version: list[Claim], rep: Claim) -> str:
    return rep.text if rep in version else version[0].text


def _proposal_claim(c: Claim, gid: int, support: list[int], conflicts: list[int],
                    speaking: set[int]) -> ProposalClaim:
    if conflicts:
        category = "contested"
    elif support == [c.source]:
        category = "only"
    elif speaking <= set(support):
        category = "all"
    else:
        category = "some"
    return ProposalClaim(c.text, c.source, c.position, gid, category, support, conflicts)


def _trace_sentence(sentence: Claim, claims: list[list[Claim]], claim_index: dict,
                    sim=claim_similarity, thresholds: Thresholds = LEXICAL) -> FinalSentence:
    """Which proposals state this synthesis sentence, which contradict it, which groups it keeps."""
    sources, against, touched = set(), set(), set()
    for per in claims:
        for c in per:
            s = sim(sentence, c)
            contains = coverage(sentence, c) >= COVER_THRESHOLD and _real_words(c) > 0
            if s < thresholds.align and not contains:
                continue
            gid, _, _, main_version = claim_index[c]
            if slot_conflicts(sentence.slots, c.slots):
                if s >= thresholds.conflict or contains:
                    against.add(c.source)
            else:
                sources.add(c.source)
                if main_version:  # restating a minority version keeps the majority's dropped
                    touched.add(gid)
    against -= sources
    return FinalSentence(sentence.text, sorted(sources), not sources, sorted(against),
                         sorted(touched))


def similarity_matrix(proposals: Sequence[str]) -> list[list[float]]:
    """TF-IDF cosine similarity of the proposals' content words: symmetric, 1.0 diagonal."""
    bags = [Counter(word_bag(text)) for text in proposals]
    n = len(bags)
    df = Counter(t for bag in bags for t in bag)
    idf = {t: 1.0 + math.log((1 + n) / (1 + d)) for t, d in df.items()}
    vecs = []
    for bag in bags:
        v = {t: (1 + math.log(k)) * idf[t] for t, k in bag.items()}
        norm = math.sqrt(sum(x * x for x in v.values()))
        vecs.append({t: x / norm for t, x in v.items()} if norm else {})
    matrix = [[1.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            a, b = vecs[i], vecs[j]
            dot = sum(x * b[t] for t, x in a.items() if t in b)
            matrix[i][j] = matrix[j][i] = round(min(1.0, max(0.0, dot)), 4)
    return matrix


def add_contest_notes(result: AgreementResult, claims: list[list[Claim]], final_claims: list[Claim],
                      sim=claim_similarity) -> None:
    """For each synthesis sentence some proposal contradicts: "proposal N says: <its version>"."""
    for sentence, claim in zip(result.final_sentences, final_claims):
        notes = []
        for p in sentence.conflicts_with:
            rivals = [c for c in claims[p] if slot_conflicts(claim.slots, c.slots)]
            if rivals:
                rival = max(rivals, key=lambda c: sim(claim, c))
                notes.append(f"proposal {p + 1} says: {rival.text}")
        sentence.contested = notes
