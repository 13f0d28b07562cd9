"""Which two answers a reviewer compares, named as systems, and which side each is shown on.

Pure functions over `RunRecord`s. Systems are named and keyed by `moa_core.identity` (one id per
configuration, whichever page or batch ran it). A pair is oriented as stored (system_a, system_b); the screen's
sides come from `shown_swapped`, a hash of reviewer and pair, so a reload shows the same sides
and different reviewers see different orders (position bias cancels out over reviewers).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..identity import SystemIdentity, answer_identity, display_names, identify
from ..lineup import LineupSnapshot
from ..metrics.ratings import answer_stars, final_call_id
from ..records import CallRecord, RunRecord

KINDS = ("baseline", "best_proposal", "fallback", "runs")
KIND_LABELS = {"baseline": "synthesis vs baseline", "best_proposal": "synthesis vs best proposal",
               "fallback": "synthesis vs fallback", "runs": "two runs of the same query"}


@dataclass(frozen=True)
class Pair:
    """Two answers to one query. A call id of None means the run's final answer."""
    kind: str
    prompt_id: str
    query: str
    system_a: str
    system_b: str
    run_a_id: str
    run_b_id: str
    call_a_id: str | None
    call_b_id: str | None
    text_a: str
    text_b: str
    system_a_id: str = ""  # `identity` ids: what a leaderboard groups by (names are for people)
    system_b_id: str = ""

    @property
    def key(self) -> str:
        return pair_key(self.run_a_id, self.call_a_id, self.run_b_id, self.call_b_id)


def lineup_key(lineup: LineupSnapshot | dict[str, Any] | None) -> str:
    """The display name of a run's system, as `metrics.run_tables.lineup_key` gives it."""
    return identify(LineupSnapshot.from_dict(lineup)).name


def _side(run_id: str | None, call_id: str | None) -> str:
    return f"{run_id or ''}:{call_id or 'final'}"


def pair_key(run_a: str | None, call_a: str | None, run_b: str | None, call_b: str | None) -> str:
    """The same key whichever side is stored first: a reviewer votes once per pair of answers."""
    return "|".join(sorted((_side(run_a, call_a), _side(run_b, call_b))))


def shown_swapped(reviewer: str, key: str) -> bool:
    """Deterministic coin per reviewer and pair: True shows system_b on the left (as A)."""
    return hashlib.sha256(f"{reviewer}\x1f{key}".encode()).digest()[0] & 1 == 1


def prompt_id_for(query: str) -> str:
    """Votes on the same query (any run) share a prompt id, so the bootstrap resamples queries."""
    normal = " ".join(query.split()).casefold()
    return "q:" + hashlib.sha256(normal.encode()).hexdigest()[:16]


def call_identity(run: RunRecord, call: CallRecord) -> SystemIdentity:
    """The system one call's answer stands for: its seat in the run's lineup (a baseline or fallback
    is that model alone, a proposer is a proposal, the aggregator is the lineup)."""
    return answer_identity(run.lineup_snapshot, status=run.status, role=call.role, index=call.index, round=call.round,
                           model=call.model, api_base=call.api_base, temperature=call.temperature)


def run_identity(run: RunRecord) -> SystemIdentity:
    """The system a run's final answer stands for: the lineup, or after a fallback that model alone,
    or the model of a single-model run."""
    if run.status == "fallback":
        fallback = [c for c in run.calls if c.role == "fallback" and c.ok]
        if fallback:
            return call_identity(run, fallback[-1])
    return answer_identity(run.lineup_snapshot, status=run.status)


def run_system(run: RunRecord) -> str:
    """The display name of `run_identity` (the lineup's name, its models, or the fallback model)."""
    return run_identity(run).name


def _final_text(run: RunRecord) -> str:
    call_id = final_call_id(run.calls, run.status)
    call = next((c for c in run.calls if c.call_id == call_id), None)
    return call.text if call is not None else run.final


_WORD = re.compile(r"\w+")


def _consensus(texts: list[str]) -> list[float]:
    """Each text's mean Jaccard overlap of word sets with the other texts (0 for a lone text)."""
    words = [set(_WORD.findall(t.casefold())) for t in texts]

    def jaccard(a: set, b: set) -> float:
        return len(a & b) / len(a | b) if a | b else 0.0
    n = len(words)
    return [sum(jaccard(w, o) for j, o in enumerate(words) if j != i) / (n - 1) if n > 1 else 0.0
            for i, w in enumerate(words)]


def best_proposal(run: RunRecord, ratings: Iterable[Any] = ()) -> CallRecord | None:
    """The proposal the synthesis is measured against ("synthesis gain"), by one stated rule:

    among the last round's answered proposals, the one with the most stars (mean over raters); with no
    stars, the consensus proposal: the highest mean word overlap (Jaccard) with the other proposals, the
    minimum-Bayes-risk pick a reviewer-free best-of-N uses (the first proposal was an arbitrary choice).
    Ties go to the earlier proposal.
    """
    ok = [c for c in run.calls if c.role == "proposer" and c.ok and c.text.strip()]
    if not ok:
        return None
    last = max(c.round for c in ok)
    ok = [c for c in ok if c.round == last]
    ratings = list(ratings)
    scored = [(answer_stars(ratings, c.call_id)[0], -i, c) for i, c in enumerate(ok)]
    rated = [s for s in scored if s[0] is not None]
    if rated:
        return max(rated, key=lambda s: (s[0], s[1]))[2]
    agreement = _consensus([c.text for c in ok])
    return ok[max(range(len(ok)), key=lambda i: (agreement[i], -i))]


def pairs_for_run(run: RunRecord, ratings: Iterable[Any] = ()) -> list[Pair]:
    """The synthesis against the baseline, the best proposal and the fallback, where each exists."""
    synthesis = [c for c in run.calls if c.role == "aggregator" and c.ok and c.text.strip()]
    if not synthesis:
        return []
    synth = synthesis[-1]
    moa = call_identity(run, synth)
    pid = prompt_id_for(run.query)
    out = []
    others = [("baseline", next((c for c in run.calls if c.role == "baseline" and c.ok and c.text.strip()), None)),
              ("best_proposal", best_proposal(run, ratings)),
              ("fallback", next((c for c in run.calls if c.role == "fallback" and c.ok and c.text.strip()), None))]
    for kind, other in others:
        if other is None:
            continue
        ident = call_identity(run, other)
        if ident.id == moa.id:
            continue
        names = display_names([moa, ident]).names
        out.append(Pair(kind, pid, run.query, names[moa.id], names[ident.id], run.run_id, run.run_id, synth.call_id,
                        other.call_id, synth.text, other.text, moa.id, ident.id))
    return out


def pairs_between_runs(runs: Iterable[RunRecord]) -> list[Pair]:
    """Final answers of runs of the same query under different systems (lineup vs lineup, vs single
    model, vs Self-MoA): the newest run of each system, every two systems once."""
    finished = [r for r in runs if r.status in ("ok", "partial", "fallback") and _final_text(r).strip()]
    by_prompt: dict[str, dict[str, RunRecord]] = {}
    identities = []
    for run in sorted(finished, key=lambda r: r.started_at):
        ident = run_identity(run)
        identities.append(ident)
        by_prompt.setdefault(prompt_id_for(run.query), {})[ident.id] = run  # newest wins
    names = display_names(identities).names
    out = []
    for pid, systems in by_prompt.items():
        ids = sorted(systems, key=lambda i: (names[i], i))
        for n, a in enumerate(ids):
            for b in ids[n + 1:]:
                ra, rb = systems[a], systems[b]
                out.append(Pair("runs", pid, ra.query, names[a], names[b], ra.run_id, rb.run_id, None, None,
                                _final_text(ra), _final_text(rb), a, b))
    return out
