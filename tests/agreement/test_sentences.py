"""Splitting texts into claims: sentences, list items, table rows; markdown, headings and lead-ins out."""
from moa_core.agreement import analyze, split_claims, to_json


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


def test_identifiers_keep_their_underscores_while_emphasis_goes():
    assert split_claims("Never read window.__x from a page script. Use snake_case_name here.") == [
        "Never read window.__x from a page script.", "Use snake_case_name here."]
    assert split_claims("The term is **12 months** and *renewable*.") == ["The term is 12 months and renewable."]
