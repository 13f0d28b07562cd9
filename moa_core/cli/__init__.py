"""The `moa` command line: one module per command group, each exposing `register(subparsers)`.

A command module's `register` adds its sub-parser and sets `handler=` to a function
`(args) -> int` (the exit code). Errors the user can fix raise `UserError`: main prints one
line on stderr and exits 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMAND_MODULES = ["run", "agreement", "storage", "leaderboard", "report", "batch", "lineups", "worker"]


class UserError(Exception):
    """Bad input or configuration, reported as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UserError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="moa", description="Mixture-of-Agents workbench")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"moa_core.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"moa_core.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _library_logs_to_file()
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "handler", None):
            raise UserError("missing command (try `moa run --help`)")
        return args.handler(args)
    except UserError as exc:
        print(f"moa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("moa: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: a bug is still one readable line, never a traceback
        print(_last_resort(exc), file=sys.stderr)
        return 1


LOG_NAME = "moa-cli.log"


class _LogFile(logging.Handler):
    """moa_core's warnings and errors, redacted, appended to the log in the data folder (found at each record:
    the data folder can change between commands in one process), and to stderr too with MOA_DEBUG=1."""

    def emit(self, record: logging.LogRecord) -> None:
        import os

        from ..redact import redact

        line = redact(self.format(record))
        if os.environ.get("MOA_DEBUG") == "1":
            sys.stderr.write(line + "\n")
        try:
            from ..logs import data_dir

            path = data_dir() / LOG_NAME
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as out:
                out.write(line + "\n")
        except Exception:  # the log is a courtesy
            pass


def _library_logs_to_file() -> None:
    """A command says what matters in its own line: with no handler configured, Python's last-resort handler
    printed library records on stderr too (the store's could-not-store record, then the command's same line)."""
    logger = logging.getLogger("moa_core")
    if not any(isinstance(h, _LogFile) for h in logger.handlers):
        handler = _LogFile(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def _last_resort(exc: Exception) -> str:
    """One line, secrets redacted; the redacted traceback goes to the log in the data folder, and to
    stderr too with MOA_DEBUG=1 (an error message may carry an API key a provider echoed)."""
    from ..logs import log_traceback
    from ..redact import redact

    first = (str(exc).splitlines() or [""])[0]
    line = redact(f"moa: error: unexpected {type(exc).__name__}: {first}")
    log = log_traceback(exc, "moa: unexpected error", name=LOG_NAME)
    return line if log is None else f"{line} (details in {log})"


if __name__ == "__main__":
    sys.exit(main())
