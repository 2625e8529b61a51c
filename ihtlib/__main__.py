"""Command line: ``python -m ihtlib reproduce --out DIR [--quick] [--book PATH]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m ihtlib", description="Tools of the IHT book.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    rep = commands.add_parser(
        "reproduce",
        help="regenerate every figure and table of the book as files",
        description="Execute every chapter of the book and write its figures (PNG) and tables (HTML) to DIR.",
    )
    rep.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write into")
    rep.add_argument("--quick", action="store_true", help="export the stored outputs without executing (seconds)")
    rep.add_argument("--book", type=Path, metavar="PATH", help="repository root with _toc.yml (found by default)")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("a command is required: reproduce")
    if args.out.exists() and not args.out.is_dir():
        rep.error(f"--out {args.out} exists and is not a folder")
    from .reproduce import reproduce

    try:
        summary = reproduce(args.out, quick=args.quick, root=args.book)
    except FileNotFoundError as err:
        rep.error(str(err))
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
