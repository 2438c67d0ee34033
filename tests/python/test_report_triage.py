"""chainval report as a triage tool (issue 15): failures by issuer and code and by
anchor and code (top K and "other"), store differences by anchor, leaves expiring
soon, malformed rows by reason, example rows per bucket with an in-page filter, and
--export (JSON and CSV)."""

from __future__ import annotations

import csv
import json
import re

from test_report_input import report, row, write_rows

from _scan_support import T_ROW, run_cli  # noqa: F401


def _rows():
    two = lambda ok_b, anchor="CN=Root A": {  # noqa: E731
        "a": {"ok": True, "code": "ok", "anchor": anchor},
        "b": {"ok": ok_b, "code": "ok" if ok_b else "untrusted_root", "anchor": None}}
    rows = []
    for i in range(1, 4):
        rows.append(row(i, ok=False, code="expired", issuer="CN=Issuer A", anchor="CN=Root A",
                        reasons=[{"code": "expired", "depth": 0, "message": "expired"}],
                        path=["aa" * 32]))
    rows.append(row(4, ok=False, code="hostname_mismatch", issuer="CN=Issuer B",
                    anchor="CN=Root B",
                    reasons=[{"code": "hostname_mismatch", "depth": 0, "message": "name"}]))
    rows.append(row(5, ok=False, code="malformed", issuer=None, anchor=None, path=[],
                    not_after=None, error="invalid JSON: unexpected end", stores={}))
    # ok in store a, not in b (by a's anchor); leaf expiring 5 days after the row time
    soon = "2024-06-06T00:00:00Z"  # T_ROW is 2024-06-01
    rows.append(row(6, stores=two(False), not_after=soon))
    rows.append(row(7, stores=two(True)))
    return rows


def test_cross_tabs_store_differences_expiry_and_malformed(tmp_path, capsys):
    src = write_rows(tmp_path / "out.jsonl", _rows())
    r = report(capsys, src, "-o", tmp_path / "r.html")
    assert r.status == 0, r.err
    page = (tmp_path / "r.html").read_text()

    def table(anchor_id):
        part = page[page.index(f'id="{anchor_id}"'):]
        part = part[:part.index("</table>")]
        return [re.findall(r"<td[^>]*>([^<]*)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", part)
                if "<td" in tr]

    assert table("issuer_code") == [["CN=Issuer A", "expired", "3", "75.0%"],
                                    ["CN=Issuer B", "hostname_mismatch", "1", "25.0%"]]
    assert table("anchor_code")[0] == ["CN=Root A", "expired", "3", "75.0%"]
    assert table("store_differences") == [["a", "b", "CN=Root A", "1", "14.3%"]]
    assert table("expiring") == [["7", "1"], ["30", "1"], ["90", "1"]]
    assert table("malformed") == [["invalid JSON", "1", "100.0%"]]


def test_top_k_and_an_other_line(tmp_path, capsys):
    src = write_rows(tmp_path / "out.jsonl", _rows())
    assert report(capsys, src, "-o", tmp_path / "r.html", "--top", "1").status == 0
    page = (tmp_path / "r.html").read_text()
    part = page[page.index('id="issuer_code"'):]
    part = part[:part.index("</table>")]
    assert "(other)" in part and ">1<" in part


def test_examples_per_bucket_and_the_filter(tmp_path, capsys):
    src = write_rows(tmp_path / "out.jsonl", _rows())
    assert report(capsys, src, "-o", tmp_path / "r.html", "--examples", "2").status == 0
    page = (tmp_path / "r.html").read_text()
    buckets = re.findall(r'<tr data-bucket="([^"]*)">', page)
    assert buckets.count("code / expired") == 2, "capped at --examples"
    assert "issuer / CN=Issuer A / expired" in buckets
    assert "stores / a / b / CN=Root A" in buckets and "expiring / 7" in buckets
    assert "malformed / invalid JSON" in buckets
    assert '<table id="examples">' in page and "getElementById('filter')" not in page
    assert "i.id='filter'" in page, "the filter is added by the page's own script"
    assert not re.search(r'(src|href)="https?:', page), "no external assets"


def test_export_writes_json_and_csv(tmp_path, capsys):
    src = write_rows(tmp_path / "out.jsonl", _rows())
    out = tmp_path / "agg"
    assert report(capsys, src, "-o", tmp_path / "r.html", "--export", out).status == 0
    data = json.loads((out / "report.json").read_text())
    assert data["summary"]["rows"] == 7
    assert data["tables"]["issuer_code"]["rows"][0][:3] == ["CN=Issuer A", "expired", 3]
    with open(out / "issuer_code.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["issuer", "code", "rows", "share of failures"]
    assert rows[1][:3] == ["CN=Issuer A", "expired", "3"]
    for name in ("anchor_code", "store_differences", "expiring", "malformed", "examples"):
        assert (out / f"{name}.csv").stat().st_size > 0


def test_bad_options_are_one_line_exit_2(tmp_path, capsys):
    src = write_rows(tmp_path / "out.jsonl", _rows())
    afile = tmp_path / "file"
    afile.write_text("x")
    for args, text in ((["--export", afile], "not a directory"),
                       (["--export", tmp_path / "no" / "such"], "does not exist"),
                       (["--examples", "-1"], "--examples"), (["--top", "0"], "--top")):
        r = report(capsys, src, "-o", tmp_path / "r.html", *args)
        assert r.status == 2 and text in r.err and "Traceback" not in r.err, (args, r.err)


def test_examples_list_every_reason_code(tmp_path, capsys):
    both = [{"code": "expired", "depth": 0, "message": "x"},
            {"code": "hostname_mismatch", "depth": 0, "message": "y"}]
    src = write_rows(tmp_path / "out.jsonl", [row(1, ok=False, code="expired", reasons=both)])
    assert report(capsys, src, "-o", tmp_path / "r.html").status == 0
    assert "<td>expired, hostname_mismatch</td>" in (tmp_path / "r.html").read_text()


def test_examples_stay_bounded_with_many_issuers(monkeypatch):
    from chainval.scan import triage

    monkeypatch.setattr(triage, "MAX_EXAMPLES", 50)
    monkeypatch.setattr(triage, "PAGE_BUCKETS", 3)
    t = triage.Triage(examples=2)
    for i in range(200):  # 200 issuers, one failing row each, the first ones more often
        for _ in range(1 + (i < 3) * 5):
            t.add(row(i + 1, ok=False, code="expired", issuer=f"CN=Issuer {i:03d}"))
    assert t.kept <= 50
    assert sum(len(v) for v in t.examples.values()) <= 50
    page = {ex["bucket"] for ex in t.example_rows(page=True) if ex["bucket"].startswith("issuer")}
    assert page == {f"issuer / CN=Issuer {i:03d} / expired" for i in range(3)}
    assert len(t.example_rows()) > len(t.example_rows(page=True))
