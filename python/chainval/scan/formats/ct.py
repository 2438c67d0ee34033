"""CT log ``get-entries`` input (RFC 6962): entries parsed, and responses streamed one
entry at a time."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from . import record
from .record import Record, _b64, _fill
from .streams import _CHUNK, _Prefixed, _iter_lines


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


def _ct_record(rec: Record, entry: Any) -> None:
    chain, t, precert = parse_ct_entry(entry)
    rec.chain, rec.time = chain, t
    if precert:
        rec.flags.append("precertificate")


# ---------------------------------------------------------------------------
# CT get-entries: a streaming reader of a sequence of JSON documents


class _LineMode(Exception):
    """A broken entry could not be passed over on its line: read on line by line."""


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
            except RecursionError:  # issue 12 item 2: one malformed record, not the end
                raise ValueError("invalid JSON: nested too deeply") from None
            except json.JSONDecodeError as e:
                cut = e.pos >= len(self.buf) - 8 or e.msg.startswith("Unterminated string")
                if cut and not self.eof and len(self.buf) - self.pos <= record.MAX_RECORD_BYTES:
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
                    others[key] = []
                    if self._peek() == "]":
                        self.pos += 1
                    else:
                        while True:
                            try:
                                entry = self._value()
                            except ValueError as e:
                                # Issue 12 item 5: a broken entry is one malformed record;
                                # the entries after it are still read, with their numbers.
                                rec = self._record()
                                rec.error = str(e)
                                yield rec
                                if not self._skip_element():
                                    raise _LineMode() from None
                            else:
                                yield _fill(self._record(), _ct_record, entry)
                            if self._next(",]") == "]":
                                break
                else:
                    others[key] = self._value()
                if self._next(",}") == "}":
                    break
        if "leaf_input" in others:
            yield _fill(self._record(), _ct_record, others)
        elif "entries" not in others or not isinstance(others["entries"], list):
            # Issue 12 item 4: a document that is neither a response nor an entry
            # is a malformed record, saying what it was.
            rec = self._record()
            keys = ", ".join(sorted(others)[:5]) or "none"
            rec.error = ("CT response: entries is not a list" if "entries" in others else
                         f"not a CT get-entries response or entry (its keys: {keys}); "
                         "is --input-format right?")
            yield rec

    def _skip_element(self) -> bool:
        """Move past the rest of a broken array element, on its line: to the
        next ``,`` or ``]`` outside strings and nested brackets. False when
        the line ends first (the element is broken across lines: the caller
        goes on line by line, as after any other syntax error)."""
        depth, in_string, escaped = 0, False, False
        while True:
            while self.pos < len(self.buf):
                c = self.buf[self.pos]
                if c == "\n":
                    return False
                if in_string:
                    if escaped:
                        escaped = False
                    elif c == "\\":
                        escaped = True
                    elif c == '"':
                        in_string = False
                elif c == '"':
                    in_string = True
                elif c in "[{":
                    depth += 1
                elif c in "]}":
                    if depth == 0:
                        return True
                    depth -= 1
                elif c == "," and depth == 0:
                    return True
                self.pos += 1
            if not self._more():
                return False

    def records(self) -> Iterator[Record]:
        while True:
            c = self._peek()
            if c == "":
                return
            try:
                if c != "{":
                    raise ValueError(f"invalid JSON: unexpected {c!r}")
                yield from self._document()
            except _LineMode:
                yield from self._line_mode()
                return
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
            except (ValueError, RecursionError) as e:
                rec = self._record()
                rec.error = "invalid JSON: " + ("nested too deeply" if isinstance(
                    e, RecursionError) else str(e))
                yield rec
                continue
            if isinstance(obj, dict) and isinstance(obj.get("entries"), list):
                for entry in obj["entries"]:
                    yield _fill(self._record(), _ct_record, entry)
            else:
                yield _fill(self._record(), _ct_record, obj)
