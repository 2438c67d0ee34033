"""Defects of chainval report seen by a new user (issue 15): long issuer and anchor
names clipped at their start (the CN lost), an expiry timeline filling a fraction of
its width, the store table counting malformed rows as failed (476 against the card's
452), and numbers without thousands separators. Each test failed before the fix."""

from __future__ import annotations

import re

from test_report_input import STORES, row, write_rows

from chainval.scan.report import render_report

LONG = ("CN=Example Very Long Intermediate Certification Authority G2,"
        "O=Example Trust Services Limited,C=GB")


def test_long_labels_are_never_clipped_at_their_start(tmp_path):
    rows = [row(i, ok=False, code="expired", issuer=LONG, anchor=LONG) for i in range(1, 4)]
    page = render_report(str(write_rows(tmp_path / "out.jsonl", rows)))
    labels = re.findall(r'<text x="(\d+)" y="\d+" text-anchor="end">([^<]*)</text>', page)
    long_ones = [(int(x), text) for x, text in labels if text.startswith("CN=Example Very")]
    assert long_ones, "the label starts with its CN"
    for x, text in long_ones:
        # the text ends at x: it needs at least ~6.5 px a character to start inside
        assert x >= len(text) * 6.5, (x, len(text))
    assert f"<title>{LONG}: 3</title>" in page.replace("&#x27;", "'"), "full DN in a tooltip"


def test_the_expiry_timeline_fills_its_width(tmp_path):
    rows = [row(i, not_after=f"{2026 + i % 3}-06-01T00:00:00Z") for i in range(1, 30)]
    page = render_report(str(write_rows(tmp_path / "out.jsonl", rows)))
    svg = page[page.index("Leaf expiry timeline"):]
    svg = svg[svg.index("<svg"):svg.index("</svg>")]
    width = int(re.search(r'width="(\d+)"', svg).group(1))
    rects = [(float(x), float(w)) for x, w in
             re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)]
    right = max(x + w for x, w in rects)
    assert right >= 0.8 * width, (right, width)


def test_the_store_table_counts_malformed_rows_apart(tmp_path):
    malformed = {"default": {"ok": False, "code": "malformed", "anchor": None}}
    failed = {"default": {"ok": False, "code": "expired", "anchor": "CN=Root"}}
    rows = ([row(i) for i in range(1, 5)]
            + [row(i, ok=False, code="malformed", stores=malformed, path=[], issuer=None,
                   anchor=None, not_after=None, error="unreadable") for i in range(5, 7)]
            + [row(i, ok=False, code="expired", stores=failed) for i in range(7, 10)])
    page = render_report(str(write_rows(tmp_path / "out.jsonl", rows)))
    table = page[page.index("<h2>Trust stores</h2>"):]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table[:table.index("</table>")])
    assert cells[:4] == ["default", "4", "3", "2"], cells
    assert re.search(r'<div class="card failed"><b>3</b>', page)
    assert re.search(r'<div class="card malformed"><b>2</b>', page)
    assert STORES  # the default rows' store is ok


def test_numbers_have_thousands_separators(tmp_path):
    rows = [row(i) for i in range(1, 1235)]
    page = render_report(str(write_rows(tmp_path / "out.jsonl", rows)))
    assert '<div class="card ok"><b>1,234</b>' in page
    assert '<td class="num">1,234</td>' in page
