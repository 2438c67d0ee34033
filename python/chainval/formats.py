"""Input formats of ``chainval scan``: detection, streaming readers, record parsing.

Every reader yields :class:`Record` objects one at a time, reading its input in
bounded pieces (a line, a JSON element, one PEM file): memory does not grow
with the size of the input. A record that cannot be understood is still a
record: it carries ``error`` (why) instead of a chain, and becomes a
``malformed`` output row. Nothing here verifies anything; verification is
libchain's, through :func:`chainval.verify_many`.

Formats (``FORMATS``):

* ``jsonl``: one JSON object per line, ``{"id", "host", "time", "chain": [base64 DER, ...]}``
  (a chain item may also be PEM text). Lines of zgrab2 output are accepted too.
* ``zgrab``: zgrab2 JSON lines (``data.<module>.result.handshake_log.server_certificates``).
* ``csv``: a header naming the columns (``id,host,chain``, optionally ``time``), then one
  chain per line, its certificates base64 DER joined by ``;``.
* ``pem``: a PEM (or DER) file, or a directory of them: one chain per file.
* ``ct``: CT log ``get-entries`` responses (``{"entries": [{"leaf_input", "extra_data"}]}``),
  one document or many (pretty-printed or one per line), or bare entries one per line.
* ``sonar``: a Rapid7 Sonar SSL hosts (or "More SSL" endpoints) file, lines ``ip,sha1hex``;
  consecutive lines of one IP are one chain, leaf first. The certificates come from the
  study's certs files (``sha1hex,base64der``), loaded into an on-disk SQLite database
  (:mod:`chainval.sonar`): by default the ``_certs`` file beside the hosts file.

gzip-compressed inputs are recognized by their magic bytes; ``-`` is stdin.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import codecs
import csv
import gzip
import io
import ipaddress
import json
import os
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Optional

__all__ = [
    "FORMATS",
    "Input",
    "Record",
    "detect_format",
    "parse_ct_entry",
    "parse_time",
]

FORMATS = ("jsonl", "zgrab", "csv", "pem", "ct", "sonar")

# A line (or a PEM file, or one JSON element of a CT response) longer than this
# is not read into memory: it becomes a malformed record.
MAX_RECORD_BYTES = 16 << 20
# How much of an input is looked at to detect its format.
DETECT_BYTES = 64 << 10
_CHUNK = 64 << 10


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
    flags: list[str] = field(default_factory=list)
    input: int = 0  # the index of its input among several


# ---------------------------------------------------------------------------
# Small parsers

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*([Zz]|[+-]\d{2}:?\d{2})?)?")
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")


def parse_time(value: Any) -> int:
    """Unix seconds from an int/float, a numeric string, or RFC 3339 text.

    RFC 3339 without an offset, and a bare date, are taken as UTC; fractions
    of a second are dropped. Raises ``ValueError`` for anything else.
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
    s = value.strip()
    if _NUMBER.fullmatch(s):
        return int(float(s)) if "." in s else int(s)
    m = _RFC3339.fullmatch(s)
    if not m:
        raise ValueError(f"invalid time {value!r} (unix seconds or RFC 3339)")
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour = int(m[4] or 0)
    minute = int(m[5] or 0)
    second = int(m[6] or 0)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59
            and second <= 60):
        raise ValueError(f"invalid time {value!r}")
    t = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    tz = m[8]
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        t -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return t


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


def _chain_item(value: Any, what: str) -> list[bytes]:
    """A chain element: base64 DER, or PEM text holding one or more certificates."""
    if isinstance(value, str) and "-----BEGIN" in value:
        ders = pem_certificates(value.encode("utf-8", "replace"))
        if not ders:
            raise ValueError(f"{what}: no CERTIFICATE block in PEM text")
        return ders
    return [_b64(value, what)]


def _host(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"host: expected a string, got {type(value).__name__}")
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):  # a bracketed IPv6 literal
        host = host[1:-1]
    if host and not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"host {value!r}: not a valid IDN") from None
    return host or None


# ---------------------------------------------------------------------------
# CT log entries (RFC 6962)


def _opaque24(buf: bytes, pos: int, what: str) -> tuple[bytes, int]:
    if pos + 3 > len(buf):
        raise ValueError(f"{what}: truncated length")
    n = int.from_bytes(buf[pos:pos + 3], "big")
    if pos + 3 + n > len(buf):
        raise ValueError(f"{what}: truncated ({n} bytes announced)")
    return buf[pos + 3:pos + 3 + n], pos + 3 + n


def _cert_list24(buf: bytes, pos: int, what: str) -> tuple[list[bytes], int]:
    body, end = _opaque24(buf, pos, what)
    out: list[bytes] = []
    p = 0
    while p < len(body):
        der, p = _opaque24(body, p, f"{what}[{len(out)}]")
        out.append(der)
    return out, end


def parse_ct_entry(entry: Any) -> tuple[list[bytes], int, bool]:
    """(chain, time, is_precert) of one ``get-entries`` entry.

    ``leaf_input`` is a MerkleTreeLeaf (v1, timestamped_entry); for an
    x509_entry the chain is the leaf certificate followed by ``extra_data``'s
    certificate_chain; for a precert_entry it is the PrecertChainEntry of
    ``extra_data``: the pre-certificate and its chain. ``time`` is the entry's
    timestamp in seconds. Raises ``ValueError`` with the reason otherwise.
    """
    if not isinstance(entry, dict):
        raise ValueError("CT entry: not a JSON object")
    if "leaf_input" not in entry:
        raise ValueError("CT entry: no leaf_input")
    leaf = _b64(entry.get("leaf_input"), "leaf_input")
    extra = _b64(entry.get("extra_data"), "extra_data") if entry.get("extra_data") else b""
    if len(leaf) < 12:
        raise ValueError("leaf_input: truncated MerkleTreeLeaf")
    if leaf[0] != 0 or leaf[1] != 0:
        raise ValueError(f"leaf_input: unsupported version {leaf[0]} / leaf type {leaf[1]}")
    timestamp = int.from_bytes(leaf[2:10], "big")
    entry_type = int.from_bytes(leaf[10:12], "big")
    if entry_type == 0:
        cert, _ = _opaque24(leaf, 12, "leaf_input certificate")
        rest, _ = _cert_list24(extra, 0, "extra_data certificate_chain") if extra else ([], 0)
        return [cert] + rest, timestamp // 1000, False
    if entry_type == 1:
        if not extra:
            raise ValueError("precert entry without extra_data")
        precert, pos = _opaque24(extra, 0, "extra_data pre_certificate")
        rest, _ = _cert_list24(extra, pos, "extra_data precertificate_chain")
        return [precert] + rest, timestamp // 1000, True
    raise ValueError(f"leaf_input: unknown entry type {entry_type}")


# ---------------------------------------------------------------------------
# Per-format record parsing


def _jsonl_record(rec: Record, obj: dict) -> None:
    rec.id = obj.get("id")
    rec.host = _host(obj.get("host"))
    if obj.get("time") is not None:
        rec.time = parse_time(obj["time"])
    chain = obj.get("chain")
    if isinstance(chain, str):
        chain = [chain]
    if not isinstance(chain, list):
        raise ValueError("chain: expected a list of base64 DER certificates")
    if not chain:
        raise ValueError("chain: empty")
    ders: list[bytes] = []
    for i, item in enumerate(chain):
        ders.extend(_chain_item(item, f"chain[{i}]"))
    rec.chain = ders


def _zgrab_handshake(data: dict) -> tuple[Optional[dict], Optional[dict]]:
    """(module, server_certificates) of the first module with a TLS handshake."""
    names = sorted(data, key=lambda n: (n != "tls", n))
    first = None
    for name in names:
        module = data[name]
        if not isinstance(module, dict):
            continue
        first = first or module
        result = module.get("result") or {}
        if not isinstance(result, dict):
            continue
        log = result.get("handshake_log")
        if log is None:  # the http module: result.response.request.tls_log
            request = (result.get("response") or {}).get("request") or {}
            log = (request.get("tls_log") or {}).get("handshake_log") \
                if isinstance(request, dict) else None
        if isinstance(log, dict) and isinstance(log.get("server_certificates"), dict):
            return module, log["server_certificates"]
    return first, None


def _zgrab_record(rec: Record, obj: dict) -> None:
    rec.host = _host(obj.get("domain") or obj.get("ip"))
    if "id" in obj:
        rec.id = obj["id"]
    data = obj.get("data")
    if not isinstance(data, dict):
        raise ValueError("zgrab: no data object")
    module, certs = _zgrab_handshake(data)
    stamp = (module or {}).get("timestamp") or obj.get("timestamp")
    if stamp is not None:
        rec.time = parse_time(stamp)
    if certs is None:
        status = (module or {}).get("status")
        raise ValueError("zgrab: no server certificates"
                         + (f" (status {status})" if status else ""))
    leaf = certs.get("certificate") or {}
    if not isinstance(leaf, dict) or "raw" not in leaf:
        raise ValueError("zgrab: server_certificates.certificate.raw missing")
    ders = [_b64(leaf["raw"], "certificate.raw")]
    for i, c in enumerate(certs.get("chain") or []):
        if not isinstance(c, dict) or "raw" not in c:
            raise ValueError(f"zgrab: chain[{i}].raw missing")
        ders.append(_b64(c["raw"], f"chain[{i}].raw"))
    rec.chain = ders


def _json_line_record(rec: Record, text: str) -> None:
    """One line of JSONL or zgrab output (told apart by their keys)."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise ValueError(f"invalid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "chain" in obj:
        _jsonl_record(rec, obj)
    elif "data" in obj:
        _zgrab_record(rec, obj)
    else:
        rec.id = obj.get("id")
        raise ValueError("no 'chain' field (and not zgrab output)")


def _ct_record(rec: Record, entry: Any) -> None:
    chain, t, precert = parse_ct_entry(entry)
    rec.chain, rec.time = chain, t
    if precert:
        rec.flags.append("precertificate")


def _pem_record(rec: Record, data: bytes) -> None:
    ders = pem_certificates(data)
    if not ders:
        if data[:1] == b"\x30":  # one DER certificate
            ders = [data]
        else:
            raise ValueError("no PEM CERTIFICATE block")
    rec.chain = ders


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


# ---------------------------------------------------------------------------
# Streams


class _Prefixed(io.RawIOBase):
    """A raw stream that serves ``prefix`` and then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._prefix:
            n = min(len(b), len(self._prefix))
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(b))
        if not data:
            return 0
        n = len(data)
        b[:n] = data
        return n


def _read_up_to(stream: BinaryIO, n: int) -> bytes:
    parts, total = [], 0
    while total < n:
        chunk = stream.read(n - total)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _text_head(head: bytes) -> str:
    text = head.decode("utf-8", "replace")
    return text[1:] if text.startswith("\ufeff") else text


# Rapid7 Sonar SSL: hosts/endpoints lines "ip,sha1hex", certs lines "sha1hex,base64der".
_SONAR_HOSTS_LINE = re.compile(r"([0-9A-Fa-f:.]{2,45})\s*,\s*[0-9A-Fa-f]{40}")
_SONAR_CERTS_LINE = re.compile(r"[0-9A-Fa-f]{40}\s*,\s*[A-Za-z0-9+/]{16}")
_SONAR_HOSTS_NAME = re.compile(r"_(?:hosts|endpoints)(?:\.gz)?$", re.I)
_SONAR_CERTS_NAME = re.compile(r"_certs(?:\.gz)?$", re.I)
_SONAR_CERTS_AS_INPUT = ("a Rapid7 Sonar certs file (lines sha1hex,base64der): give it with "
                         "--sonar-certs, and the study's _hosts or _endpoints file as INPUT")


def _sonar_hosts_line(line: str) -> bool:
    m = _SONAR_HOSTS_LINE.fullmatch(line)
    if not m:
        return False
    try:
        ipaddress.ip_address(m[1])
    except ValueError:
        return False
    return True


def _sonar_certs_head(head: bytes) -> bool:
    """Whether an input's first line is a Sonar certs-file line (a mistake for an INPUT)."""
    first = next(iter(_text_head(head).lstrip().splitlines()), "")
    return bool(_SONAR_CERTS_LINE.match(first))


def detect_format(head: bytes, name: str = "") -> Optional[str]:
    """The format of an input from its first bytes (decompressed) and its name.

    Content decides first: a Sonar hosts line (``ip,sha1hex``) is ``sonar``;
    PEM armor or a DER SEQUENCE is ``pem``; a CSV header with a ``chain``
    column is ``csv``; JSON objects are ``ct`` (keys ``entries``/``leaf_input``),
    ``zgrab`` (``data``) or ``jsonl``. Failing that, the name: ``_hosts`` or
    ``_endpoints`` (before ``.gz``) is ``sonar``, then the extension (after
    ``.gz``): ``.csv``, ``.pem``/``.crt``/``.cer``, ``.jsonl``/``.ndjson``/``.json``.
    ``None`` when nothing fits, and for a Sonar certs file.
    """
    text = _text_head(head).lstrip()
    if text.startswith("-----BEGIN"):
        return "pem"
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    # Before the DER test: "0" is 0x30, and hex text may start with it.
    if _sonar_hosts_line(first):
        return "sonar"
    if _SONAR_CERTS_LINE.match(first):
        return None
    if head[:1] == b"\x30":
        return "pem"
    if first and not first.startswith("{"):
        cols = [c.strip().strip('"').lower() for c in first.split(",")]
        if "chain" in cols and len(cols) > 1:
            return "csv"
    if first.startswith("{"):
        complete = lines[:-1] if len(head) >= DETECT_BYTES else lines
        for line in complete[:50]:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                if "entries" in obj or "leaf_input" in obj:
                    return "ct"
                if "data" in obj and "chain" not in obj:
                    return "zgrab"
                if "chain" in obj:
                    return "jsonl"
        if re.search(r'"entries"\s*:\s*\[', text) or '"leaf_input"' in text:
            return "ct"
        if '"chain"' in text:
            return "jsonl"
        if '"data"' in text:
            return "zgrab"
    if _SONAR_HOSTS_NAME.search(os.path.basename(name)):
        return "sonar"
    base = name.lower()
    if base.endswith(".gz"):
        base = base[:-3]
    ext = os.path.splitext(base)[1]
    if ext == ".csv":
        return "csv"
    if ext in (".pem", ".crt", ".cer", ".der"):
        return "pem"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if first.startswith("{"):
        return "jsonl"
    return None


def _open_binary(path: str, stdin: Optional[BinaryIO]) -> tuple[BinaryIO, Any]:
    """(decompressed stream, the underlying raw file or None for stdin)."""
    if path == "-":
        raw = stdin if stdin is not None else sys.stdin.buffer
        own = None
    else:
        raw = open(path, "rb")
        own = raw
    magic = _read_up_to(raw, 2)
    stream: BinaryIO = io.BufferedReader(_Prefixed(magic, raw), _CHUNK)  # type: ignore[arg-type]
    if magic == b"\x1f\x8b":
        stream = io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), _CHUNK)  # type: ignore[arg-type]
    return stream, own


class Input:
    """One input argument (a file, a directory of PEM files, or ``-``).

    ``records()`` yields its records in order; ``size`` is its size in bytes
    when known (files and directories), ``position()`` how many bytes were
    consumed so far (compressed bytes for gzip), for progress reporting.
    ``sonar_certs`` (a :class:`chainval.sonar.SonarCerts`) holds the certificates
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
        # A chainval.sonar.SonarCerts shared by the inputs of a scan; without one a
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
                yield from self._csv_records(body)
            elif self.format == "ct":
                yield from _CTReader(body, self.name).records()
            elif self.format == "sonar":
                yield from self._sonar_records(body, head)
            elif self.format == "pem":
                data = _read_up_to(body, MAX_RECORD_BYTES + 1)
                rec = Record(self.name, 1, id=None if self.path == "-" else self.path)
                if len(data) > MAX_RECORD_BYTES:
                    rec.error = f"PEM input larger than {MAX_RECORD_BYTES} bytes"
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
                    data = _read_up_to(stream, MAX_RECORD_BYTES + 1)
                finally:
                    if raw is not None:
                        raw.close()
            except (OSError, EOFError, zlib.error) as e:
                rec.error = f"cannot read: {getattr(e, 'strerror', None) or e}"
                data = None
            self._done_bytes += _size(path)
            if data is None:
                pass
            elif len(data) > MAX_RECORD_BYTES:
                rec.error = f"file larger than {MAX_RECORD_BYTES} bytes"
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
        from . import sonar  # not at the top: chainval.sonar builds on this module

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

    def _csv_records(self, body: BinaryIO) -> Iterator[Record]:
        columns: Optional[list[str]] = None
        header_error = None
        for n, text in self._lines(body):
            if columns is None and header_error is None:
                cols = [c.strip().lower() for c in next(csv.reader([text or ""]), [])]
                if "chain" in cols:
                    columns = cols
                    continue
                header_error = "CSV input without a header naming a 'chain' column"
            rec = Record(self.name, n, error=header_error or _line_problem(text))
            if rec.error is None:
                assert columns is not None
                _fill(rec, _csv_record, (columns, text))
            yield rec


def _csv_record(rec: Record, arg: tuple[list[str], str]) -> None:
    columns, text = arg
    try:
        fields = next(csv.reader([text.rstrip("\r\n")]))
    except csv.Error as e:
        raise ValueError(f"CSV: {e}") from None
    if len(fields) != len(columns):
        raise ValueError(f"CSV: expected {len(columns)} fields, got {len(fields)}")
    row = dict(zip(columns, fields))
    if row.get("id"):
        rec.id = row["id"]
    rec.host = _host(row.get("host"))
    if row.get("time"):
        rec.time = parse_time(row["time"])
    parts = [p for p in (s.strip() for s in row["chain"].split(";")) if p]
    if not parts:
        raise ValueError("chain: empty")
    rec.chain = [_b64(p, f"chain[{i}]") for i, p in enumerate(parts)]


def _line_problem(text: Optional[str]) -> Optional[str]:
    """Why a line of ``_iter_lines`` cannot be read (None when it can)."""
    if text is None:
        return f"line longer than {MAX_RECORD_BYTES} bytes"
    if text == "":
        return "not UTF-8 text"
    return None


def _undetected(head: bytes, path: str) -> str:
    if _sonar_certs_head(head) or _SONAR_CERTS_NAME.search(os.path.basename(path)):
        return _SONAR_CERTS_AS_INPUT
    return "cannot detect the input format (use --input-format)"


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _list_dir(path: str) -> list[str]:
    """Regular, non-hidden files under ``path``, recursively, in sorted order."""
    out = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            full = os.path.join(root, f)
            if not f.startswith(".") and os.path.isfile(full):
                out.append(full)
    return out


# ---------------------------------------------------------------------------
# CT get-entries: a streaming reader of a sequence of JSON documents


def _iter_lines(body: BinaryIO, skip_first: bool = False) -> Iterator[tuple[int, Optional[str]]]:
    """(line number, text) for each non-blank line of ``body``.

    ``text`` is None for a line longer than MAX_RECORD_BYTES (its content is
    skipped without being kept) and "" for a line that is not UTF-8.
    ``skip_first`` drops the first line (the rest of a line already begun).
    """
    n = 0
    while True:
        line = body.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while True:  # drop the rest of the line without keeping it
                more = body.readline(_CHUNK)
                if not more or more.endswith(b"\n"):
                    break
            if not (skip_first and n == 1):
                yield n, None
            continue
        if (skip_first and n == 1) or not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield n, ""
            continue
        yield n, text.lstrip("\ufeff") if n == 1 else text


# ---------------------------------------------------------------------------
# CT get-entries: a streaming reader of a sequence of JSON documents


class _CTReader:
    """Records from CT ``get-entries`` JSON, one entry at a time.

    The input is a sequence of JSON values separated by whitespace: each a
    response ``{"entries": [...], ...}`` (its entries are decoded one by one,
    so a large pretty-printed response is never held whole) or a bare entry
    object. After a JSON syntax error the reader emits one malformed record,
    drops the rest of that line, and goes on line by line: each line that
    parses as a response or an entry (a trailing comma allowed) gives its
    records, a line of bare brackets is skipped, anything else is malformed.
    """

    _WS = " \t\r\n"

    def __init__(self, body: BinaryIO, name: str) -> None:
        self.body = body
        self.name = name
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.n = 0
        self.json = json.JSONDecoder()

    def _more(self) -> bool:
        """Append input to the buffer (at least as much as is pending)."""
        if self.eof:
            return False
        chunk = self.body.read(max(_CHUNK, len(self.buf) - self.pos))
        if not chunk:
            self.eof = True
            tail = self.decoder.decode(b"", final=True)
            if not tail:
                return False
        else:
            tail = self.decoder.decode(chunk)
        self.buf = self.buf[self.pos:] + tail
        self.pos = 0
        return True

    def _peek(self) -> str:
        """The next non-blank character ('' at the end), without consuming it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in self._WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def _value(self) -> Any:
        """Decode the next JSON value, reading more input while it may be cut."""
        self._peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as e:
                cut = e.pos >= len(self.buf) - 8 or e.msg.startswith("Unterminated string")
                if cut and not self.eof and len(self.buf) - self.pos <= MAX_RECORD_BYTES:
                    self._more()  # the value may go on in the input: decode again
                    continue
                raise ValueError(f"invalid JSON: {e.msg}") from None
            if end >= len(self.buf) - 8 and not self.eof:
                self._more()  # a number or literal at the buffer's end may go on
                continue
            self.pos = end
            return value

    def _record(self) -> Record:
        self.n += 1
        return Record(self.name, self.n)

    def _next(self, allowed: str) -> str:
        c = self._peek()
        if c == "" or c not in allowed:
            want = " or ".join(repr(a) for a in allowed)
            raise ValueError(f"invalid JSON: expected {want}, got {c or 'end of input'!r}")
        self.pos += 1
        return c

    def _document(self) -> Iterator[Record]:
        """One top-level object: a response (entries streamed) or a bare entry."""
        self._next("{")
        others: dict = {}
        if self._peek() == "}":
            self.pos += 1
        else:
            while True:
                key = self._value()
                if not isinstance(key, str):
                    raise ValueError("invalid JSON: object key is not a string")
                self._next(":")
                if key == "entries" and self._peek() == "[":
                    self.pos += 1
                    if self._peek() == "]":
                        self.pos += 1
                    else:
                        while True:
                            entry = self._value()
                            yield _fill(self._record(), _ct_record, entry)
                            if self._next(",]") == "]":
                                break
                else:
                    others[key] = self._value()
                if self._next(",}") == "}":
                    break
        if "leaf_input" in others:
            yield _fill(self._record(), _ct_record, others)

    def records(self) -> Iterator[Record]:
        while True:
            c = self._peek()
            if c == "":
                return
            try:
                if c != "{":
                    raise ValueError(f"invalid JSON: unexpected {c!r}")
                yield from self._document()
            except ValueError as e:
                rec = self._record()
                rec.error = str(e)
                yield rec
                yield from self._line_mode()
                return

    def _line_mode(self) -> Iterator[Record]:
        rest = self.buf[self.pos:].encode("utf-8")
        self.buf, self.pos = "", 0
        body = io.BufferedReader(_Prefixed(rest, self.body), _CHUNK)  # type: ignore[arg-type]
        for _, text in _iter_lines(body, skip_first=True):
            if text is None or text == "":
                rec = self._record()
                rec.error = "line too long" if text is None else "not UTF-8 text"
                yield rec
                continue
            line = text.strip().rstrip(",").strip()
            if line.startswith('"entries"'):
                line = line.split(":", 1)[1].strip().lstrip("[").strip()
            if not line or all(ch in "[]{}," for ch in line):
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                rec = self._record()
                rec.error = f"invalid JSON: {e}"
                yield rec
                continue
            if isinstance(obj, dict) and isinstance(obj.get("entries"), list):
                for entry in obj["entries"]:
                    yield _fill(self._record(), _ct_record, entry)
            else:
                yield _fill(self._record(), _ct_record, obj)
