"""Eval sets from CSV or JSONL: every bad row is reported by its line number, and a file with
any bad row imports nothing (half a set would silently change what a batch measures).

A row has `query`, and optionally `document` (a file path, relative to the set file, or the
text itself), `reference` (the answer a judge scores against) and `tags` (a list, or in CSV a
string split on `;` or `,`). Columns `id` and `name` are accepted and ignored.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from ..documents import DocumentError, extract_text

KNOWN_COLUMNS = {"query", "document", "reference", "tags", "id", "name"}
DOCUMENT_SUFFIXES = {".pdf", ".docx", ".txt", ".md", ".markdown", ".text", ".rst"}
MAX_ERRORS_SHOWN = 20


class EvalSetError(ValueError):
    """The file cannot be imported; `problems` lists every bad row as "line N: reason"."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:MAX_ERRORS_SHOWN])
        more = f" (and {len(problems) - MAX_ERRORS_SHOWN} more)" if len(problems) > MAX_ERRORS_SHOWN else ""
        super().__init__(f"{len(problems)} bad row(s), nothing imported: {shown}{more}")


@dataclass
class ParsedSet:
    """Valid items ready for `store.create_eval_set`, and the digest naming this exact content."""

    items: list[dict[str, Any]] = field(default_factory=list)
    digest: str = ""


def parse_eval_file(name: str, data: bytes, base_dir: Path | None = None) -> ParsedSet:
    """Parse and validate the whole file; raises EvalSetError with every problem found."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EvalSetError(["line 1: the file is not UTF-8 text"]) from None
    suffix = PurePath(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(text)
    elif suffix == ".csv":
        rows = _csv_rows(text)
    else:
        raise EvalSetError([f"line 1: {name} is neither .jsonl nor .csv"])
    problems: list[str] = []
    items = []
    for line, row in rows:
        if isinstance(row, str):  # a parse error already phrased
            problems.append(f"line {line}: {row}")
            continue
        item, why = _item(row, base_dir)
        if why:
            problems.append(f"line {line}: {why}")
        else:
            items.append(item)
    if not problems and not items:
        problems.append("line 1: the file has no rows")
    if problems:
        raise EvalSetError(problems)
    digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()
    return ParsedSet(items, digest)


def read_eval_file(path: str | Path) -> ParsedSet:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvalSetError([f"line 1: cannot read {path}: {exc.strerror or exc}"]) from None
    return parse_eval_file(path.name, data, base_dir=path.parent)


def import_eval_file(store, path: str | Path, name: str | None = None) -> int:
    """Import a set file once: the same content imported again returns the existing set's id."""
    parsed = read_eval_file(path)
    return save_parsed(store, parsed, name or Path(path).stem)


def save_parsed(store, parsed: ParsedSet, name: str) -> int:
    description = f"sha256:{parsed.digest}"
    found = store.find_eval_set(description)
    if found is not None:
        return found.id
    taken = {s.name for s in store.list_eval_sets()}
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name} ({n})", n + 1
    return store.create_eval_set(unique, parsed.items, description)


def _jsonl_rows(text: str) -> list[tuple[int, Any]]:
    rows = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            rows.append((line, json.loads(raw)))
        except json.JSONDecodeError as exc:
            rows.append((line, f"invalid JSON ({exc.msg} at column {exc.colno})"))
    return rows


def _csv_rows(text: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "query" not in header:
        return [(1, "the header has no `query` column")]
    unknown = sorted(set(header) - KNOWN_COLUMNS - {""})
    if unknown:
        return [(1, f"unknown column(s) {', '.join(unknown)} (expected {', '.join(sorted(KNOWN_COLUMNS))})")]
    reader.fieldnames = header
    rows = []
    for row in reader:
        line = reader.line_num
        if None in row:
            rows.append((line, "more cells than the header has columns"))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue
        tags = (row.get("tags") or "").replace(";", ",")
        row["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
        rows.append((line, {k: v for k, v in row.items() if v not in (None, "") or k == "query"}))
    return rows


def _item(row: Any, base_dir: Path | None) -> tuple[dict[str, Any], str | None]:
    """A validated item, or the reason this row is bad."""
    if not isinstance(row, dict):
        return {}, "a row must be a JSON object with at least `query`"
    unknown = sorted(set(row) - KNOWN_COLUMNS)
    if unknown:
        return {}, f"unknown field(s) {', '.join(unknown)}"
    query = row.get("query")
    if not isinstance(query, str) or not query.strip():
        return {}, "`query` is missing or empty"
    item: dict[str, Any] = {"query": query.strip()}
    reference = row.get("reference")
    if reference is not None:
        if not isinstance(reference, str):
            return {}, "`reference` must be text"
        if reference.strip():
            item["reference"] = reference.strip()
    tags = row.get("tags", [])
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.replace(";", ",").split(",") if t.strip()]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return {}, "`tags` must be a list of strings"
    item["tags"] = tags
    document = row.get("document")
    if document is not None:
        if not isinstance(document, str):
            return {}, "`document` must be a file path or the document's text"
        name, text, why = _document(document, base_dir)
        if why:
            return {}, why
        if text:
            item["document_name"], item["document_text"] = name, text
    return item, None


def _document(value: str, base_dir: Path | None) -> tuple[str | None, str | None, str | None]:
    """(name, text, problem): an existing file is read; a path-looking value that is missing is an error."""
    value = value.strip()
    if not value:
        return None, None, None
    looks_like_path = "\n" not in value and len(value) < 500 and PurePath(value).suffix.lower() in DOCUMENT_SUFFIXES
    if looks_like_path:
        path = Path(value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            return None, None, f"document file not found: {value}"
        try:
            return path.name, extract_text(path.name, path.read_bytes()), None
        except (DocumentError, OSError) as exc:
            return None, None, f"document {value}: {exc}"
    return "document", value, None
