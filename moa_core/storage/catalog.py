"""The store's catalog: documents, saved lineups, eval sets, settings and price overrides.

A repository of `RunStore` (`store.catalog`: the same database, short transactions), kept apart
because none of it is about recording runs.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..lineup import Lineup
from ..records import utcnow
from .database import Repository
from .schema import Document, EvalItem, EvalSet, PriceOverride, SavedLineup, Setting
from .rows import document_type

if TYPE_CHECKING:  # prices imports litellm (seconds): only price_book() needs it
    from ..providers.prices import PriceBook


class Catalog(Repository):
    """Verbs over documents, lineups, eval sets, settings and prices."""

    # ---- documents ---------------------------------------------------------------------------

    def save_document(self, name: str, type: str, data_text: str, size: int) -> Document:
        """Store a document's extracted text once: the same text again returns the stored row."""
        with self._write() as s:
            return stored_document(s, name, data_text, type=type, size=size)

    def get_document(self, document_id: int) -> Document | None:
        with self._read() as s:
            return s.get(Document, document_id)

    # ---- saved lineups -----------------------------------------------------------------------

    def save_lineup(self, name: str, toml: str) -> SavedLineup:
        """Save (or replace) a lineup under `name`; the TOML must parse as a valid lineup."""
        name = (name or "").strip()
        if not name:
            raise ValueError("a saved lineup needs a name")
        Lineup.from_toml(toml)  # raises LineupError (a ValueError) saying what is wrong
        with self._write() as s:
            row = s.execute(select(SavedLineup).where(SavedLineup.name == name)).scalar_one_or_none()
            if row is None:
                row = SavedLineup(name=name, toml=toml)
                s.add(row)
            row.toml, row.updated_at = toml, utcnow()
            return row

    def list_lineups(self) -> list[SavedLineup]:
        with self._read() as s:
            return list(s.execute(select(SavedLineup).order_by(SavedLineup.name)).scalars())

    def get_lineup(self, name: str) -> SavedLineup | None:
        """The saved row (`.toml` holds the text; `Lineup.from_toml(row.toml)` builds it)."""
        with self._read() as s:
            return s.execute(select(SavedLineup).where(SavedLineup.name == name)).scalar_one_or_none()

    def delete_lineup(self, name: str) -> bool:
        with self._write() as s:
            return s.execute(delete(SavedLineup).where(SavedLineup.name == name)).rowcount > 0

    # ---- eval sets ---------------------------------------------------------------------------

    def save_eval_set(self, name: str, items: list[dict[str, Any]], description: str = "") -> int:
        """Create an eval set from dicts with `query` and optional `reference`, `tags`, and a document
        (`document_id`, or `document_name` + `document_text`); one transaction: all of it or nothing.

        Never replaces an existing set: runs point at its items, and their answers would lose
        the question they answered.
        """
        name = (name or "").strip()
        if not name:
            raise ValueError("an eval set needs a name")
        for i, item in enumerate(items):
            if not str(item.get("query") or "").strip():
                raise ValueError(f"eval item {i + 1} has no query")
        with self._write() as s:
            if s.execute(select(EvalSet.id).where(EvalSet.name == name)).first():
                raise ValueError(f"an eval set named {name!r} already exists")
            eval_set = EvalSet(name=name, description=description)
            s.add(eval_set)
            s.flush()
            for i, item in enumerate(items):
                doc_id = item.get("document_id")
                if doc_id is None and item.get("document_text"):  # stored once per text, in this transaction
                    doc_id = stored_document(s, item.get("document_name"), item["document_text"]).id
                s.add(EvalItem(eval_set_id=eval_set.id, position=i, query=item["query"], document_id=doc_id,
                               reference=item.get("reference"), tags=list(item.get("tags") or [])))
            return eval_set.id

    def list_eval_sets(self) -> list[EvalSet]:
        with self._read() as s:
            return list(s.execute(select(EvalSet).order_by(EvalSet.name)).scalars())

    def eval_items(self, name: str) -> list[EvalItem]:
        """The items of the named set in order; empty when there is no such set."""
        with self._read() as s:
            return list(s.execute(select(EvalItem).join(EvalSet, EvalSet.id == EvalItem.eval_set_id)
                                  .where(EvalSet.name == name).order_by(EvalItem.position)).scalars())

    def get_eval_set(self, eval_set_id: int) -> EvalSet | None:
        with self._read() as s:
            return s.get(EvalSet, eval_set_id)

    def find_eval_set(self, description: str) -> EvalSet | None:
        """The set imported with exactly this description (it carries the file's digest)."""
        with self._read() as s:
            return s.execute(select(EvalSet).where(EvalSet.description == description)
                             .order_by(EvalSet.id)).scalars().first()

    def eval_set_items(self, eval_set_id: int) -> list[EvalItem]:
        with self._read() as s:
            return list(s.execute(select(EvalItem).where(EvalItem.eval_set_id == eval_set_id)
                                  .order_by(EvalItem.position)).scalars())

    def eval_set_sizes(self) -> dict[int, int]:
        with self._read() as s:
            rows = s.execute(select(EvalItem.eval_set_id, func.count()).group_by(EvalItem.eval_set_id)).all()
        return {set_id: n for set_id, n in rows}

    def delete_eval_set(self, eval_set_id: int) -> bool:
        """Delete the set and its items; runs keep their answers (their eval item becomes unknown)."""
        with self._write() as s:
            return s.execute(delete(EvalSet).where(EvalSet.id == eval_set_id)).rowcount > 0

    # ---- settings ------------------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    def set_setting(self, key: str, value: Any) -> None:
        """Any JSON value; `None` is stored as null (use `default` on read to tell it from unset)."""
        json.dumps(value)  # a TypeError here beats a half-written transaction
        with self._write() as s:
            row = s.get(Setting, key) or Setting(key=key)
            row.value, row.updated_at = value, utcnow()
            s.add(row)

    # ---- prices --------------------------------------------------------------------------------

    def set_price(self, model: str, input_per_token: float, output_per_token: float) -> None:
        """Override a model's price (USD per token); wins over litellm's table."""
        for name, value in (("input", input_per_token), ("output", output_per_token)):
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} price for {model} must be a non-negative number, not {value!r}")
        with self._write() as s:
            row = s.get(PriceOverride, model) or PriceOverride(model=model, input_per_token=0, output_per_token=0)
            row.input_per_token, row.output_per_token = float(input_per_token), float(output_per_token)
            row.updated_at = utcnow()
            s.add(row)

    def delete_price(self, model: str) -> bool:
        with self._write() as s:
            return s.execute(delete(PriceOverride).where(PriceOverride.model == model)).rowcount > 0

    def prices(self) -> dict[str, tuple[float, float]]:
        """The overrides, model -> (input, output) USD per token."""
        with self._read() as s:
            return {p.model: (p.input_per_token, p.output_per_token)
                    for p in s.execute(select(PriceOverride).order_by(PriceOverride.model)).scalars()}

    def price_book(self) -> "PriceBook":
        """A PriceBook with the stored overrides, for the engine's cost figures."""
        from ..providers.prices import PriceBook

        return PriceBook(overrides=self.prices())


def stored_document(s: Session, name: str | None, text: str, type: str | None = None,
                    size: int | None = None) -> Document:
    """This text's document row inside the caller's transaction: stored once, found again by its digest
    (a run's documents are linked in the run's own write, `RunStore._store`)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    found = s.execute(select(Document).where(Document.sha256 == digest)).scalar_one_or_none()
    if found is not None:
        return found
    doc = Document(name=name or "document", type=type or document_type(name), sha256=digest, text=text,
                   size_bytes=len(text.encode("utf-8")) if size is None else size)
    try:
        with s.begin_nested():  # another process may store the same text at the same moment
            s.add(doc)
    except IntegrityError:
        return s.execute(select(Document).where(Document.sha256 == digest)).scalar_one()
    return doc
