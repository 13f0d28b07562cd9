"""Agreement, conflicts and provenance (moa_core.agreement, moa_core.claims, `moa agreement`)."""
from __future__ import annotations

import json
import time

import pytest

from moa_core.agreement import (AgreementResult, analyze, analyze_async, parse_llm_reply,
                                to_json)
from moa_core.claims import make_claims, split_claims
from moa_core.cli import main


def conflicts(result: AgreementResult) -> list:
    return [g for g in result.claims if g.conflicts_with]


def group_of(result: AgreementResult, proposal: int, text_part: str):
    claim = next(c for c in result.proposal_claims[proposal] if text_part in c.text)
    return result.claims[claim.group]


# ---------------------------------------------------------------- splitting

def test_split_bullets_numbers_markdown_and_sentences():
    text = """# Lease summary
Intro sentence here. It has two sentences, e.g. this one.

Key terms:
- **Notice**: 30 days' written notice.
* Rent is $1,500
  per month.
1. The deposit is [$3,000](http://x).
2) Pets need consent.

| term | value |
|------|-------|
| rent | $1,500 |

```python
not = "a claim"
```"""
    assert split_claims(text) == [
        "Intro sentence here.", "It has two sentences, e.g. this one.",
        "Notice: 30 days' written notice.", "Rent is $1,500 per month.",
        "The deposit is $3,000.", "Pets need consent.", "rent; $1,500"]


def test_empty_and_whitespace_proposals():
    result = analyze(["", "   \n ", "The tenant pays the water bill."], "The tenant pays the water bill.")
    assert result.proposal_claims[0] == [] and result.proposal_claims[1] == []
    assert [g.supported_by for g in result.claims] == [[2]]
    # one proposal alone corroborates nothing: "only", even though no other one spoke
    assert result.proposal_claims[2][0].category == "only"
    assert result.similarity[0][0] == 1.0 and result.similarity[0][2] == 0.0
    assert analyze([], "").claims == []
    assert to_json(analyze(["  "], "  ")) == {
        "claims": [], "final_sentences": [], "dropped_consensus": [], "similarity": [[1.0]]}


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

def test_five_400_word_proposals_well_under_a_second():
    from bench.agreement_eval import load_pairs, timing
    t = timing(load_pairs(), runs=3)
    assert min(t["words"]) >= 400
    assert t["median_s"] < 0.5


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

GOOD_REPLY = json.dumps({
    "groups": [{"versions": [["P0.0", "P2.0"], ["P1.0"]]}, {"versions": [["P0.1", "P1.1"]]}],
    "final": [{"sentence": 0, "sources": [0, 2], "groups": [0]},
              {"sentence": 1, "sources": [], "groups": []}]})
LLM_PROPOSALS = ["The tenant must give 30 days notice. Rent is $1,500 per month.",
                 "Notice is 90 days for the tenant. Monthly rent is $1,500.",
                 "The tenant must give thirty days notice."]
LLM_FINAL = "The tenant must give 30 days notice. Pets are allowed."


def test_llm_method_with_good_json():
    result = analyze(LLM_PROPOSALS, LLM_FINAL, method="llm", model="openai/mock",
                     mock_response=GOOD_REPLY)
    assert result.method_used == "llm" and result.note == ""
    out = to_json(result)
    assert out["claims"] == [
        {"text": "The tenant must give 30 days notice.", "supported_by": [0, 2], "conflicts_with": [1]},
        {"text": "Notice is 90 days for the tenant.", "supported_by": [1], "conflicts_with": [0, 2]},
        {"text": "Rent is $1,500 per month.", "supported_by": [0, 1], "conflicts_with": []}]
    assert [s["sources"] for s in out["final_sentences"]] == [[0, 2], []]
    assert out["final_sentences"][1]["unsupported"] is True
    assert out["dropped_consensus"] == ["Rent is $1,500 per month."]
    assert result.claims[0].versions[1].text == "Notice is 90 days for the tenant."


@pytest.mark.parametrize("reply", [
    "Sure! Here are the groups.",
    '{"groups": 3, "final": []}',
    '{"groups": [{"versions": [["P9.9"]]}], "final": []}',                       # unknown id
    '{"groups": [{"versions": [["P0.0"]]}, {"versions": [["P0.0"]]}], "final": []}',  # twice
    '{"groups": [], "final": [{"sentence": 0, "sources": [7], "groups": []}]}',   # bad proposal
    '{"groups": [], "final": [{"sentence": 0, "sources": [0], "groups": []}]}',   # sentence 1 missing
    '{"groups": [], "final": [{"sentence": true, "sources": [], "groups": []}]}',
])
def test_llm_method_bad_json_falls_back_to_offline(reply):
    result = analyze(LLM_PROPOSALS, LLM_FINAL, method="llm", model="openai/mock", mock_response=reply)
    assert result.method_used == "offline"
    assert result.note.startswith("llm method failed (LLMOutputError")
    assert to_json(result) == to_json(analyze(LLM_PROPOSALS, LLM_FINAL))


def test_llm_method_model_error_falls_back():
    result = analyze(LLM_PROPOSALS, LLM_FINAL, method="llm", model="openai/mock",
                     mock_response=Exception("rate limited"))
    assert result.method_used == "offline" and "rate limited" in result.note


def test_llm_claims_left_out_become_singletons():
    claims = [make_claims(p, i) for i, p in enumerate(LLM_PROPOSALS)]
    reply = '{"groups": [{"versions": [["P0.0", "P2.0"]]}], "final": []}'
    groups, final, note = parse_llm_reply("```json\n" + reply + "\n```", claims, 0)
    assert len(groups) == 4 and final == [] and note.startswith("3 claim(s)")


async def test_llm_method_over_http_against_the_loopback_server(llm):
    llm.set("grouper", text=GOOD_REPLY)
    result = await analyze_async(LLM_PROPOSALS, LLM_FINAL, method="llm", model="openai/grouper",
                                 api_base=llm.base_url, api_key="test", timeout=10)
    assert result.method_used == "llm"
    assert result.claims[0].conflicts_with == [1]
    sent = llm.requests[-1].messages[-1]["content"]
    assert "P1.0: Notice is 90 days for the tenant." in sent and "S1: Pets are allowed." in sent


def test_llm_method_needs_a_model():
    with pytest.raises(ValueError):
        analyze(["a b c"], "", method="llm")
    with pytest.raises(ValueError):
        analyze(["a b c"], "", method="magic", model="m")


# ---------------------------------------------------------------- CLI

def write(tmp_path, data) -> str:
    path = tmp_path / "input.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_json(tmp_path, capsys):
    path = write(tmp_path, {"proposals": PROPOSALS, "final": "The lease runs for 12 months."})
    assert main(["agreement", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"claims", "final_sentences", "dropped_consensus", "similarity"}
    assert all(set(c) == {"text", "supported_by", "conflicts_with"} for c in out["claims"])
    assert all(set(s) == {"text", "sources", "unsupported"} for s in out["final_sentences"])
    notice = [c for c in out["claims"] if "notice" in c["text"]]
    assert notice[0]["supported_by"] == [0, 1] and notice[0]["conflicts_with"] == [2]
    assert notice[1]["supported_by"] == [2] and notice[1]["conflicts_with"] == [0, 1]  # the other side, too
    assert out["dropped_consensus"] == ["Monthly rent is $1,500.", "The tenant must give 30 days' notice."]
    assert len(out["similarity"]) == 3


def test_cli_report(tmp_path, capsys):
    final = "The tenant must give 30 days' notice. Smoking is forbidden inside the flat."
    path = write(tmp_path, {"proposals": PROPOSALS, "final": final})
    assert main(["agreement", path]) == 0
    out = capsys.readouterr().out
    assert "3/3 [1][2][3] The lease runs for 12 months." in out
    assert "[3] The tenant must give 90 days' notice." in out          # competing version
    assert "The tenant must give 30 days' notice. [1][2] (contradicted by [3])" in out
    assert "Smoking is forbidden inside the flat. UNSUPPORTED" in out
    assert "- Monthly rent is $1,500." in out                           # dropped consensus


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "invalid JSON"),
    ('["a", "b"]', "expected an object"),
    ('{"proposals": "one string", "final": ""}', '"proposals" must be a list of strings'),
    ('{"proposals": [1, 2], "final": ""}', '"proposals" must be a list of strings'),
    ('{"proposals": [], "final": ""}', '"proposals" is empty'),
    ('{"proposals": ["a"], "final": 3}', '"final" must be a string'),
])
def test_cli_bad_input_exit_2_one_line(tmp_path, capsys, content, message):
    path = str(tmp_path / "missing.json") if content is None else write(tmp_path, content)
    assert main(["agreement", path, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("moa: error:")


def test_cli_llm_needs_model(tmp_path, capsys):
    path = write(tmp_path, {"proposals": ["Rent is $900."], "final": ""})
    assert main(["agreement", path, "--method", "llm"]) == 2
    assert "--model" in capsys.readouterr().err


def test_offline_is_deterministic_and_pure():
    start = time.perf_counter()
    first = to_json(analyze(PROPOSALS, "The lease runs for 12 months."))
    assert first == to_json(analyze(PROPOSALS, "The lease runs for 12 months."))
    assert time.perf_counter() - start < 1
