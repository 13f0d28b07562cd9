"""How much a run's proposals disagree: the review queue's "disagreement" order puts these first,
because pairs from contested runs are where a human verdict teaches the most."""
from __future__ import annotations

from ..agreement import analyze
from ..records import RunRecord


def disagreement_score(proposals: list[str], final: str = "") -> float:
    """1 - mean off-diagonal similarity of the proposals, plus 0.1 per contested claim (capped at 0.5).

    0 for fewer than two proposals (nothing to disagree about). The offline method only: no calls.
    """
    texts = [t for t in proposals if t.strip()]
    if len(texts) < 2:
        return 0.0
    result = analyze(texts, final)
    sim = result.similarity
    n = len(sim)
    off = [sim[i][j] for i in range(n) for j in range(n) if i != j]
    spread = 1.0 - (sum(off) / len(off) if off else 1.0)
    return round(max(0.0, spread) + min(0.5, 0.1 * len(result.disagreements)), 4)


def run_disagreement(run: RunRecord) -> float:
    """The score of a run's last round of proposals against its synthesis."""
    ok = [c for c in run.calls if c.role == "proposer" and c.ok]
    if not ok:
        return 0.0
    last = max(c.round for c in ok)
    return disagreement_score([c.text for c in ok if c.round == last], run.final)
