"""The record every input format yields, and the small value parsers the formats share.

A record that cannot be understood is still a record: it carries ``error`` (why)
instead of a chain, and becomes a ``malformed`` output row; :func:`_fill` turns a
parser's exception into that error.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from chainval import _chainval  # type: ignore[attr-defined]  # private, no stub

from ..errors import UsageError

# A line (or a PEM file, or one JSON element of a CT response) longer than this
# is not read into memory: it becomes a malformed record.
MAX_RECORD_BYTES = 16 << 20


@dataclass
class Record:
    """One input record: a served chain to verify, or the reason there is none.

    ``line`` is the record's 1-based position in its input: the physical line
    for line-based formats (JSONL, zgrab, CSV, whose header is line 1), the
    entry number for CT responses, the file number for PEM inputs.
    """

    source: str
    line: int
    id: Any = None
    host: Optional[str] = None
    time: Optional[int] = None
    chain: Optional[list[bytes]] = None  # DER, leaf first
    error: Optional[str] = None
    error_kind: Optional[str] = None  # the summary's key for the error (its format's name)
    flags: list[str] = field(default_factory=list)
    input: int = 0  # the index of its input among several


# ---------------------------------------------------------------------------
# Small parsers

def parse_time(value: Any) -> int:
    """Unix seconds from an int/float, a numeric string, or RFC 3339 text.

    RFC 3339 without an offset, and a bare date, are taken as UTC; fractions
    of a second are dropped; text is read by the scan engine's own rules
    (scanner/civil.c: the years 0001..9999, a real date). Raises
    ``ValueError`` for anything else.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"invalid time {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"invalid time {value!r}")
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"invalid time {value!r}")
    return _chainval._parse_time(value)


def parse_at(text: str) -> int:
    """The ``--at TIME`` option of every command (scan, verify, probe): unix
    seconds or RFC 3339, by :func:`parse_time`'s rules for text, which refuse a
    time outside the years 0001..9999. Raises :class:`UsageError` with one line
    (exit status 2)."""
    try:
        return parse_time(text)
    except ValueError as e:
        raise UsageError(f"--at: {e}") from None


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected a base64 string, got {type(value).__name__}")
    try:
        out = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"{what}: invalid base64 ({e})") from None
    if not out:
        raise ValueError(f"{what}: empty")
    return out


_PEM_CERT = re.compile(
    rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(.*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----",
    re.S)


def pem_certificates(data: bytes) -> list[bytes]:
    """The DER payloads of the CERTIFICATE blocks of ``data``, in order.

    A block whose base64 does not decode raises ``ValueError``.
    """
    out = []
    for i, m in enumerate(_PEM_CERT.finditer(data)):
        try:
            der = base64.b64decode(b"".join(m.group(1).split()), validate=True)
        except (binascii.Error, ValueError) as e:
            raise ValueError(f"PEM block {i}: invalid base64 ({e})") from None
        out.append(der)
    return out


def _fill(rec: Record, parse, arg) -> Record:
    try:
        parse(rec, arg)
    except ValueError as e:
        rec.error = str(e)
        rec.chain = None
    except (TypeError, AttributeError, KeyError, IndexError) as e:  # odd JSON shapes
        rec.error = f"unexpected structure ({type(e).__name__}: {e})"
        rec.chain = None
    return rec


def _line_problem(text: Optional[str]) -> Optional[str]:
    """Why a line of ``streams._iter_lines`` cannot be read (None when it can)."""
    if text is None:
        return f"line longer than {MAX_RECORD_BYTES} bytes"
    if text == "":
        return "not UTF-8 text"
    return None
