"""The engine of ``chainval scan``: records in, output rows out, in C.

:class:`Scanner` wraps the C engine (scanner/ in the source tree, through the
extension's private ``_ScanEngine``): it reads the bulk formats (jsonl, zgrab2,
csv) from blocks of bytes with its own readers, takes the records of the other
formats as tuples, verifies each batch against every trust store with
libchain's bulk engine (its threads, the shared cache, the GIL released),
writes one output row per record in input order (JSONL or CSV bytes), and
counts the summary. Nothing is done per row in Python.
"""

from __future__ import annotations

import json
from typing import Optional

import chainval
from chainval import _chainval  # type: ignore[attr-defined]  # private, no stub

from .formats import Record

__all__ = ["EXPIRY_CODES", "Scanner"]

EXPIRY_CODES = frozenset({"expired", "not_yet_valid"})


def record_tuple(rec: Record) -> tuple:
    """A record of the formats read in Python, as the C engine takes it."""
    rid = rec.id if rec.id is None or isinstance(rec.id, (str, int)) and \
        not isinstance(rec.id, bool) else str(rec.id)
    chain = tuple(rec.chain) if rec.chain and rec.error is None else ()
    error = rec.error if rec.error is not None or chain else "no certificates"
    kind = None if error is None else ("no_certificates" if rec.error is None
                                       else rec.error_kind or "unreadable")
    return (rec.input, rec.line, rid, rec.host, rec.time, chain,
            "precertificate" in rec.flags, error, kind)


class Scanner:
    """Verifies records against one or more named trust stores, in C.

    ``stores`` is a list of ``(name, TrustStore)``; the first one decides a
    row's top-level verdict. ``at`` fixes the verification time of every row
    (unix seconds); without it a row is verified at its own ``time``, or at
    the current time when it has none. ``output`` is ``"jsonl"`` or ``"csv"``;
    ``sources`` the names of the inputs (with several, rows say which).
    """

    # The default bound of the scan's cache: CA certificates, signature edges
    # and verdicts of rows already seen (docs/scan.md, "Memory").
    CACHE_BYTES = 64 << 20

    def __init__(self, stores: list[tuple[str, chainval.TrustStore]], *,
                 pool: Optional[chainval.Pool] = None, at: Optional[int] = None,
                 threads: Optional[int] = None, with_source: bool = False,
                 cache_bytes: int = CACHE_BYTES, output: str = "jsonl",
                 sources: Optional[list[str]] = None,
                 cache: Optional[chainval.Cache] = None) -> None:
        if not stores:
            raise ValueError("at least one trust store is needed")
        self.stores = stores
        self.names = [name for name, _ in stores]
        self.pool = pool
        self.at = at
        self.threads = threads
        self.output = output
        sources = list(sources or [])
        if with_source and len(sources) < 2:
            sources += [""] * (2 - len(sources))  # the engine writes "source" with 2+ inputs
        self.sources = sources or [""]
        # One cache for every store and batch: certificates and signature edges
        # do not depend on the store, and verdicts are keyed on it. 0: none.
        # ``cache``: one shared with other scanners (a --dask worker's).
        self.cache = cache if cache is not None else \
            chainval.Cache(max_bytes=cache_bytes) if cache_bytes else None
        self._engine = _chainval._ScanEngine(list(stores), pool, self.cache, threads, at, output,
                                             self.sources)

    def reader(self, input_index: int, kind: str, max_record: int,
               host_from: str = "name", first_line: int = 1) -> object:
        """The state of one input read in C: ``kind`` is 'json' or 'csv';
        ``host_from`` 'name', 'ip' or 'none' (--host-from); ``first_line``
        the number of the first line (a part of a file of JSON lines)."""
        return _chainval._Reader(input_index, max_record, kind, host_from, first_line)

    def feed(self, reader, block: bytes, final: bool, start: int = 0,
             limit: int = 0) -> tuple[bytes, int]:
        """The rows of the complete records of ``block[start:]`` (at most
        ``limit``; 0: all) and the offset where they end; pass the rest again
        (``start=end``), with more data once nothing is taken (``final``: the
        last line need not end with a newline)."""
        return self._engine.run_block(reader, block, final, start, limit)

    # Why feed_file() returned (besides its limit and the end of --resume's
    # skip): one record fills the buffer, or the file's end was read.
    FILE_MORE, FILE_FULL, FILE_END = 0, 1, 2

    def feed_file(self, reader, buffer: bytearray, filled: int, start: int, limit: int,
                  fd: int, offset: int, eof: bool) -> tuple[bytes, int, int, int, int, int]:
        """As :meth:`feed`, for a regular file that the engine reads itself:
        the records of ``buffer[start:filled]``, reading more of the file
        from ``offset`` (``pread()``) into ``buffer[filled:]`` a piece at a
        time as they run out. Returns ``(rows, end, filled, offset, state,
        errno)``; the bytes not read yet are moved to the buffer's front when
        it is full. ``state`` FILE_MORE (call again from ``end``), FILE_FULL
        (one record fills the whole buffer: call again with a larger one
        holding ``buffer[:filled]``) or FILE_END (call again with
        ``eof=True`` until ``end == filled``); ``errno``, when not 0, why
        the file could not be read further."""
        return self._engine.run_file(reader, buffer, filled, start, limit, fd, offset, eof)

    def take_interrupt(self) -> bool:
        """Whether a Ctrl-C came after the last batch was done (its rows were
        returned and counted: write them, then stop). Cleared by the call."""
        return self._engine.take_interrupt()

    def run(self, records: list[Record]) -> bytes:
        """The rows of records read in Python, in order."""
        return self._engine.run([record_tuple(r) for r in records])

    def rows(self, records: list[Record]) -> list[dict]:
        """The rows of ``records`` as dicts (JSONL output only)."""
        if self.output != "jsonl":
            raise ValueError("rows() needs output='jsonl'")
        return [json.loads(line) for line in self.run(records).splitlines()]

    def csv_header(self) -> bytes:
        return self._engine.csv_header()

    @property
    def rows_written(self) -> int:
        """The rows of every run() and feed() so far."""
        return self._engine.rows

    def counts(self) -> dict:
        """The summary's counters over every row so far (docs/scan.md, "Summary")."""
        return json.loads(self._engine.summary())
