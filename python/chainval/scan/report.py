"""``chainval report``: a self-contained HTML page from ``chainval scan`` output.

Inline CSS and SVG only (no scripts, fonts or other external assets): totals,
counts by code, per-store verdicts, top failing leaf issuers, top anchors,
flags, and the expiry timeline of the leaves (``not_after`` by month); at the
top, the scan's parameters from its sidecar (``OUT.meta.json``).

What is not scan output is refused before anything is written (exit status 2),
reading failures are one line (exit status 1), and no value in a row (a time
out of range, a ``not_after`` that is not RFC 3339, a field of another type)
stops the report: :mod:`.rows` reads such fields as null, and times and dates
outside the years 0001..9999 are counted and left out of the charts.
"""

from __future__ import annotations

import argparse
import datetime
import html
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable
from itertools import chain
from typing import Any, Optional, TextIO

from .errors import RunError, UsageError, os_reason
from .export import check_export_dir, write_export
from .output import write_atomically
from .rows import NotScanOutput, Rows, read_sidecar
from .summary import Summary
from .triage import Triage

__all__ = ["add_parser", "render_report", "bar_chart", "run", "timeline_chart"]

# Okabe-Ito colours, told apart by people who cannot tell red from green;
# every coloured mark also has a text label or legend.
_OK = "#0072b2"         # blue
_BAD = "#d55e00"        # vermillion
_MALFORMED = "#757575"  # grey
_ACCENT = "#009e73"     # bluish green


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "\u2026"


_CHAR_PX = 7.5  # an upper bound of the average glyph width at 13px, for label columns
_LABEL_CHARS = 64  # longer labels are cut at the end; the <title> has them whole


def bar_chart(items: list[tuple[str, int]], *, color: str = _ACCENT,
              label_width: Optional[int] = None, width: int = 1000,
              colors: Optional[dict] = None) -> str:
    """Horizontal bars, one per (label, value), as an inline SVG element. The
    label column fits the longest label shown, so none is clipped at its start
    (a DN's CN, the part that tells CAs apart, comes first)."""
    if not items:
        return '<p class="none">none</p>'
    if label_width is None:
        longest = max(len(_short(label, _LABEL_CHARS)) for label, _ in items)
        label_width = min(int(longest * _CHAR_PX) + 16, width - 220)
    row_h, pad = 22, 4
    bar_w = width - label_width - 90
    top = max(v for _, v in items) or 1
    h = len(items) * row_h + pad * 2
    out = [f'<svg class="chart" width="{width}" height="{h}" viewBox="0 0 {width} {h}" '
           f'xmlns="http://www.w3.org/2000/svg" role="img">']
    for i, (label, value) in enumerate(items):
        y = pad + i * row_h
        w = max(1, round(bar_w * value / top)) if value else 0
        fill = (colors or {}).get(label, color)
        out.append(f'<g><title>{_e(label)}: {value:,}</title>'
                   f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">'
                   f'{_e(_short(label, _LABEL_CHARS))}</text>'
                   f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="{row_h - 6}" '
                   f'fill="{fill}"/>'
                   f'<text x="{label_width + w + 6}" y="{y + 15}">{value:,}</text></g>')
    out.append("</svg>")
    return "".join(out)


def timeline_chart(bins: list[tuple[str, int, int]], *, height: int = 240) -> str:
    """Stacked columns per period: (label, ok, not ok) as an inline SVG element."""
    if not bins:
        return '<p class="none">no leaf expiry dates</p>'
    left, bottom, top_pad, min_width = 50, 46, 10, 1000
    # Columns as wide as the chart allows (it was 14 px whatever the count: a
    # few years filled a fraction of it), at least 5 px.
    col = max(5, min(80, (min_width - left - 20) // len(bins)))
    width = max(min_width, left + col * len(bins) + 20)
    plot_h = height - bottom - top_pad
    top = max(ok + bad for _, ok, bad in bins) or 1
    out = [f'<svg class="chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img">']
    for frac in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{round(top * frac):,}</text>')
    step = max(1, len(bins) // 12)
    for i, (label, ok, bad) in enumerate(bins):
        x = left + i * col
        h_ok = plot_h * ok / top
        h_bad = plot_h * bad / top
        base = top_pad + plot_h
        out.append(f'<g><title>{_e(label)}: {ok:,} ok, {bad:,} not ok</title>')
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
    """Months between the first and last expiry; years when that is over 15 years;
    past a century (a leaf "valid until 9999"), only the years with leaves, each run
    of empty years between them one empty column labelled with its span."""
    if not by_month:
        return []
    keys = sorted(by_month)
    months = _months(keys[0], keys[-1])
    if len(months) > 180:
        years: dict[int, Counter] = {}
        for k, c in by_month.items():
            years.setdefault(int(k[:4]), Counter()).update(c)
        first, last = min(years), max(years)
        if last - first < 100:
            return [(f"{y:04d}", years.get(y, Counter())["ok"], years.get(y, Counter())["bad"])
                    for y in range(first, last + 1)]
        out: list[tuple[str, int, int]] = []
        prev = first
        for y in sorted(years):
            if out and y > prev + 1:
                out.append((f"{prev + 1:04d}" if y == prev + 2 else
                            f"{prev + 1:04d}\u2013{y - 1:04d}", 0, 0))
            out.append((f"{y:04d}", years[y]["ok"], years[y]["bad"]))
            prev = y
        return out
    return [(m, by_month.get(m, Counter())["ok"], by_month.get(m, Counter())["bad"])
            for m in months]


# Times and dates are shown in the years 0001..9999 (what the scan accepts and a
# datetime holds); others are counted as out of range.
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
TIME_MIN = int((datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc) - _EPOCH)
               .total_seconds())
TIME_MAX = int((datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
                - _EPOCH).total_seconds())
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
                      r"([Zz]|[+-]\d{2}:\d{2})")


def _in_range(t: Any) -> bool:
    return isinstance(t, (int, float)) and not isinstance(t, bool) and \
        math.isfinite(t) and TIME_MIN <= t <= TIME_MAX


def _fmt_time(t: Any) -> str:
    """Unix seconds as UTC text; "out of range" outside the years 0001..9999."""
    if not _in_range(t):
        return f"{t!r} (out of range)"
    when = _EPOCH + datetime.timedelta(seconds=int(t))
    return (f"{when.year:04d}-{when.month:02d}-{when.day:02d} "
            f"{when.hour:02d}:{when.minute:02d} UTC")


def _month(not_after: str) -> Optional[str]:
    """The ``YYYY-MM`` of an RFC 3339 date-time; None when it is not one."""
    m = _RFC3339.fullmatch(not_after)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(x) for x in m.groups()[:6])
    try:
        datetime.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None
    return not_after[:7]


def _table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{c:,}</td>' if isinstance(c, int) and not isinstance(c, bool)
        else f"<td>{_e(c)}</td>" for c in r)
        + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;
max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;
padding-bottom:4px}.meta{color:#666}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}.ok b{color:#0072b2}.failed b{color:#d55e00}
.malformed b{color:#757575}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 10px;text-align:left}td.num{text-align:right;
font-variant-numeric:tabular-nums}th{background:#f5f5f5}svg.chart text{font-size:12px;
fill:#333}.none{color:#888}.legend span{display:inline-block;width:10px;height:10px;
margin:0 4px 0 12px}table.scan td:first-child{color:#666;white-space:nowrap}
.warn{color:#b26a00}
@media print{#filter{display:none}body{margin:0;max-width:none}svg.chart{max-width:100%;height:auto}
table{page-break-inside:auto}tr{page-break-inside:avoid}}
#filter{margin:6px 0;padding:4px 6px;font:inherit}td.fp{font-family:monospace}
"""


def _size(n: Any) -> str:
    if not isinstance(n, int) or isinstance(n, bool):
        return "size unknown"
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return ""  # not reached


def _n(n: Any, noun: str) -> str:
    """``n`` and the noun, plural unless n is 1 (a count of unknown type as it is)."""
    if not isinstance(n, int) or isinstance(n, bool):
        return f"{n} {noun}s"
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _dicts(value: Any) -> list[dict]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _scan_table(meta: Optional[dict], where: str, rows: Rows) -> str:
    """The table at the top: the scan's parameters from its sidecar, or why they
    are unknown."""
    if meta is None:
        return (f'<table class="scan"><tr><td>scan parameters</td><td class="warn">'
                f'missing: {_e(where)}</td></tr></table>')
    p = meta["parameters"]
    summary: Any = meta.get("summary") if isinstance(meta.get("summary"), dict) else None
    point: Any = meta.get("checkpoint") if isinstance(meta.get("checkpoint"), dict) else {}
    items: list[tuple[str, list[str]]] = []
    formats = [x.get("format") for x in _dicts((summary or {}).get("inputs"))]
    inputs = []
    for i, inp in enumerate(_dicts(p.get("inputs"))):
        fmt = formats[i] if i < len(formats) and formats[i] else None
        inputs.append(f"{inp.get('path')} ({_size(inp.get('size'))}"
                      + (f", {fmt}" if fmt else "") + ")")
    items.append(("inputs", inputs or ["unknown"]))
    if p.get("input_format"):
        items.append(("--input-format", [str(p["input_format"])]))
    items.append(("stores", [f"{st.get('name')}: {st.get('path')} ("
                             + _n(st.get("anchors"), "anchor")
                             + (f", {st.get('rejected')} rejected" if st.get("rejected") else "")
                             + f"; sha256 {str(st.get('sha256'))[:16]}\u2026)"
                             for st in _dicts(p.get("stores"))] or ["unknown"]))
    pool = p.get("pool")
    if isinstance(pool, dict):
        items.append(("--pool", [f"{pool.get('path')} "
                                 f"({_n(pool.get('certificates'), 'certificate')})"]))
    at = p.get("at")
    items.append(("--at", [_fmt_time(at) if at is not None else
                           "none: each row's own time, else the time of the scan"]))
    items.append(("--host-from", [str(p.get("host_from"))]))
    for key, flag in (("distrust_after", "--distrust-after"), ("sonar_certs", "--sonar-certs")):
        value = p.get(key)
        if value:
            items.append((flag, [str(x.get("path") if isinstance(x, dict) else x)
                                 for x in (value if isinstance(value, list) else [value])]))
    items.append(("versions", [f"chainval {p.get('chainval')}, GnuTLS {p.get('gnutls')}"]))
    items.append(("started", [_fmt_time(meta.get("started"))]))
    done = []
    if summary is not None:
        elapsed = summary.get("elapsed_s")
        rate = summary.get("rows_per_s")
        done.append("complete" + (f", in {elapsed} s" if isinstance(elapsed, (int, float)) else "")
                    + (f" ({rate:,.0f} rows/s)" if isinstance(rate, (int, float)) else "")
                    + (f" ({summary.get('resumed_rows')} rows resumed)"
                       if summary.get("resumed_rows") else ""))
        counted = point.get("rows")
        read = rows.rows + rows.skipped
        if isinstance(counted, int) and counted != read:
            done.append(f"\u26a0 the sidecar counts {counted:,} rows, the file has {read:,}: "
                        "it changed after the scan, or is not the file the sidecar describes")
    else:
        done.append(f"interrupted: {point.get('rows')} rows at the last checkpoint; "
                    "continue it with the same chainval scan command and --resume")
    items.append(("scan", done))
    items.append(("sidecar", [where]))
    body = "".join(f"<tr><td>{_e(k)}</td><td>{'<br>'.join(_e(v) for v in vs)}</td></tr>"
                   for k, vs in items)
    return f'<table class="scan">{body}</table>'


_TITLES = {
    "issuer_code": "Failures by issuing CA and code",
    "anchor_code": "Failures by trust anchor and code",
    "store_differences": "Where the trust stores disagree",
    "expiring": "Leaves expiring soon (ok rows, from the scan's time)",
    "malformed": "Malformed rows by reason",
}

# The example table's filter: added by the script, so that a page read
# without JavaScript shows every example and no dead control.
_FILTER_JS = """(function(){var t=document.getElementById('examples');if(!t)return;
var i=document.createElement('input');i.type='search';i.id='filter';
i.placeholder='filter the examples (id, host, code, issuer...)';i.size=48;
t.parentNode.insertBefore(i,t);i.addEventListener('input',function(){
var q=i.value.toLowerCase();var n=0;t.querySelectorAll('tbody tr').forEach(function(r){
var s=r.textContent.toLowerCase().indexOf(q)>=0;r.style.display=s?'':'none';if(s)n++;});
document.getElementById('shown').textContent=n;});})();"""


def _share(x: Any) -> str:
    return f"{100.0 * x:.1f}%" if isinstance(x, float) else str(x)


def triage_sections(tables: dict, examples: list[dict], *, multi_store: bool) -> str:
    """The triage tables (top K lines and "other") and the example rows."""
    out = []
    for name, title in _TITLES.items():
        if name == "store_differences" and not multi_store:
            continue
        t = tables[name]
        out.append(f'<h2 id="{name}">{_e(title)}</h2>')
        if not t["rows"] or (name == "expiring" and not any(r[1] for r in t["rows"])):
            out.append('<p class="none">none</p>')
            continue
        out.append(_table(t["columns"], [[_share(c) if isinstance(c, float) else c for c in r]
                                         for r in t["rows"]]))
    out.append('<h2 id="examples-title">Example rows</h2>')
    if not examples:
        out.append('<p class="none">none</p>')
        return "".join(out)
    out.append(f'<p class="legend">up to {_e(max(1, len(examples)))} rows; '
               f'<span id="shown">{len(examples):,}</span> shown</p>')
    body = "".join(
        f'<tr data-bucket="{_e(ex["bucket"])}"><td>{_e(ex["bucket"])}</td>'
        f'<td>{_e(ex["id"])}</td><td class="num">{_e(ex["line"])}</td><td>{_e(ex["host"])}</td>'
        f'<td>{_e(_fmt_time(ex["time"]) if ex["time"] is not None else "")}</td>'
        f'<td>{_e(", ".join(ex["reasons"]))}</td>'
        f'<td class="fp" title="{_e(ex["leaf_sha256"] or "")}">'
        f'{_e((ex["leaf_sha256"] or "")[:16])}</td></tr>'
        for ex in examples)
    out.append('<table id="examples"><thead><tr><th>bucket</th><th>id</th><th>line</th>'
               '<th>host</th><th>time</th><th>reasons</th><th>leaf sha256</th></tr></thead>'
               f"<tbody>{body}</tbody></table><script>{_FILTER_JS}</script>")
    return "".join(out)


def render_report(path: str, *, title: Optional[str] = None, stdin: Any = None) -> str:
    """The HTML report of the rows in ``path`` (``-``: ``stdin``, else the
    process's stdin) and of its sidecar. Raises :class:`~.rows.NotScanOutput`
    when ``path`` is not scan output, ``OSError`` when it cannot be read."""
    return _render(Rows(path, stdin), title=title)[0]


def _render(rows: Rows, items: Optional[Iterable[dict]] = None, *,
            title: Optional[str] = None, examples: int = 20, top: int = 1000,
            export: Optional[str] = None) -> tuple[str, list[str]]:
    """The page and its warnings, from ``items`` (default: ``rows``); with
    ``export``, the aggregates are also written there (JSON and CSV)."""
    meta, where = read_sidecar(rows.path)
    at = (meta or {}).get("parameters", {}).get("at") if isinstance(meta, dict) else None
    triage = Triage(examples=examples, top=top,
                    scan_time=at if isinstance(at, int) and not isinstance(at, bool) else None)
    summary = Summary()
    by_month: dict[str, Counter] = {}
    times: list[Any] = []
    bad_times = bad_dates = 0
    for row in rows if items is None else items:
        summary.add(row)
        triage.add(row)
        na = row.get("not_after")
        if na is not None:
            month = _month(na)
            if month is None:
                bad_dates += 1
            else:
                by_month.setdefault(month, Counter())["ok" if row.get("ok") else "bad"] += 1
        t: Any = row.get("time")
        if _in_range(t):
            times = [min(times[0], t), max(times[1], t)] if times else [t, t]
        elif t is not None:
            bad_times += 1
    bad_times += rows.ignored["time"]
    bad_dates += rows.ignored["not_after"]
    d = summary.as_dict()
    total = max(summary.rows, 1)
    title = title or f"chainval scan report: {rows.name}"
    verdict_colors = {"ok": _OK, "failed": _BAD, "malformed": _MALFORMED}
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>"]
    info = f"{summary.rows:,} rows" + (f" ({rows.format}" + (", gzip" if rows.gzip else "") + ")"
                                      if rows.format else "")
    if times:
        info += f"; verification times {_fmt_time(times[0])} .. {_fmt_time(times[1])}"
    parts.append(f'<p class="meta">{_e(info)}; generated by chainval report</p>')
    warnings = []
    if rows.skipped:
        warnings.append(f"{_n(rows.skipped, 'line')} that {'is' if rows.skipped == 1 else 'are'}"
                        f" not a row left out (the first: line {rows.first_skipped})")
    if bad_times:
        warnings.append(f"a time out of range (not unix seconds in the years 0001..9999) in "
                        f"{_n(bad_times, 'row')}: left out of the verification times")
    if bad_dates:
        warnings.append(f"a not_after that is not an RFC 3339 date (years 0001..9999) in "
                        f"{_n(bad_dates, 'row')}: left out of the expiry timeline")
    other = {f: n for f, n in sorted(rows.ignored.items()) if f not in ("time", "not_after")}
    if other:
        warnings.append("fields of an unexpected type, read as null: "
                        + ", ".join(f"{f} in {_n(n, 'row')}" for f, n in other.items()))
    parts += [f'<p class="warn">{_e(w)}</p>' for w in warnings]
    parts.append(_scan_table(meta, where, rows))
    parts.append('<div class="cards">' + "".join(
        f'<div class="card {k}"><b>{n:,}</b>{_e(k)} ({100.0 * n / total:.1f}%)</div>'
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
        # A malformed row is "failed" in a store's own counts; the cards count
        # it apart, and so does this table (it showed 476 failed against 452).
        parts.append(_table(["store", "ok", "failed", "malformed", "codes"],
                            [[name, s["ok"], s["failed"] - s["codes"].get("malformed", 0),
                              s["codes"].get("malformed", 0),
                              ", ".join(f"{c} {n:,}" for c, n in s["codes"].items())]
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

    tables = triage.tables()
    parts.append(triage_sections(tables, triage.example_rows(page=True),
                                 multi_store=len(d["stores"]) > 1))
    if export is not None:
        write_export(export, {"summary": d, "tables": tables,
                              "examples": triage.example_rows()})

    if d["flags"]:
        parts.append("<h2>Flags</h2>")
        parts.append(_table(["flag", "rows"], [[f, n] for f, n in d["flags"].items()]))
    parts.append("<h2>Verdicts</h2>")
    parts.append(bar_chart(list(d["verdicts"].items()), colors=verdict_colors))
    parts.append("</body></html>\n")
    return "".join(parts), warnings


# ---------------------------------------------------------------------------
# The subcommand


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` to the subcommands of the ``chainval`` parser."""
    r = sub.add_parser("report", help="an HTML report of a scan's output",
                       description="A self-contained HTML report (inline SVG charts) of "
                       "chainval scan output, with the scan's parameters from OUT.meta.json "
                       "beside it.")
    r.add_argument("rows", metavar="OUT.jsonl", help="the file chainval scan wrote with -o "
                   "(JSONL or CSV, gzip allowed; - for stdin)")
    r.add_argument("-o", "--output", metavar="FILE",
                   help="HTML file (default: OUT with .html; - for stdout)")
    r.add_argument("--title", default=None, help="report title")
    r.add_argument("--examples", type=int, default=20, metavar="N",
                   help="example rows kept per bucket (code, issuer and code, store "
                   "difference, expiry, malformed reason; default %(default)s)")
    r.add_argument("--top", type=int, default=1000, metavar="K",
                   help="lines per table, then one \"other\" line (default %(default)s)")
    r.add_argument("--export", metavar="DIR", help="also write the aggregates to DIR: "
                   "report.json and one CSV per table")
    r.add_argument("-q", "--quiet", action="store_true", help="no line on stderr saying what "
                   "was written (warnings and errors still)")
    r.set_defaults(run=run)


def _target(args) -> str:
    """Where the page goes: -o, else OUT with .html (stdout for stdin)."""
    if args.output is not None:
        return args.output
    if args.rows == "-":
        return "-"
    base = args.rows[:-3] if args.rows.endswith(".gz") else args.rows
    return os.path.splitext(base)[0] + ".html"


def _check_target(target: str, source: str) -> None:
    """Before the rows are read: the page can be written, and is not the input."""
    if target == "-":
        return
    if os.path.isdir(target):
        raise UsageError(f"-o {target}: is a directory")
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise UsageError(f"-o {target}: the directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"-o {target}: cannot write in {folder}")
    if source != "-" and os.path.exists(target) and os.path.samefile(target, source):
        raise UsageError(f"-o {target} is the input: refusing to overwrite it (give -o FILE)")


def _write_page(target: str, page: str) -> None:
    """Replace ``target`` with ``page`` whole (output.write_atomically), with the
    old page's mode, else the one ``open`` would give; so a failed write leaves the
    old page. A device or a pipe (/dev/stdout, a FIFO) is written in place."""
    try:
        st: Optional[os.stat_result] = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(target, "w", encoding="utf-8") as f:
            f.write(page)
        return
    write_atomically(target, page.encode("utf-8"))
    if st is not None:
        mode = stat.S_IMODE(st.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(target, mode)


def run(args, stdout: TextIO, stderr: TextIO, stdin) -> int:
    """Run ``chainval report``: the HTML report of ``args.rows``; returns 0.

    UsageError (status 2) for what is not scan output, before anything is
    written; RunError (status 1) when the rows cannot be read or the page
    cannot be written."""
    source = args.rows
    if source != "-":
        if not os.path.exists(source):
            raise UsageError(f"{source}: no such file")
        if os.path.isdir(source):
            raise UsageError(f"{source} is a directory, not chainval scan output (give the "
                             "file chainval scan wrote with -o)")
    if not 0 <= args.examples <= 10_000:
        raise UsageError("--examples must be between 0 and 10000")
    if not 1 <= args.top <= 1_000_000:
        raise UsageError("--top must be between 1 and 1000000")
    if args.export is not None:
        check_export_dir(args.export)
    target = _target(args)
    rows = Rows(source, stdin)
    items = iter(rows)
    try:
        first = next(items, None)  # opens the file and checks its first line
        _check_target(target, source)
        page, warnings = _render(rows, chain([first] if first is not None else [], items),
                                 title=args.title, examples=args.examples, top=args.top,
                                 export=args.export)
    except NotScanOutput as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise RunError(f"cannot read {rows.name}: {os_reason(e)}") from None
    for w in warnings:
        stderr.write(f"chainval report: warning: {rows.name}: {w}\n")
    try:
        if target == "-":
            stdout.write(page)
            stdout.flush()
        else:
            _write_page(target, page)
    except BrokenPipeError:
        raise
    except OSError as e:
        raise RunError(f"cannot write {target}: {os_reason(e)}") from None
    if not args.quiet:
        where = "the report to stdout" if target == "-" else target
        stderr.write(f"chainval report: wrote {where} ({_n(rows.rows, 'row')})\n")
    return 0
