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
from collections.abc import Generator, Iterator
from typing import Any, Optional, TextIO

import chainval

from .engine import Scanner
from .errors import EXIT_INTERRUPTED, EXIT_MALFORMED, EXIT_OK, RunError, UsageError
from .formats import FORMATS, Input, Record, parse_time, record
from .formats.blocks import BufferPool, Damage
from .formats.sonar import SonarCerts
from .progress import Interrupt, Progress, _isatty, _Prefetch
from .output import Output, sidecar_path, write_atomically
from .stores import fingerprint_of, load_pool, load_store
from .summary import Summary

__all__ = ["add_parser", "run"]

MAX_THREADS = 1024
MAX_CACHE_MIB = 1 << 20  # 1 TiB
MAX_BATCH = 1_000_000
SCAN_TIME_MIN, SCAN_TIME_MAX = -62135596800, 253402300799  # the years 0001..9999


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
    s.add_argument("--batch", type=int, default=2000, metavar="N",
                   help=f"rows verified at a time (default 2000; 1 to {MAX_BATCH})")
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


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _units(inputs: list[Input], batch: int, pool: BufferPool) -> Iterator[tuple]:
    """What the reader thread hands the verifying thread, input by input:
    ("start", k), then ("block", k, bytes or a memoryview of ``pool``) for
    the formats read in C or ("records", k, [Record]) for the others, then
    ("end", k, damage or None). Reading, decompressing and the Python
    formats' parsing happen here."""
    for k, inp in enumerate(inputs):
        inp.open()
        yield ("start", k)
        damage = None
        if inp.c_reader is not None:
            try:
                for block in inp.blocks(pool):
                    yield ("block", k, block)
            except Damage as e:
                damage = str(e)
        else:
            for recs in _batches(iter(inp.records()), batch):
                for rec in recs:
                    rec.input = k
                yield ("records", k, recs)
        yield ("end", k, damage)


class _Rows:
    """The verifying side of the scan: turns the units of :func:`_units` into
    output rows with the engine, and passes over the first ``skip`` records
    (--resume) unread where the C readers allow it."""

    def __init__(self, scanner: Scanner, inputs: list[Input], skip: int, batch: int,
                 stderr: TextIO, pool: BufferPool, last_row: Optional[dict] = None) -> None:
        self.scanner, self.inputs, self.skip, self.batch = scanner, inputs, skip, batch
        self.stderr, self.pool = stderr, pool
        self.last_row = last_row  # --resume: the last row already written
        self.reader: Any = None
        # The start of a record that the last block cut (a few KiB): it is
        # joined with the next block's first line(s), never the whole block.
        self.tail = b""

    def _check_resume(self, k: int, line: int) -> None:
        """--resume passed over the rows already written: the last of them
        must be the record where the skip ended (same input, same line)."""
        want, self.last_row = self.last_row, None
        if want is None:
            return
        source = self.inputs[k].name if len(self.inputs) > 1 else None
        if want["line"] != line or (source is not None and want.get("source") != source):
            where = f"line {want['line']}" + (f" of {want['source']}" if want.get("source") else "")
            raise UsageError(f"--resume: the input does not match the rows already written: "
                             f"the last row is {where}, but that record of the input is line "
                             f"{line}" + (f" of {source}" if source else "")
                             + "; start again without --resume")

    def rows(self, unit: tuple) -> Iterator[bytes]:
        what, k = unit[0], unit[1]
        inp = self.inputs[k]
        if what == "start":
            self.reader, self.tail = None, b""
            self._input = inp
            if inp.c_reader is not None:
                self.reader = self.scanner.reader(k, inp.c_reader, record.MAX_RECORD_BYTES,
                                                  inp.host_from)
                self.reader.skip(self.skip)
        elif what == "block":
            block = unit[2]
            try:
                start = yield from self._join_tail(block)
                if start is not None:
                    start = yield from self._feed(block, False, start)
                    self.tail = bytes(block[start:])
            finally:
                self.pool.give(block)
        elif what == "records":
            recs = unit[2]
            if self.skip:
                dropped = min(self.skip, len(recs))
                last = recs[dropped - 1].line
                recs, self.skip = recs[dropped:], self.skip - dropped
                if self.skip == 0:
                    self._check_resume(k, last)
            for rec in recs:
                if rec.error_kind == "damaged_input":
                    _warn(self.stderr, f"{inp.name}: {rec.error}; the rows before it are kept")
            if recs:
                yield self.scanner.run(recs)
        elif what == "end" and self.reader is not None:
            damage = unit[2]
            if damage is None:
                tail, self.tail = self.tail, b""
                yield from self._feed(tail, True, 0)
            else:
                # The bytes after the last complete record are the damaged part:
                # the damage row stands for them.
                _warn(self.stderr, f"{inp.name}: {damage}; the rows before it are kept")
                rec = Record(inp.name, self.reader.line + 1, error=damage,
                             error_kind="damaged_input")
                rec.input = k
                yield self.scanner.run([rec])
            self.skip = self.reader.skip_left

    def _join_tail(self, block) -> Generator[bytes, None, Optional[int]]:
        """Finish the record the last block cut, from the first line(s) of
        ``block``. Returns where the rest of ``block`` starts, or None when
        the whole block went into that record (which goes on)."""
        if not self.tail:
            return 0
        n, cut, start = len(block), 0, 0
        joined, base = self.tail, len(self.tail)  # joined[base:] is block[:cut]
        while True:
            # One more line of the block (a CSV record may hold newlines).
            nl = _find_newline(block, cut)
            more = n if nl < 0 else nl + 1
            joined, cut = joined + bytes(block[cut:more]), more
            start = yield from self._feed(joined, False, start, until=base)
            if start >= base:
                self.tail = b""
                return start - base
            if cut == n:
                self.tail = joined[start:]
                return None

    def _feed(self, data, final: bool, start: int, until: Optional[int] = None
              ) -> Generator[bytes, None, int]:
        """Rows of the records in ``data`` from ``start``, a batch at a time,
        as long as the reader takes bytes (stopping past ``until``, when
        given); returns where it stopped."""
        while True:
            skipping = self.reader.skip_left > 0
            rows, end = self.scanner.feed(self.reader, data, final, start, self.batch)
            taken = end > start
            start = end
            if skipping and self.reader.skip_left == 0:
                self._check_resume(self.inputs.index(self._input), self.reader.last_start)
            if rows or skipping:
                yield rows  # while --resume passes over rows: nothing, but progress moves
            if not taken or start >= len(data) or (until is not None and start >= until):
                return start


def _find_newline(block, start: int) -> int:
    """block.find(b"\\n", start) for bytes and for a pool's memoryviews (which
    start at their buffer's first byte)."""
    if isinstance(block, memoryview):
        return block.obj.find(b"\n", start, len(block))  # type: ignore[attr-defined]
    return block.find(b"\n", start)


def _warn(stderr: TextIO, text: str) -> None:
    try:
        stderr.write(f"chainval scan: warning: {text}\n")
        stderr.flush()
    except (OSError, ValueError):
        pass


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
        if path != "-" and not os.path.exists(path):
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
            if inp != "-" and os.path.exists(inp) and (
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
    if not 0 <= args.cache_size <= MAX_CACHE_MIB:
        raise UsageError(f"--cache-size must be between 0 and {MAX_CACHE_MIB} (MiB)")


def _load_sets(args, stderr: TextIO) -> tuple[list, Any, list[dict], Optional[dict]]:
    """The trust stores and the pool, with what was loaded and rejected (item 12)."""
    stores, loaded = [], []
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
    return stores, pool, loaded, pool_info


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
        "inputs": [{"path": inp.path if inp.path == "-" else os.path.abspath(inp.path),
                    "size": inp.size} for inp in inputs],
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
    _check_numbers(args)
    _check_paths(args)
    at = None
    if args.at is not None:
        try:
            at = parse_time(args.at)
        except ValueError as e:
            raise UsageError(f"--at: {e}") from None
        if not SCAN_TIME_MIN <= at <= SCAN_TIME_MAX:
            raise UsageError(f"--at: {args.at!r} is outside the years 0001..9999")
    quiet = args.quiet
    stores, pool, stores_info, pool_info = _load_sets(args, stderr)
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

    def position() -> int:
        return sum(inp.position() for inp in inputs)

    def counters() -> dict:
        both = Summary(names)
        if out.counts:
            both.merge(out.counts)
        both.merge(scanner.counts())
        return both.counters()

    pool = BufferPool()
    engine = _Rows(scanner, inputs, resumed, args.batch, stderr, pool, out.last_row)
    prefetch = _Prefetch((unit, position()) for unit in _units(inputs, args.batch, pool))
    try:
        with Interrupt(stderr) as intr:
            try:
                if args.format == "csv" and (args.output == "-" or out.rows == 0) and \
                        not resumed:
                    out.write(scanner.csv_header())
                for unit, pos in prefetch.items(stop=lambda: intr.requested):
                    k = unit[1]
                    for rows in engine.rows(unit):
                        intr.begin_write()
                        try:
                            out.write(rows)
                        finally:
                            intr.end_write()
                        n = rows.count(b"\n")
                        counts[k] += n
                        scanned += n
                        if scanner.take_interrupt():
                            raise KeyboardInterrupt  # after writing the rows it counted
                        out.checkpoint(resumed + scanned, counters)
                        if progress:
                            progress.update(scanned, pos)
                        if intr.requested:
                            break
                    if intr.requested:
                        interrupted = True
                        break
                interrupted = interrupted or prefetch.stopped
            except KeyboardInterrupt:
                interrupted = True
    except OSError as e:
        failure = RunError(f"cannot write {args.output if args.output != '-' else 'stdout'}: "
                           f"{e.strerror or e}",
                           "rows up to the last checkpoint are kept: free the space or fix "
                           "the cause, then run the same command with --resume"
                           if args.output != "-" else "")
    finally:
        prefetch.close()
        sonar.close()
        for inp in inputs:
            inp.close()
        elapsed = time.monotonic() - start
        if progress:
            progress.clear()

    summary.merge(scanner.counts())
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
        "cache": scanner.cache.stats() if scanner.cache else None,
    }
    try:
        out.finish(complete, resumed + scanned, summary.counters(), report)
        if args.summary:
            write_atomically(args.summary, (json.dumps(report, indent=2) + "\n").encode())
    except OSError as e:
        failure = failure or RunError(f"cannot write {e.filename or args.output}: "
                                      f"{e.strerror or e}", "run the same command with "
                                      "--resume once the cause is fixed")
    if not quiet:
        head = (f"chainval scan: {_rows(scanned)} in {elapsed:.2f} s "
                f"({report['rows_per_s'] or 0:,.0f} rows/s)")
        if resumed:
            head += f", after {_rows(resumed)} already in {out.partial}"
        if interrupted:
            head += ", INTERRUPTED"
        stderr.write(head + "\n" + summary.text() + "\n")
    if (interrupted or failure) and args.output != "-":
        stderr.write(f"chainval scan: {out.partial} is complete up to row {summary.rows:,}; "
                     "continue with --resume\n")
    elif complete and args.output != "-" and not quiet:
        stderr.write(f"chainval scan: wrote {args.output} and {sidecar_path(args.output)}\n")
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
