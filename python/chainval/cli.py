"""The ``chainval`` command: ``chainval scan``, ``chainval report`` and ``chainval verify``.

    chainval scan INPUT... --roots FILE|DIR [--store NAME=FILE|DIR ...] [--pool FILE|DIR]
                  [--at TIME] [--threads N] [-o OUT] [--format jsonl|csv] [--resume] ...
    chainval report OUT.jsonl [-o report.html]
    chainval verify CHAIN.pem [--host NAME] [--roots FILE|DIR|system] [--explain] [--json]
    chainval probe HOST[:PORT] [--starttls smtp|imap] [--roots ...] [--explain] [--json]
    chainval --version

See docs/scan.md. ``main(argv)`` returns the exit status, from one table for
every command (:mod:`chainval.scan.errors`). Each subcommand's options and work
are in its own module (:mod:`chainval.scan.command`, :mod:`chainval.scan.report`);
this one parses the command line, runs the subcommand and turns its errors into
one line on stderr and the exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

import chainval

from .scan import command, report
from .show import probe, verify
from .scan.errors import EXIT_INTERRUPTED, EXIT_RUNTIME, EXIT_USAGE, RunError, UsageError

__all__ = ["main"]

EPILOG = """\
exit status: 0 done (malformed rows included; verify/probe: trusted), 1 runtime
error (e.g. a write failed: continue with --resume; verify/probe: not trusted),
2 usage or input error, 3 done with malformed rows and --fail-on-malformed
(probe: connection or handshake failure), 130 interrupted (continue with
--resume).
Documentation: docs/scan.md in the source, or the package's description
(pip show -v chainval)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chainval", description="X.509 chain verification "
                                "with libchain: bulk scans, and one chain explained.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version",
                   version=f"chainval {chainval.__version__} (libchain "
                           f"{chainval.LIBCHAIN_VERSION}, GnuTLS {chainval.GNUTLS_VERSION})")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    command.add_parser(sub, EPILOG)
    report.add_parser(sub)
    verify.add_parser(sub)
    probe.add_parser(sub)
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
        return int(e.code or 0) if not isinstance(e.code, str) else EXIT_USAGE
    try:
        return args.run(args, stdout, stderr, stdin)
    except UsageError as e:
        stderr.write(f"chainval {args.command}: {e}\n")
        return EXIT_USAGE
    except RunError as e:
        stderr.write(f"chainval {args.command}: error: {e}" + (f" ({e.hint})" if e.hint else "")
                     + "\n")
        return EXIT_RUNTIME
    except KeyboardInterrupt:  # before the work's own handler is in place, or after it
        stderr.write(f"\nchainval {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. | head: stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_RUNTIME
    except OSError as e:  # an I/O failure no subcommand foresaw: still one line
        where = f": {e.filename}" if e.filename else ""
        stderr.write(f"chainval {args.command}: error: {e.strerror or e}{where}\n")
        return EXIT_RUNTIME


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
