"""The ``chainval`` command: ``chainval scan`` and ``chainval report``.

    chainval scan INPUT... --roots FILE|DIR [--store NAME=FILE|DIR ...] [--pool FILE|DIR]
                  [--at TIME] [--threads N] [-o OUT] [--format jsonl|csv]
                  [--input-format FMT] [--sonar-certs FILE ...] [--sonar-db PATH]
                  [--summary FILE] [--batch N] [--resume]
    chainval report OUT.jsonl [-o report.html]

See docs/scan.md. ``main(argv)`` returns the exit status: 0 when the scan
completed (whatever the verdicts), 130 when interrupted, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional, TextIO

from . import formats
from .formats import Input, Record, parse_time
from .scan import (CsvWriter, JsonlWriter, Scanner, Summary, count_rows, csv_columns,
                   load_pool, load_store)
from .sonar import SonarCerts

__all__ = ["main"]


class UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chainval", description="Bulk X.509 chain verification "
                                "with libchain (see docs/scan.md).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

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
    s.add_argument("--input-format", choices=formats.FORMATS, metavar="FMT",
                   help="input format, instead of detecting it: " + ", ".join(formats.FORMATS))
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

    r = sub.add_parser("report", help="an HTML report of a scan's output",
                       description="A self-contained HTML report (inline SVG charts) of "
                       "chainval scan output.")
    r.add_argument("rows", metavar="OUT.jsonl", help="chainval scan output (JSONL; - for stdin)")
    r.add_argument("-o", "--output", metavar="FILE",
                   help="HTML file (default: OUT with .html; - for stdout)")
    r.add_argument("--title", default=None, help="report title")
    return p


# ---------------------------------------------------------------------------
# Progress and interruption


class Progress:
    """A one-line progress display on a terminal: rows, rows/s, and the
    percentage and ETA when the input size is known."""

    def __init__(self, stream: TextIO, total: Optional[int]) -> None:
        self.stream = stream
        self.total = total or None
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, rows: int, position: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        text = f"{rows:,} rows  {rows / elapsed:,.0f} rows/s"
        if self.total:
            frac = min(max(position / self.total, 0.0), 1.0)
            text += f"  {100 * frac:5.1f}%"
            if frac > 0.001:
                eta = elapsed * (1 - frac) / frac
                text += f"  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
            width = 24
            done = int(width * frac)
            text = "[" + "#" * done + "." * (width - done) + "] " + text
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


class Interrupt:
    """SIGINT during a scan: the first Ctrl-C stops after the current batch
    (its rows are written); a second one stops at once, though never in the
    middle of writing a batch."""

    def __init__(self, stderr: TextIO) -> None:
        self.stderr = stderr
        self.requested = False
        self.writing = False
        self.pending = False
        self.previous: Any = None  # the SIGINT handler to put back
        self.installed = False

    def __enter__(self) -> "Interrupt":
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
            self.installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)

    def _handler(self, signum, frame) -> None:
        if not self.requested:
            self.requested = True
            try:
                self.stderr.write("\ninterrupted: finishing the current batch "
                                  "(Ctrl-C again to stop now)\n")
                self.stderr.flush()
            except (OSError, ValueError):
                pass
            return
        if self.writing:
            self.pending = True
            return
        raise KeyboardInterrupt

    def begin_write(self) -> None:
        self.writing = True

    def end_write(self) -> None:
        self.writing = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


# ---------------------------------------------------------------------------
# scan


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


def _records(inputs: list[Input], skip: int) -> Iterator[Record]:
    """The records of every input in order, after the first ``skip``."""
    for k, inp in enumerate(inputs):
        for rec in inp.records():
            if skip:
                skip -= 1
                continue
            rec.input = k
            yield rec


def _batches(records: Iterator[Record], size: int,
             position) -> Iterator[tuple[list[Record], int]]:
    """Batches of ``size`` records, each with the input position after it."""
    batch: list[Record] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield batch, position()
            batch = []
    if batch:
        yield batch, position()


class _Prefetch:
    """Runs ``produce`` (reading and preparing batches: Python work) in a thread,
    up to ``depth`` batches ahead, while the caller verifies (C work, GIL released)."""

    _END = object()

    def __init__(self, produce: Iterator, depth: int = 2) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._produce = produce
        self._thread = threading.Thread(target=self._run, name="chainval-scan-reader",
                                        daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._produce:
                if not self._put((True, item)):
                    return
            self._put((True, self._END))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            self._put((False, e))

    def __iter__(self):
        while True:
            ok, item = self._queue.get()
            if not ok:
                raise item
            if item is self._END:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        # A reader blocked on a silent stdin cannot be told to stop: it is a daemon
        # thread, so leave it behind rather than wait forever.
        self._thread.join(timeout=2.0)


def _scan(args, stdout: TextIO, stderr: TextIO, stdin) -> int:
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
                      cache_bytes=args.cache_size << 20)

    resumed = 0
    out: TextIO
    if args.output == "-":
        out = stdout
    else:
        if args.resume:
            try:
                resumed = count_rows(args.output, args.format,
                                     csv_columns(names, with_source) if args.format == "csv"
                                     else None, fold=summary.add)
            except ValueError as e:
                raise UsageError(f"--resume: {e}") from None
        out = open(args.output, "a" if args.resume else "w", encoding="utf-8", newline="")
    need_header = args.format == "csv" and (out is stdout or out.tell() == 0)
    writer = CsvWriter(out, names, with_source) if args.format == "csv" else JsonlWriter(out)

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

    prefetch = _Prefetch((scanner.prepare(b), pos) for b, pos in
                         _batches(_records(inputs, resumed), args.batch, position))
    try:
        with Interrupt(stderr) as intr:
            try:
                if need_header:
                    writer.header()
                for prepared, pos in prefetch:
                    rows = scanner.finish(prepared)
                    intr.begin_write()
                    try:
                        writer.write(rows)
                    finally:
                        intr.end_write()
                    for row in rows:
                        summary.add(row)
                    for rec in prepared[0]:
                        counts[rec.input] += 1
                    scanned += len(rows)
                    if progress:
                        progress.update(scanned, pos)
                    if intr.requested:
                        interrupted = True
                        break
            except KeyboardInterrupt:
                interrupted = True
    finally:
        prefetch.close()
        sonar.close()
        elapsed = time.monotonic() - start
        if progress:
            progress.clear()
        if out is not stdout:
            out.close()
        else:
            try:
                out.flush()
            except (OSError, ValueError):
                pass

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


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


# ---------------------------------------------------------------------------
# report


def _report(args, stdout: TextIO) -> int:
    from .report import render_report

    if args.rows != "-" and not os.path.exists(args.rows):
        raise UsageError(f"{args.rows}: no such file")
    html = render_report(args.rows, title=args.title)
    target = args.output
    if target is None:
        if args.rows == "-":
            target = "-"
        else:
            base = args.rows[:-3] if args.rows.endswith(".gz") else args.rows
            target = os.path.splitext(base)[0] + ".html"
    if target == "-":
        stdout.write(html)
    else:
        with open(target, "w", encoding="utf-8") as f:
            f.write(html)
    return 0


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
        if args.command == "scan":
            return _scan(args, stdout, stderr, stdin)
        return _report(args, stdout)
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
