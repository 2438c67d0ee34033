"""The ``chainval`` command: ``chainval scan``, ``chainval report`` and ``chainval verify``.

    chainval scan INPUT... --roots FILE|DIR [--store NAME=FILE|DIR ...] [--pool FILE|DIR]
                  [--at TIME] [--threads N] [-o OUT] [--format jsonl|csv] [--resume] ...
    chainval report OUT.jsonl [-o report.html]
    chainval verify CHAIN.pem [--host NAME] [--roots FILE|DIR|system] [--explain] [--json]
    chainval probe HOST[:PORT] [--starttls smtp|imap] [--roots ...] [--explain] [--json]
    chainval --version

See docs/scan.md. ``main(argv)`` returns the exit status, from one table for
every command (:mod:`chainval.scan.errors`); ``program()`` is the program itself
(main, then the end of the process). Each subcommand's options and work
are in its own module (:mod:`chainval.scan.command`, :mod:`chainval.scan.report`);
this one parses the command line, runs the subcommand and turns its errors into
one line on stderr and the exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
from typing import Any, NoReturn, Optional

import chainval

from .scan.errors import (EXIT_INTERRUPTED, EXIT_RUNTIME, EXIT_USAGE, RunError, UsageError,
                          os_reason)

__all__ = ["main", "program"]

EPILOG = """\
exit status: 0 done (malformed rows included; verify/probe: trusted), 1 runtime
error (e.g. a write failed: continue with --resume; verify/probe: not trusted),
2 usage or input error, 3 done with malformed rows and --fail-on-malformed
(probe: connection or handshake failure), 130 interrupted (continue with
--resume).
Documentation: docs/scan.md in the source, or the package's description
(pip show -v chainval)."""


# The subcommands: name, the module defining it (its add_parser()), and the
# one-line help `chainval --help` lists. Only the module of the subcommand
# that runs is imported: a scan does not load the report's, verify's and
# probe's code, and `chainval --help` or `--version` none of them.
COMMANDS = (
    ("scan", "chainval.scan.command", "verify served chains in bulk"),
    ("report", "chainval.scan.report", "an HTML report of a scan's output"),
    ("verify", "chainval.show.verify", "verify one chain and show why (or why not)"),
    ("probe", "chainval.show.probe", "fetch a server's chain over TLS and verify it"),
)


def _chosen(argv: list[str]) -> Optional[str]:
    """The subcommand argv names (its first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word
        if word == "--":
            break
    return None


def _parser(argv: list[str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chainval", description="X.509 chain verification "
                                "with libchain: bulk scans, and one chain explained.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version",
                   version=f"chainval {chainval.__version__} (libchain "
                           f"{chainval.LIBCHAIN_VERSION}, GnuTLS {chainval.GNUTLS_VERSION})")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    chosen = _chosen(argv)
    for name, module, text in COMMANDS:
        if name == chosen:
            add = importlib.import_module(module).add_parser
            add(sub, EPILOG) if name == "scan" else add(sub)
        else:  # listed in `chainval --help`; its options are parsed only when chosen
            sub.add_parser(name, help=text, add_help=False)
    return p


def main(argv: Optional[list[str]] = None, *, stdin=None) -> int:
    """Run the command line; returns the exit status.

    ``stdin`` (a binary stream) replaces ``sys.stdin.buffer`` for ``-``.
    """
    return _main(argv, stdin)[0]


def program() -> NoReturn:
    """The ``chainval`` program (its console script and ``python3 -m chainval``):
    :func:`main` on ``sys.argv``, then the end of the process.

    A command that says it left nothing to tear down but memory (a local scan,
    once its output, summary and sidecar are written and closed and its threads
    have stopped) ends the process with ``os._exit`` once stdout and stderr are
    flushed and the ``atexit`` handlers have run (temporary copies of URL
    inputs, say): freeing a full verdict cache object by object and Python's
    module teardown took ~35 ms of CPU at the end of every such scan, for
    memory the kernel reclaims at once. Under a profiler or a tracer
    (cProfile, coverage), or if a flush fails, the process ends the usual way,
    which writes their data or reports the failure as before."""
    code, kept = _main(None, None, own_process=True)
    # CPython's own: what the usual exit runs before module teardown (without
    # it, e.g. on another implementation, the process ends the usual way).
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if kept is not None and run_exit_handlers is not None and sys.getprofile() is None \
            and sys.gettrace() is None:
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # None: its descriptor was closed (`>&-`)
                    stream.flush()
        except (OSError, ValueError):
            sys.exit(code)
        run_exit_handlers()
        os._exit(code)
    sys.exit(code)


def _main(argv: Optional[list[str]], stdin, own_process: bool = False) -> tuple[int, Any]:
    """main()'s work: the exit status, and None or, when the command left
    nothing to tear down but memory, what it set ``args.kept_until_exit``
    to (e.g. the scanner and its verdict cache): kept referenced by the
    caller so that the end of the process frees it, not the return.
    ``own_process`` (:func:`program`): the process is the command's alone,
    so the command may change what is process-wide (``args.own_process``)."""
    stdout, stderr = sys.stdout, sys.stderr
    if argv is None:
        argv = sys.argv[1:]
    parser = _parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return (int(e.code or 0) if not isinstance(e.code, str) else EXIT_USAGE), None
    args.own_process = own_process
    try:
        code = args.run(args, stdout, stderr, stdin)
        return code, getattr(args, "kept_until_exit", None)
    except UsageError as e:
        stderr.write(f"chainval {args.command}: {e}\n")
        return EXIT_USAGE, None
    except RunError as e:
        stderr.write(f"chainval {args.command}: error: {e}" + (f" ({e.hint})" if e.hint else "")
                     + "\n")
        return EXIT_RUNTIME, None
    except KeyboardInterrupt:  # before the work's own handler is in place, or after it
        stderr.write(f"\nchainval {args.command}: interrupted\n")
        return EXIT_INTERRUPTED, None
    except BrokenPipeError:  # e.g. | head: stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_RUNTIME, None
    except OSError as e:  # an I/O failure no subcommand foresaw: still one line
        where = f": {e.filename}" if e.filename else ""
        stderr.write(f"chainval {args.command}: error: {os_reason(e)}{where}\n")
        return EXIT_RUNTIME, None


if __name__ == "__main__":  # pragma: no cover
    program()
