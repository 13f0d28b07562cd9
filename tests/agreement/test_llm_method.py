"""The LLM-assisted method: strict JSON from a model, and the offline fallback on any failure."""
import json

import pytest

from moa_core.agreement import analyze, analyze_async, make_claims, parse_llm_reply, to_json


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
    assert to_json(result) == to_json(analyze(LLM_PROPOSALS, LLM_FINAL, method="offline"))


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
