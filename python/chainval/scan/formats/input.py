"""One input of ``chainval scan``: a file, a directory of PEM files, or ``-``; its
format detected (or given); its bytes handed in blocks to the C readers (jsonl,
zgrab, csv) or its records read by that format's Python reader (ct, sonar, pem)."""

from __future__ import annotations

import io
import os
import stat
import sys
import zlib
from collections.abc import Iterator
from itertools import chain
from typing import Any, BinaryIO, Optional, Union

from ..errors import os_reason
from . import record, sonar
from .blocks import Blocks, BufferPool, Damage, unreadable
from .ct import _CTReader
from .detect import (DETECT_BYTES, _SONAR_CERTS_AS_INPUT, _sonar_certs_head, _undetected,
                     detect_format)
from .pem import _pem_record
from .record import Record, _fill
from .streams import (_CHUNK, ByteRange, _iter_lines, _list_dir, _open_binary, _read_up_to,
                      _size, is_url, not_regular, open_input)

FORMATS = ("jsonl", "zgrab", "csv", "pem", "ct", "sonar")
# Formats whose records are read in C (scanner/): the reader each needs.
C_READERS = {"jsonl": "json", "zgrab": "json", "csv": "csv"}


class _BlockStream(io.RawIOBase):
    """A raw stream over an iterator of byte blocks (for the Python readers).
    Damage reads as the end of the stream, and is kept in ``damage``: raised
    through a buffered reader it would lose the bytes read before it."""

    def __init__(self, blocks: Iterator[Union[bytes, memoryview]]) -> None:
        super().__init__()
        self._blocks = blocks
        self._buf = memoryview(b"")
        self.damage: Optional[Damage] = None

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                block = next(self._blocks, None)
            except Damage as e:
                self.damage, block = e, None
            if block is None:
                return 0
            self._buf = memoryview(block)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class Input:
    """One input argument (a file, a directory of PEM files, or ``-``).

    ``records()`` yields its records in order; ``size`` is its size in bytes
    when known (files and directories), ``position()`` how many bytes were
    consumed so far (compressed bytes for gzip), for progress reporting.
    ``sonar_certs`` (a :class:`.sonar.SonarCerts`) holds the certificates
    of ``sonar`` inputs; the certs file beside this one is added to it.
    """

    def __init__(self, path: str, fmt: Optional[str] = None, *,
                 stdin: Optional[BinaryIO] = None, sonar_certs: Any = None,
                 host_from: str = "name", byte_range: Optional[tuple[int, int]] = None,
                 first_line: int = 1, shown: Optional[str] = None) -> None:
        if fmt is not None and fmt not in FORMATS:
            raise ValueError(f"unknown input format {fmt!r}")
        self.path = path
        # What rows and messages call it: the path as given (a --dask worker
        # opens an absolute path and shows the driver's).
        self.shown = shown if shown is not None else path
        self.name = self.shown
        self.format: Optional[str] = fmt
        # Which name records are checked against (--host-from): "name" (what
        # the record says the client asked for), "ip" (else its IP), "none".
        self.host_from = host_from
        self._stdin = stdin
        # Only bytes start..end of the file, whose first line is line
        # first_line of it (a partition of --dask: JSON lines only).
        self.byte_range = byte_range
        self.first_line = first_line
        # A sonar.SonarCerts shared by the inputs of a scan; without one a
        # sonar input makes its own, with the certs file beside it.
        self._sonar = sonar_certs
        self._raw: Any = None
        self._head: Optional[list[bytes]] = None  # the first blocks, read to detect the format
        self._rest: Optional[Blocks] = None
        self._damage: Optional[str] = None
        self._done_bytes = 0
        self._rest_elsewhere = False  # see rest_read_elsewhere()
        self._files: Optional[list[str]] = None
        self.size: Optional[int] = None
        if path != "-":
            if not is_url(path) and os.path.isdir(path):
                self._files = _list_dir(path)
                self.format = "pem"
                self.size = sum(_size(f) for f in self._files)
            elif byte_range is not None:
                self.size = byte_range[1] - byte_range[0]
            else:
                self.size = _size(path)
                if sonar_certs is not None and fmt in (None, "sonar"):
                    sonar_certs.add_sibling(path)

    def position(self) -> int:
        if self._files is not None or self._rest_elsewhere:
            return self._done_bytes
        try:
            return self._raw.tell() if self._raw is not None else self._done_bytes
        except (OSError, ValueError):
            return self._done_bytes

    @property
    def c_reader(self) -> Optional[str]:
        """'json' or 'csv' when this input's records are read in C (see
        :meth:`blocks`), None when :meth:`records` reads them; known after
        :meth:`open` (a directory is always ``pem``)."""
        return None if self._files is not None else C_READERS.get(self.format or "")

    def open(self) -> None:
        """Open the input and detect its format (from its first bytes)."""
        if self._files is not None or self._head is not None:
            return
        if self.path == "-":
            self._raw = self._stdin if self._stdin is not None else sys.stdin.buffer
        elif self.byte_range is not None:
            self._raw = ByteRange(self.path, *self.byte_range)
        else:
            self._raw = open_input(self.path)
        self._rest = Blocks(self._raw, plain=self.byte_range is not None)
        head: list[bytes] = []
        size = 0
        try:
            while size < DETECT_BYTES:
                block = next(self._rest, None)
                if block is None:
                    break
                head.append(bytes(block))  # read before any pool: bytes already, not copied
                size += len(block)
        except Damage as e:
            self._damage = str(e)
        except OSError as e:
            if is_url(self.path):
                raise  # a network failure: the scan stops, --resume goes on (pipeline.units)
            self._damage = unreadable(e)  # EIO: the rows of what was read, then a damaged row
        self._head = head
        if self.format is None:
            self.format = detect_format(b"".join(head)[:DETECT_BYTES], self.path)

    def file_rest(self) -> Optional[tuple[int, int]]:
        """``(fd, offset)`` when this input is a regular, uncompressed local
        file whose bytes from ``offset`` on (after :meth:`head`, read to
        detect its format) the C engine may read itself (``pread()``: the
        file's position is not used); None when its blocks come from
        :meth:`blocks`. The input stays open until :meth:`close`."""
        self.open()
        if self._files is not None or self.byte_range is not None or self.path == "-" or \
                self._damage or not isinstance(self._rest, Blocks) or self._rest.gzip or \
                not isinstance(self._raw, (io.BufferedReader, io.FileIO)):
            return None
        try:
            fd = self._raw.fileno()
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
        except (OSError, ValueError):
            return None
        return fd, sum(len(b) for b in self._head or ())

    def rest_read_elsewhere(self) -> None:
        """What :meth:`file_rest` gave is read by its caller (in another
        thread): :meth:`position` counts the whole input from now on, as it
        does once the input is closed."""
        self._done_bytes, self._rest_elsewhere = self.size or 0, True

    def head(self) -> list[bytes]:
        """The blocks read to detect the format (what :meth:`file_rest` follows)."""
        self.open()
        return list(self._head or ())

    def blocks(self, pool: Optional[BufferPool] = None) -> Iterator[Union[bytes, memoryview]]:
        """The input's bytes (decompressed), in blocks of up to 4 MiB, for the
        C readers. Damage ends them with :class:`.blocks.Damage`, after
        every byte that could be read. With ``pool``, uncompressed blocks are
        read into its buffers (memoryviews): give each back to it when done."""
        self.open()
        if pool is not None and isinstance(self._rest, Blocks):
            self._rest.pool = pool
        try:
            if self._damage:
                yield from self._head or ()
                raise Damage(self._damage)
            yield from chain(self._head or (), self._rest or ())
        finally:
            self.close()

    def close(self) -> None:
        self._done_bytes = self.size or 0
        if self._raw is not None and self.path != "-":
            self._raw.close()
        self._raw = None

    def records(self) -> Iterator[Record]:
        """The records of this input, in order (the formats read in Python).

        An input that cannot be opened gives one malformed record; a
        compressed input cut short, or unreadable part way, ends with one
        malformed record after the records read before the damage. A URL
        whose reading fails (a connection reset) raises the ``OSError``:
        that is no damage of the input (:func:`chainval.scan.pipeline.units`).
        """
        if self._files is not None:
            yield from self._dir_records()
            return
        last = 0
        try:
            for rec in self._records():
                last = rec.line
                if rec.error is not None and rec.error_kind is None:
                    rec.error_kind = self.format
                if self.host_from == "ip" and self.format == "sonar" and rec.id:
                    rec.host = rec.id  # a Sonar record's id is the IP it was served on
                yield rec
        except (OSError, EOFError, zlib.error, Damage) as e:
            if isinstance(e, OSError) and is_url(self.path):
                raise  # a network failure: the scan stops, --resume goes on (pipeline.units)
            why = str(e) if isinstance(e, Damage) else unreadable(e)
            yield Record(self.name, last + 1, error=why, error_kind="damaged_input")

    def _records(self) -> Iterator[Record]:
        self.open()
        try:
            head = b"".join(self._head or ())
            rest = () if self._damage else self._rest or ()
            blocks = chain(self._head or (), rest)
            stream = _BlockStream(blocks)
            body: BinaryIO = io.BufferedReader(stream, _CHUNK)  # type: ignore[arg-type]
            if self.format is None:
                if self._damage and not head.strip():
                    raise Damage(self._damage)  # nothing could be read to detect a format from
                if head.strip():
                    yield Record(self.name, 1, error=_undetected(head[:DETECT_BYTES], self.shown))
                return
            if self.format in C_READERS:
                raise ValueError(f"{self.format} input is read in C: use blocks()")
            if self.format == "ct":
                yield from _CTReader(body, self.name).records()
            elif self.format == "sonar":
                yield from self._sonar_records(body, head[:DETECT_BYTES])
            elif self.format == "pem":
                data = _read_up_to(body, record.MAX_RECORD_BYTES + 1)
                rec = Record(self.name, 1, id=None if self.path == "-" else self.shown)
                if len(data) > record.MAX_RECORD_BYTES:
                    rec.error = f"PEM input larger than {record.MAX_RECORD_BYTES} bytes"
                    yield rec
                elif data.strip():
                    yield _fill(rec, _pem_record, data)
            if self._damage:
                raise Damage(self._damage)
            if stream.damage:
                raise stream.damage
        finally:
            self.close()

    def _dir_records(self) -> Iterator[Record]:
        assert self._files is not None
        for n, path in enumerate(self._files, 1):
            rec = Record(self.name, n, id=os.path.relpath(path, self.path))
            why = not_regular(path)
            if why is not None:
                rec.error, rec.error_kind = f"not read: {why}", "not_a_file"
                yield rec
                continue
            try:
                stream, raw = _open_binary(path, None)
                try:
                    data = _read_up_to(stream, record.MAX_RECORD_BYTES + 1)
                finally:
                    if raw is not None:
                        raw.close()
            except (OSError, EOFError, zlib.error) as e:
                rec.error = f"cannot read: {os_reason(e)}"
                data = None
            self._done_bytes += _size(path)
            if data is None:
                pass
            elif len(data) > record.MAX_RECORD_BYTES:
                rec.error = f"file larger than {record.MAX_RECORD_BYTES} bytes"
            else:
                _fill(rec, _pem_record, data)
            yield rec

    def _lines(self, body: BinaryIO) -> Iterator[tuple[int, Optional[str]]]:
        return _iter_lines(body)

    def _sonar_records(self, body: BinaryIO, head: bytes) -> Iterator[Record]:
        if _sonar_certs_head(head):
            yield Record(self.name, 1, error=_SONAR_CERTS_AS_INPUT)
            return
        certs = self._sonar
        if certs is None:
            certs = sonar.SonarCerts()
            certs.add_sibling(self.path)
        time = None if self.path == "-" else sonar.study_time(self.path)
        try:
            yield from sonar.records(self._lines(body), self.name, certs, time)
        finally:
            if certs is not self._sonar:
                certs.close()
