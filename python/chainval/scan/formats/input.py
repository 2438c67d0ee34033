"""One input of ``chainval scan``: a file, a directory of PEM files, or ``-``; its
format detected (or given) and its records read by that format's reader."""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO, Optional

from . import record, sonar
from .ct import _CTReader
from .detect import (DETECT_BYTES, _SONAR_CERTS_AS_INPUT, _sonar_certs_head, _undetected,
                     detect_format)
from .jsonl import _json_line_record
from .pem import _pem_record
from .record import Record, _fill, _line_problem
from .streams import (_CHUNK, _iter_lines, _list_dir, _open_binary, _Prefixed, _read_up_to,
                      _size)
from .table import _csv_records

FORMATS = ("jsonl", "zgrab", "csv", "pem", "ct", "sonar")


class Input:
    """One input argument (a file, a directory of PEM files, or ``-``).

    ``records()`` yields its records in order; ``size`` is its size in bytes
    when known (files and directories), ``position()`` how many bytes were
    consumed so far (compressed bytes for gzip), for progress reporting.
    ``sonar_certs`` (a :class:`.sonar.SonarCerts`) holds the certificates
    of ``sonar`` inputs; the certs file beside this one is added to it.
    """

    def __init__(self, path: str, fmt: Optional[str] = None, *,
                 stdin: Optional[BinaryIO] = None, sonar_certs: Any = None) -> None:
        if fmt is not None and fmt not in FORMATS:
            raise ValueError(f"unknown input format {fmt!r}")
        self.path = path
        self.name = path
        self.format: Optional[str] = fmt
        self._stdin = stdin
        # A sonar.SonarCerts shared by the inputs of a scan; without one a
        # sonar input makes its own, with the certs file beside it.
        self._sonar = sonar_certs
        self._raw: Any = None
        self._done_bytes = 0
        self._files: Optional[list[str]] = None
        self.size: Optional[int] = None
        if path != "-":
            if os.path.isdir(path):
                self._files = _list_dir(path)
                self.format = "pem"
                self.size = sum(_size(f) for f in self._files)
            else:
                self.size = _size(path)
                if sonar_certs is not None and fmt in (None, "sonar"):
                    sonar_certs.add_sibling(path)

    def position(self) -> int:
        if self._files is not None:
            return self._done_bytes
        try:
            return self._raw.tell() if self._raw is not None else self._done_bytes
        except (OSError, ValueError):
            return self._done_bytes

    def records(self) -> Iterator[Record]:
        """The records of this input, in order.

        An input that cannot be opened gives one malformed record; a
        compressed input cut short, or unreadable part way, ends with one
        malformed record after the records read before the damage.
        """
        if self._files is not None:
            yield from self._dir_records()
            return
        last = 0
        try:
            for rec in self._records():
                last = rec.line
                yield rec
        except (OSError, EOFError, zlib.error) as e:
            why = "input ends inside the compressed stream" if isinstance(e, EOFError) \
                else f"cannot read the input: {getattr(e, 'strerror', None) or e}"
            yield Record(self.name, last + 1, error=why)

    def _records(self) -> Iterator[Record]:
        stream, self._raw = _open_binary(self.path, self._stdin)
        try:
            head = _read_up_to(stream, DETECT_BYTES)
            if self.format is None:
                self.format = detect_format(head, self.path)
            body: BinaryIO = io.BufferedReader(_Prefixed(head, stream), _CHUNK)  # type: ignore[arg-type]
            if self.format is None:
                if head.strip():
                    yield Record(self.name, 1, error=_undetected(head, self.path))
                return
            if self.format in ("jsonl", "zgrab"):
                yield from self._line_records(body, _json_line_record)
            elif self.format == "csv":
                yield from _csv_records(self._lines(body), self.name)
            elif self.format == "ct":
                yield from _CTReader(body, self.name).records()
            elif self.format == "sonar":
                yield from self._sonar_records(body, head)
            elif self.format == "pem":
                data = _read_up_to(body, record.MAX_RECORD_BYTES + 1)
                rec = Record(self.name, 1, id=None if self.path == "-" else self.path)
                if len(data) > record.MAX_RECORD_BYTES:
                    rec.error = f"PEM input larger than {record.MAX_RECORD_BYTES} bytes"
                    yield rec
                elif data.strip():
                    yield _fill(rec, _pem_record, data)
        finally:
            self._done_bytes = self.size or 0
            if self._raw is not None:
                self._raw.close()
                self._raw = None

    def _dir_records(self) -> Iterator[Record]:
        assert self._files is not None
        for n, path in enumerate(self._files, 1):
            rec = Record(self.name, n, id=os.path.relpath(path, self.path))
            try:
                stream, raw = _open_binary(path, None)
                try:
                    data = _read_up_to(stream, record.MAX_RECORD_BYTES + 1)
                finally:
                    if raw is not None:
                        raw.close()
            except (OSError, EOFError, zlib.error) as e:
                rec.error = f"cannot read: {getattr(e, 'strerror', None) or e}"
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

    def _line_records(self, body: BinaryIO, parse) -> Iterator[Record]:
        for n, text in self._lines(body):
            rec = Record(self.name, n, error=_line_problem(text))
            if rec.error is None:
                _fill(rec, parse, text)
            yield rec

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
