"""Evidence checks for answers about uploaded documents: are the quotes in them, do the cited clauses exist?

    docs = [SourceDocument(name, extract_passages(name, data))]   # moa_core.documents does the I/O
    report = check_answers([("proposal 1", text1), ("final", final)], docs)
"""
from __future__ import annotations

from moa_core.documents.passages import (Passage, SourceDocument, passages_from_pages, passages_from_paragraphs,
                                         split_paragraphs)
from moa_core.evidence.check import Check, Checks
from moa_core.evidence.quotes import check_quotes, find_quotes, normalise
from moa_core.evidence.references import check_references, find_references
from moa_core.evidence.runs import answer_list, load_files, read_documents, run_documents, run_proposals

__all__ = ["answer_list", "load_files", "read_documents", "run_documents", "run_proposals", "Check", "Checks", "Passage", "SourceDocument", "check_answers", "check_quotes", "check_references",
           "find_quotes", "find_references", "normalise", "passages_from_pages", "passages_from_paragraphs",
           "split_paragraphs"]


def check_answers(answers: list[tuple[str, str]], documents: list[SourceDocument]) -> Checks:
    """Both checks; `.to_dict()` gives the product's JSON shape."""
    return Checks(tuple(check_quotes(answers, documents)), tuple(check_references(answers, documents)))
