"""Bounds, quantifiers and the other precision rules of the document voice, on sentences written for
this test (not taken from any labelled set)."""
from moa_core.agreement.document_record import build_record
from moa_core.agreement.document_voice import verdict
from moa_core.agreement.qualifiers import bound_reversed, bounds, quantifier_differs
from moa_core.agreement.sentences import split_claims
from moa_core.documents.passages import SourceDocument


def _verdict(claim: str, text: str):
    link = verdict(claim, build_record([SourceDocument.from_text("doc.txt", text)]))
    return link.status if link else None


def test_bounds_read_the_direction_of_a_value():
    assert bounds("Net debt must not exceed 3.5 times EBITDA.")[0][0] == "max"
    assert bounds("Cover of not less than £5 million is kept.") == [("min", "amount", ("GBP", 5000000.0))]
    assert bounds("Claims are paid within 30 days.")[0][:2] == ("max", "duration")
    assert bounds("under this Agreement the fee is 5%") == []  # "under" governs no value here


def test_the_opposite_bound_is_no_support():
    doc = "The Tenant shall keep a deposit of not less than £6,000."
    assert bound_reversed("The deposit must not exceed £6,000.", doc)
    assert not bound_reversed("The deposit is at least £6,000.", doc)
    assert _verdict("The deposit must not exceed £6,000.", doc) != "supported"
    assert _verdict("The Tenant must keep a deposit of at least £6,000.", doc) == "supported"


def test_a_different_quantifier_is_no_support():
    doc = "Half of the bonus pool is paid in March and the rest in September."
    assert quantifier_differs("All of the bonus pool is paid in March.", doc)
    assert not quantifier_differs("Half of the bonus pool is paid in March.", doc)
    assert _verdict("All of the bonus pool is paid in March.", doc) != "supported"


def test_a_company_name_ending_a_sentence_ends_it():
    assert split_claims("We met Northgate Ltd. The board then voted.") == ["We met Northgate Ltd.", "The board then voted."]
    assert split_claims("Paid to Smith & Co. Ltd. Holdings on time.") == ["Paid to Smith & Co. Ltd. Holdings on time."]


def test_a_denial_of_another_predicate_is_no_contradiction():
    doc = "The committee reviewed the proposed merger with Orbis."
    assert _verdict("The committee did not approve the proposed merger with Orbis.", doc) != "contradicts"
    assert _verdict("The committee did not review the proposed merger with Orbis.", doc) == "contradicts"


def test_the_same_predicate_about_another_name_is_no_support():
    doc = "Grant Thornton will not be asked to quote."
    assert _verdict("Mazars will not be asked to quote.", doc) != "supported"
    assert _verdict("Grant Thornton will not be asked to quote.", doc) == "supported"


def test_a_passive_claim_needs_its_subject_stated():
    doc = "The survey measured outdoor noise levels in three districts."
    assert _verdict("Indoor noise levels were measured in the survey.", doc) != "supported"


def test_another_recipient_is_no_contradiction():
    doc = "The Supplier shall notify the Customer of any security incident within 24 hours."
    assert _verdict("The Supplier must notify the regulator of any security incident within 24 hours.", doc) \
        != "contradicts"
    assert _verdict("The Customer must notify the Supplier of any security incident within 24 hours.", doc) \
        == "contradicts"


def test_not_without_is_a_requirement_not_a_denial():
    doc = "Visitors are not admitted without a pass signed by security."
    assert _verdict("Visitors need a pass signed by security.", doc) != "contradicts"
    assert _verdict("Visitors are admitted without a pass signed by security.", doc) == "contradicts"


def test_a_figure_of_another_subject_or_a_part_is_no_contradiction():
    doc = "The security deposit is reduced to £4,000."
    assert _verdict("The rent is £52,000 a year.", doc) != "contradicts"
    assert _verdict("The security deposit is reduced to £5,000.", doc) == "contradicts"
    results = "Sales increased by 5.1% to £88.0 million."
    assert _verdict("Sales in Canada increased by 9%.", results) != "contradicts"
    assert _verdict("Sales increased by 9% to £88.0 million.", results) == "contradicts"


def test_an_agent_or_a_speaker_is_not_the_subject_of_the_fact():
    doc = "The Operator shall keep the portal available 99.5% of the time in each month."
    assert _verdict("The portal must be available 99.9% of the time in each month.", doc) == "contradicts"


def test_a_part_of_a_count_is_not_all_of_it():
    doc = "Only 4 of the 30 sites had a tested backup."
    assert quantifier_differs("All 30 sites had a tested backup.", doc)
    assert _verdict("All 30 sites had a tested backup.", doc) != "supported"


def test_at_no_charge_denies_nothing():
    doc = "Replacement batteries will be fitted free of charge by the service team from May 2026."
    assert _verdict("The service team will fit replacement batteries at no charge from May 2026.", doc) != "contradicts"
