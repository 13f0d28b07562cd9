"""Defined parties read from a parties clause, and claims that name the company judged as the role."""
from moa_core.agreement.document_record import build_record
from moa_core.agreement.document_voice import verdict
from moa_core.documents.defined_terms import defined_parties, name_parties
from moa_core.documents.passages import SourceDocument

CLAUSE = ('This agreement is made between Orchard Lane Holdings Limited (company number 01234567) whose '
          'registered office is at 1 High Street, Bath (the "Licensor"); and (2) Pell & Grant Media LLP (the '
          '"Licensee"). The Licence starts on 1 May 2026 (the "Start Date").')


def test_party_definitions_give_each_name_its_term():
    parties = defined_parties([CLAUSE, 'Employee: Tomasz Wrona ("you").', 'Verdant Foods plc ("Verdant" or the "Group") reports'])
    assert parties["orchard lane holdings"] == "Licensor"
    assert parties["orchard"] == "Licensor"
    assert parties["pell & grant media llp"] == "Licensee"
    assert parties["tomasz"] == "you"
    assert parties["verdant"] == "Group"
    assert not any(term == "Start Date" for term in parties.values())  # a date is no party


def test_names_become_terms_in_a_claim():
    parties = defined_parties([CLAUSE, 'Employee: Tomasz Wrona ("you").'])
    assert name_parties("Orchard Lane may audit Pell & Grant Media.", parties) == "the Licensor may audit the Licensee."
    assert name_parties("Tomasz's salary is paid monthly.", parties) == "your salary is paid monthly."
    assert name_parties("An orchard is nearby.", parties) == "An orchard is nearby."  # a word, not the name


def test_a_claim_naming_the_company_is_judged_against_the_role():
    record = build_record([SourceDocument.from_text("licence.txt", CLAUSE + "\nThe Licensee shall pay a royalty of 8% of net receipts.")])
    link = verdict("Pell & Grant Media pays a royalty of 8% of net receipts.", record)
    assert link is not None and link.status == "supported"
    link = verdict("Orchard Lane pays a royalty of 8% of net receipts.", record)
    assert link is None or link.status != "supported"


def test_a_defined_term_need_not_be_named_where_it_is_implied():
    text = ('Corvid Systems plc ("Corvid" or the "Group") reports its results.\n'
            'Revenue increased by 4.4% to £310.2 million.')
    record = build_record([SourceDocument.from_text("results.txt", text)])
    link = verdict("Corvid's revenue rose 4.4% to £310.2m.", record)
    assert link is not None and link.status == "supported"
