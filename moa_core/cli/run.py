"""`moa run`: one MoA run from the command line, shown live or printed as one JSON object."""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import sys

from ..documents import Document
from ..lineup import (KEY_ENV_HINT, MAX_RETRIES, MAX_ROUNDS, URL_SCHEMES, Lineup, LineupError, ModelSpec,
                      is_env_name)
from ..providers.prices import format_cost
from ..records import (CallFailed, CallFinished, CallRetrying, CallStarted, Event, RunFinished, RunRecord,
                       RunStarted, TokenDelta)
from . import UserError
from ..counts import count


def finite_float(text: str) -> float:
    """A number option: NaN and infinity are refused (argparse prints the one line)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def _bounded(flag: str, low: int, high: int):
    """An integer option within [low, high]; the message names the flag."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} takes a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{flag} must be between {low} and {high}, not {value}")
        return value
    return parse


def _seconds(flag: str):
    """A positive, finite number of seconds; the message names the flag."""
    def parse(text: str) -> float:
        value = finite_float(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{flag} must be a positive number of seconds, not {text}")
        return value
    return parse


def _url(text: str) -> str:
    if not text.strip().lower().startswith(URL_SCHEMES):
        raise argparse.ArgumentTypeError(f"--api-base must be a URL starting with http:// or https://, not {text!r}")
    return text.strip()


def key_env(text: str) -> str:
    """--api-key-env takes the NAME of an environment variable; a pasted key is refused without echoing it."""
    name = text.strip()
    if not is_env_name(name):
        raise argparse.ArgumentTypeError(KEY_ENV_HINT)
    return name


_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Model output is untrusted: escape sequences and control characters are dropped (newline and tab stay)."""
    return _CONTROL.sub("", text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a Mixture-of-Agents query",
                       epilog="A query that starts with '-' goes after '--': moa run --proposer M -- \"-5 °C: is that cold?\"")
    p.add_argument("prompt", nargs="?", help="the query (or '-' to read it from stdin; after '--' when it starts "
                                              "with '-')")
    p.add_argument("--proposer", action="append", default=[], metavar="MODEL", help="proposer model (repeatable)")
    p.add_argument("--aggregator", metavar="MODEL", help="aggregator model (default: the first proposer)")
    p.add_argument("--rounds", type=_rounds, metavar="N|auto",
                   help="proposer rounds before the synthesis (default 1); auto: stop once the proposals agree")
    p.add_argument("--max-rounds", type=_bounded("--max-rounds", 1, MAX_ROUNDS), metavar="N",
                   help=f"with --rounds auto: at most this many (default 3, at most {MAX_ROUNDS})")
    p.add_argument("--baseline", metavar="MODEL", help="single model to answer alongside, for comparison")
    p.add_argument("--fallback", metavar="MODEL", help="model that answers alone if MoA cannot")
    p.add_argument("--api-base", type=_url, metavar="URL", help="base URL for every model given on the command line")
    p.add_argument("--api-key-env", type=key_env, metavar="NAME",
                   help="environment variable holding the key for every model given on the command line (a "
                   "keyed gateway); without it a base URL gets a placeholder key, never your provider's key")
    p.add_argument("--timeout", type=_seconds("--timeout"), metavar="SECONDS", help="per-call timeout")
    p.add_argument("--quorum", type=int, metavar="K", help="aggregate once K proposers of a round are done")
    p.add_argument("--quorum-deadline", type=_seconds("--quorum-deadline"), metavar="SECONDS",
                   help="aggregate once this many seconds passed in a round (stragglers cancelled)")
    p.add_argument("--min-proposals", type=int, metavar="K", help="fewer good proposals than K -> fallback")
    p.add_argument("--retries", type=_bounded("--retries", 0, MAX_RETRIES), metavar="N",
                   help=f"retries per call on rate limits, 5xx, timeouts (default 3, at most {MAX_RETRIES})")
    p.add_argument("--temperature", type=finite_float, help="temperature for models given on the command line")
    p.add_argument("--max-tokens", type=int, help="max tokens per answer for models given on the command line")
    p.add_argument("--context-window", type=int, metavar="TOKENS",
                   help="context window of the models given on the command line, for a self-hosted model "
                        "litellm does not know: documents are checked against it and can be fitted")
    p.add_argument("--document", action="append", default=[], metavar="FILE",
                   help="a document the query is about: TXT, Markdown, PDF or DOCX (repeatable)")
    p.add_argument("--on-overflow", choices=("refuse", "fit"), default="refuse",
                   help="documents longer than a model's context window: refuse with the numbers (default) or "
                        "fit them, keeping the passages most relevant to the query")
    p.add_argument("--fit-documents", dest="on_overflow", action="store_const", const="fit",
                   help="the same as --on-overflow fit")
    p.add_argument("--lineup", metavar="FILE.toml|NAME",
                   help="a lineup file, or the name of a lineup saved in the app (`moa lineups` lists them); "
                        "command-line models are added to it")
    p.add_argument("--continue", dest="continue_run", metavar="RUN_ID",
                   help="ask a follow-up in that run's conversation (its lineup unless you give models)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the live view")
    p.add_argument("--no-store", action="store_true", help="do not save the run in the database")
    p.set_defaults(handler=handle)


def _rounds(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rounds takes a number or auto, not {text!r}") from None
    if not 1 <= value <= MAX_ROUNDS:
        raise argparse.ArgumentTypeError(f"--rounds must be between 1 and {MAX_ROUNDS} (or auto), not {value}")
    return value


def _thread(args: argparse.Namespace, store):
    """The conversation --continue asks a follow-up in (None without it)."""
    if not args.continue_run:
        return None
    if store is None:
        raise UserError("--continue reads the conversation from the database: drop --no-store")
    from ..conversation import thread_of

    try:
        return thread_of(store, args.continue_run)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def build_lineup(args: argparse.Namespace, previous: dict | None = None) -> Lineup:
    """The lineup from --lineup and/or the model options (or the conversation's); command-line options win."""
    def spec(model: str) -> ModelSpec:
        if not model.strip():
            raise UserError("empty model name")
        values = {"model": model.strip(), "api_base": args.api_base,
                  "api_key_env": getattr(args, "api_key_env", None)}
        if args.temperature is not None:
            values["temperature"] = args.temperature
        if args.max_tokens is not None:
            values["max_tokens"] = args.max_tokens
        if getattr(args, "context_window", None) is not None:
            values["context_window"] = args.context_window
        return ModelSpec(**values)

    try:
        if args.lineup:
            from .lineups import resolve_lineup

            data = resolve_lineup(args.lineup).to_dict()
        elif previous and not args.proposer:
            data = dict(previous)
        elif args.proposer:
            data = {}
        else:
            from ..providers.default_lineups import default_lineup

            data = default_lineup().to_dict()
        if args.proposer:
            data["proposers"] = [spec(m).to_dict() for m in args.proposer]
        if args.aggregator or "aggregator" not in data:
            data["aggregator"] = spec(args.aggregator or args.proposer[0]).to_dict()
        for key in ("baseline", "fallback"):
            if getattr(args, key):
                data[key] = spec(getattr(args, key)).to_dict()
        for key, option in (("rounds", "rounds"), ("max_rounds", "max_rounds"), ("timeout_s", "timeout"),
                            ("quorum", "quorum"),
                            ("quorum_deadline_s", "quorum_deadline"), ("min_proposals", "min_proposals"),
                            ("max_retries", "retries")):
            if getattr(args, option) is not None:
                data[key] = getattr(args, option)
        return Lineup.from_dict(data)
    except LineupError as exc:
        raise UserError(str(exc)) from None


def read_prompt(args: argparse.Namespace) -> str:
    """The query as text: UTF-8 (a BOM is dropped), or one line saying where it is not, before any call
    (Latin-1 bytes once reached the models as lone surrogates, and the run could be stored nowhere)."""
    if args.prompt == "-":
        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8", "surrogateescape")
        prompt = _utf8(raw, "the prompt on standard input")
    else:
        prompt = _utf8(os.fsencode(args.prompt), "the prompt") if _has_surrogates(args.prompt) else args.prompt
    if not prompt or not prompt.strip():
        raise UserError("the prompt is empty")
    return prompt


def _has_surrogates(text: str) -> bool:
    """Python hands undecodable command-line bytes over as lone surrogates (PEP 383)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); "
                        "convert it first, e.g. iconv -f latin1 -t utf-8") from None


def read_documents(paths: list[str]) -> list[Document]:
    """Each --document as text with its passages (PDF pages kept); one line for a missing or bad file."""
    if not paths:
        return []
    from ..documents import DocumentError
    from ..evidence import load_files

    try:
        return load_files(paths)
    except DocumentError as exc:
        raise UserError(str(exc)) from None


class LiveView:
    """Readable progress on stdout: each proposer's state as it changes, then the synthesis streamed."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.streaming: str | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallStarted):
            c = event.call
            self._line(f"… {self._name(c)} started")
        elif isinstance(event, TokenDelta) and event.call.role in ("aggregator", "fallback"):
            if self.streaming != event.call.call_id:
                self.streaming = event.call.call_id
                self.out.write(f"\n── {event.call.role}: {event.call.label} ──\n")
            self.out.write(terminal_safe(event.text))
            self.out.flush()
        elif isinstance(event, CallRetrying):
            self._line(f"↻ {self._name(event.call)} retrying in {event.wait_s:.1f}s ({event.error})")
        elif isinstance(event, CallFinished):
            c = event.call
            tokens = f"{c.completion_tokens or 0} tok"
            self._line(f"✓ {self._name(c)} {c.duration_s:.2f}s, {tokens}, {format_cost(c.cost_usd)}")
        elif isinstance(event, CallFailed):
            self._line(f"✗ {self._name(event.call)} {event.call.status}: {event.call.error}")
        elif isinstance(event, RunFinished):
            self._summary(event.run)

    def _name(self, c) -> str:
        return f"{c.display_name} (round {c.round})" if c.role == "proposer" else c.display_name

    def _line(self, text: str) -> None:
        if self.streaming:
            self.out.write("\n")
            self.streaming = None
        self.out.write(terminal_safe(text) + "\n")
        self.out.flush()

    def _summary(self, run: RunRecord) -> None:
        for baseline in run.calls_for("baseline"):
            if baseline.ok:
                self._line(f"\n── baseline: {baseline.label} ──\n{baseline.text}")
        cp = run.critical_path_s
        self._line(f"\nrun {run.run_id}: {run.status} — {run.note}")
        self._line(f"wall {run.wall_s:.2f}s, critical path {cp if cp is None else round(cp, 2)}s, "
                   f"cost {format_cost(run.cost_usd)}, {count(len(run.calls), 'call')}")


def handle(args: argparse.Namespace) -> int:
    from ..engine import RunInputError  # start-up speed: the engine imports litellm (seconds), only `moa run` needs it
    from ..providers.endpoints import is_local  # start-up speed
    from ..service import run_and_record  # start-up speed

    prompt = read_prompt(args)
    store = _open_store() if args.continue_run and not args.no_store else None  # the thread is read from it
    thread = _thread(args, store)
    lineup = build_lineup(args, thread.runs[-1].lineup if thread else None)
    documents = read_documents(args.document)
    if store is None and not args.no_store:
        store = _store_alongside()
    observers = [] if args.json else [LiveView()]
    started: list[RunRecord] = []
    observers.append(lambda e: started.append(e.run) if isinstance(e, RunStarted) else None)
    try:
        record = asyncio.run(run_and_record(prompt, lineup, store=store, documents=documents,
                                            on_overflow=args.on_overflow, observers=observers,
                                            thread=thread, on_stop=("cancelled", STOPPED_NOTE)))
    except RunInputError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        return _stopped(started[0] if started else None, store)
    except Exception as exc:
        if exc is not getattr(store, "open_error", None):
            raise
    if getattr(store, "open_error", None) is not None:
        raise UserError(f"{store.open_error}; the run was stopped and nothing of it was recorded")
    if args.json:
        summary = record.summary()
        if record.documents:
            summary |= _evidence(record)
        print(json.dumps(summary, ensure_ascii=False))
    elif record.documents:
        _documents_lines(record)
    if not args.json and any(is_local(c.model) for c in record.calls):  # said under the answers it is about
        from ..providers.local_model import OFFLINE_NOTICE

        print(f"\nnote: {OFFLINE_NOTICE}", flush=True)
    problem = store.save_problem(record.run_id) if store is not None else None
    if record.status == "failed":
        print(f"moa: error: run failed: {terminal_safe(record.error or '')}", file=sys.stderr)
    if problem:
        print(f"moa: error: {problem}", file=sys.stderr)
    return 1 if record.status == "failed" or problem else 0


def _evidence(record: RunRecord) -> dict:
    """{"documents", "quotes", "references", "disagreements"}: each document with what was left out to fit,
    the run's proposals and synthesis checked against all of them, and which side of each disagreement
    between the proposals the documents back."""
    from ..evidence import answer_list, check_answers, run_documents, run_proposals
    from ..records import document_summary

    documents, proposals = run_documents(record), run_proposals(record)
    return {"documents": [document_summary(d) for d in record.documents]} | \
        check_answers(answer_list(proposals, record.final), documents).to_dict() | \
        {"disagreements": _disagreements(proposals, record.final, documents)}


def _disagreements(proposals: list[str], final: str, documents: list) -> list[dict]:
    """Each disagreement as {"conflict_kinds", "versions"}, a version in the shape of `moa agreement --json`'s
    claims (text, supported_by, conflicts_with, document, documents_back), analysed as the app and the
    report do (semantic method), so a script reads which side the documents back and why."""
    if len(proposals) < 2 or not documents:
        return []
    from ..agreement import analyze
    from ..agreement.result import _json_claims  # the one place that shapes a claim's versions as JSON

    result = analyze(proposals, final, method="semantic", documents=documents)
    return [{"conflict_kinds": list(g.conflict_kinds), "versions": _json_claims(g, with_docs=True)}
            for g in result.disagreements]


def _documents_lines(record: RunRecord) -> None:
    """Under the live view: which documents the models read, and what of them was left out."""
    from ..documents.left_out import summarise
    from ..records import document_summary

    for doc in record.documents:
        info = document_summary(doc)
        gone = f"; left out to fit: {summarise(info['left_out'])}" if info["left_out"] else ""
        print(terminal_safe(f"document {doc.name}: {count(info['passages'], 'passage')}{gone}"), flush=True)


STOPPED_NOTE = "stopped with Ctrl-C; the finished calls are kept"


def _stopped(record: RunRecord | None, store) -> int:
    """Ctrl-C: one line, exit code 130; the run (if it had started) is stored as cancelled."""
    if store is not None and record is not None:
        store.flush()
    if record is None:
        print("\nmoa: stopped before the run started", file=sys.stderr)
    else:
        done = sum(c.status == "ok" for c in record.calls)
        kept = "stored as cancelled" if store is not None else "not stored (--no-store)"
        print(f"\nmoa: stopped: run {record.run_id} {kept} with {done} finished call(s)", file=sys.stderr)
    return 130


def _open_store():
    """The run store: every run is recorded unless --no-store."""
    from ..storage import RunStore, StorageError

    try:
        return RunStore.open_default()
    except StorageError as exc:
        raise UserError(str(exc)) from None



def _store_alongside():
    """The store, opened alongside the run (issue 26): the template and price overrides are read first with
    sqlite3 (milliseconds; also the check that the database is usable, so a run that could not be recorded
    fails before any call), the store itself once a call has answered. A database only the store can read
    (PostgreSQL, a migration due) is opened first, as before."""
    from ..prompts import AGGREGATOR_PROMPT_SETTING
    from ..storage.quick_read import QuickReadError, read_settings

    try:
        settings = read_settings((AGGREGATOR_PROMPT_SETTING,))
    except QuickReadError as exc:
        raise UserError(str(exc)) from None
    if settings is None:
        return _open_store()
    from ..storage.deferred import DeferredStore

    return DeferredStore(settings)
