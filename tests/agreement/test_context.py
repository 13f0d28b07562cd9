"""Context matches, and the slot rules that keep paraphrases from reading as contradictions."""
from __future__ import annotations

import pytest

from moa_core.agreement import analyze, embeddings
from moa_core.agreement.context import mutual_matches
from moa_core.agreement.slots import extract_slots, slot_conflicts


def table(values: dict):
    return lambda a, b: values.get((a, b), values.get((b, a), 0.0))


def test_a_clear_mutual_best_match_is_a_context_match_both_ways():
    cos = table({("a1", "b1"): 0.55, ("a1", "b2"): 0.30, ("a2", "b1"): 0.20, ("a2", "b2"): 0.35})
    found, _ = mutual_matches([["a1", "a2"], ["b1", "b2"]], cos)
    assert ("a1", "b1") in found and ("b1", "a1") in found
    assert ("a2", "b2") not in found  # 0.35 is under the floor


def test_no_context_match_without_a_lead_over_the_runner_up():
    cos = table({("a1", "b1"): 0.55, ("a1", "b2"): 0.50, ("a2", "b1"): 0.10, ("a2", "b2"): 0.10})
    assert ("a1", "b1") not in mutual_matches([["a1", "a2"], ["b1", "b2"]], cos)[0]


def test_no_context_match_unless_each_is_the_others_best():
    # b1 prefers a2, so a1 -> b1 is not mutual
    cos = table({("a1", "b1"): 0.60, ("a2", "b1"): 0.80, ("a1", "b2"): 0.10, ("a2", "b2"): 0.10})
    assert ("a1", "b1") not in mutual_matches([["a1", "a2"], ["b1", "b2"]], cos)[0]


def test_a_lone_claim_against_a_lone_claim_has_no_context():
    assert mutual_matches([["a"], ["b"]], lambda x, y: 0.55) == (set(), set())


@pytest.mark.parametrize("a, b", [
    ("Bats find their way in the dark using echoes.", "Echolocation lets bats navigate without light."),
    ("The password is stored in plain text.", "Credentials are saved without any hashing."),
    ("The audit finished before the deadline.", "The deadline passed after the audit finished."),
    ("Revenue was above costs.", "Costs were below revenue."),
])
def test_privatives_and_converse_relations_are_no_negation(a, b):
    assert slot_conflicts(extract_slots(a)[0], extract_slots(b)[0]) == []


@pytest.mark.parametrize("a, b", [
    ("The tenant may sublet with consent.", "The tenant may sublet without consent."),
    ("The endpoint has an authorization check.", "The endpoint lacks an authorization check."),
    ("The audit finished before the deadline.", "The audit finished after the deadline."),
    ("The tenant must give notice after moving out.", "Before moving out, the tenant must give notice."),
])
def test_with_without_and_before_after_on_the_same_thing_still_conflict(a, b):
    assert "negation" in slot_conflicts(extract_slots(a)[0], extract_slots(b)[0])


@pytest.mark.skipif(not embeddings.available(), reason="embedding model not installed")
def test_a_loose_paraphrase_aligns_in_context_but_not_alone():
    a = "Sales went up compared with last year."
    b = "Turnover was higher than in the prior year."
    others_a = ["The board approved a new chief executive.", "The firm opened a plant in Ohio."]
    others_b = ["Debt was refinanced at a lower rate.", "The auditor resigned in March."]
    alone = analyze([a, b])
    assert not any(g.supported_by == [0, 1] for g in alone.claims)  # no context: the absolute bar
    result = analyze([" ".join([a, *others_a]), " ".join([b, *others_b])])
    (group,) = [g for g in result.claims if g.supported_by == [0, 1]]
    assert group.conflicts_with == [] and {v.text for v in group.versions} <= {a, b}


@pytest.mark.skipif(not embeddings.available(), reason="embedding model not installed")
def test_a_synthesis_sentence_restating_two_claims_of_one_proposal_keeps_both():
    # The sentence's best match in each proposal is the notice claim; the deposit claim is
    # outranked there, yet the synthesis still restates it: not dropped consensus.
    proposals = ["The tenant must give 30 days' notice. The deposit is returned within 14 days. Pets are not allowed.",
                 "Notice of 30 days is required from the tenant. The landlord refunds the deposit within 14 days. "
                 "Smoking is banned indoors."]
    final = "Tenants give 30 days' notice and get their deposit back within 14 days."
    result = analyze(proposals, final)
    assert result.final_sentences[0].sources == [0, 1]
    assert len(result.final_sentences[0].groups) == 2
    assert result.dropped_consensus == []


def test_a_partial_name_is_the_same_party():
    a = extract_slots("Penicillin was discovered by Alexander Fleming.")[0]
    b = extract_slots("Penicillin was discovered by Fleming in London.", frozenset({"fleming"}))[0]
    assert "party" not in slot_conflicts(a, b)
    c = extract_slots("Penicillin was discovered by Howard Florey.")[0]
    assert "party" in slot_conflicts(a, c)


def test_us_states_are_places():
    a = extract_slots("Requests are routed to the Frankfurt data centre.")[0]
    b = extract_slots("Requests are routed to the Virginia data centre.")[0]
    assert slot_conflicts(a, b) == ["place"]
