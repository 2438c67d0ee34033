"""The ``chainval`` command: ``chainval scan`` and ``chainval report``.

    chainval scan INPUT... --roots FILE|DIR [--store NAME=FILE|DIR ...] [--pool FILE|DIR]
                  [--at TIME] [--threads N] [-o OUT] [--format jsonl|csv]
                  [--input-format FMT] [--sonar-certs FILE ...] [--sonar-db PATH]
                  [--summary FILE] [--batch N] [--resume]
    chainval report OUT.jsonl [-o report.html]

See docs/scan.md. ``main(argv)`` returns the exit status: 0 when the scan
completed (whatever the verdicts), 130 when interrupted, 2 on usage errors.
Each subcommand's options and work are in its own module (:mod:`chainval.scan.command`,
:mod:`chainval.scan.report`); this one parses the command line, runs the subcommand and
turns its errors into the exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

from .scan import command, report
from .scan.errors import UsageError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chainval", description="Bulk X.509 chain verification "
                                "with libchain (see docs/scan.md).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    command.add_parser(sub)
    report.add_parser(sub)
    return p


def main(argv: Optional[list[str]] = None, *, stdin=None) -> int:
    """Run the command line; returns the exit status.

    ``stdin`` (a binary stream) replaces ``sys.stdin.buffer`` for ``-``.
    """
    stdout, stderr = sys.stdout, sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    try:
        return args.run(args, stdout, stderr, stdin)
    except UsageError as e:
        stderr.write(f"chainval {args.command}: {e}\n")
        return 2
    except BrokenPipeError:  # e.g. | head: stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
