"""Claims and slots: the features that align claims and the facts that must agree between them."""
import pytest

from moa_core.agreement.claims import known_entities, make_claims, word_bag
from moa_core.agreement.lexicon import canon, stem
from moa_core.agreement.slots import extract_slots, slot_conflicts


def test_a_claim_keeps_its_text_source_and_position_and_drops_fragments():
    claims = make_claims("Summary. The tenant must give 30 days notice. Rent is due monthly.", source=2)
    assert [(c.text, c.source, c.position) for c in claims] == [
        ("The tenant must give 30 days notice.", 2, 0), ("Rent is due monthly.", 2, 1)]
    assert "<durations>" in claims[0].tokens and "<parties>" in claims[0].tokens


@pytest.mark.parametrize("a, b, kind", [
    ("Notice is 30 days.", "Notice is 90 days.", "duration"),
    ("The fee is $1,500.", "The fee is $2,000.", "amount"),
    ("The tenant may sublet.", "The tenant may not sublet.", "negation"),
    ("Revenue grew 12%.", "Revenue grew 15%.", "percentage"),
])
def test_differing_slots_conflict(a, b, kind):
    sa, _ = extract_slots(a)
    sb, _ = extract_slots(b)
    assert kind in slot_conflicts(sa, sb)


@pytest.mark.parametrize("a, b", [
    ("Notice is 30 days.", "Notice is thirty days."),
    ("The term is 12 months.", "The term is one year."),
    ("The fee is $1,500.", "The fee is USD 1,500."),
])
def test_the_same_fact_in_other_words_does_not_conflict(a, b):
    assert slot_conflicts(extract_slots(a)[0], extract_slots(b)[0]) == []


def test_slots_are_blanked_out_of_the_text_they_came_from():
    slots, blanked = extract_slots("Pay $500 within 10 days.")
    assert slots.amounts and slots.durations and "500" not in blanked and "10" not in blanked


def test_words_are_folded_onto_one_canonical_form():
    assert stem("terminates") == stem("terminate")
    # antonyms fold onto their positive word with a flag, so "permits"/"forbids" align and then conflict
    assert canon("permits") == ("allow", False) and canon("forbids") == ("allow", True)
    assert canon("grew")[0] == canon("fell")[0] and canon("grew")[1] != canon("fell")[1]
    assert "tenant" in word_bag("The tenant's deposit") and "the" not in word_bag("The tenant's deposit")


def test_capitalised_words_seen_mid_sentence_are_names_everywhere():
    entities = known_entities(["The audit was done by Deloitte.", "Deloitte signed."])
    assert "deloitte" in entities
