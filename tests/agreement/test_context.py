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
