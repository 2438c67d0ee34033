"""Output rows of ``chainval scan``: written as JSONL or CSV, and read back
(``--resume`` counts them and folds them into the summary; ``chainval report`` reads them).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from typing import Any, Optional, TextIO

__all__ = ["ROW_FIELDS", "CsvWriter", "JsonlWriter", "count_rows", "csv_columns", "read_rows"]

# The fields of an output row, in order ("source" only with several inputs).
ROW_FIELDS = ("id", "source", "line", "host", "time", "ok", "code", "reasons", "path",
              "anchor", "issuer", "not_after", "stores", "flags", "error")


class JsonlWriter:
    """One JSON object per line; each batch written with one write() and flushed."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def header(self) -> None:
        pass

    def write(self, rows: Iterable[dict]) -> None:
        self.out.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
        self.out.flush()


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else json.dumps(value) \
        if isinstance(value, (list, dict)) else str(value)
    return text.replace("\r", " ").replace("\n", " ")


def csv_columns(store_names: list[str], with_source: bool) -> list[str]:
    cols = ["id"] + (["source"] if with_source else []) + [
        "line", "host", "time", "ok", "code", "reasons", "messages", "path", "anchor",
        "issuer", "not_after"]
    cols += [f"store:{name}" for name in store_names]
    return cols + ["flags", "error"]


class CsvWriter:
    """Flat rows: lists joined with ``;``, reasons as ``code@depth``, one
    ``store:NAME`` column per store holding its code; no newline inside a field."""

    def __init__(self, out: TextIO, store_names: list[str], with_source: bool) -> None:
        self.out = out
        self.columns = csv_columns(store_names, with_source)
        self.store_names = store_names

    def header(self) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(self.columns)
        self.out.write(buf.getvalue())
        self.out.flush()

    def flat(self, row: dict) -> list[str]:
        flat = dict(row)
        flat["reasons"] = ";".join(f"{p['code']}@{p['depth']}" for p in row["reasons"])
        flat["messages"] = ";".join(p["message"] for p in row["reasons"])
        flat["path"] = ";".join(row["path"])
        flat["flags"] = ";".join(row["flags"])
        for name in self.store_names:
            flat[f"store:{name}"] = row["stores"][name]["code"]
        return [_csv_text(flat.get(c)) for c in self.columns]

    def write(self, rows: Iterable[dict]) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for row in rows:
            w.writerow(self.flat(row))
        self.out.write(buf.getvalue())
        self.out.flush()


def _row_from_csv(rec: dict) -> dict:
    """The summary-relevant fields of a CSV output row, as in a JSONL row."""
    stores = {}
    for key, value in rec.items():
        if key and key.startswith("store:"):
            stores[key[len("store:"):]] = {"ok": value == "ok", "code": value}
    return {
        "ok": rec.get("ok") == "true",
        "code": rec.get("code") or "malformed",
        "issuer": rec.get("issuer") or None,
        "anchor": rec.get("anchor") or None,
        "not_after": rec.get("not_after") or None,
        "flags": [f for f in (rec.get("flags") or "").split(";") if f],
        "stores": stores,
    }


def count_rows(path: str, fmt: str, columns: Optional[list[str]] = None,
               fold=None) -> int:
    """Rows already in an output file, for ``--resume``.

    A last line without its newline (an interrupted write) is cut off the
    file. For CSV the header must equal ``columns``. ``fold(row)`` is called
    with each row (CSV rows in their JSONL shape, as far as the summary goes).
    """
    if not os.path.exists(path):
        return 0
    n = 0
    good_end = 0
    header: Optional[list[str]] = None
    with open(path, "rb") as f:
        while True:
            line = f.readline()
            if not line:
                break
            if not line.endswith(b"\n"):
                break  # partial: cut below
            good_end += len(line)
            text = line.decode("utf-8", "replace")
            if not text.strip():
                continue
            if fmt == "csv" and header is None:
                header = next(csv.reader([text]))
                if columns is not None and header != columns:
                    raise ValueError(f"{path}: its CSV columns differ from this scan's "
                                     f"({','.join(header)})")
                continue
            n += 1
            if fold is not None:
                try:
                    if fmt == "csv":
                        assert header is not None
                        fold(_row_from_csv(dict(zip(header, next(csv.reader([text]))))))
                    else:
                        fold(json.loads(text))
                except (ValueError, KeyError, TypeError, AttributeError):
                    pass
    if good_end != os.path.getsize(path):
        with open(path, "r+b") as f:
            f.truncate(good_end)
    return n


def read_rows(path: str) -> Iterator[dict]:
    """Rows of an output file, JSONL or CSV (gzip allowed, ``-`` for stdin).

    CSV rows come back with the fields the summary and the report use. Lines
    that do not parse are skipped.
    """
    import gzip
    import sys

    raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        magic = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        stream = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
        header: Optional[list[str]] = None
        for line in stream:
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            if header is None and not text.startswith("{"):
                header = next(csv.reader([text]))
                continue
            try:
                if header is not None:
                    rec = dict(zip(header, next(csv.reader([text]))))
                    row = _row_from_csv(rec)
                    row["time"] = int(rec["time"]) if rec.get("time") else None
                else:
                    row = json.loads(text)
            except (ValueError, csv.Error):
                continue
            if isinstance(row, dict):
                yield row
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()
