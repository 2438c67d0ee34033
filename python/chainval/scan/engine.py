"""The engine of ``chainval scan``: records in, output rows out.

Records (:mod:`chainval.scan.formats`) are verified a batch at a time with
:func:`chainval.verify_many` (libchain's threads, the GIL released), once per
trust store; each record gives exactly one output row, in input order.
"""

from __future__ import annotations

from typing import Optional

import chainval

from .formats import Record

__all__ = ["EXPIRY_CODES", "Scanner"]

EXPIRY_CODES = frozenset({"expired", "not_yet_valid"})


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
