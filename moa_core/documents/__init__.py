"""Documents, on the ground floor with records, lineups and prompts: a document's text and located
passages (`document`, `passages`), what was left out of a fitted one (`left_out`), and fitting to a
token budget (`fitting`; scoring by meaning is passed in). Pure but for reading a file's bytes;
nothing here imports another part of moa_core.

The names most callers need are here: `from moa_core.documents import Document, read_document`.
"""
from __future__ import annotations

from .document import (SUPPORTED, TEXT_TYPES, Document, DocumentError, extract_passages, extract_text,
                       read_document, spans_of)

__all__ = ["SUPPORTED", "TEXT_TYPES", "Document", "DocumentError", "extract_passages", "extract_text",
           "read_document", "spans_of"]
