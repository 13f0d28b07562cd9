"""The answers of a run and its documents in the shape the checks take: labels match the product
("proposal 1".."proposal N" for the last round's good proposals, "final" for the synthesis)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from moa_core.documents import Document, DocumentError, read_document
from moa_core.documents.passages import SourceDocument


def answer_list(proposals: Sequence[str], final: str = "") -> list[tuple[str, str]]:
    """(source, text) pairs: "proposal N" numbered from 1, then "final" when there is one."""
    answers = [(f"proposal {i}", text or "") for i, text in enumerate(proposals, 1)]
    return answers + ([("final", final)] if final else [])


def run_documents(run) -> list[SourceDocument]:
    """A run's documents as located passages: the whole of each document (left-out parts too: a quote
    from them is still in the document), with the pages of a PDF from its stored spans."""
    named = list(getattr(run, "documents", None) or [])
    if not named and getattr(run, "document_text", None):
        named = [Document(run.document_name or "document", run.document_text)]
    return [SourceDocument(d.name, d.passages()) for d in named if d.text]


def unseen_locations(run) -> set[tuple[str, str]]:
    """(document, location) of the passages left out of the prompt to fit the context window: a quote
    found there is in the document, but no model was shown it (recalled or invented, not read)."""
    return {(d.name, location) for d in getattr(run, "documents", None) or [] for location in d.left_out}


def run_proposals(run) -> list[str]:
    """The proposals the synthesis was made from: the last round's successful ones."""
    proposers = run.calls_for("proposer")
    last = max((c.round for c in proposers), default=1)
    return [c.text for c in run.calls_for("proposer", last) if c.ok]


def read_documents(paths: Sequence[str]) -> list[SourceDocument]:
    """Files as located passages; raises DocumentError (one line) for a missing or unreadable one."""
    return [SourceDocument(d.name, d.passages()) for d in load_files(paths)]


def load_files(paths: Sequence[str]) -> list:
    """Files as `Document`s (text and passage spans); raises DocumentError (one line) for a bad one."""
    docs = []
    for path in paths:
        file = Path(path)
        if not file.is_file():
            raise DocumentError(f"document not found: {path}")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read document {path}: {exc.strerror or exc}") from None
        docs.append(read_document(file.name, data))
    return docs
