"""`moa agreement FILE`: claim-by-claim agreement, conflicts and synthesis provenance."""
from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from typing import TYPE_CHECKING

from ..counts import count
from . import UserError

if TYPE_CHECKING:  # start-up speed: the agreement engine's tables load only for `moa agreement`
    from ..agreement import AgreementResult
    from ..evidence.check import Check


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agreement", help="where proposals agree, conflict, and what the synthesis kept",
                       description='FILE is JSON: {"proposals": [str, ...], "final": str}.')
    p.add_argument("file", metavar="FILE", help='JSON file {"proposals": [...], "final": "..."} ("-" for stdin)')
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    p.add_argument("--method", choices=["semantic", "offline", "llm"], default="semantic",
                   help="semantic (embeddings + slot checks, default), offline (lexical) or llm (a model groups the claims)")
    p.add_argument("--document", action="append", default=[], metavar="DOC",
                   help="check claims, quotes and clause references against this document (repeatable)")
    p.add_argument("--model", metavar="MODEL", help="model for --method llm (a litellm model name)")
    p.add_argument("--api-base", metavar="URL", help="base URL of the model's server (--method llm)")
    p.add_argument("--timeout", type=float, default=120, metavar="SECONDS",
                   help="timeout of the model call (--method llm)")
    p.set_defaults(handler=handle)


def load_input(path: str) -> tuple[list[str], str]:
    """Read and check the input file; every problem is one UserError line."""
    import sys
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise UserError(f'{path}: expected an object {{"proposals": [...], "final": "..."}}')
    proposals, final = data.get("proposals"), data.get("final", "")
    if not isinstance(proposals, list) or not all(isinstance(p, str) for p in proposals):
        raise UserError(f'{path}: "proposals" must be a list of strings')
    if not proposals:
        raise UserError(f'{path}: "proposals" is empty')
    if not isinstance(final, str):
        raise UserError(f'{path}: "final" must be a string')
    return proposals, final


def handle(args: argparse.Namespace) -> int:
    proposals, final = load_input(args.file)
    if args.method == "llm" and not args.model:
        raise UserError("--method llm needs --model")
    kwargs = {}
    if args.method == "llm":
        kwargs["timeout"] = args.timeout
        if args.api_base:
            kwargs["api_base"] = args.api_base
    documents = None
    if args.document:
        from ..documents import DocumentError
        from ..evidence import read_documents
        try:
            documents = read_documents(args.document)
        except DocumentError as exc:
            raise UserError(str(exc)) from None

    from ..agreement import analyze, to_json  # start-up speed

    result = analyze(proposals, final, method=args.method, model=args.model, documents=documents, **kwargs)
    if args.json:
        print(json.dumps(to_json(result), ensure_ascii=False))
    else:
        print(format_report(result, len(proposals)))
    return 0


def _marks(indices: list[int]) -> str:
    return "".join(f"[{i + 1}]" for i in indices)


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")


_QUOTE_MARK = {"exact": "VERIFIED", "approximate": "APPROXIMATE", "not_found": "NOT IN THE DOCUMENTS"}


def _where(check: Check) -> str:
    return f" ({check.document}, {check.location})" if check.document else ""


def format_report(result: AgreementResult, n_proposals: int) -> str:
    """The readable report: claims by support, disagreements, synthesis with source marks."""
    out = [f"Agreement across {count(n_proposals, 'proposal')} (method: {result.method_used})"]
    if result.note:
        out.append(f"note: {result.note}")
    out += ["", "Claims (proposals numbered from 1):"]
    for g in sorted(result.claims, key=lambda g: (-len(g.supported_by), g.id)):
        flag = "  CONFLICT" if g.contested else ""
        out.append(_wrap(f"{len(g.supported_by)}/{n_proposals} {_marks(g.supported_by)} {g.text}{flag}", "  "))
    disagreements = result.disagreements
    out += ["", f"Disagreements ({len(disagreements)}):"]
    for g in disagreements:
        out.append(f"  - on {', '.join(g.conflict_kinds) or 'content'}:")
        out += [_wrap(f"{_marks(v.proposals)} {v.text}", "      ") for v in g.versions]
        if g.document is not None:
            out.append(_wrap(g.document.summary, "      "))
    if not disagreements:
        out.append("  none found")
    out += ["", "Synthesis, sentence by sentence:"]
    for s in result.final_sentences:
        parts = [s.text, _marks(s.sources), "UNSUPPORTED" if s.unsupported else ""]
        if s.conflicts_with:
            parts.append(f"(contradicted by {_marks(s.conflicts_with)})")
        out.append(_wrap(" ".join(p for p in parts if p), "  "))
        out += [_wrap(f"contested: {note}", "      ") for note in s.contested]
        if s.document and s.document.status == "contradicts":
            out.append(_wrap(f"CONTRADICTS {s.document.document}, {s.document.location}: {s.document.sentence}", "      "))
            out.append(_wrap(s.document.summary, "      "))
        elif s.document:  # supported, superseded (matches a replaced clause) or a related passage
            out.append(_wrap(s.document.summary, "      "))
    if not result.final_sentences:
        out.append("  (no synthesis)")
    out += ["", f"Majority claims the synthesis dropped ({len(result.dropped_consensus)}):"]
    out += [_wrap(f"- {t}", "  ") for t in result.dropped_consensus] or ["  none"]
    if result.quotes is not None:
        out += ["", f"Quotes checked against the documents ({len(result.quotes)}):"]
        out += [_wrap(f"{_QUOTE_MARK[q.status]} {q.source}: \"{q.text}\"" + _where(q), "  ")
                for q in result.quotes] or ["  none"]
        out += ["", f"Clause references ({len(result.references or [])}):"]
        out += [_wrap(f"{q.status}: {q.source}: {q.text}" + _where(q), "  ")
                for q in result.references or []] or ["  none"]
    out += ["", "Similarity (proposal x proposal):"]
    out.append("      " + "".join(f"{j + 1:>6}" for j in range(len(result.similarity))))
    for i, row in enumerate(result.similarity):
        out.append(f"  {i + 1:>3} " + "".join(f"{x:6.2f}" for x in row))
    return "\n".join(out)
