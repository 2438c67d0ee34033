"""The summary of ``chainval scan`` (and of ``chainval report``): totals over output rows."""

from __future__ import annotations

from collections import Counter
from typing import Optional

__all__ = ["Summary"]


VERDICTS = ("ok", "failed", "malformed", "no_chain")


def _verdict(row: dict) -> str:
    if row.get("ok"):
        return "ok"
    code = row.get("code")
    return code if code in ("malformed", "no_chain") else "failed"


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
        self.malformed: Counter = Counter()  # malformed rows by the kind of fault
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

    def merge(self, counts: dict) -> None:
        """Add the C engine's counters (its summary JSON, docs/scan.md)."""
        self.rows += counts["rows"]
        self.verdicts.update(counts["verdicts"])
        self.codes.update(counts["codes"])
        for name, st in counts["stores"].items():
            s = self._store(name)
            s["ok"] += st["ok"]
            s["failed"] += st["failed"]
            s["codes"].update(st["codes"])
        self.flags.update(counts["flags"])
        self.failing_issuers.update(counts["failing_issuers"])
        self.anchors.update(counts["anchors"])
        self.malformed.update(counts["malformed"])

    def counters(self) -> dict:
        """Every counter, in the C engine's shape (what :meth:`merge` takes):
        the sidecar's checkpoints keep them so that --resume goes on counting."""
        return {
            "rows": self.rows,
            "verdicts": dict(self.verdicts),
            "codes": dict(self.codes),
            "stores": {name: {"ok": s["ok"], "failed": s["failed"], "codes": dict(s["codes"])}
                       for name, s in self.stores.items()},
            "flags": dict(self.flags),
            "malformed": dict(self.malformed),
            "failing_issuers": dict(self.failing_issuers),
            "anchors": dict(self.anchors),
        }

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "verdicts": {k: self.verdicts.get(k, 0) for k in VERDICTS},
            "codes": _sorted_counts(self.codes),
            "stores": {name: {"ok": s["ok"], "failed": s["failed"],
                              "codes": _sorted_counts(s["codes"])}
                       for name, s in self.stores.items()},
            "flags": _sorted_counts(self.flags),
            "malformed": _sorted_counts(self.malformed),
            "top_failing_issuers": _top(self.failing_issuers, "issuer", self.TOP),
            "top_anchors": _top(self.anchors, "anchor", self.TOP),
        }

    def text(self) -> str:
        d = self.as_dict()
        lines = []
        total = max(self.rows, 1)
        v = d["verdicts"]
        lines.append("verdicts: " + ", ".join(
            f"{k} {n} ({100.0 * n / total:.1f}%)" for k, n in v.items()
            if n or k != "no_chain"))
        lines.append("codes:    " + (", ".join(f"{k} {n}" for k, n in d["codes"].items()) or "-"))
        if len(d["stores"]) > 1:
            for name, s in d["stores"].items():
                lines.append(f"store {name}: ok {s['ok']}, failed {s['failed']} ("
                             + ", ".join(f"{k} {n}" for k, n in s["codes"].items()) + ")")
        if d["flags"]:
            lines.append("flags:    " + ", ".join(f"{k} {n}" for k, n in d["flags"].items()))
        if d["malformed"]:
            lines.append("malformed: " + ", ".join(f"{k} {n}" for k, n in d["malformed"].items()))
        if d["top_failing_issuers"]:
            lines.append("top failing issuers:")
            lines += [f"  {x['count']:>8}  {x['issuer']}" for x in d["top_failing_issuers"][:5]]
        if d["top_anchors"]:
            lines.append("top anchors:")
            lines += [f"  {x['count']:>8}  {x['anchor']}" for x in d["top_anchors"][:5]]
        return "\n".join(lines)
