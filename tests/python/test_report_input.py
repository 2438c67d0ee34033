"""chainval report and what it is given (issue 12 item 7, and the report half of
item 18): values the scan writes but a datetime cannot hold, fields of another
type, files that are not scan output (or are its input), read failures, the line
on success, and the scan's parameters from its sidecar. Each test failed before
the fix (a traceback, a page of nonsense, or silence)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

import chainval
from chainval.scan import rows as rows_module

from _scan_support import T_ROW, b64, csv_line, jsonl_line, paths, pki, run_cli  # noqa: F401

STORES = {"default": {"ok": True, "code": "ok", "anchor": "CN=Root"}}


def row(line: int = 1, **fields) -> dict:
    """An output row as the scan writes it, with ``fields`` replaced."""
    base = {"id": str(line), "line": line, "host": "www.example.com", "time": T_ROW,
            "ok": True, "code": "ok", "reasons": [], "path": ["ab" * 32], "anchor": "CN=Root",
            "issuer": "CN=Int", "not_after": "2030-01-01T00:00:00Z", "stores": STORES,
            "flags": [], "error": None}
    base.update(fields)
    return base


def write_rows(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def report(capsys, *args, stdin: bytes | None = None):
    return run_cli(capsys, "report", *args, stdin=stdin)


def one_line(err: str) -> str:
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("chainval report: "), err
    return err


def scan_to(capsys, paths, tmp_path, pki, *extra) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(jsonl_line(pki.ok_chain, id=i) + "\n" for i in range(3))
                   + jsonl_line([pki.expired.der, pki.inter.der], id="x") + "\n")
    out = tmp_path / "scan.jsonl"
    r = run_cli(capsys, "scan", src, "--roots", paths["roots"], "-o", out, "-q", *extra)
    assert r.status == 0, r.err
    return out


# ---------------------------------------------------------------------------
# 1. Values that do not fit: never a crash, counted and left out of the charts


def test_times_out_of_range_are_counted_not_fatal(tmp_path, capsys):
    src = write_rows(tmp_path / "t.jsonl", [
        row(1), row(2, time=10 ** 30), row(3, time=-99999999999), row(4, time=1e30),
        row(5, time="2024-06-01"), row(6, time=True), row(7, time=None),
        row(8, time=-62135596800), row(9, time=253402300799)])
    r = report(capsys, src)
    assert r.status == 0, r.err
    page = (tmp_path / "t.html").read_text()
    assert "verification times 0001-01-01 00:00 UTC .. 9999-12-31 23:59 UTC" in page
    assert "a time out of range (not unix seconds in the years 0001..9999) in 5 rows" in page
    assert "time out of range" in r.err and "wrote" in r.err
    assert '<td>ok</td><td class="num">9</td>' in page


def test_not_after_that_is_not_rfc3339_is_left_out_of_the_timeline(tmp_path, capsys):
    bad = ["2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z",
           "garbage", "20240101000000Z", 5, ["2024"], {"y": 1}]
    src = write_rows(tmp_path / "n.jsonl", [row(1)] + [row(i + 2, not_after=v)
                                                       for i, v in enumerate(bad)])
    r = report(capsys, src)
    assert r.status == 0, r.err
    page = (tmp_path / "n.html").read_text()
    assert "a not_after that is not an RFC 3339 date (years 0001..9999) in 8 rows" in page
    assert "<title>2030-01: 1 ok, 0 not ok</title>" in page


def test_leaves_valid_until_9999_keep_the_timeline_small(tmp_path, capsys):
    src = write_rows(tmp_path / "y.jsonl", [
        row(1, not_after="2025-03-01T00:00:00Z"), row(2, not_after="2031-03-01T00:00:00Z"),
        row(3, ok=False, code="expired", not_after="9999-12-31T23:59:59Z")])
    r = report(capsys, src)
    assert r.status == 0, r.err
    page = (tmp_path / "y.html").read_text()
    titles = [t for t in page.split("<title>") if " ok, " in t]
    assert len(titles) < 10, len(titles)  # not one column per year up to 9999
    assert "<title>9999: 0 ok, 1 not ok</title>" in page
    assert "<title>2032\u20139998: 0 ok, 0 not ok</title>" in page


def test_fields_of_an_unexpected_type_are_read_as_null(tmp_path, capsys):
    src = write_rows(tmp_path / "w.jsonl", [
        row(1), row(2, flags=3, issuer=["CN=x"], anchor={"a": 1}, ok=False, code="expired"),
        row(3, stores={"default": [1], "other": {"ok": "yes", "code": 1}}),
        row(4, host=7, reasons="x", path=None, error=5),
        row(5, code=5), row(6, ok="yes"), row(7, stores=[]), {**row(8), "line": "8"},
        "[1, 2]", "not json", '{"truncated": '])
    r = report(capsys, src)
    assert r.status == 0, r.err
    page = (tmp_path / "w.html").read_text()
    assert "4 rows (jsonl)" in page
    assert "7 lines that are not a row left out (the first: line 5)" in page
    assert "fields of an unexpected type, read as null: anchor in 1 row, error in 1 row, " \
        "flags in 1 row, host in 1 row, issuer in 1 row, path in 1 row, reasons in 1 row, " \
        "stores in 1 row" in page
    assert '<td>expired</td><td class="num">1</td>' in page


def test_read_rows_cleans_csv_rows_too(tmp_path):
    src = tmp_path / "o.csv"
    src.write_text("id,line,host,time,ok,code,reasons,messages,path,anchor,issuer,not_after,"
                   "store:default,flags,error\n"
                   "a,1,h,1e30,true,ok,,,,CN=R,CN=I,2030-01-01T00:00:00Z,ok,,\n"
                   "b,x,h,5,true,ok,,,,,,,ok,,\n"        # line is not a number: not a row
                   "c,3,h,5,maybe,ok,,,,,,,ok,,\n"       # ok is not true/false
                   "d,4,h,5,true,ok\n"                   # too few fields
                   "e,5,h,-5,false,expired,,,,,CN=I,,expired,pool_used,\n")
    rows = rows_module.Rows(str(src))
    got = list(rows)
    assert [(r["id"], r["line"], r["time"], r["ok"]) for r in got] == \
        [("a", 1, None, True), ("e", 5, -5, False)]
    assert got[1]["flags"] == ["pool_used"] and got[1]["stores"]["default"]["code"] == "expired"
    assert (rows.format, rows.rows, rows.skipped, rows.first_skipped) == ("csv", 2, 3, 3)
    assert rows.ignored == {"time": 1}


# ---------------------------------------------------------------------------
# 2, 3. What is not scan output is refused with one line (status 2), nothing written


NOT_OUTPUT = {
    "a.csv": (b"a,b,c\n1,2,3\n", 'is not chainval scan output (line 1 has no "code" field)'),
    "cr.csv": (b'id,"x\ry",line\n1,2\n', 'is not chainval scan output (line 1 has no "code"'),
    "bin.dat": (bytes(range(256)) * 40, "is not chainval scan output (line 1 is not text)"),
    "nul.txt": (b"code,ok,line\x00\n", "(line 1 is not text)"),
    "bin.gz": (gzip.compress(bytes(range(256)) * 300), "(line 1 is not text)"),
    "array.jsonl": (b"[1, 2]\n", "(line 1 is not a JSON object)"),
    "obj.jsonl": (b"\n\n{}\n", '(line 3 has no "code" field)'),
    "nojson.jsonl": (b"{oops\n", "(line 1 is not JSON)"),
    "half.jsonl": (b'{"code": "ok", "ok": true, "line": 1}\n', '(line 1 has no "stores" field)'),
    "typed.jsonl": (b'{"code": "ok", "ok": "yes", "line": 1, "stores": {}}\n',
                    '(line 1 has a "ok" that is not true or false)'),
    "page.html": (b"<!DOCTYPE html><html></html>\n", "(line 1 has no \"code\" field)"),
    "nostore.csv": (b"id,line,host,time,ok,code\n", '(line 1 has no "store:NAME" field)'),
}


@pytest.mark.parametrize("name", sorted(NOT_OUTPUT))
def test_what_is_not_scan_output_is_refused(name, tmp_path, capsys):
    data, message = NOT_OUTPUT[name]
    src = tmp_path / name
    src.write_bytes(data)
    r = report(capsys, src, "-o", tmp_path / "r.html")
    assert r.status == 2, r.err
    assert message in one_line(r.err)
    assert f"chainval report: {src} " in r.err
    assert not (tmp_path / "r.html").exists()


def test_a_directory_is_refused(tmp_path, capsys):
    r = report(capsys, tmp_path)
    assert r.status == 2
    assert "is a directory, not chainval scan output" in one_line(r.err)


def test_a_long_binary_first_line_is_refused_without_reading_it_all(tmp_path, capsys):
    src = tmp_path / "big.bin"
    src.write_bytes(b"\xff" * (40 << 20))
    r = report(capsys, src)
    assert r.status == 2 and "(line 1 is not text)" in one_line(r.err)


@pytest.mark.parametrize("kind", ["jsonl", "csv", "pem", "zgrab", "ct", "sonar"])
def test_scan_input_is_refused_as_input(kind, pki, tmp_path, capsys):
    texts = {
        "jsonl": jsonl_line(pki.ok_chain, id=1) + "\n",
        "csv": "id,host,chain\n" + csv_line(1, "www.example.com", pki.ok_chain) + "\n",
        "pem": pki.leaf.pem.decode(),
        "zgrab": json.dumps({"ip": "192.0.2.1", "data": {"tls": {}}}) + "\n",
        "ct": json.dumps({"entries": [{"leaf_input": b64(b"x"), "extra_data": ""}]}) + "\n",
        "sonar": "192.0.2.1," + "ab" * 20 + "\n",
    }
    src = tmp_path / f"in.{kind}"
    src.write_text(texts[kind])
    r = report(capsys, src)
    assert r.status == 2, r.err
    err = one_line(r.err)
    assert f"{src} looks like chainval scan input" in err
    assert "give the file chainval scan wrote with -o" in err
    assert not (tmp_path / "in.html").exists()


def test_scan_input_on_stdin_is_refused(pki, capsys):
    r = report(capsys, "-", stdin=(jsonl_line(pki.ok_chain) + "\n").encode())
    assert r.status == 2 and "stdin looks like chainval scan input" in one_line(r.err)
    assert r.out == ""


# ---------------------------------------------------------------------------
# 4. What was written, on stderr; -q; where the page goes


def test_success_says_where_it_wrote(pki, paths, tmp_path, capsys):
    out = scan_to(capsys, paths, tmp_path, pki)
    r = report(capsys, out)
    assert r.status == 0 and r.out == ""
    assert r.err == f"chainval report: wrote {tmp_path / 'scan.html'} (4 rows)\n"
    r = report(capsys, out, "-q", "-o", tmp_path / "q.html")
    assert r.status == 0 and r.err == "" and (tmp_path / "q.html").exists()
    r = report(capsys, out, "-o", "-")
    assert r.out.startswith("<!DOCTYPE html>")
    assert r.err == "chainval report: wrote the report to stdout (4 rows)\n"
    one = write_rows(tmp_path / "one.jsonl", [row(1)])
    assert report(capsys, one).err.endswith("(1 row)\n")


def test_stdin_is_the_stdin_given(pki, paths, tmp_path, capsys):
    out = scan_to(capsys, paths, tmp_path, pki)
    for data in (out.read_bytes(), gzip.compress(out.read_bytes())):
        r = report(capsys, "-", "-q", stdin=data)
        assert r.status == 0 and r.err == ""
        assert "chainval scan report: stdin" in r.out and "4 rows" in r.out
        assert "missing: the rows came from stdin" in r.out


def test_empty_output_is_a_report_of_no_rows(tmp_path, capsys):
    src = tmp_path / "empty.jsonl"
    src.write_bytes(b"")
    r = report(capsys, src)
    assert r.status == 0 and "(0 rows)" in r.err
    assert "0 rows" in (tmp_path / "empty.html").read_text()


def test_the_page_never_replaces_the_input_and_its_directory_must_exist(tmp_path, capsys):
    src = write_rows(tmp_path / "scan.jsonl", [row(1)])
    before = src.read_bytes()
    r = report(capsys, src, "-o", src)
    assert r.status == 2 and "is the input: refusing to overwrite it" in one_line(r.err)
    r = report(capsys, src, "-o", tmp_path / "missing" / "r.html")
    assert r.status == 2 and "does not exist" in one_line(r.err)
    r = report(capsys, src, "-o", tmp_path)
    assert r.status == 2 and "is a directory" in one_line(r.err)
    assert src.read_bytes() == before


def test_an_existing_page_is_replaced_whole_keeping_its_mode(tmp_path, capsys):
    src = write_rows(tmp_path / "scan.jsonl", [row(1)])
    page = tmp_path / "scan.html"
    page.write_text("old")
    os.chmod(page, 0o640)
    assert report(capsys, src).status == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert os.stat(page).st_mode & 0o777 == 0o640
    page.unlink()
    umask = os.umask(0o022)
    try:
        assert report(capsys, src).status == 0
    finally:
        os.umask(umask)
    assert os.stat(page).st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.html", "scan.jsonl"]


# ---------------------------------------------------------------------------
# 5. Read failures: one line, status 1


def test_gzip_cut_short_or_damaged_is_a_read_error(tmp_path, capsys):
    data = gzip.compress("".join(json.dumps(row(i + 1)) + "\n" for i in range(2000)).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[:len(data) // 2])
    r = report(capsys, cut)
    assert r.status == 1, r.err
    assert "chainval report: error: cannot read" in one_line(r.err)
    assert "the gzip data is cut short after" in r.err
    crc = tmp_path / "crc.jsonl.gz"
    crc.write_bytes(data[:-8] + bytes(b ^ 0xFF for b in data[-8:-4]) + data[-4:])
    r = report(capsys, crc)
    assert r.status == 1 and "damaged gzip data" in one_line(r.err)
    assert not (tmp_path / "cut.html").exists() and not (tmp_path / "crc.html").exists()


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"),
                                   FileNotFoundError(2, "No such file or directory")])
def test_open_failures_are_a_read_error(error, tmp_path, capsys, monkeypatch):
    # As root a mode does not deny reading, and a file that vanishes between the
    # check and the open needs a race: the open fails as they would make it.
    src = write_rows(tmp_path / "scan.jsonl", [row(1)])

    def failing_open(*args, **kwargs):
        raise error

    monkeypatch.setattr(rows_module, "open", failing_open, raising=False)
    r = report(capsys, src)
    assert r.status == 1
    assert one_line(r.err) == f"chainval report: error: cannot read {src}: {error.strerror}\n"


# ---------------------------------------------------------------------------
# 6. The scan's parameters from its sidecar


def test_the_sidecar_parameters_are_at_the_top(pki, paths, tmp_path, capsys):
    out = scan_to(capsys, paths, tmp_path, pki, "--pool", paths["pool"], "--store",
                  f"both={paths['both']}", "--at", "2024-06-01T00:00:00Z")
    r = report(capsys, out)
    assert r.status == 0, r.err
    page = (tmp_path / "scan.html").read_text()
    top = page[page.index('<table class="scan">'):page.index('<div class="cards">')]
    for needle in (f"{tmp_path / 'in.jsonl'} (", ", jsonl)",
                   f"default: {paths['roots']} (1 anchor; sha256 ",
                   f"both: {paths['both']} (2 anchors; sha256 ",
                   f"{paths['pool']} (2 certificates)",
                   "<td>--at</td><td>2024-06-01 00:00 UTC</td>",
                   f"chainval {chainval.__version__}, GnuTLS {chainval.GNUTLS_VERSION}",
                   "<td>started</td><td>2", "<td>scan</td><td>complete",
                   f"<td>sidecar</td><td>{out}.meta.json</td>"):
        assert needle in top, needle
    assert top.index("inputs") < top.index("stores")


def test_a_missing_or_unreadable_sidecar_is_said_in_the_page(pki, paths, tmp_path, capsys):
    out = scan_to(capsys, paths, tmp_path, pki)
    meta = Path(str(out) + ".meta.json")
    meta.write_text("{not json")
    assert report(capsys, out).status == 0
    page = (tmp_path / "scan.html").read_text()
    assert f"missing: {meta} could not be read" in page
    meta.write_text(json.dumps({"schema": 99, "parameters": {}}))
    assert report(capsys, out).status == 0
    assert "is from another chainval version" in (tmp_path / "scan.html").read_text()
    meta.unlink()
    assert report(capsys, out).status == 0
    page = (tmp_path / "scan.html").read_text()
    assert f"missing: no scan.jsonl.meta.json beside {out}: the scan&#x27;s parameters are " \
        "unknown" in page


def test_the_sidecar_of_a_gzipped_output_and_odd_values_in_it(pki, paths, tmp_path, capsys):
    out = scan_to(capsys, paths, tmp_path, pki)
    gz = tmp_path / "scan.jsonl.gz"
    gz.write_bytes(gzip.compress(out.read_bytes()))
    assert report(capsys, gz, "-o", tmp_path / "gz.html").status == 0
    assert f"<td>sidecar</td><td>{out}.meta.json</td>" in (tmp_path / "gz.html").read_text()
    meta = Path(str(out) + ".meta.json")
    doc = json.loads(meta.read_text())
    doc["started"] = 1e300
    doc["parameters"].update(at=-10 ** 20, inputs="x", stores=[1, {"anchors": "many"}],
                             pool=[], distrust_after="oops")
    doc["summary"]["inputs"] = [None]
    meta.write_text(json.dumps(doc))
    r = report(capsys, out)
    assert r.status == 0, r.err
    page = (tmp_path / "scan.html").read_text()
    assert "<td>started</td><td>1e+300 (out of range)</td>" in page
    assert "<td>inputs</td><td>unknown</td>" in page


def test_a_sidecar_that_counts_other_rows_is_flagged(pki, paths, tmp_path, capsys):
    out = scan_to(capsys, paths, tmp_path, pki)
    with open(out, "a") as f:
        f.write(json.dumps(row(9)) + "\n")
    assert report(capsys, out).status == 0
    assert "the sidecar counts 4 rows, the file has 5" in (tmp_path / "scan.html").read_text()


def test_an_interrupted_scan_says_so(pki, paths, tmp_path, capsys):
    out = scan_to(capsys, paths, tmp_path, pki)
    partial = tmp_path / "scan.jsonl.partial"
    os.rename(out, partial)
    doc = json.loads(Path(str(out) + ".meta.json").read_text())
    del doc["summary"]
    Path(str(partial) + ".meta.json").write_text(json.dumps(doc))
    assert report(capsys, partial, "-o", tmp_path / "p.html").status == 0
    page = (tmp_path / "p.html").read_text()
    assert "interrupted: 4 rows at the last checkpoint" in page
