"""The LLM-assisted method: a chosen model groups the claims as strict JSON; any failed call or
bad reply falls back to the offline method, with a note saying so.
"""
from __future__ import annotations

from typing import Sequence

from .claims import Claim, known_entities, make_claims
from .slots import slot_conflicts
from .result import AgreementResult
from .align import analyze_offline, build_result


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
    from ..providers.llm import litellm  # the project's one door: offline-safe settings

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
