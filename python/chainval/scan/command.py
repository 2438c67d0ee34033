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
from collections.abc import Iterator
from itertools import chain
from typing import Any, TextIO

from .engine import Scanner
from .errors import UsageError
from .formats import FORMATS, Input, Record, parse_time, record
from .formats.blocks import Damage
from .formats.sonar import SonarCerts
from .progress import Interrupt, Progress, _isatty, _Prefetch
from .rows import count_rows, csv_columns
from .stores import load_pool, load_store
from .summary import Summary

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``scan`` to the subcommands of the ``chainval`` parser."""
    s = sub.add_parser("scan", help="verify served chains in bulk",
                       description="Verify served chains against one or more trust stores; "
                       "one output row per input record, in input order.")
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
    s.add_argument("--threads", type=int, metavar="N", help="verification threads "
                   "(default: all cores)")
    s.add_argument("--cache-size", type=int, metavar="MIB",
                   default=Scanner.CACHE_BYTES >> 20,
                   help="bound of the cache of CA certificates, signature checks and verdicts "
                   "of chains already seen, in MiB (default %(default)s; 0: no cache)")
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
                   help="rows per verify_many batch (default 2000)")
    s.add_argument("--resume", action="store_true", help="continue an interrupted scan: "
                   "skip as many input rows as OUT holds, and append")
    s.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress bar on stderr (auto: when stderr is a terminal)")
    s.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
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


def _units(inputs: list[Input], batch: int) -> Iterator[tuple]:
    """What the reader thread hands the verifying thread, input by input:
    ("start", k), then ("block", k, bytes) for the formats read in C or
    ("records", k, [Record]) for the others, then ("end", k, damage or None).
    Reading, decompressing and the Python formats' parsing happen here."""
    for k, inp in enumerate(inputs):
        inp.open()
        yield ("start", k)
        damage = None
        if inp.c_reader is not None:
            try:
                for block in inp.blocks():
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
                 stderr: TextIO) -> None:
        self.scanner, self.inputs, self.skip, self.batch = scanner, inputs, skip, batch
        self.stderr = stderr
        self.reader: Any = None
        self.pending, self.start = b"", 0

    def rows(self, unit: tuple) -> Iterator[bytes]:
        what, k = unit[0], unit[1]
        inp = self.inputs[k]
        if what == "start":
            self.reader, self.pending, self.start = None, b"", 0
            if inp.c_reader is not None:
                self.reader = self.scanner.reader(k, inp.c_reader, record.MAX_RECORD_BYTES)
                self.reader.skip(self.skip)
        elif what == "block":
            self.pending = self.pending[self.start:] + unit[2] if self.start < len(self.pending) \
                else unit[2]
            self.start = 0
            yield from self._feed(False)
        elif what == "records":
            recs = unit[2]
            if self.skip:
                dropped = min(self.skip, len(recs))
                recs, self.skip = recs[dropped:], self.skip - dropped
            for rec in recs:
                if rec.error_kind == "damaged_input":
                    _warn(self.stderr, f"{inp.name}: {rec.error}; the rows before it are kept")
            if recs:
                yield self.scanner.run(recs)
        elif what == "end" and self.reader is not None:
            damage = unit[2]
            if damage is None:
                yield from self._feed(True)
            else:
                # The bytes after the last complete record are the damaged part:
                # the damage row stands for them.
                _warn(self.stderr, f"{inp.name}: {damage}; the rows before it are kept")
                rec = Record(inp.name, self.reader.line + 1, error=damage,
                             error_kind="damaged_input")
                rec.input = k
                yield self.scanner.run([rec])
            self.skip = self.reader.skip_left

    def _feed(self, final: bool) -> Iterator[bytes]:
        while True:
            rows, end = self.scanner.feed(self.reader, self.pending, final, self.start,
                                          self.batch)
            taken = end > self.start
            self.start = end
            if rows:
                yield rows
            if not taken or self.start >= len(self.pending):
                return


def _warn(stderr: TextIO, text: str) -> None:
    try:
        stderr.write(f"chainval scan: warning: {text}\n")
        stderr.flush()
    except (OSError, ValueError):
        pass


class _TextBytes:
    """Bytes written to a text stream (a stdout replaced by a StringIO)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data.decode("utf-8"))

    def flush(self) -> None:
        self.stream.flush()


def run(args, stdout: TextIO, stderr: TextIO, stdin) -> int:
    """Run ``chainval scan``; returns the exit status (0, or 130 when interrupted)."""
    if args.batch < 1:
        raise UsageError("--batch must be at least 1")
    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads must be at least 1")
    if args.cache_size < 0:
        raise UsageError("--cache-size must be at least 0")
    if args.resume and args.output == "-":
        raise UsageError("--resume needs -o OUT")
    if args.inputs.count("-") > 1:
        raise UsageError("stdin (-) given twice")
    for path in args.inputs:
        if path != "-" and not os.path.exists(path):
            raise UsageError(f"{path}: no such file or directory")
    at = None
    if args.at is not None:
        try:
            at = parse_time(args.at)
        except ValueError as e:
            raise UsageError(f"--at: {e}") from None

    specs = _parse_stores(args)
    stores = []
    for name, path in specs:
        try:
            stores.append((name, load_store(path)))
        except (ValueError, OSError) as e:
            raise UsageError(f"trust store {name}: {e}") from None
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
    pool = None
    if args.pool:
        if not os.path.exists(args.pool):
            raise UsageError(f"--pool {args.pool}: no such file or directory")
        try:
            pool = load_pool(args.pool)
        except (ValueError, OSError) as e:
            raise UsageError(f"--pool: {e}") from None

    try:
        sonar = SonarCerts(args.sonar_db, log=stderr, quiet=args.quiet)
        for path in args.sonar_certs:
            sonar.add(path)
    except ValueError as e:
        raise UsageError(str(e)) from None
    inputs = [Input(p, args.input_format, stdin=stdin, sonar_certs=sonar)
              for p in args.inputs]
    with_source = len(inputs) > 1
    names = [n for n, _ in stores]
    summary = Summary(names)
    scanner = Scanner(stores, pool=pool, at=at, threads=args.threads, with_source=with_source,
                      cache_bytes=args.cache_size << 20, output=args.format,
                      sources=[inp.name for inp in inputs])

    resumed = 0
    out: Any
    if args.output == "-":
        out = getattr(stdout, "buffer", None)
        if out is None:
            out = _TextBytes(stdout)
    else:
        if args.resume:
            try:
                resumed = count_rows(args.output, args.format,
                                     csv_columns(names, with_source) if args.format == "csv"
                                     else None, fold=summary.add)
            except ValueError as e:
                raise UsageError(f"--resume: {e}") from None
        out = open(args.output, "ab" if args.resume else "wb")
    need_header = args.format == "csv" and (args.output == "-" or out.tell() == 0)

    show = args.progress == "always" or (args.progress == "auto" and _isatty(stderr))
    total = None
    if all(inp.size is not None for inp in inputs):
        total = sum(inp.size or 0 for inp in inputs)
    progress = Progress(stderr, total) if show else None
    counts = [0] * len(inputs)
    scanned = 0
    interrupted = False
    start = time.monotonic()

    def position() -> int:
        return sum(inp.position() for inp in inputs)

    engine = _Rows(scanner, inputs, resumed, args.batch, stderr)
    prefetch = _Prefetch((unit, position()) for unit in _units(inputs, args.batch))
    try:
        with Interrupt(stderr) as intr:
            try:
                if need_header:
                    out.write(scanner.csv_header())
                for unit, pos in prefetch:
                    k = unit[1]
                    for rows in engine.rows(unit):
                        intr.begin_write()
                        try:
                            out.write(rows)
                            out.flush()
                        finally:
                            intr.end_write()
                        n = rows.count(b"\n")
                        counts[k] += n
                        scanned += n
                        if progress:
                            progress.update(scanned, pos)
                        if intr.requested:
                            break
                    if intr.requested:
                        interrupted = True
                        break
            except KeyboardInterrupt:
                interrupted = True
    finally:
        prefetch.close()
        sonar.close()
        for inp in inputs:
            inp.close()
        elapsed = time.monotonic() - start
        if progress:
            progress.clear()
        if args.output != "-":
            out.close()
        else:
            try:
                out.flush()
            except (OSError, ValueError):
                pass
    summary.merge(scanner.counts())

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
        "output": None if args.output == "-" else args.output,
        "at": at,
        "cache": scanner.cache.stats() if scanner.cache else None,
    }
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    if not args.quiet:
        head = (f"chainval scan: {scanned} rows in {elapsed:.2f} s "
                f"({report['rows_per_s'] or 0:,.0f} rows/s)")
        if resumed:
            head += f", after {resumed} rows already in {args.output}"
        if interrupted:
            head += ", INTERRUPTED"
        stderr.write(head + "\n" + summary.text() + "\n")
        if interrupted and args.output != "-":
            stderr.write(f"{args.output} is complete up to row {summary.rows}; "
                         f"continue with --resume\n")
        stderr.flush()
    return 130 if interrupted else 0
