"""``chainval report``: a self-contained HTML page from ``chainval scan`` output.

Inline CSS and SVG only (no scripts, fonts or other external assets): totals,
counts by code, per-store verdicts, top failing leaf issuers, top anchors,
flags, and the expiry timeline of the leaves (``not_after`` by month).
"""

from __future__ import annotations

import argparse
import datetime
import html
import os
from collections import Counter
from typing import Optional, TextIO

from .errors import UsageError
from .rows import read_rows
from .summary import Summary

__all__ = ["add_parser", "render_report", "bar_chart", "run", "timeline_chart"]

_OK = "#2e7d32"
_BAD = "#c62828"
_MALFORMED = "#757575"
_ACCENT = "#1565c0"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "\u2026"


def bar_chart(items: list[tuple[str, int]], *, color: str = _ACCENT, label_width: int = 300,
              width: int = 760, colors: Optional[dict] = None) -> str:
    """Horizontal bars, one per (label, value), as an inline SVG element."""
    if not items:
        return '<p class="none">none</p>'
    row_h, pad = 22, 4
    bar_w = width - label_width - 70
    top = max(v for _, v in items) or 1
    h = len(items) * row_h + pad * 2
    out = [f'<svg class="chart" width="{width}" height="{h}" viewBox="0 0 {width} {h}" '
           f'xmlns="http://www.w3.org/2000/svg" role="img">']
    for i, (label, value) in enumerate(items):
        y = pad + i * row_h
        w = max(1, round(bar_w * value / top)) if value else 0
        fill = (colors or {}).get(label, color)
        out.append(f'<g><title>{_e(label)}: {value}</title>'
                   f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">'
                   f'{_e(_short(label, 48))}</text>'
                   f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="{row_h - 6}" '
                   f'fill="{fill}"/>'
                   f'<text x="{label_width + w + 6}" y="{y + 15}">{value}</text></g>')
    out.append("</svg>")
    return "".join(out)


def timeline_chart(bins: list[tuple[str, int, int]], *, height: int = 240) -> str:
    """Stacked columns per period: (label, ok, not ok) as an inline SVG element."""
    if not bins:
        return '<p class="none">no leaf expiry dates</p>'
    col = 14 if len(bins) <= 60 else 8 if len(bins) <= 150 else 5
    left, bottom, top_pad = 50, 46, 10
    width = max(760, left + col * len(bins) + 20)
    plot_h = height - bottom - top_pad
    top = max(ok + bad for _, ok, bad in bins) or 1
    out = [f'<svg class="chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img">']
    for frac in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{round(top * frac)}</text>')
    step = max(1, len(bins) // 12)
    for i, (label, ok, bad) in enumerate(bins):
        x = left + i * col
        h_ok = plot_h * ok / top
        h_bad = plot_h * bad / top
        base = top_pad + plot_h
        out.append(f'<g><title>{_e(label)}: {ok} ok, {bad} not ok</title>')
        if ok:
            out.append(f'<rect x="{x + 1}" y="{base - h_ok:.1f}" width="{col - 2}" '
                       f'height="{h_ok:.1f}" fill="{_OK}"/>')
        if bad:
            out.append(f'<rect x="{x + 1}" y="{base - h_ok - h_bad:.1f}" width="{col - 2}" '
                       f'height="{h_bad:.1f}" fill="{_BAD}"/>')
        out.append("</g>")
        if i % step == 0:
            out.append(f'<text x="{x + col / 2:.1f}" y="{base + 14}" text-anchor="end" '
                       f'transform="rotate(-45 {x + col / 2:.1f} {base + 14})">{_e(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def _months(start: str, end: str) -> list[str]:
    y, m = int(start[:4]), int(start[5:7])
    ye, me = int(end[:4]), int(end[5:7])
    out = []
    while (y, m) <= (ye, me):
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def _timeline(by_month: dict[str, Counter]) -> list[tuple[str, int, int]]:
    """Months between the first and last expiry; years when that is over 15 years."""
    if not by_month:
        return []
    keys = sorted(by_month)
    months = _months(keys[0], keys[-1])
    if len(months) > 180:
        years: dict[str, Counter] = {}
        for k, c in by_month.items():
            years.setdefault(k[:4], Counter()).update(c)
        labels = [str(y) for y in range(int(keys[0][:4]), int(keys[-1][:4]) + 1)]
        return [(y, years.get(y, Counter())["ok"], years.get(y, Counter())["bad"])
                for y in labels]
    return [(m, by_month.get(m, Counter())["ok"], by_month.get(m, Counter())["bad"])
            for m in months]


def _table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{c}</td>' if isinstance(c, int) else f"<td>{_e(c)}</td>" for c in r)
        + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;
padding-bottom:4px}.meta{color:#666}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}.ok b{color:#2e7d32}.failed b{color:#c62828}
.malformed b{color:#757575}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 10px;text-align:left}td.num{text-align:right;
font-variant-numeric:tabular-nums}th{background:#f5f5f5}svg.chart text{font-size:12px;
fill:#333}.none{color:#888}.legend span{display:inline-block;width:10px;height:10px;
margin:0 4px 0 12px}
"""


def render_report(path: str, *, title: Optional[str] = None) -> str:
    """The HTML report of the JSONL rows in ``path`` (``-``: stdin)."""
    summary = Summary()
    by_month: dict[str, Counter] = {}
    times: list[int] = []
    for row in read_rows(path):
        summary.add(row)
        na = row.get("not_after")
        if isinstance(na, str) and len(na) >= 7 and na[4] == "-":
            by_month.setdefault(na[:7], Counter())["ok" if row.get("ok") else "bad"] += 1
        t = row.get("time")
        if isinstance(t, int):
            times = [min(times[0], t), max(times[1], t)] if times else [t, t]
    d = summary.as_dict()
    total = max(summary.rows, 1)
    title = title or f"chainval scan report: {path}"
    verdict_colors = {"ok": _OK, "failed": _BAD, "malformed": _MALFORMED}
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>"]
    meta = f"{summary.rows} rows"
    if times:
        def fmt(t: int) -> str:
            return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC")
        meta += f"; verification times {fmt(times[0])} .. {fmt(times[1])}"
    parts.append(f'<p class="meta">{_e(meta)}; generated by chainval report</p>')
    parts.append('<div class="cards">' + "".join(
        f'<div class="card {k}"><b>{n}</b>{_e(k)} ({100.0 * n / total:.1f}%)</div>'
        for k, n in d["verdicts"].items()) + "</div>")

    parts.append("<h2>Counts by code</h2>")
    codes = list(d["codes"].items())
    code_colors = {c: (_OK if c == "ok" else _MALFORMED if c == "malformed" else _BAD)
                   for c, _ in codes}
    parts.append(bar_chart(codes, colors=code_colors))
    parts.append(_table(["code", "rows", "share"],
                        [[c, n, f"{100.0 * n / total:.1f}%"] for c, n in codes]))

    if len(d["stores"]) > 1 or any(d["stores"]):
        parts.append("<h2>Trust stores</h2>")
        parts.append(_table(["store", "ok", "failed", "codes"],
                            [[name, s["ok"], s["failed"],
                              ", ".join(f"{c} {n}" for c, n in s["codes"].items())]
                             for name, s in d["stores"].items()]))

    parts.append("<h2>Top failing issuers</h2>")
    issuers = [(x["issuer"], x["count"]) for x in d["top_failing_issuers"]]
    parts.append(bar_chart(issuers, color=_BAD))

    parts.append("<h2>Leaf expiry timeline</h2>")
    bins = _timeline(by_month)
    unit = "year" if bins and len(bins[0][0]) == 4 else "month"
    parts.append(f'<p class="legend">not_after of the leaf certificates, by {unit}'
                 f'<span style="background:{_OK}"></span>ok'
                 f'<span style="background:{_BAD}"></span>not ok</p>')
    parts.append(timeline_chart(bins))

    parts.append("<h2>Top anchors</h2>")
    parts.append(bar_chart([(x["anchor"], x["count"]) for x in d["top_anchors"]], color=_OK))

    if d["flags"]:
        parts.append("<h2>Flags</h2>")
        parts.append(_table(["flag", "rows"], [[f, n] for f, n in d["flags"].items()]))
    parts.append("<h2>Verdicts</h2>")
    parts.append(bar_chart(list(d["verdicts"].items()), colors=verdict_colors))
    parts.append("</body></html>\n")
    return "".join(parts)


# ---------------------------------------------------------------------------
# The subcommand


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` to the subcommands of the ``chainval`` parser."""
    r = sub.add_parser("report", help="an HTML report of a scan's output",
                       description="A self-contained HTML report (inline SVG charts) of "
                       "chainval scan output.")
    r.add_argument("rows", metavar="OUT.jsonl", help="chainval scan output (JSONL; - for stdin)")
    r.add_argument("-o", "--output", metavar="FILE",
                   help="HTML file (default: OUT with .html; - for stdout)")
    r.add_argument("--title", default=None, help="report title")
    r.set_defaults(run=run)


def run(args, stdout: TextIO, stderr: TextIO, stdin) -> int:
    """Run ``chainval report``: the HTML report of ``args.rows``; returns 0."""
    if args.rows != "-" and not os.path.exists(args.rows):
        raise UsageError(f"{args.rows}: no such file")
    page = render_report(args.rows, title=args.title)
    target = args.output
    if target is None:
        if args.rows == "-":
            target = "-"
        else:
            base = args.rows[:-3] if args.rows.endswith(".gz") else args.rows
            target = os.path.splitext(base)[0] + ".html"
    if target == "-":
        stdout.write(page)
    else:
        with open(target, "w", encoding="utf-8") as f:
            f.write(page)
    return 0
