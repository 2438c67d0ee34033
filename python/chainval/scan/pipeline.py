"""Records in, output rows out: the verifying side of ``chainval scan``.

:func:`units` reads the inputs (the reader thread's work: bytes in blocks for
the formats read in C, :class:`.formats.Record` batches for the others);
:class:`Rows` turns each unit into output rows with the engine. A local scan
runs them in two threads (:class:`LocalRows`); a ``--dask`` worker runs them
for one partition of one input (dask_scan.py).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Callable, Optional, TextIO, Union

from .engine import Scanner
from .errors import RunError, UsageError, os_reason
from .formats import Input, Record, record
from .formats import blocks
from .formats.blocks import BufferPool, Damage, unreadable
from .formats.streams import is_url
from .progress import _Prefetch

__all__ = ["LocalRows", "Rows", "batches", "units", "warn"]


def batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def units(inputs: Iterable[tuple[int, Input]], batch: int, pool: BufferPool) -> Iterator[tuple]:
    """What the reader thread hands the verifying thread, input by input:
    ("start", k), then ("block", k, bytes or a memoryview of ``pool``) for
    the formats read in C, followed by ("file", k, (fd, offset)) when the
    rest is a regular uncompressed file that the engine reads itself in the
    verifying thread (:meth:`.formats.Input.file_rest`), or ("records", k,
    [Record]) for the others, then ("end", k, damage or None). Reading,
    decompressing and the Python formats' parsing happen here. ``inputs``
    are (index, Input) pairs: the index is the input's number in the scan
    (rows name it with ``source``)."""
    for k, inp in inputs:
        with _read_failure(inp):
            inp.open()
        yield ("start", k)
        damage = None
        if inp.c_reader is not None:
            rest = inp.file_rest()
            try:
                with _read_failure(inp):
                    for block in inp.head() if rest else inp.blocks(pool):
                        yield ("block", k, block)
            except Damage as e:
                damage = str(e)
            except OSError as e:  # a local file's EIO: its damage, not a failed scan
                damage = unreadable(e)
            if rest:
                yield ("file", k, rest)
                # Its rows come before those of every later unit: count it as read.
                inp.rest_read_elsewhere()
        else:
            with _read_failure(inp):
                for recs in batches(iter(inp.records()), batch):
                    for rec in recs:
                        rec.input = k
                    yield ("records", k, recs)
        yield ("end", k, damage)


@contextmanager
def _read_failure(inp: Input) -> Iterator[None]:
    """An input read over the network (a URL) that fails stops the scan with
    one line and the --resume hint (exit 1): a connection reset is no
    damage of the input, and --resume can go on once it reads again. A
    local file's read error (EIO) is left to the caller, as damage."""
    try:
        yield
    except OSError as e:
        if not is_url(inp.path):
            raise
        raise RunError(f"cannot read {inp.name}: {os_reason(e)}",
                       "rows up to the last checkpoint are kept: run the same command with "
                       "--resume once it can be read") from None


class Rows:
    """The verifying side of the scan: turns the units of :func:`units` into
    output rows with the engine, and passes over the first ``skip`` records
    (--resume) unread where the C readers allow it."""

    def __init__(self, scanner: Scanner, inputs: Union[Sequence[Input], Mapping[int, Input]],
                 skip: int, batch: int, stderr: TextIO, pool: BufferPool,
                 last_row: Optional[dict] = None) -> None:
        self.scanner, self.inputs, self.skip, self.batch = scanner, inputs, skip, batch
        self.stderr, self.pool = stderr, pool
        self.last_row = last_row  # --resume: the last row already written
        self.reader: Any = None
        # The start of a record that the last block cut (a few KiB): it is
        # joined with the next block's first line(s), never the whole block.
        self.tail = b""
        # A "file" unit: the bytes the engine read so far (the reading
        # thread's position does not count them), and why it could not read
        # on (the input's damage, reported at its "end").
        self.file_read = 0
        self.file_damage: Optional[str] = None

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
            self.file_read, self.file_damage = 0, None
            self._k = k
            if inp.c_reader is not None:
                self.reader = self.scanner.reader(k, inp.c_reader, record.MAX_RECORD_BYTES,
                                                  inp.host_from, inp.first_line)
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
        elif what == "file":
            yield from self._read_file(k, *unit[2])
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
                    warn(self.stderr, f"{inp.name}: {rec.error}; the rows before it are kept")
            if recs:
                yield self.scanner.run(recs)
        elif what == "end" and self.reader is not None:
            damage = unit[2] or self.file_damage
            if damage is None:
                tail, self.tail = self.tail, b""
                yield from self._feed(tail, True, 0)
            else:
                # The bytes after the last complete record are the damaged part:
                # the damage row stands for them.
                warn(self.stderr, f"{inp.name}: {damage}; the rows before it are kept")
                rec = Record(inp.name, self.reader.line + 1, error=damage,
                             error_kind="damaged_input")
                rec.input = k
                yield self.scanner.run([rec])
            self.skip = self.reader.skip_left

    def _read_file(self, k: int, fd: int, offset: int) -> Generator[bytes, None, None]:
        """The rows of the rest of a regular file from ``offset``, which the
        engine reads itself, a piece at a time, into one small buffer
        (:data:`.formats.blocks.FILE_BUFFER`), moving the record a full
        buffer cuts to its front; the record the last block cut
        (``self.tail``) goes first, and a record the buffer cannot hold
        makes it twice as large."""
        tail, self.tail = self.tail, b""
        small = blocks.FILE_BUFFER
        buf = bytearray(max(small, 2 * len(tail)))
        buf[:len(tail)] = tail
        filled, start, eof, begin = len(tail), 0, False, offset
        try:
            while not (eof and start >= filled):
                if len(buf) > small and filled - start <= small // 2:
                    # Back to a buffer the CPU's cache holds, once a large record is read.
                    rest = buf[start:filled]
                    buf, filled, start = bytearray(small), len(rest), 0
                    buf[:filled] = rest
                skipping, before = self.reader.skip_left > 0, (start, filled)
                rows, start, filled, offset, state, err = self.scanner.feed_file(
                    self.reader, buf, filled, start, self.batch, fd, offset, eof)
                self.file_read = offset - begin
                yield from self._fed(rows, skipping)
                if err:
                    # The bytes after the last complete record are the damaged part.
                    self.file_damage = unreadable(OSError(err, os.strerror(err)))
                    return
                if eof and not rows and (start, filled) == before:
                    # The reader took nothing of the file's last bytes (it cannot,
                    # unless out of memory): report them rather than loop.
                    self.file_damage = "the input could not be read past this point"
                    return
                if state == Scanner.FILE_FULL:
                    bigger = bytearray(2 * len(buf))
                    bigger[:filled] = buf[:filled]
                    buf = bigger
                eof = state == Scanner.FILE_END
        finally:
            self.inputs[k].close()

    def _join_tail(self, block) -> Generator[bytes, None, Optional[int]]:
        """Finish the record the last block cut, from the first line(s) of
        ``block``. Returns where the rest of ``block`` starts, or None when
        the whole block went into that record (which goes on)."""
        if not self.tail:
            return 0
        n, cut, start = len(block), 0, 0
        joined, base = self.tail, len(self.tail)  # joined[base:] is block[:cut]
        while True:
            # The block's first line, then twice as much of it each time, to a
            # line's end: a CSV record may hold newlines, and each try reads the
            # joined record again from its start (one line at a time was
            # quadratic: a quoted field of 200,000 newlines never finished).
            nl = _find_newline(block, max(cut, 2 * cut - 1))
            more = n if nl < 0 else nl + 1
            joined, cut = joined + bytes(block[cut:more]), more
            start = yield from self._feed(joined, False, start, until=base)
            if start >= base:
                self.tail = b""
                return start - base
            if cut == n:
                self.tail = joined[start:]
                return None

    def _fed(self, rows: bytes, skipping: bool) -> Iterator[bytes]:
        """After one call of the engine: when --resume's skip ended in it, check
        the record where it ended; then the rows (nothing while the skip
        passes over rows, but progress moves)."""
        if skipping and self.reader.skip_left == 0:
            self._check_resume(self._k, self.reader.last_start)
        if rows or skipping:
            yield rows

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
            yield from self._fed(rows, skipping)
            if not taken or start >= len(data) or (until is not None and start >= until):
                return start


def _find_newline(block, start: int) -> int:
    """block.find(b"\\n", start) for bytes and for a pool's memoryviews (which
    start at their buffer's first byte)."""
    if isinstance(block, memoryview):
        return block.obj.find(b"\n", start, len(block))  # type: ignore[attr-defined]
    return block.find(b"\n", start)


def warn(stderr: TextIO, text: str) -> None:
    try:
        stderr.write(f"chainval scan: warning: {text}\n")
        stderr.flush()
    except (OSError, ValueError):
        pass


class LocalRows:
    """The rows of a local scan: the inputs read in a thread (:class:`_Prefetch`)
    while this one verifies; ``batches()`` yields ``(input index, rows, number
    of rows, position)``, position being the bytes of input consumed so far."""

    at_boundary = True  # every batch's rows are counted by counts(): any point is a checkpoint

    def __init__(self, scanner: Scanner, inputs: list[Input], skip: int, batch: int,
                 stderr: TextIO, last_row: Optional[dict] = None) -> None:
        self.scanner, self.inputs = scanner, inputs
        pool = BufferPool()
        self._rows = Rows(scanner, inputs, skip, batch, stderr, pool, last_row)
        self._prefetch = _Prefetch((unit, self._position())
                                   for unit in units(enumerate(inputs), batch, pool))
        self.stopped = False

    def _position(self) -> int:
        return sum(inp.position() for inp in self.inputs)

    def batches(self, stop: Callable[[], bool]) -> Iterator[tuple[int, bytes, int, int]]:
        # The engine counts the rows it writes: a batch's bytes are not
        # searched again for line ends.
        written = self.scanner.rows_written
        shown = 0
        for unit, pos in self._prefetch.items(stop=stop):
            for rows in self._rows.rows(unit):
                before, written = written, self.scanner.rows_written
                # A "file" unit's position is where its reading began; a file
                # that grew meanwhile is read past the size it had at the start.
                here = pos + self._rows.file_read if unit[0] == "file" else pos
                shown = max(shown, here)
                yield unit[1], rows, written - before, shown
                if stop():
                    self.stopped = True
                    return
        self.stopped = self.stopped or self._prefetch.stopped

    def take_interrupt(self) -> bool:
        return self.scanner.take_interrupt()

    def counts(self) -> dict:
        return self.scanner.counts()

    def cache_stats(self) -> Optional[dict]:
        return self.scanner.cache.stats() if self.scanner.cache else None

    def finish(self, complete: bool) -> None:
        pass

    def close(self) -> None:
        self._prefetch.close()
