"""Document verdicts an analyst can trust (issue 24): supports and contradicts only when a passage says
so, amendments that replace clauses, which side of a disagreement the documents back."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from moa_core.agreement import analyze, to_json
from moa_core.agreement.claims import make_claims
from moa_core.agreement.document_record import build_record
from moa_core.agreement.document_voice import document_side, verdict
from moa_core.agreement.slots import extract_slots, slot_conflicts
from moa_core.cli import main
from moa_core.evidence import SourceDocument, passages_from_paragraphs

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

AGREEMENT_PAGES = [
    "SERVICES AGREEMENT\nThis Agreement is made between Acme Ltd (the \"Supplier\") and Beta plc (the \"Customer\").\n"
    "5. Confidentiality\n5.1 This obligation survives termination for five years.",
    "9. Termination\n"
    "9.1 Either party may terminate this Agreement by giving ninety (90) days' written notice to the other party.\n"
    "9.2 Either party may terminate this Agreement immediately by written notice if the other party commits a "
    "material breach which is not remedied within thirty (30) days of notice of the breach.",
]
AMENDMENT = ["AMENDMENT NO. 1",
             "Background: the parties entered into the services agreement and wish to amend it.",
             "1. This Amendment takes effect on 1 October 2025.",
             "2. Clause 9.1 of the Agreement is deleted and replaced by the following: \"Either party may terminate "
             "this Agreement by giving thirty (30) days' written notice to the other party.\""]


def scenario() -> list[SourceDocument]:
    return [SourceDocument.from_pdf_pages("services-agreement.pdf", AGREEMENT_PAGES),
            SourceDocument("amendment-1.docx", passages_from_paragraphs("amendment-1.docx", AMENDMENT))]


@pytest.mark.parametrize("method", ["semantic", "offline"])
def test_the_amendment_supports_30_days_and_says_it_replaces_clause_9_1(method):
    final = ("Either party may terminate on 30 days notice. Clause 12.4 allows termination on 7 days notice. "
             "Termination requires 90 days notice.")
    result = analyze(["Either party may terminate on 30 days notice.", "Termination requires 90 days notice."],
                     final, method=method, documents=scenario())
    thirty, invented, ninety = (s.document for s in result.final_sentences)
    # the 30-day answer: supported by the amendment, not contradicted by clause 9.2's "not remedied"
    assert thirty.status == "supported" and thirty.document == "amendment-1.docx"
    assert thirty.location == "paragraph 4" and thirty.kinds == []
    assert (thirty.replaces.document, thirty.replaces.clause, thirty.replaces.values) == \
        ("services-agreement.pdf", "9.1", "90 days")
    assert thirty.summary == ("supported by amendment-1.docx, paragraph 4, which replaces "
                              "services-agreement.pdf clause 9.1 (90 days)")
    # a clause the reference check cannot find is never support
    assert invented is None or (invented.status != "supported" and invented.reference == "Clause 12.4")
    # the 90-day claim: not supported by the survival clause, flagged as matching the replaced clause
    assert ninety.status == "contradicts" and ninety.document == "amendment-1.docx" and "duration" in ninety.kinds
    assert ninety.superseded.clause == "9.1" and ninety.superseded.document == "services-agreement.pdf"
    assert "matches services-agreement.pdf clause 9.1 (90 days), replaced by amendment-1.docx" in ninety.summary


def test_the_replaced_clause_alone_is_superseded_not_supported():
    record = build_record(scenario())
    link = verdict("Either party may terminate by giving ninety days' written notice.", record)
    assert link.status == "contradicts" and link.superseded.clause == "9.1"
    # with no text that says otherwise, a claim matching a replaced clause is "superseded"
    docs = [SourceDocument.from_text("lease.txt", "4. Pets\nThe tenant may keep one cat."),
            SourceDocument.from_text("side-letter.txt", "1. Clause 4 of the Lease is deleted.")]
    link = verdict("The tenant may keep one cat.", build_record(docs))
    assert link.status == "superseded" and link.superseded.document == "lease.txt"
    assert link.summary.startswith("matches lease.txt clause 4, replaced by side-letter.txt")


def test_a_later_document_prevails_unless_the_caller_says_otherwise():
    docs = [SourceDocument.from_text("v1.txt", "The Supplier shall deliver to the Buyer's warehouse in Leeds."),
            SourceDocument.from_text("v2.txt", "The Supplier shall deliver to the Buyer's warehouse in Manchester.")]
    claim = "The Supplier delivers to the Buyer's warehouse in Leeds."
    link = verdict(claim, build_record(docs))
    assert link.status == "contradicts" and link.document == "v2.txt" and link.kinds == ["place"]
    assert link.superseded.document == "v1.txt"
    link = verdict(claim, build_record(docs, prevails="v1.txt"))
    assert link.status == "supported" and link.document == "v1.txt"


def test_which_side_the_documents_back():
    proposals = ["Either party may terminate this agreement on 30 days written notice.",
                 "Either party may terminate this agreement on 90 days written notice.",
                 "Either party may terminate this agreement on 90 days written notice."]
    result = analyze(proposals, "", method="offline", documents=scenario())
    group = next(g for g in result.claims if g.contested)
    side = group.document
    texts = [v.text for v in group.versions]
    assert [texts[i] for i in side.backed] == [proposals[0]]
    assert side.versions[texts.index(proposals[0])].document == "amendment-1.docx"
    assert side.versions[texts.index(proposals[1])].status == "contradicts"
    out = to_json(result)
    backed = [c["text"] for c in out["claims"] if c["documents_back"]]
    assert backed == [proposals[0]]
    assert all("document" in c for c in out["claims"])
    # the same pure function on plain texts
    assert document_side(["Either party may terminate on 30 days notice.", "Either party may terminate on 90 days notice."],
                         build_record(scenario())).backed == [0]


def test_cli_json_has_a_document_field_on_claims(tmp_path, capsys):
    (tmp_path / "agreement.txt").write_text("9.1 Either party may terminate this Agreement by giving ninety (90) "
                                            "days' written notice.", encoding="utf-8")
    (tmp_path / "amendment.txt").write_text("Clause 9.1 is deleted and replaced by: \"Either party may terminate "
                                            "this Agreement by giving thirty (30) days' written notice.\"",
                                            encoding="utf-8")
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"proposals": ["Either party may terminate on 30 days notice.",
                                              "Either party may terminate on 90 days notice."],
                                "final": "Either party may terminate on 30 days notice."}), encoding="utf-8")
    docs = ["--document", str(tmp_path / "agreement.txt"), "--document", str(tmp_path / "amendment.txt")]
    assert main(["agreement", str(path), "--method", "offline", "--json", *docs]) == 0
    out = json.loads(capsys.readouterr().out)
    thirty = next(c for c in out["claims"] if "30 days" in c["text"])
    assert thirty["documents_back"] and thirty["document"]["status"] == "supported"
    assert thirty["document"]["replaces"]["clause"] == "9.1"
    assert out["final_sentences"][0]["document"]["document"] == "amendment.txt"
    assert main(["agreement", str(path), "--method", "offline", *docs]) == 0
    text = capsys.readouterr().out
    assert "supported by amendment.txt, paragraph 1, which replaces agreement.txt clause 9.1 (90 days)" in text
    assert "documents back" in text


# ---------------------------------------------------------------- the slots the verdicts rest on
def slots(text):
    return extract_slots(text)[0]


@pytest.mark.parametrize("a, b", [
    ("Notice is thirty (30) days.", "Notice is 30 days."),
    ("A twelve-month term.", "A one year term."),
    ("A 12 months term.", "A one year term."),
    ("The margin is 150 basis points.", "The margin is 1.5 percentage points."),
    ("Leave is twenty-five days.", "Leave is 25 days."),
    ("Notice of one hundred and twenty (120) days.", "Notice of 120 days."),
])
def test_numbers_in_words_and_units_are_the_same_value(a, b):
    assert slot_conflicts(slots(a), slots(b)) == []
    assert slots(a).durations or slots(a).percents


def test_a_negation_belongs_to_its_own_clause():
    claim = "Either party may terminate on 30 days notice."
    clause_9_2 = ("Either party may terminate this Agreement immediately by written notice if the other party commits "
                  "a material breach which is not remedied within thirty (30) days of notice of the breach.")
    assert "negation" not in slot_conflicts(slots(claim), slots(clause_9_2))
    assert "negation" in slot_conflicts(slots("The Supplier may subcontract the work."),
                                        slots("The Supplier may not subcontract the work."))


def test_parties_vendor_is_supplier_and_swapped_roles_conflict():
    assert slot_conflicts(slots("The vendor's liability is capped."), slots("The supplier's liability is capped.")) == []
    assert "party" in slot_conflicts(slots("The Licensee may audit the Licensor."),
                                     slots("The Licensor may audit the Licensee."))
    assert slot_conflicts(slots("The Licensee pays the Licensor."), slots("The Licensor is paid by the Licensee.")) == []


def test_topical_but_different_is_never_support():
    record = build_record(scenario())
    # the survival clause speaks of termination and a duration; it states nothing about notice
    link = verdict("Termination requires five years notice.", record)
    assert link is None or link.status != "supported"
    # the "30 days" of 9.2 belongs to "not remedied", not to a notice period
    clause_9_2 = AGREEMENT_PAGES[1].split("\n")[2]
    link = verdict("Either party may terminate on 30 days notice.",
                   build_record([SourceDocument.from_pdf_pages("services-agreement.pdf", [clause_9_2])]))
    assert link is None or link.status not in ("supported", "contradicts")


def test_dev_set_precision_floor():
    from bench.document_verdicts import run, score
    data = json.loads((ROOT / "tests" / "data" / "document_verdicts_dev.json").read_text(encoding="utf-8"))
    assert len(data["cases"]) >= 60
    figures = score(run(data, "offline"))
    assert figures["supports"]["precision"] >= 0.95 and figures["contradicts"]["precision"] >= 0.95
    assert figures["supports"]["recall"] >= 0.80


# ---------------------------------------------------------------- second pass: the general causes
def one_doc(*paragraphs, name="doc.txt"):
    return build_record([SourceDocument(name, passages_from_paragraphs(name, list(paragraphs)))])


def test_a_negation_contradicts_only_the_predicate_it_governs():
    record = one_doc("Refunds are not granted unless the goods are returned unopened.")
    # shares the subject and the "unless" clause, but says nothing about granting refunds
    link = verdict("Refunds are processed within 14 days if the goods are returned unopened.", record)
    assert link is None or link.status != "contradicts"
    assert "negation" not in slot_conflicts(slots("Refunds are processed within 14 days."),
                                            slots("Refunds are not granted."))
    # the same predicate denied is still a contradiction
    link = verdict("Refunds are granted unless the goods are returned unopened.", record)
    assert link is not None and link.status == "contradicts" and link.kinds == ["negation"]


def test_a_figure_about_another_place_party_period_or_segment_is_not_a_contradiction():
    record = one_doc("Wine exports from Chile rose to 900 million litres in 2023.",
                     "Tier 1 customers receive a 10% discount on renewals.",
                     "Iceland had the highest share of electric cars among new registrations.")
    for other in ("Wine exports from Argentina rose to 450 million litres in 2023.",  # another place
                  "Tier 2 customers receive a 5% discount on renewals."):               # another segment
        link = verdict(other, record)
        assert link is None or link.status != "contradicts", other
    # the same subject with another figure still contradicts
    link = verdict("Wine exports from Chile rose to 700 million litres in 2023.", record)
    assert link.status == "contradicts" and link.kinds == ["number"]
    link = verdict("Tier 1 customers receive a 15% discount on renewals.", record)
    assert link.status == "contradicts" and link.kinds == ["percentage"]
    # a superlative is one fact for the whole field: another subject does contradict it
    link = verdict("Norway had the highest share of electric cars among new registrations.", record)
    assert link.status == "contradicts" and link.kinds == ["place"]


def test_a_newer_version_supersedes_the_older_one_wholesale():
    old = ("STAFF PARKING RULES\nVersion 1, January 2024\n\n1. Visitors may park in bay 7.\n\n"
           "2. Staff must display a permit.")
    new = ("STAFF PARKING RULES\nVersion 2, June 2025\nThese rules replace version 1 in full.\n\n"
           "1. Staff must display a permit.\n\n2. Electric vehicles may charge for up to four hours.")
    docs = [SourceDocument.from_text("parking-v1.txt", old), SourceDocument.from_text("parking-v2.txt", new)]
    record = build_record(docs)
    # only the superseded version says it: not "supported"
    link = verdict("Visitors may park in bay 7.", record)
    assert link is not None and link.status == "superseded" and link.superseded.document == "parking-v1.txt"
    assert link.document == "parking-v2.txt"
    # both versions say it: supported by the version in force
    link = verdict("Staff must display a permit.", record)
    assert link.status == "supported" and link.document == "parking-v2.txt"
    # wording that only names an earlier letter does not supersede a whole document
    docs = [SourceDocument.from_text("lease.txt", "4. Pets\nThe tenant may keep one cat."),
            SourceDocument.from_text("letter.txt", "This letter supersedes any earlier correspondence about pets.")]
    assert verdict("The tenant may keep one cat.", build_record(docs)).status == "supported"


@pytest.mark.parametrize("claim, sentence", [
    ("The agreement is governed by French law.", "This Agreement is governed by the laws of France."),
    ("Disputes go to the courts of Sao Paulo.", "Disputes go to the courts of São Paulo."),
])
def test_place_names_and_demonyms_come_from_a_gazetteer(claim, sentence):
    assert verdict(claim, one_doc(sentence)).status == "supported"
    assert slots("The agreement is governed by Dutch law.").places == {"netherlands"}
    assert slots("Offices in Lagos and Nairobi.").places == {"lagos", "nairobi"}
    assert "place" in slot_conflicts(slots("Governed by German law."), slots("Governed by Swiss law."))


def test_rates_are_periods_in_days():
    record = one_doc("The board reviews the risk register every two years.",
                     "The auditor may inspect the warehouse once in any twelve-month period.",
                     "Stock is counted quarterly.")
    link = verdict("The board reviews the risk register every year.", record)
    assert link.status == "contradicts" and link.kinds == ["duration"]
    assert verdict("The auditor may inspect the warehouse once a year.", record).status == "supported"
    assert verdict("Stock is counted every quarter.", record).status == "supported"
    assert slots("every 6 months").durations == {("per", 180.0)}
    assert slot_conflicts(slots("Interest is 2% per month."), slots("Interest is 2% per year.")) == ["duration"]


def test_close_figures_are_different_figures():
    # a relative tolerance made 99.9% the same as 99.95% (and 1,000,000 the same as 1,000,500)
    assert "percentage" in slot_conflicts(slots("Uptime is 99.9%."), slots("Uptime is 99.95%."))
    assert "number" in slot_conflicts(slots("It sold 1,000,000 units."), slots("It sold 1,000,500 units."))
    assert slot_conflicts(slots("A margin of 150 basis points."), slots("A margin of 1.5 percentage points.")) == []


def test_a_rate_beside_a_figure_qualifies_it():
    # "annual" qualifies the amount: the review period is another predicate, not a contradiction
    link = verdict("The annual rent is £48,000.", one_doc("The rent is reviewed every five years."))
    assert link is None or link.status != "contradicts"
    record = one_doc("The rent is reviewed every five years.", "The annual rent is £42,000.")
    link = verdict("The annual rent is £48,000.", record)
    assert link.status == "contradicts" and link.kinds == ["amount"] and "£42,000" in link.sentence
    assert verdict("The rent is reviewed every year.", record).kinds == ["duration"]


# ---------------------------------------------------------------- third pass: the predicate must be stated
def test_every_content_word_of_the_predicate_must_be_in_the_passage():
    record = one_doc("Lost keys must be reported to the building manager within two days.",
                     "Unused leave may be carried over into the next year.",
                     "Archive copies are kept on a second server in Oslo.")
    # the same subject and figure, another recipient or another predicate: 60 % of the words is not enough
    for claim in ("Lost keys must be reported to the landlord within two days.",   # a role as the object
                  "Lost keys must be reported to the security desk within two days.",
                  "Unused leave is paid out at the end of the year.",
                  "The main server is in Oslo."):                                # "X is in P": X is the fact
        link = verdict(claim, record)
        assert link is None or link.status != "supported", claim
    # the same predicate in other words (an inflection, a synonym, digits for words) is still support
    record = one_doc("Lost keys must be reported to the building manager within two days.",
                     "Unused leave may be carried over into the next year.",
                     "Archive copies are kept on a second server in Oslo.",
                     "Visitor logs are kept for one year after the site is closed.",
                     "Tenants must tell the manager about any leak.")
    for claim in ("Lost keys must be reported to the building manager within 2 days.",
                  "Unused leave can be carried over to the next year.",
                  "Archive copies are kept on a second server in Oslo.",
                  "Visitor logs are retained for 12 months after closure.",   # a synonym, a derived noun
                  "Tenants must notify the manager of any leak."):
        link = verdict(claim, record)
        assert link is not None and link.status == "supported", claim


def test_seen_sets_keep_supports_precision_and_recall():
    """The second held-out set (seen since its one run) had 4 false supports of 39 (0.897) before the
    predicate rule; dev and both earlier held-out sets must keep supports recall >= 0.80."""
    from bench.document_verdicts import run, score
    for name in ("document_verdicts_heldout.json", "document_verdicts_heldout2.json"):
        data = json.loads((ROOT / "tests" / "data" / name).read_text(encoding="utf-8"))
        figures = score(run(data, "offline"))
        assert figures["supports"]["precision"] >= 0.95, (name, figures)
        assert figures["supports"]["recall"] >= 0.80, (name, figures)


def test_predicate_words_are_split_from_the_subject():
    from moa_core.agreement.verdict_checks import predicate_words
    from moa_core.agreement.lexicon import canon
    subject, predicate = predicate_words(make_claims("Lost keys must be reported to the landlord within two days.", 0)[0])
    assert {canon("lost")[0], canon("keys")[0]} <= subject and {canon("reported")[0], "landlord"} <= predicate
    # no verb found: every word is the predicate (nothing is excused)
    subject, predicate = predicate_words(make_claims("Archive copies on a server in Oslo.", 0)[0])
    assert not subject and {canon("archive")[0], canon("server")[0]} <= predicate
    # a light verb carries the modality, not the fact: "requires 90 days' notice" is "giving 90 days' notice"
    assert canon("requires")[0] not in predicate_words(make_claims("Termination requires 90 days notice.", 0)[0])[1]


@pytest.mark.parametrize("a, b", [
    ("Sales reached 1.2 million units.", "Sales reached 1,200,000 units."),
    ("The firm hired 3k people.", "The firm hired 3,000 people."),
    ("Output was 2.5bn litres.", "Output was 2,500,000,000 litres."),
    ("Output was 2.5 billion litres.", "Output was 2,500 million litres."),
    ("A dividend of 4.5p per share.", "A dividend of 4.5 pence per share."),
])
def test_scale_words_are_the_same_figure(a, b):
    assert slot_conflicts(slots(a), slots(b)) == []
    assert slots(a).numbers or slots(a).amounts
    assert "million" not in make_claims(a, 0)[0].tokens and "billion" not in make_claims(a, 0)[0].tokens


def test_scale_words_in_a_verdict():
    record = one_doc("The plant produced 1,200,000 tonnes of steel in 2024.")
    assert verdict("The plant produced 1.2 million tonnes of steel in 2024.", record).status == "supported"
    link = verdict("The plant produced 12 million tonnes of steel in 2024.", record)
    assert link.status == "contradicts" and link.kinds == ["number"]


def test_the_same_figure_in_another_year_is_not_a_contradiction():
    record = one_doc("Recycling rose from 31% in 2019 to 38% in 2023.", "The depot closes on 30 June 2026.")
    link = verdict("Recycling was 38% in 2021.", record)     # 2021's figure is not stated: another period
    assert link is None or link.status != "contradicts"
    link = verdict("The depot closes on 30 June 2027.", record)  # a date that is the value still contradicts
    assert link.status == "contradicts" and link.kinds == ["date"]
