"""CSV input: a header naming the columns (``id,host,chain``, optionally ``time``), then
one chain per line, its certificates base64 DER joined by ``;``. (Named table, not
csv, so that it is never taken for the standard library's module.)"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Optional

from .record import Record, _b64, _fill, _host, _line_problem, parse_time


def _csv_records(lines: Iterator[tuple[int, Optional[str]]], name: str) -> Iterator[Record]:
    """Records of a CSV input's lines (``streams._iter_lines``); the header is line 1."""
    columns: Optional[list[str]] = None
    header_error = None
    for n, text in lines:
        if columns is None and header_error is None:
            cols = [c.strip().lower() for c in next(csv.reader([text or ""]), [])]
            if "chain" in cols:
                columns = cols
                continue
            header_error = "CSV input without a header naming a 'chain' column"
        rec = Record(name, n, error=header_error or _line_problem(text))
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
