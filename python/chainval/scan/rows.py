"""Output rows of ``chainval scan`` read back (``chainval report`` reads them). The
rows are written by the C engine (scanner/engine.c); their fields are ROW_FIELDS.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Optional

__all__ = ["ROW_FIELDS", "read_rows"]

# The fields of an output row, in order ("source" only with several inputs).
ROW_FIELDS = ("id", "source", "line", "host", "time", "ok", "code", "reasons", "path",
              "anchor", "issuer", "not_after", "stores", "flags", "error")


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
