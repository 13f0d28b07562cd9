"""The semantic method: real embeddings find paraphrases; the slot checks keep differing facts apart."""
from __future__ import annotations

import pytest

from moa_core.agreement import analyze, embeddings, semantic

pytestmark = pytest.mark.skipif(not embeddings.available(), reason="embedding model not installed")


def test_paraphrases_score_higher_than_unrelated_sentences():
    v = embeddings.embed(["The contract can be ended by either party with written notice.",
                          "Either side may terminate the agreement by notifying the other in writing.",
                          "Bananas are rich in potassium."])
    assert abs(float((v * v).sum(axis=1)[0]) - 1.0) < 1e-5  # unit length
    assert embeddings.cosine(v[0], v[1]) > 0.5 > embeddings.cosine(v[0], v[2])


def test_embedding_cache_embeds_each_text_once(monkeypatch):
    calls = []
    real = embeddings.embed
    monkeypatch.setattr(embeddings, "embed", lambda texts, **kw: calls.append(list(texts)) or real(texts))
    cache = embeddings.EmbeddingCache()
    cache.add(["a claim here", "another claim", "a claim here"])
    cache.similarity("a claim here", "another claim")
    assert calls == [["a claim here", "another claim"]]


def test_paraphrase_with_few_shared_words_is_agreement():
    result = analyze(["The code hits the database once per item inside the loop, an N+1 query problem.",
                      "Each iteration issues a separate database query for every item (N+1 queries)."])
    assert result.method_used == "semantic"
    assert any(g.supported_by == [0, 1] and not g.conflicts_with for g in result.claims)
    lexical = analyze(["The code hits the database once per item inside the loop, an N+1 query problem.",
                       "Each iteration issues a separate database query for every item (N+1 queries)."],
                      method="offline")
    assert lexical.method_used == "offline"


@pytest.mark.parametrize("a, b, kind", [
    ("The tenant must give 30 days' notice.", "The tenant must give 90 days' notice.", "duration"),
    ("Most of the growth came from the US market.", "Most of the growth came from the EU market.", "place"),
    ("The agreement is governed by the laws of England.", "The agreement is governed by the laws of France.", "place"),
    ("The contract permits assignment to affiliates.", "The contract forbids assignment to affiliates.", "negation"),
    ("Operating margin grew during the year.", "Operating margin fell during the year.", "negation"),
    ("The function is thread-safe.", "The function is not thread-safe.", "negation"),
    ("The landlord pays for repairs.", "The tenant pays for repairs.", "party"),
    ("The monthly fee is $2,400.", "The monthly fee is $4,200.", "amount"),
])
def test_differing_facts_stay_apart_under_the_semantic_method(a, b, kind):
    result = analyze([a, b])
    assert result.method_used == "semantic"
    (group,) = [g for g in result.claims if g.conflicts_with]
    assert kind in group.conflict_kinds


def test_similarity_matrix_notices_a_differing_fact():
    same = analyze(["The tenant must give 30 days' notice before leaving.",
                    "The tenant must give 30 days' notice before leaving."]).similarity[0][1]
    differ = analyze(["The tenant must give 30 days' notice before leaving.",
                      "The tenant must give 90 days' notice before leaving."]).similarity[0][1]
    assert same == pytest.approx(1.0)
    assert differ <= 1 - semantic.CONFLICT_PENALTY + 1e-9


def test_falls_back_to_lexical_with_a_note_when_the_model_cannot_load(monkeypatch):
    def broken(*_a, **_k):
        raise embeddings.EmbeddingUnavailable("onnxruntime is not installed")
    monkeypatch.setattr(embeddings, "embed", broken)
    result = analyze(["The rent is $900.", "The rent is $950."])
    assert result.method_used == "offline"
    assert "embedding model unavailable (onnxruntime is not installed)" in result.note
    assert result.disagreements
