"""Output rows of ``chainval scan`` read back (``chainval report`` reads them). The
rows are written by the C engine (scanner/engine.c); their fields are ROW_FIELDS.

:class:`Rows` reads an output file, JSONL or CSV (gzip allowed, ``-`` for stdin),
and refuses what is not one: its first line must be a row (a JSON object, or the
CSV header, with every field of REQUIRED_FIELDS), else :class:`NotScanOutput`
says why (and whether the file looks like the scan's *input*). After that, lines
that are not rows are counted and left out, and fields of an unexpected type are
counted and read as null, so that a reader never meets a value the scan would not
have written. Reading failures (a file that vanished, a gzip stream cut short)
are ``OSError``. :func:`read_sidecar` reads ``OUT.meta.json`` beside ``OUT``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any, BinaryIO, Callable, Optional

from .errors import os_reason
from .formats.detect import detect_format
from .output import SCHEMA, sidecar_path

__all__ = ["NotScanOutput", "REQUIRED_FIELDS", "ROW_FIELDS", "Rows", "read_rows",
           "read_sidecar"]

# The fields of an output row, in order ("source" only with several inputs).
ROW_FIELDS = ("id", "source", "line", "host", "time", "ok", "code", "reasons", "path",
              "anchor", "issuer", "not_after", "stores", "flags", "error")

# The fields every row has, in the order a missing one is named: the first line
# of a file must have them all to be taken for scan output.
REQUIRED_FIELDS = ("code", "ok", "line", "stores")

# Line 1 of an output file is read whole (a row's id may be as long as an input
# record); a file whose first 64 KiB hold no line end and are not text is refused
# before that.
_FIRST_LINE_MAX = 32 << 20
_TEXT_PROBE = 64 << 10


class NotScanOutput(ValueError):
    """The file is not ``chainval scan`` output; the message says why."""


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _opt(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _store(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("ok"), bool) and \
        isinstance(v.get("code"), str) and _opt(_is_str)(v.get("anchor"))


# What each field may hold. A required field that does not is a line that is not
# a row; another field that does not is read as null (``flags``: as []).
_CHECKS: dict[str, Callable[[Any], bool]] = {
    "source": _opt(_is_str),
    "line": lambda v: _is_int(v) and v >= 1,
    "host": _opt(_is_str),
    "time": _opt(_is_int),
    "ok": lambda v: isinstance(v, bool),
    "code": lambda v: isinstance(v, str) and v != "",
    "reasons": lambda v: isinstance(v, list) and all(
        isinstance(r, dict) and isinstance(r.get("code"), str) for r in v),
    "path": _str_list,
    "anchor": _opt(_is_str),
    "issuer": _opt(_is_str),
    "not_after": _opt(_is_str),
    "stores": lambda v: isinstance(v, dict),
    "flags": _str_list,
    "error": _opt(_is_str),
}
_WHAT = {"line": "a line number", "ok": "true or false", "code": "a code",
         "stores": "an object"}


def _row_fault(row: Any) -> Optional[str]:
    """Why a parsed line is not a row (None when it is one)."""
    if not isinstance(row, dict):
        return "is not a JSON object"
    for field in REQUIRED_FIELDS:
        if field not in row:
            return f'has no "{field}" field'
        if not _CHECKS[field](row[field]):
            return f'has a "{field}" that is not {_WHAT[field]}'
    return None


def _clean(row: dict, ignored: Counter) -> dict:
    """``row`` with every field of an unexpected type read as null (counted)."""
    for field, check in _CHECKS.items():
        if field in row and not check(row[field]):
            ignored[field] += 1
            row[field] = [] if field in ("flags", "reasons", "path") else None
    stores = row["stores"]
    if not all(_store(v) for v in stores.values()):
        ignored["stores"] += 1
        row["stores"] = {k: v for k, v in stores.items() if _store(v)}
    return row


def _row_from_csv(rec: dict) -> dict:
    """A CSV output row as the JSONL row (the fields CSV has; stores without anchors)."""
    stores = {}
    for key, value in rec.items():
        if key and key.startswith("store:"):
            stores[key[len("store:"):]] = {"ok": value == "ok", "code": value or None}
    return {
        "id": rec.get("id") or None,
        "line": _int(rec.get("line")),
        "host": rec.get("host") or None,
        "time": _int(rec.get("time")),
        "ok": {"true": True, "false": False}.get(rec.get("ok", ""), rec.get("ok")),
        "code": rec.get("code"),
        "issuer": rec.get("issuer") or None,
        "anchor": rec.get("anchor") or None,
        "not_after": rec.get("not_after") or None,
        "flags": [f for f in (rec.get("flags") or "").split(";") if f],
        "stores": stores,
        "error": rec.get("error") or None,
    }


def _int(text: Optional[str]) -> Any:
    """A CSV field as an int; else the text (null when empty), for the checks to judge."""
    try:
        return int(text or "")
    except ValueError:
        return text or None


def _csv_fields(text: str) -> list[str]:
    return next(csv.reader([text]), [])


class Rows:
    """The rows of one output file. Iterate once; then ``format`` (jsonl, csv, or
    None for an empty file), ``rows``, ``skipped`` (lines that are not rows),
    ``first_skipped`` (the first one's line number) and ``ignored`` (rows per
    field read as null for its unexpected type) say what was read.

    Raises :class:`NotScanOutput` (at the first line) and ``OSError`` (reading;
    a damaged gzip stream too)."""

    def __init__(self, path: str, stdin: Optional[BinaryIO] = None) -> None:
        self.path = path
        self.name = "stdin" if path == "-" else path
        self._stdin = stdin
        self.format: Optional[str] = None
        self.gzip = False
        self.rows = 0
        self.skipped = 0
        self.first_skipped: Optional[int] = None
        self.ignored: Counter = Counter()
        self._stream: Any = None

    def _open(self) -> tuple[Any, Any]:
        """The decompressed stream, and the file to close (None for stdin)."""
        if self.path == "-":
            raw: Any = self._stdin if self._stdin is not None else sys.stdin.buffer
            own = None
        else:
            raw = own = open(self.path, "rb")
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)
        if raw.peek(2)[:2] == b"\x1f\x8b":
            self.gzip = True
            return gzip.GzipFile(fileobj=raw), own
        return raw, own

    def _first_line(self, number: int) -> tuple[bytes, str]:
        """Line ``number`` (the first that is not blank) as bytes and text."""
        line = self._stream.readline(_TEXT_PROBE)
        if not line.endswith(b"\n") and len(line) == _TEXT_PROBE:
            self._text(line[:-3], number)  # the end may cut a character
            line += self._stream.readline(_FIRST_LINE_MAX)
            if not line.endswith(b"\n") and len(line) > _FIRST_LINE_MAX:
                self._refuse(number, f"is longer than {_FIRST_LINE_MAX >> 20} MiB", line)
        return line, self._text(line, number)

    def _text(self, data: bytes, number: int) -> str:
        """``data`` as text; refused when it is not UTF-8 without NUL (binary)."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" in text:
            self._refuse(number, "is not text", data)
        return text.strip()

    def _refuse(self, number: int, why: str, line: bytes) -> None:
        head = line + self._stream.peek(_TEXT_PROBE)[:_TEXT_PROBE]
        looks = _looks_like_input(head)
        if looks:
            raise NotScanOutput(f"{self.name} looks like chainval scan input ({looks}), not "
                                f"its output (line {number} {why}): give the file chainval "
                                "scan wrote with -o")
        raise NotScanOutput(f"{self.name} is not chainval scan output (line {number} {why})")

    def __iter__(self) -> Iterator[dict]:
        self._stream, own = self._open()
        try:
            yield from self._rows(self._stream)
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:
            why = "the gzip data is cut short" if isinstance(e, EOFError) else \
                f"damaged gzip data ({e})"
            raise OSError(f"{why} after {self.rows:,} rows") from None
        finally:
            if own is not None:
                own.close()

    def _rows(self, stream: BinaryIO) -> Iterator[dict]:
        number = 0
        header: Optional[list[str]] = None
        text = ""
        while not text:  # the first line that is not blank
            line, text = self._first_line(number + 1)
            number += 1
            if not line:
                return  # an empty file: a scan of nothing
        if text.startswith(("{", "[")):
            self.format = "jsonl"
            try:
                first: Any = json.loads(text)
            except (ValueError, RecursionError):
                self._refuse(number, "is not JSON", line)
            fault = _row_fault(first)
        else:
            self.format = "csv"
            try:
                header = _csv_fields(text)
            except csv.Error:
                header = []
            fault = next((f'has no "{f}" field' for f in REQUIRED_FIELDS
                          if f != "stores" and f not in header), None)
            if fault is None and not any(h.startswith("store:") for h in header):
                fault = 'has no "store:NAME" field'
            first = None
        if fault:
            self._refuse(number, fault, line)
        if first is not None:
            self.rows += 1
            yield _clean(first, self.ignored)
        for line in stream:
            number += 1
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                if header is not None:
                    fields = _csv_fields(text)
                    if len(fields) != len(header):
                        raise ValueError("not a row")
                    row: Any = _row_from_csv(dict(zip(header, fields)))
                else:
                    row = json.loads(text)
            except (ValueError, RecursionError, csv.Error):
                row = None
            if row is None or _row_fault(row):
                self.skipped += 1
                if self.first_skipped is None:
                    self.first_skipped = number
                continue
            self.rows += 1
            yield _clean(row, self.ignored)


def _looks_like_input(head: bytes) -> Optional[str]:
    """What kind of ``chainval scan`` input ``head`` (a file's first bytes) is, if
    its first line says so clearly."""
    fmt = detect_format(head)
    if fmt in ("pem", "sonar", "ct", "csv"):
        return {"pem": "PEM certificates", "sonar": "a Rapid7 Sonar hosts file",
                "ct": "CT get-entries JSON", "csv": 'CSV with a "chain" column'}[fmt]
    first = head.split(b"\n", 1)[0].strip()
    try:
        obj = json.loads(first)
    except ValueError:
        return None
    if isinstance(obj, dict) and "code" not in obj:
        if "chain" in obj:
            return 'JSONL records with a "chain"'
        if "data" in obj and "ip" in obj:
            return "zgrab2 output"
    return None


def read_rows(path: str, stdin: Optional[BinaryIO] = None) -> Iterator[dict]:
    """Rows of an output file, JSONL or CSV (gzip allowed, ``-`` for stdin): the
    rows of :class:`Rows` (which see). CSV rows come back as JSONL rows with the
    fields CSV has."""
    return iter(Rows(path, stdin))


def read_sidecar(path: str) -> tuple[Optional[dict], str]:
    """The sidecar of the output ``path`` (``OUT.meta.json``; for ``OUT.gz`` also
    ``OUT.meta.json``) and its path; or None and why there is none."""
    if path == "-":
        return None, "the rows came from stdin, so there is no OUT.meta.json to read"
    candidates = [sidecar_path(path)]
    if path.endswith(".gz"):
        candidates.append(sidecar_path(path[:-3]))
    for meta in candidates:
        if not os.path.exists(meta):
            continue
        try:
            with open(meta, "rb") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            return None, f"{meta} could not be read ({os_reason(e)})"
        if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
            return None, f"{meta} is not a chainval scan sidecar"
        if doc.get("schema") != SCHEMA:
            return None, f"{meta} is from another chainval version (schema {doc.get('schema')!r})"
        return doc, meta
    return None, (f"no {os.path.basename(candidates[0])} beside {path}: the scan's "
                  "parameters are unknown (an output of chainval 0.1, of -o -, or moved "
                  "without it)")
