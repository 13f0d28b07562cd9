"""Agreement, conflicts and provenance through `analyze` (the default semantic method; the offline one where named)."""
from __future__ import annotations

import time

import pytest

from moa_core.agreement import AgreementResult, analyze, to_json


def conflicts(result: AgreementResult) -> list:
    return [g for g in result.claims if g.conflicts_with]


def group_of(result: AgreementResult, proposal: int, text_part: str):
    claim = next(c for c in result.proposal_claims[proposal] if text_part in c.text)
    return result.claims[claim.group]


# ---------------------------------------------------------------- agreement and conflicts

def test_paraphrase_is_agreement_not_conflict():
    result = analyze(["Either party may terminate the agreement with sixty (60) days' written notice.",
                      "The agreement can be ended by either party on 60 days written notice."])
    assert len(result.claims) == 1
    assert result.claims[0].supported_by == [0, 1] and result.claims[0].conflicts_with == []
    assert {c.category for per in result.proposal_claims for c in per} == {"all"}


@pytest.mark.parametrize("a, b, kind", [
    ("The tenant must give 30 days' notice before terminating the lease.",
     "The tenant must give 90 days' notice before terminating the lease.", "duration"),
    ("The company hired 250 new employees last year.",
     "The company hired 520 new employees last year.", "number"),
    ("Late payments incur a fee of 5% of the overdue amount.",
     "Late payments incur a fee of 10% of the overdue amount.", "percentage"),
    ("The total contract value is $250,000.", "The total contract value is \u20ac250,000.", "amount"),
    ("Net profit reached $4.2 million in fiscal 2023.",
     "Net profit reached $2.4 million in fiscal 2023.", "amount"),
    ("The lease term begins on January 1, 2025.", "The lease term begins on 1 February 2025.", "date"),
    ("The supplier is liable for defects found during the warranty period.",
     "The supplier is not liable for defects found during the warranty period.", "negation"),
    ("Operating costs increased in 2024.", "Operating costs fell in 2024.", "negation"),
    ("The tenant pays for repairs to the heating system.",
     "The landlord pays for repairs to the heating system.", "party"),
    ("The migration should be written with Alembic.", "The migration should be written with Flyway.", "party"),
])
def test_conflict_kinds(a, b, kind):
    result = analyze([a, b])
    (group,) = conflicts(result)
    assert kind in group.conflict_kinds
    assert group.supported_by == [0] and group.conflicts_with == [1]
    assert [v.proposals for v in group.versions] == [[0], [1]]
    assert [v.text for v in group.versions] == [a, b]
    assert {c.category for per in result.proposal_claims for c in per} == {"contested"}


@pytest.mark.parametrize("a, b", [
    ("The agreement takes effect on 1 March 2025.", "The agreement becomes effective on March 1, 2025."),
    ("The warranty covers parts and labour for 12 months.", "Parts and labour are under warranty for one year."),
    ("Unemployment in the region is 4.5 percent.", "The regional unemployment rate stands at 4.5%."),
    ("Q3 revenue was $12 million.", "Revenue in the third quarter totalled twelve million dollars."),
    ("Operating costs did not rise in 2024.", "Operating costs fell in 2024."),
    ("The landlord must return the deposit within 14 days.",
     "The landlord must return the deposit within 14 days, minus deductions for damage."),
    ("Headcount rose 5% in 2023.", "Headcount rose 9% in 2024."),   # two periods, not a dispute
    ("Revenue grew 12% in Q3.", "Costs grew 4% in Q3."),           # two facts sharing a frame
])
def test_same_value_in_other_words_or_different_facts_are_not_conflicts(a, b):
    assert conflicts(analyze([a, b])) == []


def test_majority_version_wins_and_minority_is_listed():
    proposals = ["Monthly rent is $1,500. The deposit is $3,000.",
                 "Rent is $1,500 per month. A deposit of $3,000 is required.",
                 "Rent: $1,600 per month."]
    result = analyze(proposals)
    rent = group_of(result, 0, "rent")
    assert rent.text == "Monthly rent is $1,500." and rent.supported_by == [0, 1]
    assert rent.conflicts_with == [2] and rent.conflict_kinds == ["amount"]
    assert [(v.text, v.proposals) for v in rent.versions] == [
        ("Monthly rent is $1,500.", [0, 1]), ("Rent: $1,600 per month.", [2])]
    assert group_of(result, 0, "deposit").supported_by == [0, 1]
    assert result.proposal_claims[0][1].category == "some"
    assert result.disagreements == [rent]


def test_claim_only_one_proposal_makes():
    result = analyze(["The tenant must give 30 days' notice. Pets are not allowed.",
                      "The tenant has to give 30 days notice.",
                      "Tenants must give thirty days' notice."])
    pets = group_of(result, 0, "Pets")
    assert pets.supported_by == [0] and pets.conflicts_with == []
    categories = {c.text: c.category for c in result.proposal_claims[0]}
    assert categories == {"The tenant must give 30 days' notice.": "all", "Pets are not allowed.": "only"}
    assert len(result.claims) == 2  # one entry per aligned claim, not one per sentence


def test_compound_sentence_supports_each_fact():
    result = analyze(["The deposit is $3,000. The tenant must give 30 days notice to terminate.",
                      "The deposit is $3,000 and the tenant must give 30 days notice to terminate."])
    for g in result.claims:
        assert g.supported_by == [0, 1], g.text


# ---------------------------------------------------------------- provenance

PROPOSALS = [
    "The lease runs for 12 months. Monthly rent is $1,500. The tenant must give 30 days' notice.",
    "The lease runs for one year. Rent is $1,500 per month. The tenant must give 30 days notice.",
    "The lease runs for 12 months. Rent is $1,500 monthly. The tenant must give 90 days' notice.",
]


def test_provenance_sources_unsupported_and_contradicted():
    final = ("The lease runs for 12 months and rent is $1,500 per month. "
             "The tenant must give 30 days' notice. Smoking is forbidden inside the flat.")
    result = analyze(PROPOSALS, final)
    lease, notice, smoking = result.final_sentences
    assert lease.sources == [0, 1, 2] and not lease.unsupported
    assert notice.sources == [0, 1] and notice.conflicts_with == [2]
    assert smoking.sources == [] and smoking.unsupported
    assert result.dropped_consensus == []
    assert to_json(result)["final_sentences"][2] == {
        "text": "Smoking is forbidden inside the flat.", "sources": [], "unsupported": True}


def test_dropped_consensus():
    final = "The lease runs for 12 months. Rent is $1,500 per month."
    result = analyze(PROPOSALS, final)
    # the 30-day notice is a majority claim (2 of 3) the synthesis left out
    assert result.dropped_consensus == ["The tenant must give 30 days' notice."]
    # a synthesis that picks the minority version drops the majority's
    result = analyze(PROPOSALS, final + " The tenant must give 90 days' notice.")
    assert result.dropped_consensus == ["The tenant must give 30 days' notice."]
    assert result.final_sentences[2].sources == [2]
    # with no synthesis at all nothing counts as dropped
    assert analyze(PROPOSALS, "").dropped_consensus == []


def test_a_claim_half_the_proposals_make_is_not_a_majority():
    result = analyze(["Rent is $900.", "Rent is $900.", "Pets are allowed.", "Parking is free."],
                     "Pets are allowed.")
    assert result.dropped_consensus == []


# ---------------------------------------------------------------- similarity

def test_similarity_matrix_properties():
    proposals = PROPOSALS + ["Python 3.12 removes distutils from the standard library.", ""]
    sim = analyze(proposals).similarity
    n = len(proposals)
    assert len(sim) == n and all(len(row) == n for row in sim)
    for i in range(n):
        assert sim[i][i] == 1.0
        for j in range(n):
            assert sim[i][j] == sim[j][i] and 0.0 <= sim[i][j] <= 1.0
    assert sim[0][1] > sim[0][3] and sim[0][3] < 0.1
    assert analyze(["same words here", "same words here"]).similarity[0][1] == pytest.approx(1.0)


# ---------------------------------------------------------------- speed and labelled figures

def test_the_timing_bench_analyses_five_400_word_proposals():
    """The speed itself is measured by bench/agreement_eval.py (docs/agreement.md), not asserted here:
    a timed unit test fails on a loaded machine without anything being wrong."""
    from bench.agreement_eval import load_pairs, timing
    t = timing(load_pairs(), runs=1)
    assert min(t["words"]) >= 400 and t["median_s"] > 0


def test_conflict_detection_precision_and_recall_floors():
    """Floors a little under the figures in docs/agreement.md: a regression guard, not a target."""
    from bench.agreement_eval import evaluate_in_context, evaluate_pairs, load_pairs
    pairs = load_pairs()
    assert len(pairs) >= 40
    assert {p["kind"] for p in pairs} == {"number", "date", "negation", "party", "amount",
                                         "duration", "paraphrase", "unrelated"}
    bare = evaluate_pairs(pairs)
    assert bare["precision"] >= 0.95 and bare["recall"] >= 0.70
    held_out = evaluate_pairs([p for p in pairs if p["set"] == "held-out"])
    assert held_out["precision"] >= 0.9 and held_out["recall"] >= 0.40
    ctx = evaluate_in_context(pairs)
    assert ctx["precision"] >= 0.9 and ctx["recall"] >= 0.70


# ---------------------------------------------------------------- llm method
def test_offline_is_deterministic_and_pure():
    start = time.perf_counter()
    first = to_json(analyze(PROPOSALS, "The lease runs for 12 months."))
    assert first == to_json(analyze(PROPOSALS, "The lease runs for 12 months."))
    assert time.perf_counter() - start < 1
