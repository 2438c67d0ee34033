"""``chainval scan``: its options, the checks before the first row, and the run loop.

    chainval scan INPUT... --roots FILE|DIR [--store NAME=FILE|DIR ...] [--pool FILE|DIR]
                  [--at TIME] [--threads N] [-o OUT] [--format jsonl|csv]
                  [--input-format FMT] [--sonar-certs FILE ...] [--sonar-db PATH]
                  [--summary FILE] [--batch N] [--resume]

See docs/scan.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any, Optional, TextIO

import chainval
from chainval import _chainval  # type: ignore[attr-defined]  # private, no stub

from .engine import Scanner
from .errors import (EXIT_INTERRUPTED, EXIT_MALFORMED, EXIT_OK, RunError, UsageError,
                     os_reason)
from .formats import FORMATS, Input, parse_at, parse_time
from .formats.streams import absolute, input_exists, is_url
from .formats.sonar import SonarCerts
from .pipeline import LocalRows
from .progress import Interrupt, Progress, _isatty
from .output import Output, sidecar_path, write_atomically
from .stores import fingerprint_of, load_pool, load_store
from .summary import Summary

__all__ = ["add_parser", "run"]

MAX_THREADS = 1024
MAX_CACHE_MIB = 1 << 20  # 1 TiB
DEFAULT_BATCH = 2000  # rows per engine call; benchmarks/ size the engine's trials by it
MAX_BATCH = 1_000_000


def add_parser(sub: argparse._SubParsersAction, epilog: str = "") -> None:
    """Add ``scan`` to the subcommands of the ``chainval`` parser."""
    s = sub.add_parser("scan", help="verify served chains in bulk",
                       description="Verify served chains against one or more trust stores; "
                       "one output row per input record, in input order. -o OUT is written "
                       "as OUT.partial and renamed when complete; OUT.meta.json beside it "
                       "records the scan's parameters and summary.", epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="JSONL, CSV, PEM file or directory, zgrab2 output, CT get-entries "
                   "JSON, Rapid7 Sonar SSL _hosts/_endpoints file (gzip allowed); - for stdin")
    s.add_argument("--roots", metavar="FILE|DIR",
                   help='the trust store named "default" (a PEM bundle or a directory; '
                   '"system" for the OS store)')
    s.add_argument("--store", action="append", default=[], metavar="NAME=FILE|DIR",
                   help="an additional named trust store (repeatable)")
    s.add_argument("--distrust-after", action="append", default=[], metavar="SHA256=DATE",
                   help="trust the root with this SHA-256 fingerprint (hex) only for leaves "
                   "issued before DATE (unix seconds or RFC 3339), in every store; later ones "
                   "get code distrusted (repeatable)")
    s.add_argument("--pool", metavar="FILE|DIR", help="intermediate certificates used to "
                   "complete chains")
    s.add_argument("--at", metavar="TIME", help="verify every row at TIME (unix seconds or "
                   "RFC 3339); default: each row's own time, else now")
    s.add_argument("--threads", type=int, metavar="N", help="verification threads, 1 to "
                   f"{MAX_THREADS} (default: all cores)")
    s.add_argument("--cache-size", type=int, metavar="MIB",
                   default=Scanner.CACHE_BYTES >> 20,
                   help="bound of the cache of CA certificates, signature checks and verdicts "
                   f"of chains already seen, in MiB (default %(default)s; 0: no cache; at most "
                   f"{MAX_CACHE_MIB})")
    s.add_argument("-o", "--output", metavar="OUT", default="-", help="output file "
                   "(default: stdout)")
    s.add_argument("--format", choices=("jsonl", "csv"), default="jsonl",
                   help="output format (default jsonl)")
    s.add_argument("--input-format", choices=FORMATS, metavar="FMT",
                   help="input format, instead of detecting it: " + ", ".join(FORMATS))
    s.add_argument("--sonar-certs", action="append", default=[], metavar="FILE",
                   help="a Rapid7 Sonar certs file (sha1hex,base64der lines, gzip allowed) "
                   "for sonar inputs, besides the _certs file beside each hosts file "
                   "(repeatable: earlier studies' certs files)")
    s.add_argument("--sonar-db", metavar="PATH", help="keep the SQLite database the Sonar "
                   "certs files are loaded into at PATH, and reuse it (default: a temporary "
                   "one, deleted at the end)")
    s.add_argument("--summary", metavar="FILE", help="also write the summary as JSON to FILE")
    s.add_argument("--batch", type=int, default=DEFAULT_BATCH, metavar="N",
                   help=f"rows verified at a time (default {DEFAULT_BATCH}; 1 to {MAX_BATCH})")
    s.add_argument("--resume", action="store_true", help="continue an interrupted scan "
                   "(OUT.partial): the same inputs and options are checked against "
                   "OUT.partial.meta.json, rows already written are passed over unread")
    s.add_argument("--host-from", choices=("name", "ip", "none"), default="name",
                   help="which name a chain is checked against: name (default): the name "
                   "the record says the client asked for (jsonl/csv host, zgrab2 domain; "
                   "none for CT, PEM and Sonar); ip: that name, else the record's IP address "
                   "(zgrab2 ip, the Sonar host's IP); none: no name check")
    s.add_argument("--strict-stores", action="store_true", help="refuse a trust store or "
                   "pool with any entry that could not be loaded (default: load the rest, "
                   "and say how many were rejected)")
    s.add_argument("--fail-on-malformed", action="store_true", help="exit with status 3 "
                   "when any row is malformed")
    s.add_argument("--dask", metavar="ADDRESS|local[:N]", help="run on a Dask cluster: the "
                   "scheduler's address (tcp://HOST:PORT, tls://...), or local:N for N worker "
                   "processes on this machine (default N: the cores); needs "
                   "pip install 'chainval[dask]', -o OUT on a filesystem every worker can "
                   "write, and inputs every worker can read (docs/scan.md, \"On a Dask "
                   "cluster\")")
    s.add_argument("--partition-size", type=int, default=64, metavar="MIB",
                   help="--dask: uncompressed JSON lines files are split into parts of about "
                   "this size, at line ends (default %(default)s; other inputs are one part "
                   "each)")
    s.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress bar on stderr (auto: when stderr is a terminal)")
    s.add_argument("-q", "--quiet", action="store_true", help="no summary, store report or "
                   "progress bar on stderr (warnings and errors still)")
    s.set_defaults(run=run)


def _parse_stores(args) -> list[tuple[str, str]]:
    specs = []
    if args.roots:
        specs.append(("default", args.roots))
    for spec in args.store:
        name, sep, path = spec.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise UsageError(f"--store {spec!r}: expected NAME=FILE|DIR")
        specs.append((name, path))
    if not specs:
        raise UsageError("no trust store: give --roots FILE|DIR (or --store NAME=FILE|DIR)")
    names = [n for n, _ in specs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UsageError(f"store name used twice: {', '.join(sorted(dup))}")
    for name, path in specs:
        if not os.path.exists(path) and path != "system":
            raise UsageError(f"trust store {name}: {path}: no such file or directory")
    return specs


def _same_file(a: str, b: str) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_paths(args) -> None:
    """Before anything is read or written: inputs exist, no output is an input,
    and every output's directory is there and writable (issue 12 items 1, 6)."""
    if args.inputs.count("-") > 1:
        raise UsageError("stdin (-) given twice")
    for path in args.inputs:
        if path != "-" and not input_exists(path):
            raise UsageError(f"{path}: no such file or directory")
    if args.resume and args.output != "-" and os.path.exists(args.output) and \
            not os.path.isfile(args.output):
        # Checked before anything opens it: opening a FIFO with no reader blocks.
        raise UsageError(f"--resume: {args.output} is not a regular file")
    if args.resume and args.output == "-":
        raise UsageError("--resume needs -o OUT")
    if args.resume and "-" in args.inputs:
        raise UsageError("--resume cannot continue from stdin (-): it cannot be read again")
    outputs = [("-o", args.output)] if args.output != "-" else []
    if args.summary:
        outputs.append(("--summary", args.summary))
    for flag, out in outputs:
        if os.path.isdir(out):
            raise UsageError(f"{flag} {out}: is a directory")
        for inp in args.inputs + [p for p in (args.roots, args.pool) if p] + \
                [spec.partition("=")[2] for spec in args.store] + args.sonar_certs:
            if inp != "-" and not is_url(inp) and os.path.exists(inp) and (
                    _same_file(out, inp) or _same_file(out + ".partial", inp) or
                    (os.path.isdir(inp) and os.path.abspath(out).startswith(
                        os.path.abspath(inp) + os.sep))):
                raise UsageError(f"{flag} {out} is also an input ({inp}): refusing to "
                                 f"overwrite it")
        folder = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(folder):
            raise UsageError(f"{flag} {out}: the directory {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"{flag} {out}: cannot write in {folder}")
    if len(outputs) == 2 and _same_file(outputs[0][1], outputs[1][1]):
        raise UsageError("-o and --summary name the same file")


def _check_numbers(args) -> None:
    """Numbers validated when parsed, not when used (issue 12 item 13)."""
    if not 1 <= args.batch <= MAX_BATCH:
        raise UsageError(f"--batch must be between 1 and {MAX_BATCH}")
    if args.threads is not None and not 1 <= args.threads <= MAX_THREADS:
        raise UsageError(f"--threads must be between 1 and {MAX_THREADS}")
    if not 1 <= args.partition_size <= MAX_CACHE_MIB:
        raise UsageError(f"--partition-size must be between 1 and {MAX_CACHE_MIB} (MiB)")
    if not 0 <= args.cache_size <= MAX_CACHE_MIB:
        raise UsageError(f"--cache-size must be between 0 and {MAX_CACHE_MIB} (MiB)")


def _load_sets(args, stderr: TextIO) -> tuple[list, Any, list[dict], Optional[dict],
                                              list[tuple[str, int]]]:
    """The trust stores and the pool, with what was loaded and rejected (item 12),
    and --distrust-after parsed: (fingerprint, unix seconds), applied to every store."""
    stores, loaded, distrust = [], [], []
    for name, path in _parse_stores(args):
        try:
            store = load_store(path)
        except (ValueError, OSError) as e:
            raise UsageError(f"trust store {name}: {e}") from None
        stores.append((name, store))
        loaded.append(_set_info(name, path, store, "anchors", args.strict_stores, stderr,
                                args.quiet))
    for spec in args.distrust_after:
        fingerprint, sep, date = spec.partition("=")
        try:
            if not sep:
                raise ValueError("expected SHA256=DATE")
            when = parse_time(date)
            for _, store in stores:
                store.distrust_after(fingerprint.strip(), when)
            distrust.append((fingerprint.strip(), when))
        except (ValueError, TypeError) as e:
            raise UsageError(f"--distrust-after {spec}: {e}") from None
    pool, pool_info = None, None
    if args.pool:
        if not os.path.exists(args.pool):
            raise UsageError(f"--pool {args.pool}: no such file or directory")
        try:
            pool = load_pool(args.pool)
        except (ValueError, OSError) as e:
            raise UsageError(f"--pool: {e}") from None
        pool_info = _set_info("pool", args.pool, pool, "certificates", args.strict_stores,
                              stderr, args.quiet)
    return stores, pool, loaded, pool_info, distrust


def _set_info(name: str, path: str, certs: Any, noun: str, strict: bool, stderr: TextIO,
              quiet: bool) -> dict:
    rejected = certs.rejected
    what = "trust store " + name if noun == "anchors" else "--pool"
    if rejected and strict:
        source, why = rejected[0]
        raise UsageError(f"{what} {path}: {len(rejected)} entries could not be loaded "
                         f"(first: {source}: {why}); --strict-stores refuses it")
    if not quiet or rejected:
        count = len(certs)
        line = f"{what}: {count:,} {noun if count != 1 else noun[:-1]} loaded from {path}"
        if rejected:
            source, why = rejected[0]
            line += f", {len(rejected):,} rejected (first: {source}: {why})"
        stderr.write("chainval scan: " + line + "\n")
    return {"name": name, "path": os.path.abspath(path) if path != "system" else path,
            "sha256": fingerprint_of(path), noun: len(certs), "rejected": len(rejected)}


def _parameters(args, inputs: list[Input], stores: list[dict], pool: Optional[dict],
                at: Optional[int]) -> dict:
    """What makes two runs the same scan (the sidecar; --resume compares them)."""
    return {
        "chainval": chainval.__version__,
        "gnutls": chainval.GNUTLS_VERSION,
        "inputs": [{"path": absolute(inp.path), "size": inp.size} for inp in inputs],
        "input_format": args.input_format,
        "stores": stores,
        "pool": pool,
        "at": at,
        "format": args.format,
        "distrust_after": list(args.distrust_after),
        "host_from": args.host_from,
        "sonar_certs": [{"path": os.path.abspath(p), "size": _size(p)}
                        for p in args.sonar_certs],
    }


def _size(path: str) -> Optional[int]:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def run(args, stdout: TextIO, stderr: TextIO, stdin) -> int:
    """Run ``chainval scan``; returns the exit status (errors.py's table)."""
    if getattr(args, "own_process", False) and args.threads == 1 and not args.dask:
        # One verifying thread: it shares glibc's main arena (which grows in
        # large steps) with the main and reading threads, which allocate
        # little there, rather than grow an arena of its own a page and a
        # system call at a time: system time 0.21 -> 0.16 CPU-s per 100,000
        # rows (docs/performance.md, session 18). Process-wide and for good,
        # so only in chainval's own process (cli.program(), not cli.main()),
        # and first: before any thread (fsspec's, for a URL) allocates.
        _chainval._one_malloc_arena()
    _check_numbers(args)
    _check_paths(args)
    at = parse_at(args.at) if args.at is not None else None
    quiet = args.quiet
    stores, pool, stores_info, pool_info, distrust = _load_sets(args, stderr)
    try:
        sonar = SonarCerts(args.sonar_db, log=stderr, quiet=quiet)
        for path in args.sonar_certs:
            sonar.add(path)
    except ValueError as e:
        raise UsageError(str(e)) from None
    inputs = [Input(p, args.input_format, stdin=stdin, sonar_certs=sonar,
                    host_from=args.host_from) for p in args.inputs]
    with_source = len(inputs) > 1
    names = [n for n, _ in stores]
    scanner = Scanner(stores, pool=pool, at=at, threads=args.threads, with_source=with_source,
                      cache_bytes=args.cache_size << 20, output=args.format,
                      sources=[inp.name for inp in inputs])
    params = _parameters(args, inputs, stores_info, pool_info, at)
    dask = None
    if args.dask:
        from .dask_scan import DaskRows, sets_of  # dask is an optional dependency
        dask = DaskRows(args, inputs, params, sets_of(stores_info, pool_info, distrust,
                                                       args.cache_size << 20), sonar, stderr)
    try:
        code = _run(args, stdout, stderr, inputs, scanner, params, names, stores_info,
                    pool_info, at, sonar, dask)
    finally:
        if dask is not None:
            dask.close()
    # Inputs, output, summary and the reading thread are closed: what is left is
    # memory, the verdict cache above all, which the program need not free one
    # object at a time (chainval.cli.program): the scanner stays referenced from
    # args so that it outlives this frame. A --dask scan's client may still hold
    # resources of its own: its process ends the usual way.
    if dask is None:
        args.kept_until_exit = scanner
    return code


def _run(args, stdout: TextIO, stderr: TextIO, inputs: list[Input], scanner: Scanner,
         params: dict, names: list[str], stores_info: list[dict], pool_info: Optional[dict],
         at: Optional[int], sonar: Any, dask: Any) -> int:
    quiet = args.quiet
    if args.resume and not os.path.exists(args.output + ".partial"):
        if os.path.exists(args.output) and os.path.exists(sidecar_path(args.output)):
            stderr.write(f"chainval scan: nothing to resume: {args.output} is complete "
                         f"({sidecar_path(args.output)})\n")
            return EXIT_OK
        args.resume = False  # nothing was written yet: a scan from the start
    out = Output(args.output, stdout, params, args.resume, args.format)
    resumed = out.resumed
    summary = Summary(names)
    if out.counts:
        summary.merge(out.counts)

    show = args.progress == "always" or (args.progress == "auto" and not quiet
                                         and _isatty(stderr))
    total = None
    if all(inp.size is not None for inp in inputs):
        total = sum(inp.size or 0 for inp in inputs)
    progress = Progress(stderr, total) if show else None
    counts = [0] * len(inputs)
    scanned = 0
    interrupted = False
    failure: Optional[RunError] = None
    start = time.monotonic()

    if dask is not None:
        source: Any = dask
        try:
            dask.start(resumed, args.resume)
        except BaseException:
            out.finish(False, resumed, out.counts or Summary(names).counters(), {},
                       checkpoint=False)
            raise
    else:
        source = LocalRows(scanner, inputs, resumed, args.batch, stderr, out.last_row)

    def counters() -> dict:
        both = Summary(names)
        if out.counts:
            both.merge(out.counts)
        both.merge(source.counts())
        return both.counters()

    try:
        with Interrupt(stderr) as intr:
            try:
                if args.format == "csv" and (args.output == "-" or out.rows == 0) and \
                        not resumed:
                    out.write(scanner.csv_header())
                for k, rows, n, pos in source.batches(stop=lambda: intr.requested):
                    intr.begin_write()
                    try:
                        out.write(rows)
                        # Counted once written, even when a second Ctrl-C raises
                        # on leaving the write: the checkpoint must cover them.
                        counts[k] += n
                        scanned += n
                    finally:
                        intr.end_write()
                    if source.take_interrupt():
                        raise KeyboardInterrupt  # after writing the rows it counted
                    if source.at_boundary:
                        out.checkpoint(resumed + scanned, counters)
                    if progress:
                        progress.update(scanned, pos)
                interrupted = source.stopped
            except KeyboardInterrupt:
                interrupted = True
    except RunError as e:  # a part of a --dask scan failed: the rows before it are kept
        failure = e
    except OSError as e:
        failure = RunError(f"cannot write {args.output if args.output != '-' else 'stdout'}: "
                           f"{os_reason(e)}",
                           "rows up to the last checkpoint are kept: free the space or fix "
                           "the cause, then run the same command with --resume"
                           if out.partial is not None else "")
    finally:
        elapsed = time.monotonic() - start  # before a --dask local:N cluster shuts down
        source.close()
        sonar.close()
        for inp in inputs:
            inp.close()
        if progress:
            progress.clear()

    summary.merge(source.counts())
    complete = not interrupted and failure is None
    report = summary.as_dict()
    report = {
        "rows": summary.rows,
        "scanned": scanned,
        "resumed_rows": resumed,
        "interrupted": interrupted,
        "elapsed_s": round(elapsed, 3),
        "rows_per_s": round(scanned / elapsed, 1) if elapsed > 0 else None,
        **{k: v for k, v in report.items() if k != "rows"},
        "inputs": [{"path": inp.path, "format": inp.format, "rows": n}
                   for inp, n in zip(inputs, counts)],
        "stores_loaded": stores_info + ([pool_info] if pool_info else []),
        "output": None if args.output == "-" else args.output,
        "at": at,
        "cache": source.cache_stats(),
    }
    try:
        out.finish(complete, resumed + scanned, summary.counters(), report,
                   checkpoint=source.at_boundary)
        source.finish(complete)
        if args.summary:
            write_atomically(args.summary, (json.dumps(report, indent=2) + "\n").encode())
    except OSError as e:
        failure = failure or RunError(f"cannot write {e.filename or args.output}: "
                                      f"{os_reason(e)}", "run the same command with "
                                      "--resume once the cause is fixed")
    if not quiet:
        head = (f"chainval scan: {_rows(scanned)} in {elapsed:.2f} s "
                f"({report['rows_per_s'] or 0:,.0f} rows/s)")
        if resumed:
            head += f", after {_rows(resumed)} already in {out.partial}"
        if interrupted:
            head += ", INTERRUPTED"
        stderr.write(head + "\n" + summary.text() + "\n")
    # A device or FIFO (-o /dev/null) has no .partial and no sidecar: nothing to
    # resume, and only the rows were written.
    if (interrupted or failure) and out.partial is not None:
        stderr.write(f"chainval scan: {out.partial} is complete up to row {summary.rows:,}; "
                     "continue with --resume\n")
    elif complete and out.partial is not None and not quiet:
        stderr.write(f"chainval scan: wrote {args.output} and {sidecar_path(args.output)}\n")
    elif complete and args.output != "-" and not quiet:
        stderr.write(f"chainval scan: wrote {args.output}\n")
    stderr.flush()
    if failure:
        raise failure
    if interrupted:
        return EXIT_INTERRUPTED
    if args.fail_on_malformed and report["verdicts"]["malformed"]:
        return EXIT_MALFORMED
    return EXIT_OK


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")
