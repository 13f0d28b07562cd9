"""Agreement, disagreement and provenance across MoA proposals and into the synthesis.

`analyze(proposals, final)` splits each proposal into claims, aligns claims that say the
same thing, marks aligned claims whose numbers, amounts, dates, durations, parties or
negation differ as conflicts, traces each synthesis sentence to the proposals that support
it, lists majority claims the synthesis dropped, and gives a proposal similarity matrix.

Two methods behind one interface: "offline" (lexical, deterministic, no network) and "llm"
(a chosen model groups the claims as validated JSON; any bad output falls back to offline).
The offline path does no I/O; the llm path only calls `litellm.acompletion`.
"""
from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Sequence

from moa_core.claims import Claim, known_entities, make_claims, slot_conflicts, word_bag

ALIGN_THRESHOLD = 0.5     # claims this similar state the same fact
CONFLICT_THRESHOLD = 0.7  # ... and this similar, a differing slot is a conflict; below it,
                          # "revenue grew 12%" / "costs grew 4%" are two facts, not one disputed
LINK_FLOOR = 0.3          # every pair inside a group must be at least this similar
COVER_THRESHOLD = 0.8     # a longer claim containing this much of another also states it
PLACEHOLDER_WEIGHT = 0.5  # "<amounts>" etc. count half a word when comparing claims
CATEGORIES = ("all", "some", "only", "contested")  # ProposalClaim.category, for a legend


# ---------------------------------------------------------------- result types

@dataclass
class ClaimVersion:
    """One competing version of a contested claim and the proposals that state it."""
    text: str
    proposals: list[int]


@dataclass
class ClaimGroup:
    """Claims from several proposals aligned as one; `text` is the majority version's."""
    id: int
    text: str
    supported_by: list[int]
    conflicts_with: list[int]
    versions: list[ClaimVersion]       # versions[0] is `text`; more than one means a conflict
    conflict_kinds: list[str] = field(default_factory=list)

    @property
    def contested(self) -> bool:
        return bool(self.conflicts_with)


@dataclass
class ProposalClaim:
    """One claim as it appears in one proposal, with its support category for highlighting."""
    text: str
    proposal: int
    position: int
    group: int                         # index into AgreementResult.claims
    category: str                      # all | some | only | contested
    supported_by: list[int]
    conflicts_with: list[int]


@dataclass
class FinalSentence:
    """One synthesis sentence and the proposals that support (or contradict) it."""
    text: str
    sources: list[int]
    unsupported: bool
    conflicts_with: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)


@dataclass
class AgreementResult:
    """Everything the CLI and the UI render; `to_json` gives the CLI's shape."""
    claims: list[ClaimGroup]
    proposal_claims: list[list[ProposalClaim]]
    final_sentences: list[FinalSentence]
    dropped_consensus: list[str]
    similarity: list[list[float]]
    method_used: str = "offline"
    note: str = ""

    @property
    def disagreements(self) -> list[ClaimGroup]:
        return [g for g in self.claims if g.contested]


def to_json(result: AgreementResult) -> dict:
    """The CLI's JSON shape: claims, final_sentences, dropped_consensus, similarity."""
    return {
        "claims": [claim for g in result.claims for claim in _json_claims(g)],
        "final_sentences": [{"text": s.text, "sources": s.sources, "unsupported": s.unsupported}
                            for s in result.final_sentences],
        "dropped_consensus": list(result.dropped_consensus),
        "similarity": [[round(x, 4) for x in row] for row in result.similarity],
    }


def _json_claims(group: ClaimGroup) -> list[dict]:
    """One entry per competing version, so "30 days" and "90 days" both appear, each naming the other side."""
    if len(group.versions) < 2:
        return [{"text": group.text, "supported_by": group.supported_by, "conflicts_with": group.conflicts_with}]
    out = []
    for version in group.versions:
        others = sorted({p for v in group.versions if v is not version for p in v.proposals} - set(version.proposals))
        out.append({"text": version.text, "supported_by": sorted(version.proposals), "conflicts_with": others})
    return out


def to_dict(result: AgreementResult) -> dict:
    """Every field of the result as plain data (for storage or a richer export)."""
    return asdict(result)


# ---------------------------------------------------------------- the method

def analyze(proposals: Sequence[str], final: str = "", method: str = "offline",
            model: str | None = None, **llm_kwargs) -> AgreementResult:
    """Analyse proposals and synthesis with the "offline" or the "llm" method (blocking)."""
    if method == "offline":
        return analyze_offline(proposals, final)
    coro = analyze_async(proposals, final, method=method, model=model, **llm_kwargs)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside an event loop (a notebook): run ours in a worker thread.
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def analyze_async(proposals: Sequence[str], final: str = "", method: str = "offline",
                        model: str | None = None, **llm_kwargs) -> AgreementResult:
    """Async `analyze`: the llm method awaits the model; offline returns at once."""
    if method == "offline":
        return analyze_offline(proposals, final)
    if method != "llm":
        raise ValueError(f"unknown method {method!r} (offline or llm)")
    if not model:
        raise ValueError("the llm method needs a model")
    return await analyze_llm(proposals, final, model, **llm_kwargs)


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
                 conflict=None) -> AgreementResult:
    """Turn aligned groups into the result (shared by both methods).

    The llm method passes `conflict(a, b) -> kinds` (the model's versions) and
    `final_sources`, per synthesis sentence its sources and the groups it restates;
    otherwise conflicts come from the claims' slots and provenance is matched lexically.
    """
    speaking = {i for i, per in enumerate(claims) if per}
    extras = _covering_claims(groups, claims) if conflict is None else [[] for _ in groups]
    conflict = conflict or (lambda a, b: slot_conflicts(a.slots, b.slots))
    claim_groups, claim_index = [], {}
    for gid, members in enumerate(groups):
        group, per_claim = _resolve_group(gid, members, extras[gid], conflict)
        claim_groups.append(group)
        for c, entry in per_claim.items():
            claim_index.setdefault(c, (gid, *entry))
    proposal_claims = [[_proposal_claim(c, *claim_index[c][:3], speaking) for c in per]
                       for per in claims]

    if final_sources is None:
        final_sentences = [_trace_sentence(s, claims, groups, claim_index) for s in final_claims]
    else:
        final_sentences = [FinalSentence(s.text, src, not src, [], grp)
                           for s, (src, grp) in zip(final_claims, final_sources)]
    kept = {g for s in final_sentences for g in s.groups}
    majority = len(speaking) / 2
    dropped = [g.text for g in claim_groups
               if final_claims and g.id not in kept and len(g.supported_by) > majority]
    return AgreementResult(claim_groups, proposal_claims, final_sentences, dropped,
                           similarity_matrix(proposals), method_used, note)


# ---------------------------------------------------------------- alignment

def _weight(tokens: frozenset) -> float:
    return sum(PLACEHOLDER_WEIGHT if t.startswith("<") else 1.0 for t in tokens)


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


def align_claims(claims: list[Claim]) -> list[list[Claim]]:
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
            s = claim_similarity(a, b)
            sims[i, j] = s
            if s >= ALIGN_THRESHOLD and _real_words(a) and _real_words(b) and _compatible(a, b, s):
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
        if any(sims[min(x, y), max(x, y)] < LINK_FLOOR
               or not _compatible(claims[x], claims[y], sims[min(x, y), max(x, y)], ALIGN_THRESHOLD)
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


def _resolve_group(gid: int, members: list[Claim], extras: list[Claim], conflict):
    """Split a group into compatible versions; the most supported one is the group's text."""
    everyone = members + extras
    conflicts = {(a, b): conflict(a, b) for a in everyone for b in everyone}

    def support(c):
        return sorted({d.source for d in everyone if not conflicts[c, d]})

    def against(c):
        return sorted({d.source for d in everyone if conflicts[c, d]})

    def centrality(c):
        return sum(claim_similarity(c, d) for d in members)

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


# ---------------------------------------------------------------- provenance

def _trace_sentence(sentence: Claim, claims: list[list[Claim]], groups: list[list[Claim]],
                    claim_index: dict) -> FinalSentence:
    """Which proposals state this synthesis sentence, which contradict it, which groups it keeps."""
    sources, against, touched = set(), set(), set()
    for per in claims:
        for c in per:
            sim = claim_similarity(sentence, c)
            contains = coverage(sentence, c) >= COVER_THRESHOLD and _real_words(c) > 0
            if sim < ALIGN_THRESHOLD and not contains:
                continue
            gid, _, _, main_version = claim_index[c]
            if slot_conflicts(sentence.slots, c.slots):
                if sim >= CONFLICT_THRESHOLD or contains:
                    against.add(c.source)
            else:
                sources.add(c.source)
                if main_version:  # restating a minority version keeps the majority's dropped
                    touched.add(gid)
    against -= sources
    return FinalSentence(sentence.text, sorted(sources), not sources, sorted(against),
                         sorted(touched))


# ---------------------------------------------------------------- similarity

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


# ---------------------------------------------------------------- the llm method

LLM_SYSTEM = "You compare answers claim by claim. Reply with one JSON object and nothing else."
LLM_INSTRUCTIONS = """Several proposals answer the same question; each is split into claims with ids \
like P0.3 (proposal 0, claim 3). A synthesis was written from them, split into sentences S0, S1, ...

1. Group the claims that state the same fact, even in different words. Every claim id goes in \
exactly one group; a claim no other proposal makes is a group on its own.
2. Inside a group, claims that contradict each other (a different number, amount, date, \
duration, party, or one negates the other) go in different versions.
3. For every synthesis sentence, list the proposals whose claims support it (none if it \
adds something no proposal said) and the groups it restates.

Reply with JSON of exactly this shape:
{"groups": [{"versions": [["P0.0", "P1.2"], ["P2.1"]]}],
 "final": [{"sentence": 0, "sources": [0, 1], "groups": [0]}]}
"""


class LLMOutputError(ValueError):
    """The model's reply is not the JSON the llm method asked for."""


async def analyze_llm(proposals: Sequence[str], final: str, model: str,
                      timeout: float = 120, **completion_kwargs) -> AgreementResult:
    """Ask `model` to group the claims; on any error or bad JSON, fall back to offline."""
    proposals = [p or "" for p in proposals]
    entities = known_entities([*proposals, final])
    claims = [make_claims(text, i, entities) for i, text in enumerate(proposals)]
    final_claims = make_claims(final or "", -1, entities)
    try:
        reply = await _ask_model(model, _llm_prompt(claims, final_claims), timeout,
                                 completion_kwargs)
        versions, final_sources, note = parse_llm_reply(reply, claims, len(final_claims))
    except Exception as exc:  # a failed model call or a bad reply: keep the offline answer
        result = analyze_offline(proposals, final)
        result.note = f"llm method failed ({type(exc).__name__}: {_one_line(exc)}); used offline"
        return result
    version_of = {c: (g, v) for g, group in enumerate(versions)
                  for v, version in enumerate(group) for c in version}

    def conflict(a: Claim, b: Claim) -> list[str]:
        if version_of[a] == version_of[b]:
            return []
        return slot_conflicts(a.slots, b.slots) or ["other"]

    groups = [[c for version in group for c in version] for group in versions]
    return build_result(proposals, claims, groups, final_claims, "llm", note, final_sources,
                        conflict)


def _llm_prompt(claims: list[list[Claim]], final_claims: list[Claim]) -> str:
    lines = [LLM_INSTRUCTIONS, "Claims:"]
    lines += [f"P{c.source}.{c.position}: {c.text}" for per in claims for c in per]
    lines += ["", "Synthesis sentences:"]
    lines += [f"S{i}: {s.text}" for i, s in enumerate(final_claims)] or ["(none)"]
    return "\n".join(lines)


async def _ask_model(model: str, prompt: str, timeout: float, kwargs: dict) -> str:
    try:
        from moa_core.llm import litellm  # the project's one door: offline-safe settings
    except ImportError:
        import os
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm
        litellm.suppress_debug_info = True

    response = await litellm.acompletion(
        model=model, timeout=timeout, temperature=kwargs.pop("temperature", 0),
        messages=[{"role": "system", "content": LLM_SYSTEM}, {"role": "user", "content": prompt}],
        **kwargs)
    return response.choices[0].message.content or ""


def parse_llm_reply(reply: str, claims: list[list[Claim]], n_sentences: int):
    """Validate the model's JSON strictly; return (groups of versions, final_sources, note).

    Unknown or repeated claim ids, wrong types, proposal numbers out of range and missing
    synthesis sentences are errors. Claims the model left out become groups of their own.
    """
    import json

    text = reply.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise LLMOutputError("no JSON object in the reply")
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise LLMOutputError(f"invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list) \
            or not isinstance(data.get("final"), list):
        raise LLMOutputError('expected an object with lists "groups" and "final"')
    by_id = {f"P{c.source}.{c.position}": c for per in claims for c in per}
    seen: set[str] = set()
    groups: list[list[list[Claim]]] = []
    for g in data["groups"]:
        versions = g.get("versions") if isinstance(g, dict) else None
        if not isinstance(versions, list) or not versions or not all(
                isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in versions):
            raise LLMOutputError("a group needs non-empty lists of claim ids in 'versions'")
        ids = [x.strip() for v in versions for x in v]
        if bad := [x for x in ids if x not in by_id]:
            raise LLMOutputError(f"unknown claim id {bad[0]!r}")
        if dup := [x for x in ids if x in seen] or len(set(ids)) < len(ids):
            raise LLMOutputError(f"claim id {(dup or ids)[0]!r} in more than one place")
        seen.update(ids)
        groups.append([[by_id[x.strip()] for x in v] for v in versions])
    n_groups = len(groups)
    missing = [c for x, c in by_id.items() if x not in seen]
    groups += [[[c]] for c in missing]

    final_sources: list[tuple[list[int], list[int]] | None] = [None] * n_sentences
    for item in data["final"]:
        if not isinstance(item, dict) or not _is_int(item.get("sentence")) \
                or not 0 <= item["sentence"] < n_sentences:
            raise LLMOutputError("each 'final' item needs a valid 'sentence' number")
        src, grp = item.get("sources"), item.get("groups", [])
        if not isinstance(src, list) or not all(_is_int(i) and 0 <= i < len(claims) for i in src):
            raise LLMOutputError(f"sentence {item['sentence']}: 'sources' must be proposal numbers")
        if not isinstance(grp, list) or not all(_is_int(i) and 0 <= i < n_groups for i in grp):
            raise LLMOutputError(f"sentence {item['sentence']}: 'groups' must be group numbers")
        if final_sources[item["sentence"]] is not None:
            raise LLMOutputError(f"sentence {item['sentence']} listed twice")
        final_sources[item["sentence"]] = (sorted(set(src)), sorted(set(grp)))
    if None in final_sources:
        raise LLMOutputError(f"sentence {final_sources.index(None)} missing from 'final'")
    note = f"{len(missing)} claim(s) the model did not group were kept on their own" if missing else ""
    return groups, final_sources, note


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
