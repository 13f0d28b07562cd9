"""Eval sets from CSV or JSONL: every bad row is reported by its line number, and a file with
any bad row imports nothing (half a set would silently change what a batch measures).

A row has `query`, and optionally `document` (the text itself, or a file: in the app a file uploaded
with the set, never a path on the server; on the CLI a path under the set file's folder, `..` and
absolute paths refused unless allowed), `reference` (the answer a judge scores against) and `tags`
(a list, or in CSV a string split on `;` or `,`). `id` must be unique; `name` is ignored.
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
        rows = "1 bad row" if len(problems) == 1 else f"{len(problems)} bad rows"
        super().__init__(f"{rows}, nothing imported: {shown}{more}")


class EvalFileError(EvalSetError):
    """The file as a whole cannot be read (missing, a folder, unreadable): one plain line, no row count."""

    def __init__(self, message: str):
        self.problems = [message]
        ValueError.__init__(self, message)


@dataclass
class ParsedSet:
    """Valid items ready for `store.catalog.save_eval_set`, and the digest naming this exact content."""

    items: list[dict[str, Any]] = field(default_factory=list)
    digest: str = ""
    warnings: list[str] = field(default_factory=list)  # imported anyway, but worth saying (duplicates, encoding)


def parse_eval_file(name: str, data: bytes, base_dir: Path | None = None, *,
                    files: dict[str, bytes] | None = None, allow_outside: bool = False) -> ParsedSet:
    """Parse and validate the whole file; raises EvalSetError with every problem found.

    `files`: documents uploaded with the set, by file name (the app). `base_dir`: the set file's folder
    (the CLI); without it no path is ever read from disk."""
    text, warnings = _decode(data)
    suffix = PurePath(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(text)
    elif suffix == ".csv":
        rows = _csv_rows(text)
    else:
        raise EvalSetError([f"line 1: {name} is neither .jsonl nor .csv"])
    source = _DocumentSource(base_dir, files or {}, allow_outside)
    problems: list[str] = []
    items = []
    ids: dict[str, int] = {}
    queries: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, str):  # a parse error already phrased
            problems.append(f"line {line}: {row}")
            continue
        item, why = _item(row, source)
        if not why and isinstance(row, dict) and row.get("id") not in (None, ""):
            key = str(row["id"]).strip()
            if key in ids:
                why = f"id {key!r} is already used on line {ids[key]}"
            ids.setdefault(key, line)
        if why:
            problems.append(f"line {line}: {why}")
            continue
        normal = " ".join(item["query"].split()).casefold()
        if normal in queries:
            warnings.append(f"line {line}: the same query as line {queries[normal]} (it will be asked, and paid "
                            "for, twice)")
        queries.setdefault(normal, line)
        items.append(item)
    if not problems and not items:
        problems.append("line 1: the file has no rows")
    if problems:
        raise EvalSetError(problems)
    digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()
    return ParsedSet(items, digest, warnings)


def read_eval_file(path: str | Path, *, allow_outside: bool = False) -> ParsedSet:
    """A set file from disk (the CLI): document paths resolve under its folder."""
    path = Path(path)
    if path.is_dir():
        raise EvalFileError(f"{path} is a folder, not an eval set file (.jsonl or .csv)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvalFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_eval_file(path.name, data, base_dir=path.parent, allow_outside=allow_outside)


def import_eval_file(store, path: str | Path, name: str | None = None) -> int:
    """Import a set file once: the same content imported again returns the existing set's id."""
    parsed = read_eval_file(path)
    return save_parsed(store, parsed, name or Path(path).stem)


def save_parsed(store, parsed: ParsedSet, name: str) -> int:
    description = f"sha256:{parsed.digest}"
    found = store.catalog.find_eval_set(description)
    if found is not None:
        return found.id
    taken = {s.name for s in store.catalog.list_eval_sets()}
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name} ({n})", n + 1
    return store.catalog.save_eval_set(unique, parsed.items, description)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes) -> tuple[str, list[str]]:
    """UTF-8 text, or Windows-1252 (Excel's usual CSV export) converted and said so; binary is refused
    on the line where it starts."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    nul = data.find(b"\x00")
    if nul >= 0:
        raise EvalSetError([f"line {_line_of(data, nul)}: binary data, not UTF-8 text"])
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise EvalSetError([f"line {_line_of(data, exc.start)}: binary data, not UTF-8 text"]) from None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t")
    if controls:
        raise EvalSetError([f"line {_line_of(data, first_bad)}: binary data, not UTF-8 text"])
    return text, [f"line {_line_of(data, first_bad)}: the file is not UTF-8; it was read as Windows-1252 (Excel's "
                  "usual CSV export). Check the accents, or save it as \"CSV UTF-8\""]


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


def _item(row: Any, source: "_DocumentSource") -> tuple[dict[str, Any], str | None]:
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
        name, text, why = source.read(document)
        if why:
            return {}, why
        if text:
            item["document_name"], item["document_text"] = name, text
    return item, None


@dataclass
class _DocumentSource:
    """Where a row's `document` may come from: uploaded files by name, or files under the set's folder."""

    base_dir: Path | None
    files: dict[str, bytes]
    allow_outside: bool = False

    def read(self, value: str) -> tuple[str | None, str | None, str | None]:
        """(name, text, problem): a file named in the row is read; anything else is the text itself."""
        value = value.strip()
        if not value:
            return None, None, None
        looks_like_path = "\n" not in value and len(value) < 500 and PurePath(value).suffix.lower() in DOCUMENT_SUFFIXES
        if not looks_like_path:
            return "document", value, None
        if self.base_dir is None:
            return self._uploaded(value)
        path, why = self._under_folder(value)
        if why:
            return None, None, why
        try:
            return path.name, extract_text(path.name, path.read_bytes()), None
        except (DocumentError, OSError) as exc:
            return None, None, f"document {value}: {exc}"

    def _uploaded(self, value: str) -> tuple[str | None, str | None, str | None]:
        name = PurePath(value.replace("\\", "/")).name
        if name not in self.files:
            return None, None, (f"document {name}: upload the file with the set (a document is its text, or a "
                                "file uploaded beside the set; files on the server are never read)")
        try:
            return name, extract_text(name, self.files[name]), None
        except DocumentError as exc:
            return None, None, f"document {name}: {exc}"

    def _under_folder(self, value: str) -> tuple[Path, str | None]:
        raw = Path(value).expanduser()
        path = (raw if raw.is_absolute() else self.base_dir / raw).resolve()
        inside = path.is_relative_to(self.base_dir.resolve())
        if not inside and not self.allow_outside:
            return path, (f"document {value} is outside the set's folder (absolute paths and `..` are refused; "
                          "pass --allow-outside-paths to read it)")
        if not path.is_file():
            return path, f"document file not found: {value}"
        return path, None
