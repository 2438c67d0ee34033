"""The engine of ``chainval scan``: records in, output rows out, and the summary.

Records (``chainval.formats``) are verified a batch at a time with
:func:`chainval.verify_many` (libchain's threads, the GIL released), once per
trust store; each record gives exactly one output row, in input order. This
module also writes rows (JSONL or CSV), reads them back (``--resume``,
``chainval report``) and keeps the totals of the summary.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Optional, TextIO

import chainval

from .formats import Record

__all__ = [
    "ROW_FIELDS",
    "CsvWriter",
    "JsonlWriter",
    "Scanner",
    "Summary",
    "load_pool",
    "load_store",
    "read_rows",
]

# The fields of an output row, in order ("source" only with several inputs).
ROW_FIELDS = ("id", "source", "line", "host", "time", "ok", "code", "reasons", "path",
              "anchor", "issuer", "not_after", "stores", "flags", "error")

EXPIRY_CODES = frozenset({"expired", "not_yet_valid"})


def load_store(path: str) -> chainval.TrustStore:
    """A trust store from a PEM bundle file or a directory (``"system"``: the OS store)."""
    if path == "system" and not os.path.exists(path):
        return chainval.TrustStore.system()
    store = chainval.TrustStore()
    if os.path.isdir(path):
        store.add_dir(path)
    else:
        store.add_file(path)
    if len(store) == 0:
        raise ValueError(f"{path}: no certificates")
    return store


def load_pool(path: str) -> chainval.Pool:
    """An intermediate pool from a PEM bundle file or a directory of PEM files."""
    pool = chainval.Pool([])
    if os.path.isdir(path):
        pool.add_dir(path)
    else:
        pool.add_file(path)
    if len(pool) == 0:
        raise ValueError(f"{path}: no certificates")
    return pool


class Scanner:
    """Verifies batches of records against one or more named trust stores.

    ``stores`` is a list of ``(name, TrustStore)``; the first one decides a
    row's top-level verdict. ``at`` fixes the verification time of every
    row (unix seconds); without it a row is verified at its own ``time``,
    or at the current time when it has none.
    """

    # The default bound of the scan's cache: CA certificates, signature edges
    # and verdicts of rows already seen (docs/scan.md, "Memory").
    CACHE_BYTES = 64 << 20

    def __init__(self, stores: list[tuple[str, chainval.TrustStore]], *,
                 pool: Optional[chainval.Pool] = None, at: Optional[int] = None,
                 threads: Optional[int] = None, with_source: bool = False,
                 cache_bytes: int = CACHE_BYTES) -> None:
        if not stores:
            raise ValueError("at least one trust store is needed")
        self.stores = stores
        self.names = [name for name, _ in stores]
        self.pool = pool
        self.at = at
        self.threads = threads
        self.with_source = with_source
        # One cache for every store and batch: certificates and signature edges
        # do not depend on the store, and verdicts are keyed on it. 0: none.
        self.cache = chainval.Cache(max_bytes=cache_bytes) if cache_bytes else None

    def _verify(self, k: int, items: list) -> list:
        return chainval.verify_many(items, store=self.stores[k][1], intermediates=self.pool,
                                    threads=self.threads, cache=self.cache)

    def prepare(self, records: list[Record]) -> tuple[list[Record], list, list[int]]:
        """The Python half of a batch: policies and leaf-order repair.

        Returns ``(records, items, where)``: the verify_many items and, for
        each, the index of its record. Records that cannot be verified get
        ``error`` set. Safe to run in another thread than :meth:`finish`.
        """
        items: list = []
        where: list[int] = []
        policies: dict = {}
        for i, rec in enumerate(records):
            if rec.error is not None or not rec.chain:
                if rec.error is None:
                    rec.error = "no certificates"
                continue
            at = self.at if self.at is not None else rec.time
            precert = "precertificate" in rec.flags
            key = (rec.host, at, precert)
            policy = policies.get(key)
            if policy is None:
                try:
                    policy = chainval.Policy(hostname=rec.host, at=at, repair_order=True,
                                             precertificate=precert)
                except (ValueError, OverflowError, TypeError) as e:
                    rec.error = str(e)
                    continue
                policies[key] = policy
            items.append((rec.chain, policy))
            where.append(i)
        return records, items, where

    def finish(self, prepared: tuple[list[Record], list, list[int]]) -> list[dict]:
        """Verify a prepared batch against every store: one row per record, in order."""
        records, items, where = prepared
        per_store = [self._verify(k, items) for k in range(len(self.stores))] if items else []
        rows: list[Optional[dict]] = [None] * len(records)
        for j, i in enumerate(where):
            try:
                rows[i] = self._row(records[i], [res[j] for res in per_store])
            except ValueError as e:  # UnicodeError included: one row never stops a scan
                records[i].error = f"the result could not be written as a row: {e}"
        for i, rec in enumerate(records):
            if rows[i] is None:
                rows[i] = self._malformed_row(rec)
        return rows  # type: ignore[return-value]

    def rows(self, records: list[Record]) -> list[dict]:
        """One output row per record, in order."""
        return self.finish(self.prepare(records))

    def _head(self, rec: Record) -> dict:
        row: dict = {"id": rec.id if rec.id is not None else rec.line}
        if self.with_source:
            row["source"] = rec.source
        row["line"] = rec.line
        row["host"] = rec.host
        return row

    def _row(self, rec: Record, results: list) -> dict:
        r = results[0]
        # What the row needs of the path, in one C call (no Certificate objects).
        path, anchor, issuer, not_after, pool_used = r._row_fields()
        flags = list(rec.flags)
        if r.order_repaired:
            flags.append("order_repaired")
        if pool_used:
            flags.append("pool_used")
        if not r.ok and r.reasons and all(p.code in EXPIRY_CODES for p in r.reasons):
            flags.append("valid_apart_from_expiry")
        row = self._head(rec)
        row.update({
            "time": r.time,
            "ok": r.ok,
            "code": r.code,
            "reasons": [{"code": p.code, "depth": p.depth, "message": p.message}
                        for p in r.reasons],
            "path": path,
            "anchor": anchor,
            "issuer": issuer,
            "not_after": not_after,
            "stores": {name: {"ok": x.ok, "code": x.code}
                       for name, x in zip(self.names, results)},
            "flags": flags,
            "error": r.error_message or (r.reasons[0].message
                                         if r.code == "malformed" and r.reasons else None),
        })
        return row

    def _malformed_row(self, rec: Record) -> dict:
        row = self._head(rec)
        row.update({
            "time": self.at if self.at is not None else rec.time,
            "ok": False,
            "code": "malformed",
            "reasons": [],
            "path": [],
            "anchor": None,
            "issuer": None,
            "not_after": None,
            "stores": {name: {"ok": False, "code": "malformed"} for name in self.names},
            "flags": list(rec.flags),
            "error": rec.error,
        })
        return row


# ---------------------------------------------------------------------------
# Writers and readers of output rows


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


# ---------------------------------------------------------------------------
# Summary


def _verdict(row: dict) -> str:
    if row.get("ok"):
        return "ok"
    return "malformed" if row.get("code") == "malformed" else "failed"


def _top(counter: Counter, key: str, n: int) -> list[dict]:
    return [{key: k, "count": v} for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _sorted_counts(counter: Counter) -> dict:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


class Summary:
    """Totals over output rows: per verdict, per code, per store, flags, top
    failing leaf issuers and top anchors."""

    TOP = 10

    def __init__(self, store_names: Optional[list[str]] = None) -> None:
        self.store_names = list(store_names or [])
        self.rows = 0
        self.verdicts: Counter = Counter()
        self.codes: Counter = Counter()
        self.stores: dict[str, dict] = {}
        self.flags: Counter = Counter()
        self.failing_issuers: Counter = Counter()
        self.anchors: Counter = Counter()
        for name in self.store_names:
            self._store(name)

    def _store(self, name: str) -> dict:
        s = self.stores.get(name)
        if s is None:
            s = self.stores[name] = {"ok": 0, "failed": 0, "codes": Counter()}
        return s

    def add(self, row: dict) -> None:
        self.rows += 1
        verdict = _verdict(row)
        self.verdicts[verdict] += 1
        self.codes[row.get("code") or "malformed"] += 1
        for name, v in (row.get("stores") or {}).items():
            s = self._store(name)
            s["ok" if v.get("ok") else "failed"] += 1
            s["codes"][v.get("code")] += 1
        for f in row.get("flags") or ():
            self.flags[f] += 1
        if verdict != "ok" and row.get("issuer"):
            self.failing_issuers[row["issuer"]] += 1
        if row.get("anchor"):
            self.anchors[row["anchor"]] += 1

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "verdicts": {k: self.verdicts.get(k, 0) for k in ("ok", "failed", "malformed")},
            "codes": _sorted_counts(self.codes),
            "stores": {name: {"ok": s["ok"], "failed": s["failed"],
                              "codes": _sorted_counts(s["codes"])}
                       for name, s in self.stores.items()},
            "flags": _sorted_counts(self.flags),
            "top_failing_issuers": _top(self.failing_issuers, "issuer", self.TOP),
            "top_anchors": _top(self.anchors, "anchor", self.TOP),
        }

    def text(self) -> str:
        d = self.as_dict()
        lines = []
        total = max(self.rows, 1)
        v = d["verdicts"]
        lines.append("verdicts: " + ", ".join(
            f"{k} {n} ({100.0 * n / total:.1f}%)" for k, n in v.items()))
        lines.append("codes:    " + (", ".join(f"{k} {n}" for k, n in d["codes"].items()) or "-"))
        if len(d["stores"]) > 1:
            for name, s in d["stores"].items():
                lines.append(f"store {name}: ok {s['ok']}, failed {s['failed']} ("
                             + ", ".join(f"{k} {n}" for k, n in s["codes"].items()) + ")")
        if d["flags"]:
            lines.append("flags:    " + ", ".join(f"{k} {n}" for k, n in d["flags"].items()))
        if d["top_failing_issuers"]:
            lines.append("top failing issuers:")
            lines += [f"  {x['count']:>8}  {x['issuer']}" for x in d["top_failing_issuers"][:5]]
        if d["top_anchors"]:
            lines.append("top anchors:")
            lines += [f"  {x['count']:>8}  {x['anchor']}" for x in d["top_anchors"][:5]]
        return "\n".join(lines)
