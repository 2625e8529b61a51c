"""Command line: ``python -m ihtlib reproduce --out DIR [--quick] [--clean] [--book PATH]``.

Exit status: 0 done; 1 a chapter failed (the message names the chapter and the cell);
2 usage error (bad or missing argument, an output folder that cannot be written, a book
folder without ``_toc.yml``, a chapter listed there but missing); 130 interrupted (Ctrl-C).
Errors are one line on standard error, without traceback or colour codes.
"""

from __future__ import annotations

import argparse
import sys

PROG = "python -m ihtlib"

EPILOG = """\
Each chapter's files are written under temporary names and renamed only when all are
complete: a failed or interrupted run (Ctrl-C) keeps the chapters finished before it and
leaves no partial file. Files in DIR/<chapter>/ that this run did not rewrite (an earlier
run's figures under old names) are reported in a warning; --clean removes the figures and
tables (*.png, *.html) in the chapter folders first (nothing else in DIR is touched).

A failed chapter is named with its cell (cells counted from 1) and the error's type and message;
see the full traceback by running that chapter in JupyterLab or with
`jupyter nbconvert --to notebook --execute --stdout book/<chapter>.ipynb > /dev/null`.

exit status: 0 done, 1 a chapter failed, 2 usage error
(bad argument, unwritable --out, --book without _toc.yml, a listed chapter missing),
130 interrupted (Ctrl-C)."""


class _UsageError(Exception):
    """A command-line usage error, reported as one line with exit status 2."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block) and are raised, not exited on."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise _UsageError(self.prog, f"{message} (see {self.prog} --help)")


def _parser() -> tuple[_Parser, _Parser]:
    parser = _Parser(prog=PROG, description="Tools of the IHT book.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    rep = commands.add_parser(
        "reproduce",
        help="regenerate every figure and table of the book as files",
        description="Execute every chapter of the book and write its figures (PNG) and tables (HTML) "
        "to DIR/<chapter>/.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if needed)")
    rep.add_argument("--quick", action="store_true", help="export the stored outputs without executing (seconds)")
    rep.add_argument(
        "--clean",
        action="store_true",
        help="first remove the figures and tables of an earlier run from the chapter folders DIR/<chapter>/",
    )
    rep.add_argument("--book", metavar="PATH", help="repository root with _toc.yml (found by default)")
    return parser, rep


def _say(prog: str, kind: str, message: str) -> None:
    from .reproduce import strip_ansi

    line = " ".join(strip_ansi(str(message)).split())
    print(f"{prog}: {kind}: {line}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit status (never raises SystemExit)."""
    prog = PROG
    try:
        parser, rep = _parser()
        prog = rep.prog
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help
            return done.code if isinstance(done.code, int) else 0
        if args.command is None:
            parser.error("a command is required: reproduce")
        if not args.out.strip():
            rep.error("--out is empty: give the folder to write into")
        if args.book is not None and not args.book.strip():
            rep.error("--book is empty: give the repository folder that holds _toc.yml, or leave it out")

        from .reproduce import ReproduceError, reproduce

        try:
            summary = reproduce(args.out, quick=args.quick, root=args.book, clean=args.clean)
        except ReproduceError as err:
            _say(prog, "error", err)
            return err.exit_status
        print(summary)
        if summary.stale:
            _say(prog, "warning", summary.stale_warning())
        return 0
    except _UsageError as err:
        _say(err.prog, "error", err)
        return 2
    except KeyboardInterrupt as err:
        _say(prog, "stopped", str(err) or "interrupted (Ctrl-C)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
