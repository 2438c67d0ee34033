"""What ``chainval report`` needs beyond the summary's totals to triage a scan:
failures by issuer and code and by anchor and code, where two trust stores disagree
(by anchor), leaves expiring soon, malformed rows by reason, and example rows for
each of those buckets. One pass over the rows, in memory bounded by the number of
distinct keys (issuers, anchors, reasons), never by the number of rows: examples are
capped per bucket, and tables keep the top K keys plus an "other" line.

The tables are plain data (:meth:`Triage.tables`), which the page renders and
``--export`` writes as JSON and CSV.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any, Optional

__all__ = ["EXPIRY_DAYS", "Triage"]

EXPIRY_DAYS = (7, 30, 90)
OTHER = "(other)"
# Example rows kept in all (buckets are many: every issuer and code): memory
# stays bounded whatever the number of issuers (~600 bytes each: ~12 MB).
MAX_EXAMPLES = 20_000
# The page shows the examples of the buckets in each table's first lines.
PAGE_BUCKETS = 100


def _epoch(rfc3339: Any) -> Optional[int]:
    if not isinstance(rfc3339, str):
        return None
    try:
        t = datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())


def _codes(row: dict) -> list[str]:
    """A row's reason codes (its ``reasons`` are ``{code, depth, message}``)."""
    codes = [r.get("code") for r in row.get("reasons") or [] if isinstance(r, dict)]
    return [c for c in codes if isinstance(c, str)] or [str(row.get("code"))]


def _reason_of(row: dict) -> str:
    """A malformed row's reason: its error text up to the first detail."""
    error = row.get("error")
    if not isinstance(error, str) or not error:
        return "unknown"
    return error.split(":", 1)[0].strip()[:120] or "unknown"


class Triage:
    """Counts and examples over output rows (:meth:`add` each one)."""

    def __init__(self, *, examples: int = 20, top: int = 1000,
                 scan_time: Optional[int] = None) -> None:
        self.examples_per_bucket = examples
        self.top = top
        self.scan_time = scan_time  # --at of the scan; else each row's own time
        self.rows = 0
        self.failures = 0
        self.issuer_code: Counter = Counter()
        self.anchor_code: Counter = Counter()
        self.store_diff: Counter = Counter()  # (ok in, not ok in, anchor)
        self.expiring: Counter = Counter()   # days -> ok rows whose leaf expires within
        self.malformed: Counter = Counter()
        self.examples: dict[tuple[str, ...], list[dict]] = {}
        self.kept = 0

    def _example(self, bucket: tuple[str, ...], row: dict) -> None:
        kept = self.examples.get(bucket)
        if kept is None:
            if self.kept >= MAX_EXAMPLES:
                return
            kept = self.examples[bucket] = []
        if len(kept) < self.examples_per_bucket and self.kept < MAX_EXAMPLES:
            self.kept += 1
            path = row.get("path") or []
            kept.append({"id": row.get("id"), "line": row.get("line"),
                         "source": row.get("source"), "host": row.get("host"),
                         "time": row.get("time"),
                         "reasons": _codes(row),
                         "leaf_sha256": path[0] if path and isinstance(path[0], str) else None})

    def add(self, row: dict) -> None:
        self.rows += 1
        code = row.get("code") or "malformed"
        ok = bool(row.get("ok"))
        if code == "malformed":
            reason = _reason_of(row)
            self.malformed[reason] += 1
            self._example(("malformed", reason), row)
        elif not ok:
            self.failures += 1
            issuer = row.get("issuer") or "(no issuer)"
            anchor = row.get("anchor") or "(no anchor)"
            self.issuer_code[(issuer, code)] += 1
            self.anchor_code[(anchor, code)] += 1
            self._example(("code", code), row)
            self._example(("issuer", issuer, code), row)
        self._stores(row)
        if ok:
            self._expiry(row)

    def _stores(self, row: dict) -> None:
        stores = row.get("stores")
        if not isinstance(stores, dict) or len(stores) < 2:
            return
        good = [n for n, v in stores.items() if isinstance(v, dict) and v.get("ok")]
        bad = [n for n, v in stores.items() if isinstance(v, dict) and not v.get("ok")]
        for a in good:
            anchor = (stores[a].get("anchor") or "(no anchor)")
            for b in bad:
                self.store_diff[(a, b, anchor)] += 1
                self._example(("stores", a, b, anchor), row)

    def _expiry(self, row: dict) -> None:
        end = _epoch(row.get("not_after"))
        when = self.scan_time if self.scan_time is not None else row.get("time")
        if end is None or not isinstance(when, int) or isinstance(when, bool):
            return
        left = end - when
        for days in EXPIRY_DAYS:
            if 0 <= left <= days * 86400:
                self.expiring[days] += 1
                self._example(("expiring", str(days)), row)

    # ---------------------------------------------------------------- tables

    def _ranked(self, counter: Counter, width: int, total: int) -> list[list[Any]]:
        """Rows of (key..., count, share), the top K and an "other" line."""
        items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        out = [[*(key if isinstance(key, tuple) else (key,)), n, n / total if total else 0.0]
               for key, n in items[:self.top]]
        rest = sum(n for _, n in items[self.top:])
        if rest:
            out.append([OTHER] + [""] * (width - 1) + [rest, rest / total if total else 0.0])
        return out

    def tables(self) -> dict[str, dict]:
        """Every table: its columns and rows (shares as fractions)."""
        malformed = sum(self.malformed.values())
        return {
            "issuer_code": {"columns": ["issuer", "code", "rows", "share of failures"],
                            "rows": self._ranked(self.issuer_code, 2, self.failures)},
            "anchor_code": {"columns": ["anchor", "code", "rows", "share of failures"],
                            "rows": self._ranked(self.anchor_code, 2, self.failures)},
            "store_differences": {"columns": ["ok in", "not ok in", "anchor (ok store)", "rows",
                                              "share of rows"],
                                  "rows": self._ranked(self.store_diff, 3, self.rows)},
            "expiring": {"columns": ["within days", "ok rows"],
                         "rows": [[d, self.expiring[d]] for d in EXPIRY_DAYS]},
            "malformed": {"columns": ["reason", "rows", "share of malformed"],
                          "rows": self._ranked(self.malformed, 1, malformed)},
        }

    def example_rows(self, page: bool = False) -> list[dict]:
        """Every example kept with the bucket it stands for, in bucket order;
        ``page``: only the buckets in the first PAGE_BUCKETS lines of their
        table (an issuer far down the list is in the export, not the page)."""
        shown = None
        if page:
            shown = set()
            for kind, counter in (("issuer", self.issuer_code), ("stores", self.store_diff),
                                  ("malformed", self.malformed)):
                top = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:PAGE_BUCKETS]
                shown |= {(kind, *(k if isinstance(k, tuple) else (k,))) for k, _ in top}
        out = []
        for bucket in sorted(self.examples):
            if shown is not None and bucket[0] in ("issuer", "stores", "malformed") \
                    and bucket not in shown:
                continue
            for ex in self.examples[bucket]:
                out.append({"bucket": " / ".join(bucket), **ex})
        return out
