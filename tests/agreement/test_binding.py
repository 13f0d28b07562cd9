"""Value binding: a sentence with several values of one kind supports a claim only where the claim puts
its value (sentences written for this test, not taken from any labelled set)."""
from moa_core.agreement.binding import located_values, misbound
from moa_core.agreement.document_record import build_record
from moa_core.agreement.document_voice import verdict
from moa_core.documents.passages import SourceDocument


def test_a_value_of_another_clause_is_misbound():
    doc = "Sales reached 40,000 units in Spain, and 9,000 units in Portugal."
    assert misbound("Sales reached 40,000 units in Portugal.", doc) == {"place"} or \
        misbound("Sales reached 40,000 units in Portugal.", doc)
    assert misbound("Sales reached 40,000 units in Spain.", doc) == set()


def test_the_date_next_to_the_predicate_binds():
    doc = "The bonus is paid on 30 April 2026 to staff employed on 31 March 2026."
    assert misbound("The bonus is paid on 31 March 2026.", doc) == {"date"}
    assert misbound("The bonus is paid on 30 April 2026.", doc) == set()


def test_two_names_swapped_are_misbound():
    doc = "The council elected Priya Shah as treasurer, replacing Mark Olsen."
    assert "name" in misbound("Mark Olsen was elected treasurer, replacing Priya Shah.", doc,
                              frozenset({"priya shah", "mark olsen"}))
    assert misbound("Priya Shah was elected treasurer, replacing Mark Olsen.", doc,
                    frozenset({"priya shah", "mark olsen"})) == set()


def test_values_that_share_a_clause_bind_together():
    doc = "In Italy, 18% of members voted; in Greece the share was 27%."
    assert misbound("In Greece, 27% of members voted.", doc) == set()
    assert misbound("In Italy, 27% of members voted.", doc)


def test_one_value_of_a_kind_leaves_nothing_to_choose():
    assert misbound("Backups are kept for 90 days.", "Backups are taken every six hours and kept for 90 days.") == set()
    assert [v.kind for v in located_values("Backups are taken every six hours and kept for 90 days.")] == \
        ["rate", "duration"]


def test_a_verdict_does_not_support_a_value_of_another_clause():
    record = build_record([SourceDocument.from_text("results.txt",
                           "Revenue was 4.1 million euros in France, and 2.3 million euros in Belgium.")])
    wrong = verdict("Revenue was 4.1 million euros in Belgium.", record)
    right = verdict("Revenue in France was 4.1 million euros.", record)
    assert wrong is None or wrong.status != "supported"
    assert right is not None and right.status == "supported"


def test_a_differing_value_must_stand_where_the_claims_does():
    from moa_core.agreement.binding import differing_kinds
    doc = "If uptime falls below the target, the client gets a credit of 5% per 1% shortfall, up to 40% of the fee."
    assert differing_kinds("The supplier targets 99.5% uptime.", doc, ["percentage"]) == set()
    doc2 = "The supplier targets 99.9% uptime each month."
    assert differing_kinds("The supplier targets 99.5% uptime.", doc2, ["percentage"]) == {"percentage"}


def test_multiples_and_versions_keep_their_figures():
    from moa_core.agreement.slots import extract_slots, slot_conflicts
    assert extract_slots("Leverage was 2.4x EBITDA.")[0].numbers == {2.4}
    assert extract_slots("Leverage was 2.4 times EBITDA.")[0].numbers == {2.4}
    a, b = extract_slots("Upgrade to 3.10.2 now.")[0], extract_slots("Upgrade to 3.10.4 now.")[0]
    assert slot_conflicts(a, b) == ["number"]
