"""A run's documents in the database: each text stored once (`document`, by sha256), linked to the run
in order (`rundocument`) with what was left out to fit, and read back with their passage spans.

Kept apart from `store.py` so recording and reading runs only call two functions here.
"""
from __future__ import annotations

from typing import Callable, Sequence

from sqlalchemy import select
from sqlmodel import Session

from ..documents import Document
from .schema import Document as DocumentRow, Run, RunDocument


def link_documents(s: Session, row: Run, documents: Sequence[Document],
                   store_document: Callable[..., DocumentRow]) -> None:
    """On a run's first write: store each document once and link it in order; `run.document_id` is the first."""
    if not documents:
        return
    s.flush()  # the run row exists before rows that point at it
    if s.get(RunDocument, (row.id, 0)) is not None:
        return  # linked by an earlier write of this run: documents do not change during a run
    for position, doc in enumerate(documents):
        stored = store_document(s, doc.name, doc.text)
        if doc.spans and not stored.spans:
            stored.spans = doc.spans
        s.add(RunDocument(run_id=row.id, position=position, document_id=stored.id, name=doc.name,
                          left_out=list(doc.left_out), fit_note=doc.fit_note or "",
                          carried_from=doc.carried_from))
        if position == 0 and row.document_id is None:
            row.document_id = stored.id


def load_documents(s: Session, rows: Sequence[Run]) -> dict[str, list[Document]]:
    """Run id -> its documents in order (text, spans, left out); a run without links keeps its one
    `document_id` (written by an older version)."""
    ids = [r.id for r in rows]
    out: dict[str, list[Document]] = {i: [] for i in ids}
    if not ids:
        return out
    links = s.execute(select(RunDocument, DocumentRow).join(DocumentRow, DocumentRow.id == RunDocument.document_id)
                      .where(RunDocument.run_id.in_(ids)).order_by(RunDocument.run_id, RunDocument.position)).all()
    for link, doc in links:
        out[link.run_id].append(Document(link.name, doc.text, doc.spans or None, list(link.left_out or []),
                                         link.fit_note or "", link.carried_from))
    alone: dict[int, list[Run]] = {}  # one stored text can be the document of many runs
    for r in rows:
        if not out[r.id] and r.document_id:
            alone.setdefault(r.document_id, []).append(r)
    if alone:
        for doc in s.execute(select(DocumentRow).where(DocumentRow.id.in_(alone))).scalars():
            for run in alone[doc.id]:
                out[run.id] = [Document(run.document_name or doc.name, doc.text, doc.spans or None)]
    return out
