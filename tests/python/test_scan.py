"""chainval scan / chainval report: every input format, gzip and stdin, one
output row per input record in order (garbage included), CSV output, several
stores, the pool, --at, --resume, Ctrl-C, the summary, the HTML report, the
bundled sample dataset, and the command through ``python3 -m chainval``."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chainval
from chainval.scan import Scanner
from chainval.scan.formats import Record, detect_format, parse_ct_entry, parse_time, record
from chainval.testing import pem_bundle

from _scan_support import (T_LATE, T_ROW, b64, csv_line, ct_entry,  # noqa: F401
                           interrupt_after, jsonl_line, paths, pki, read_jsonl, run_cli,
                           zgrab_line)
from _support import REPO

SAMPLES = REPO / "samples"


def scan(capsys, paths, *args, stdin=None):
    """``chainval scan ARGS --roots roots.pem`` in-process, quiet by default."""
    extra = [] if "--roots" in args else ["--roots", paths["roots"]]
    return run_cli(capsys, "scan", *args, *extra, stdin=stdin)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------------------
# JSONL, and the fields of a row


def test_jsonl_rows_and_fields(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [
        jsonl_line(pki.ok_chain, id="a"),
        jsonl_line(pki.ok_chain, id="b", host="other.example.net"),
        "",  # blank lines are not records
        jsonl_line([pki.expired.der, pki.inter.der], id="c", time="2024-06-01T00:00:00Z"),
        jsonl_line([pki.leaf.der], id="d"),
        jsonl_line(pki.ok_chain),  # no id: null (0.2; the line number before)
        "{not json",
    ])
    out = tmp_path / "out.jsonl"
    r = scan(capsys, paths, src, "-o", out)
    assert r.status == 0, r.err
    rows = read_jsonl(out)
    assert [row["id"] for row in rows] == ["a", "b", "c", "d", None, None]
    assert [row["line"] for row in rows] == [1, 2, 4, 5, 6, 7]
    assert [row["code"] for row in rows] == ["ok", "hostname_mismatch", "expired",
                                             "missing_issuer", "ok", "malformed"]
    ok = rows[0]
    assert list(ok) == ["id", "line", "host", "time", "ok", "code", "reasons", "path",
                        "anchor", "issuer", "not_after", "stores", "flags", "error"]
    assert ok["ok"] is True and ok["reasons"] == [] and ok["error"] is None
    assert ok["host"] == "www.example.com" and ok["time"] == T_ROW
    assert ok["path"] == [pki.leaf.fingerprint, pki.inter.fingerprint, pki.root.fingerprint]
    assert ok["anchor"] == "CN=Scan Test Root"
    assert ok["issuer"] == "CN=Scan Test Int"
    assert ok["not_after"] == "2099-12-31T23:59:59Z"
    assert ok["stores"] == {"default": {"ok": True, "code": "ok", "anchor": "CN=Scan Test Root"}}
    assert ok["flags"] == []
    assert rows[1]["reasons"] == [{"code": "hostname_mismatch", "depth": 0,
                                   "message": "certificate is not valid for other.example.net"}]
    assert rows[2]["time"] == T_ROW and rows[2]["not_after"] == "2024-01-01T00:00:00Z"
    assert rows[2]["flags"] == ["valid_apart_from_expiry"]
    assert rows[3]["anchor"] is None and rows[3]["path"] == [pki.leaf.fingerprint]
    bad = rows[5]
    assert bad["ok"] is False and bad["code"] == "malformed" and "invalid JSON" in bad["error"]
    assert bad["stores"] == {"default": {"ok": False, "code": "malformed", "anchor": None}}
    assert "source" not in ok
    assert "3 ok" not in r.err and "verdicts: ok 2" in r.err


def test_chain_items_may_be_pem(pki, paths, tmp_path, capsys):
    line = json.dumps({"id": 1, "host": "www.example.com", "time": T_ROW,
                       "chain": [pem_bundle(pki.leaf, pki.inter).decode()]})
    r = scan(capsys, paths, write(tmp_path / "p.jsonl", [line]))
    assert [row["code"] for row in r.rows] == ["ok"]


def test_valid_apart_from_expiry_only_when_all_reasons_are_time(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [
        jsonl_line([pki.expired.der, pki.inter.der]),
        jsonl_line([pki.expired.der, pki.inter.der], host="wrong.example.org"),
        jsonl_line([pki.short.der, pki.inter.der]),
    ])
    rows = scan(capsys, paths, src, "--at", "2030-01-01T00:00:00Z").rows
    assert [row["code"] for row in rows] == ["expired", "expired", "expired"]
    assert [row["flags"] for row in rows] == [["valid_apart_from_expiry"], [],
                                              ["valid_apart_from_expiry"]]
    assert {p["code"] for p in rows[1]["reasons"]} == {"expired", "hostname_mismatch"}


def test_malformed_certificate_error_comes_from_libchain(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [
        json.dumps({"host": "www.example.com", "chain": [b64(b"\x30\x03\x02\x01\x00")]}),
        json.dumps({"host": "www.example.com", "chain": ["@@@"]}),
        json.dumps({"host": "bad host!", "chain": [b64(pki.leaf.der)]}),
        json.dumps({"host": "www.example.com", "chain": []}),
        json.dumps({"host": "www.example.com", "time": "yesterday",
                    "chain": [b64(pki.leaf.der)]}),
    ])
    rows = scan(capsys, paths, src).rows
    assert [row["code"] for row in rows] == ["malformed"] * 5
    assert rows[0]["error"].startswith("certificate 0:")
    assert rows[0]["reasons"][0]["code"] == "malformed"
    assert "invalid base64" in rows[1]["error"]
    assert "invalid host name" in rows[2]["error"]
    assert "empty" in rows[3]["error"]
    assert "invalid time" in rows[4]["error"]


# ---------------------------------------------------------------------------
# The other input formats


def test_csv_input(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.csv", [
        "id,host,chain",
        csv_line("x1", "www.example.com", pki.ok_chain),
        csv_line("x2", "", pki.ok_chain),
        csv_line("x3", "www.example.com", [pki.leaf.der]),
        "x4,www.example.com",  # a field short
        csv_line("x5", "www.example.com", [pki.inter.der, pki.leaf.der]),
    ])
    rows = scan(capsys, paths, src, "--at", T_ROW).rows
    assert [row["id"] for row in rows] == ["x1", "x2", "x3", None, "x5"]
    assert [row["line"] for row in rows] == [2, 3, 4, 5, 6]
    assert [row["code"] for row in rows] == ["ok", "ok", "missing_issuer", "malformed", "ok"]
    assert rows[1]["host"] is None
    assert "expected 3 fields" in rows[3]["error"]
    assert rows[4]["flags"] == ["order_repaired"]


def test_csv_with_time_column_and_other_order(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.txt", [
        "chain,id,time,host",
        f"{b64(pki.short.der)};{b64(pki.inter.der)},1,2029-06-01,www.example.com",
        f"{b64(pki.short.der)};{b64(pki.inter.der)},2,{T_ROW},www.example.com",
    ])
    rows = scan(capsys, paths, src).rows
    assert [row["code"] for row in rows] == ["expired", "ok"]


def test_pem_file_and_directory(pki, paths, tmp_path, capsys):
    one = tmp_path / "one.pem"
    one.write_bytes(pem_bundle(pki.leaf, pki.inter))
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    (d / "b.pem").write_bytes(pem_bundle(pki.leaf2, pki.inter))
    (d / "a.crt").write_bytes(pem_bundle(pki.leaf))
    (d / "sub" / "c.pem").write_bytes(b"not a certificate\n")
    (d / "d.der").write_bytes(pki.leaf.der)
    (d / ".hidden.pem").write_bytes(b"ignored")
    rows = scan(capsys, paths, one, d, "--at", T_ROW).rows
    assert [(row["source"], row["line"], row["id"]) for row in rows] == [
        (str(one), 1, str(one)), (str(d), 1, "a.crt"), (str(d), 2, "b.pem"),
        (str(d), 3, "d.der"), (str(d), 4, os.path.join("sub", "c.pem"))]
    assert [row["code"] for row in rows] == ["ok", "missing_issuer", "ok", "missing_issuer",
                                             "malformed"]
    assert all(row["host"] is None for row in rows)
    assert "no PEM CERTIFICATE block" in rows[4]["error"]


def test_zgrab_input(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "zgrab.json", [
        zgrab_line(pki.ok_chain, domain="www.example.com"),
        zgrab_line(pki.ok_chain, ip="192.0.2.7"),
        zgrab_line([pki.short.der, pki.inter.der], domain="www.example.com",
                   timestamp="2029-01-01T12:00:00.123456789-05:00"),
        zgrab_line([], domain="down.example.com", status="connection-timeout"),
    ])
    summary = tmp_path / "s.json"
    r = scan(capsys, paths, src, "--summary", summary)
    rows = r.rows
    # Issue 12 item 16: a record without a domain (the client asked for no name)
    # has no name check by default; a connection that served nothing is
    # "no_chain", not malformed, and counted apart.
    assert [row["host"] for row in rows] == ["www.example.com", None,
                                             "www.example.com", "down.example.com"]
    assert [row["code"] for row in rows] == ["ok", "ok", "expired", "no_chain"]
    assert rows[0]["time"] == T_ROW
    assert rows[2]["time"] == parse_time("2029-01-01T17:00:00Z")
    assert rows[3]["ok"] is False and rows[3]["stores"]["default"]["code"] == "no_chain"
    assert rows[3]["error"] == "zgrab: no server certificates (status connection-timeout)"
    assert [row["id"] for row in rows] == [None] * 4  # zgrab2 records have no id
    s = json.loads(summary.read_text())
    assert s["verdicts"] == {"ok": 2, "failed": 1, "malformed": 0, "no_chain": 1}
    assert s["malformed"] == {}
    # --host-from ip checks the IP when there is no domain; none checks no name.
    rows = scan(capsys, paths, src, "--host-from", "ip").rows
    assert [(row["host"], row["code"]) for row in rows[:2]] == [
        ("www.example.com", "ok"), ("192.0.2.7", "hostname_mismatch")]
    rows = scan(capsys, paths, src, "--host-from", "none").rows
    assert [(row["host"], row["code"]) for row in rows[:2]] == [(None, "ok"), (None, "ok")]


def test_ct_entries(pki, paths, tmp_path, capsys):
    entries = [ct_entry(pki.ok_chain, timestamp_ms=T_ROW * 1000 + 999),
               ct_entry([pki.precert.der, pki.inter.der], precert=True),
               ct_entry([pki.expired.der, pki.inter.der])]
    pretty = tmp_path / "entries.json"
    pretty.write_text(json.dumps({"entries": entries}, indent=2))
    per_line = write(tmp_path / "pages.json", [json.dumps({"entries": entries[:2]}),
                                               json.dumps({"entries": entries[2:]})])
    for src in (pretty, per_line):
        rows = scan(capsys, paths, src).rows
        # The precertificate verifies as one: its poison extension is accepted.
        assert [row["code"] for row in rows] == ["ok", "ok", "expired"]
        assert [row["line"] for row in rows] == [1, 2, 3]
        assert rows[0]["time"] == T_ROW and rows[0]["host"] is None
        assert rows[1]["flags"] == ["precertificate"]
        assert rows[1]["path"][0] == pki.precert.fingerprint
        assert rows[1]["anchor"] == "CN=Scan Test Root"


def test_ct_garbage_and_bad_entries(pki, paths, tmp_path, capsys):
    good = ct_entry(pki.ok_chain)
    src = write(tmp_path / "ct.json", [
        json.dumps({"entries": [good, {"leaf_input": "AAAA", "extra_data": ""},
                                {"extra_data": "AA=="}]}),
        '{"entries": [ {"leaf_input": "trunc',
        json.dumps({"entries": [good]}),
        json.dumps(good),  # a bare entry
    ])
    rows = scan(capsys, paths, src, "--input-format", "ct").rows
    assert [row["code"] for row in rows] == ["ok", "malformed", "malformed", "malformed",
                                             "ok", "ok"]
    assert "truncated" in rows[1]["error"]
    assert "no leaf_input" in rows[2]["error"]
    assert "invalid JSON" in rows[3]["error"]


def test_ct_entry_parser_rejects_nonsense():
    with pytest.raises(ValueError, match="unknown entry type"):
        parse_ct_entry({"leaf_input": b64(bytes(10) + b"\x00\x07" + bytes(4))})
    with pytest.raises(ValueError, match="version"):
        parse_ct_entry({"leaf_input": b64(b"\x01" + bytes(20))})
    chain, t, precert = parse_ct_entry(ct_entry([b"\x30\x00", b"\x30\x01\x00"],
                                                timestamp_ms=1500))
    assert (chain, t, precert) == ([b"\x30\x00", b"\x30\x01\x00"], 1, False)


def test_format_detection():
    assert detect_format(b"-----BEGIN CERTIFICATE-----\n") == "pem"
    assert detect_format(b"\x30\x82\x01\x00") == "pem"
    assert detect_format(b"id,host,chain\n1,a,b\n") == "csv"
    assert detect_format(b'{"id":1,"chain":["AA=="]}\n') == "jsonl"
    assert detect_format(b'not json\n{"id":1,"chain":["AA=="]}\n') is None
    assert detect_format(b'not json\n{"id":1,"chain":["AA=="]}\n', "x.jsonl") == "jsonl"
    assert detect_format(b'{"ip":"1.2.3.4","data":{"tls":{}}}\n') == "zgrab"
    assert detect_format(b'{\n  "entries": [\n') == "ct"
    assert detect_format(b'{"leaf_input":"AA"}\n') == "ct"
    assert detect_format(b"", "x.csv.gz") == "csv"
    assert detect_format(b"\x00\x01binary") is None


def test_undetectable_input_is_one_malformed_row(paths, tmp_path, capsys):
    src = tmp_path / "blob.bin"
    src.write_bytes(b"\x00\x01\x02 binary junk\n" * 10)
    rows = scan(capsys, paths, src).rows
    assert len(rows) == 1 and rows[0]["code"] == "malformed"
    assert "--input-format" in rows[0]["error"]


# ---------------------------------------------------------------------------
# gzip, stdin


def test_gzip_detected_by_magic(pki, paths, tmp_path, capsys):
    src = tmp_path / "data.bin"  # no telling extension
    src.write_bytes(gzip.compress(("\n".join(
        [jsonl_line(pki.ok_chain, id=i) for i in range(5)]) + "\n").encode()))
    rows = scan(capsys, paths, src).rows
    assert [row["id"] for row in rows] == list(range(5))
    assert all(row["ok"] for row in rows)
    csv_gz = tmp_path / "in.csv.gz"
    csv_gz.write_bytes(gzip.compress(("id,host,chain\n" + csv_line(
        "c", "www.example.com", pki.ok_chain) + "\n").encode()))
    assert [row["id"] for row in scan(capsys, paths, csv_gz).rows] == ["c"]


def test_truncated_gzip_ends_with_one_malformed_row(pki, paths, tmp_path, capsys):
    data = ("\n".join(jsonl_line(pki.ok_chain, id=i) for i in range(400)) + "\n").encode()
    packed = gzip.compress(data)
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(packed[:len(packed) // 2])
    (tmp_path / "after.jsonl").write_text(jsonl_line(pki.ok_chain, id="next") + "\n")
    r = scan(capsys, paths, src, tmp_path / "after.jsonl")
    rows = r.rows
    assert 0 < len(rows) - 2 < 400
    assert [row["id"] for row in rows[:-2]] == list(range(len(rows) - 2))
    cut = rows[-2]
    assert cut["code"] == "malformed" and cut["line"] == len(rows) - 1
    assert cut["error"] == "input ends inside the compressed stream"
    assert rows[-1]["id"] == "next"
    # Issue 12 item 17: the damage is also said on stderr, with what was kept.
    assert f"warning: {src}: input ends inside the compressed stream" in r.err


def test_stdin(pki, paths, capsys):
    data = ("\n".join(jsonl_line(pki.ok_chain, id=i) for i in range(3)) + "\n").encode()
    for payload in (data, gzip.compress(data)):
        r = scan(capsys, paths, "-", stdin=payload)
        assert r.status == 0
        assert [row["id"] for row in r.rows] == [0, 1, 2]
    pem = pem_bundle(pki.leaf, pki.inter)
    rows = scan(capsys, paths, "-", "--at", T_ROW, stdin=pem).rows
    assert len(rows) == 1 and rows[0]["code"] == "ok" and rows[0]["id"] is None


# ---------------------------------------------------------------------------
# No row lost, in order


def test_one_row_per_record_with_one_percent_garbage(pki, paths, tmp_path, capsys):
    garbage = ["garbage", "{", "[]", '{"chain": 5}', '{"chain": ["%%%"]}', "\x00\x01",
               '{"id": "g", "host": 7, "chain": ["AA=="]}', "null", '"text"',
               "id,host,chain"]
    lines, expect = [], []
    for i in range(1000):
        if i % 100 == 37:
            lines.append(garbage[(i // 100) % len(garbage)])
            expect.append("malformed")
        else:
            lines.append(jsonl_line(pki.ok_chain if i % 3 else [pki.leaf.der], id=f"r{i}"))
            expect.append("ok" if i % 3 else "missing_issuer")
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe not utf-8\n")
    expect.append("malformed")
    out = tmp_path / "out.jsonl"
    r = scan(capsys, paths, src, "-o", out, "--batch", "64")
    assert r.status == 0
    rows = read_jsonl(out)
    assert len(rows) == 1001
    assert [row["line"] for row in rows] == list(range(1, 1002))
    assert [row["code"] for row in rows] == expect
    for i, row in enumerate(rows[:1000]):
        if expect[i] != "malformed":
            assert row["id"] == f"r{i}"
        else:
            assert row["error"]
    assert rows[-1]["error"] == "not UTF-8 text"


def test_long_line_is_skipped_without_loading_it(pki, paths, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(record, "MAX_RECORD_BYTES", 4096)
    src = write(tmp_path / "in.jsonl", [jsonl_line(pki.ok_chain, id=1), "x" * 50000,
                                        jsonl_line(pki.ok_chain, id=3)])
    rows = scan(capsys, paths, src).rows
    assert [row["code"] for row in rows] == ["ok", "malformed", "ok"]
    assert "longer than" in rows[1]["error"]


# ---------------------------------------------------------------------------
# Output, stores, pool, time


def test_csv_output(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [
        jsonl_line(pki.ok_chain, id="a"),
        jsonl_line([pki.expired.der, pki.inter.der], id="b", host="x.example.org"),
        "junk",
    ])
    out = tmp_path / "out.csv"
    r = scan(capsys, paths, src, "-o", out, "--format", "csv", "--store",
             f"other={paths['other']}")
    assert r.status == 0
    import csv
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "line", "host", "time", "ok", "code", "reasons",
                             "messages", "path", "anchor", "issuer", "not_after",
                             "store:default", "store:other", "flags", "error"]
    assert [row["id"] for row in rows] == ["a", "b", ""]
    a, b, junk = rows
    assert a["ok"] == "true" and a["code"] == "ok" and a["reasons"] == ""
    assert a["path"] == ";".join([pki.leaf.fingerprint, pki.inter.fingerprint,
                                  pki.root.fingerprint])
    assert (a["store:default"], a["store:other"]) == ("ok", "missing_issuer")
    assert b["reasons"] == "expired@0;hostname_mismatch@0"
    assert b["ok"] == "false" and b["flags"] == ""
    assert junk["code"] == "malformed" and junk["error"].startswith("invalid JSON")
    assert out.read_text().count("\n") == 4


def test_multiple_stores(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [
        jsonl_line(pki.ok_chain),
        jsonl_line([pki.other_leaf.der, pki.other_inter.der]),
    ])
    rows = scan(capsys, paths, src, "--store", f"other={paths['other']}",
                "--store", f"both={paths['both']}").rows
    root, other = "CN=Scan Test Root", "CN=Scan Other Root"
    # Issue 12 item 20: each store's entry names the anchor that store used.
    assert rows[0]["stores"] == {"default": {"ok": True, "code": "ok", "anchor": root},
                                 "other": {"ok": False, "code": "missing_issuer", "anchor": None},
                                 "both": {"ok": True, "code": "ok", "anchor": root}}
    assert rows[1]["stores"] == {"default": {"ok": False, "code": "missing_issuer",
                                             "anchor": None},
                                 "other": {"ok": True, "code": "ok", "anchor": other},
                                 "both": {"ok": True, "code": "ok", "anchor": other}}
    assert (rows[1]["ok"], rows[1]["code"]) == (False, "missing_issuer")  # the first store's
    # a directory store; --store without --roots puts the first --store first
    d = tmp_path / "rootdir"
    d.mkdir()
    (d / "other.pem").write_bytes(pki.other_root.pem)
    r = run_cli(capsys, "scan", src, "--store", f"o={d}", "--store", f"d={paths['roots']}")
    assert [row["code"] for row in r.rows] == ["missing_issuer", "ok"]
    assert list(r.rows[0]["stores"]) == ["o", "d"]


def test_distrust_after(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [jsonl_line(pki.ok_chain)])
    assert scan(capsys, paths, src).rows[0]["code"] == "ok"
    # the leaf's notBefore is 2020-01-01: distrusting from 2019 rejects it, from 2021 not
    rows = scan(capsys, paths, src, "--distrust-after",
                f"{pki.root.fingerprint}=2019-01-01T00:00:00Z").rows
    assert (rows[0]["ok"], rows[0]["code"]) == (False, "distrusted")
    rows = scan(capsys, paths, src, "--distrust-after", f"{pki.root.fingerprint}=1609459200").rows
    assert rows[0]["code"] == "ok"
    bad = scan(capsys, paths, src, "--distrust-after", "nothex=2019-01-01T00:00:00Z")
    assert bad.status == 2 and "--distrust-after" in bad.err


def test_pool_flag(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [jsonl_line([pki.leaf.der]), jsonl_line(pki.ok_chain)])
    without = scan(capsys, paths, src).rows
    assert [row["code"] for row in without] == ["missing_issuer", "ok"]
    for pool in (paths["pool"], paths["pool"].parent):  # a file, or a directory of PEM files
        rows = scan(capsys, paths, src, "--pool", pool).rows
        assert [row["code"] for row in rows] == ["ok", "ok"]
        assert [row["flags"] for row in rows] == [["pool_used"], []]
        assert rows[0]["path"] == [pki.leaf.fingerprint, pki.inter.fingerprint,
                                   pki.root.fingerprint]


def test_at_overrides_row_times(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [
        jsonl_line([pki.short.der, pki.inter.der], time=T_ROW),
        jsonl_line([pki.short.der, pki.inter.der], time=None),
    ])
    rows = scan(capsys, paths, src).rows
    assert rows[0]["time"] == T_ROW and rows[0]["code"] == "ok"
    assert abs(rows[1]["time"] - time.time()) < 600  # no time: now
    for at in (str(T_LATE), "2030-01-01T00:00:00Z", "2030-01-01T01:00:00+01:00"):
        rows = scan(capsys, paths, src, "--at", at).rows
        assert [row["time"] for row in rows] == [T_LATE, T_LATE]
        assert [row["code"] for row in rows] == ["expired", "expired"]
    assert scan(capsys, paths, src, "--at", "soon").status == 2


def test_cache_size_changes_no_row(pki, paths, tmp_path, capsys):
    """The same rows with the default cache, a tiny one and none."""
    chains = [pki.ok_chain, [pki.expired.der, pki.inter.der], [pki.leaf.der],
              [pki.short.der, pki.inter.der]]
    src = write(tmp_path / "in.jsonl", [jsonl_line(chains[k % 4], id=f"r{k}",
                                                    time=T_ROW + 86400 * (k % 3))
                                        for k in range(40)])
    runs = [scan(capsys, paths, src, *extra) for extra in
            ((), ("--cache-size", "1"), ("--cache-size", "0"))]
    assert all(r.status == 0 for r in runs)
    assert runs[0].rows == runs[1].rows == runs[2].rows
    assert scan(capsys, paths, src, "--cache-size", "-1").status == 2


def test_order_repair(pki, paths, tmp_path, capsys):
    """Leaf detection is libchain's (Policy(repair_order=True)): the one
    non-CA certificate that issues none of the others; else the first."""
    leaf, inter, root = pki.leaf.der, pki.inter.der, pki.root.der
    store = chainval.TrustStore.from_pem(pki.root.pem)

    def repaired(chain):
        r = chainval.verify(chain, store=store, policy=chainval.Policy(
            at=T_ROW, repair_order=True, hostname=None))
        return r.order_repaired, (r.chain[0] if r.chain else None)

    assert repaired([inter, leaf]) == (True, leaf)
    assert repaired([inter, root, leaf]) == (True, leaf)
    assert repaired([leaf, inter]) == (False, leaf)
    assert repaired([inter, leaf, pki.leaf2.der])[0] is False  # two candidates
    assert repaired([inter, root])[0] is False  # no leaf at all
    r = chainval.verify([inter, leaf], store=store, policy=chainval.Policy(at=T_ROW))
    assert not r.order_repaired and not r.ok  # off by default: the first is the leaf
    src = write(tmp_path / "in.jsonl", [jsonl_line([inter, leaf])])
    rows = scan(capsys, paths, src).rows
    assert rows[0]["code"] == "ok" and rows[0]["flags"] == ["order_repaired"]
    assert rows[0]["path"][0] == pki.leaf.fingerprint


# ---------------------------------------------------------------------------
# --resume, Ctrl-C


def _corpus(pki, tmp_path, n=120) -> Path:
    lines = []
    for i in range(n):
        if i % 17 == 5:
            lines.append("broken line")
        else:
            lines.append(jsonl_line(pki.ok_chain if i % 4 else [pki.leaf.der], id=i))
    return write(tmp_path / "corpus.jsonl", lines)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_after_an_interrupted_scan(pki, paths, tmp_path, capsys, monkeypatch, fmt):
    """Issue 12 item 3: an interrupted scan leaves OUT.partial and its sidecar
    (OUT is not created, an old OUT is not touched); --resume checks the
    parameters, cuts what follows the last checkpoint (here half a row, as a
    kill -9 in mid-write leaves), passes over the rows written, and ends with
    exactly the rows of an uninterrupted scan and its summary."""
    src = _corpus(pki, tmp_path)
    full = tmp_path / f"full.{fmt}"
    assert scan(capsys, paths, src, "-o", full, "--format", fmt).status == 0
    out = tmp_path / f"out.{fmt}"
    out.write_text("an older scan, kept until this one completes\n")
    with monkeypatch.context() as m:
        interrupt_after(m, 6)
        r = scan(capsys, paths, src, "-o", out, "--format", fmt, "--batch", "10")
    assert r.status == 130 and "continue with --resume" in r.err
    partial = tmp_path / f"out.{fmt}.partial"
    head = 1 if fmt == "csv" else 0
    assert len(partial.read_text().splitlines()) == head + 50
    assert out.read_text() == "an older scan, kept until this one completes\n"
    meta = json.loads((tmp_path / f"out.{fmt}.partial.meta.json").read_text())
    assert meta["checkpoint"]["rows"] == 50 and meta["parameters"]["format"] == fmt
    with open(partial, "a") as f:
        f.write(full.read_text().splitlines()[head + 50][:30])  # half a row
    summary = tmp_path / "summary.json"
    r = scan(capsys, paths, src, "-o", out, "--format", fmt, "--resume", "--batch", "10",
             "--summary", summary)
    assert r.status == 0, r.err
    assert out.read_text() == full.read_text() and not partial.exists()
    s = json.loads(summary.read_text())
    assert (s["rows"], s["scanned"], s["resumed_rows"]) == (120, 70, 50)
    assert s["codes"] == {"ok": 84, "missing_issuer": 29, "malformed": 7}
    final = json.loads((tmp_path / f"out.{fmt}.meta.json").read_text())
    assert final["summary"]["codes"] == s["codes"] and final["checkpoint"]["rows"] == 120
    # Nothing left to resume: said, and nothing changes; no OUT at all: a fresh scan.
    r = scan(capsys, paths, src, "-o", out, "--format", fmt, "--resume")
    assert r.status == 0 and "nothing to resume" in r.err
    assert out.read_text() == full.read_text()
    fresh = tmp_path / f"fresh.{fmt}"
    assert scan(capsys, paths, src, "-o", fresh, "--format", fmt, "--resume").status == 0
    assert fresh.read_text() == full.read_text()


def test_resume_of_a_csv_whose_first_record_is_overlong(pki, paths, tmp_path, capsys,
                                                       monkeypatch):
    """Found by fuzz_scan: the over-long first record is a row, but the C
    reader's skip did not count it: --resume wrote it again and refused ("the
    input does not match the rows already written")."""
    monkeypatch.setattr(record, "MAX_RECORD_BYTES", 5000)
    chain = b64(pki.leaf.der) + ";" + b64(pki.inter.der)
    src = write(tmp_path / "in.csv", ["h" * 6000, "id,chain"] + [f"{i},{chain}" for i in range(40)])
    full = tmp_path / "full.jsonl"
    # --at: these rows have no time of their own, and "now" may be another second
    # when the resumed scan verifies them.
    assert scan(capsys, paths, src, "-o", full, "--at", T_ROW).status == 0
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        interrupt_after(m, 2)
        assert scan(capsys, paths, src, "-o", out, "--batch", "10", "--at", T_ROW).status == 130
    r = scan(capsys, paths, src, "-o", out, "--resume", "--batch", "10", "--at", T_ROW)
    assert r.status == 0, r.err
    assert out.read_text() == full.read_text()


def test_resume_refuses_another_scan(pki, paths, tmp_path, capsys, monkeypatch):
    """Issue 12 item 3: --resume with another store, --at, format or input is
    refused, naming what differs; so is an input whose records no longer line
    up with the rows written."""
    src = _corpus(pki, tmp_path)
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        interrupt_after(m, 4)
        assert scan(capsys, paths, src, "-o", out, "--batch", "10").status == 130
    r = scan(capsys, paths, src, "-o", out, "--resume", "--store", f"other={paths['other']}")
    assert r.status == 2 and "not the interrupted scan" in r.err and "stores" in r.err
    r = scan(capsys, paths, src, "-o", out, "--resume", "--at", T_ROW)
    assert r.status == 2 and "at: null then" in r.err
    r = scan(capsys, paths, src, "-o", out, "--resume", "--format", "csv")
    assert r.status == 2 and "format" in r.err
    meta_path = tmp_path / "out.jsonl.partial.meta.json"
    meta = json.loads(meta_path.read_text())
    meta["checkpoint"]["rows"] -= 1  # rows and input no longer line up
    meta_path.write_text(json.dumps(meta))
    r = scan(capsys, paths, src, "-o", out, "--resume", "--batch", "10")
    assert r.status == 2 and "does not match the rows already written" in r.err


def test_ctrl_c_keeps_a_valid_file_and_resume_completes_it(pki, paths, tmp_path, capsys,
                                                           monkeypatch):
    src = _corpus(pki, tmp_path)
    full = tmp_path / "full.jsonl"
    scan(capsys, paths, src, "-o", full, "--batch", "10")
    feed = Scanner.feed
    calls = []

    def feed_and_interrupt(self, *args):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the third batch runs
        return feed(self, *args)

    monkeypatch.setattr(Scanner, "feed", feed_and_interrupt)
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "s.json"
    r = run_cli(capsys, "scan", src, "--roots", paths["roots"], "-o", out, "--batch", "10",
                "--summary", summary)
    assert r.status == 130
    assert "INTERRUPTED" in r.err and "--resume" in r.err and "verdicts:" in r.err
    rows = read_jsonl(tmp_path / "out.jsonl.partial")  # every line parses
    assert len(rows) == 30 and [row["line"] for row in rows] == list(range(1, 31))
    s = json.loads(summary.read_text())
    assert s["interrupted"] is True and s["rows"] == 30
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.setattr(Scanner, "feed", feed)
    r = scan(capsys, paths, src, "-o", out, "--batch", "10", "--resume")
    assert r.status == 0
    assert out.read_text() == full.read_text()


# ---------------------------------------------------------------------------
# Summary, progress, usage


def test_summary_json(pki, paths, tmp_path, capsys):
    src = write(tmp_path / "in.jsonl", [
        jsonl_line(pki.ok_chain), jsonl_line(pki.ok_chain),
        jsonl_line([pki.expired.der, pki.inter.der]),
        jsonl_line([pki.leaf.der]), jsonl_line([pki.leaf.der]),
        jsonl_line([pki.other_leaf.der, pki.other_inter.der]),
        "junk",
    ])
    summary = tmp_path / "summary.json"
    r = scan(capsys, paths, src, "-o", tmp_path / "out.jsonl", "--summary", summary,
             "--store", f"other={paths['other']}", "--pool", paths["pool"])
    s = json.loads(summary.read_text())
    assert s["rows"] == s["scanned"] == 7 and s["resumed_rows"] == 0
    assert s["interrupted"] is False and s["elapsed_s"] >= 0 and s["rows_per_s"] > 0
    assert s["verdicts"] == {"ok": 4, "failed": 2, "malformed": 1, "no_chain": 0}
    assert s["codes"] == {"ok": 4, "expired": 1, "malformed": 1, "missing_issuer": 1}
    assert s["stores"]["default"] == {"ok": 4, "failed": 3, "codes": {
        "ok": 4, "expired": 1, "malformed": 1, "missing_issuer": 1}}
    assert s["stores"]["other"]["ok"] == 1
    assert s["flags"] == {"pool_used": 2, "valid_apart_from_expiry": 1}
    assert s["top_failing_issuers"] == [{"issuer": "CN=Scan Other Int", "count": 1},
                                        {"issuer": "CN=Scan Test Int", "count": 1}]
    assert s["top_anchors"][0] == {"anchor": "CN=Scan Test Root", "count": 5}
    assert s["inputs"] == [{"path": str(src), "format": "jsonl", "rows": 7}]
    # Six rows verified against two stores share one cache.
    assert s["cache"]["verdict_misses"] + s["cache"]["verdict_hits"] == 12
    assert s["cache"]["bytes"] <= 64 << 20
    assert "chainval scan: 7 rows" in r.err and "top failing issuers" in r.err


def test_progress_bar(pki, paths, tmp_path, capsys):
    src = _corpus(pki, tmp_path, 30)
    r = scan(capsys, paths, src, "-o", tmp_path / "o.jsonl", "--progress", "always",
             "--batch", "5")
    assert "rows/s" in r.err and "%" in r.err and "ETA" in r.err
    r = scan(capsys, paths, src, "-o", tmp_path / "o.jsonl")  # not a terminal: no bar
    assert "\r" not in r.err


def test_usage_errors(pki, paths, tmp_path, capsys):
    src = _corpus(pki, tmp_path, 3)
    assert run_cli(capsys, "scan", src).status == 2  # no store
    assert scan(capsys, paths, src, "--resume").status == 2  # --resume without -o
    assert scan(capsys, paths, tmp_path / "missing.jsonl").status == 2
    assert scan(capsys, paths, src, "--store", "nameonly").status == 2
    assert scan(capsys, paths, src, "--store", f"default={paths['other']}").status == 2
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    assert scan(capsys, paths, src, "--roots", empty).status == 2
    assert run_cli(capsys, "scan").status == 2
    assert run_cli(capsys, "--help").status == 0


def test_parse_time():
    assert parse_time(5) == 5 and parse_time(5.9) == 5 and parse_time("17") == 17
    assert parse_time("2030-01-01T00:00:00Z") == T_LATE
    assert parse_time("2030-01-01t00:00:00.999999999z") == T_LATE
    assert parse_time("2030-01-01 02:00:00+02:00") == T_LATE
    assert parse_time("2030-01-01") == T_LATE
    assert parse_time("2029-12-31T19:00:00-0500") == T_LATE
    for bad in ("", "tomorrow", True, None, [1], "2030-13-01", float("nan"), "2024-02-30",
                "2030-01-01T00:00:00+99:99", "2030-01-01T24:00:00Z", "10000-01-01"):
        with pytest.raises(ValueError):
            parse_time(bad)


# ---------------------------------------------------------------------------
# Report


def test_report_html(pki, paths, tmp_path, capsys):
    lines = [jsonl_line(pki.ok_chain)] * 7 + [jsonl_line([pki.leaf.der])] * 3 + \
        [jsonl_line([pki.expired.der, pki.inter.der])] * 2 + ["junk"]
    src = write(tmp_path / "in.jsonl", lines)
    out = tmp_path / "scan.jsonl"
    scan(capsys, paths, src, "-o", out)
    r = run_cli(capsys, "report", out)
    assert r.status == 0
    html = (tmp_path / "scan.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 4
    for needle in ("<td>ok</td><td class=\"num\">7</td>",
                   "<td>missing_issuer</td><td class=\"num\">3</td>",
                   "<td>expired</td><td class=\"num\">2</td>",
                   "<td>malformed</td><td class=\"num\">1</td>",
                   "CN=Scan Test Int", "<title>2024: 0 ok, 2 not ok</title>",
                   "<title>2099: 7 ok, 3 not ok</title>", "Leaf expiry timeline"):
        assert needle in html, needle
    # self-contained: one inline script (the examples' filter, issue 15), nothing fetched
    assert html.count("<script") <= 1 and "src=" not in html and "href=" not in html
    assert "url(" not in html and "@import" not in html
    r = run_cli(capsys, "report", out, "-o", "-")
    assert r.out.startswith("<!DOCTYPE html>")
    # from CSV output too
    out_csv = tmp_path / "scan.csv"
    scan(capsys, paths, src, "-o", out_csv, "--format", "csv")
    r = run_cli(capsys, "report", out_csv, "-o", tmp_path / "csv.html")
    html_csv = (tmp_path / "csv.html").read_text()
    assert "<td>missing_issuer</td><td class=\"num\">3</td>" in html_csv
    assert "<title>2024: 0 ok, 2 not ok</title>" in html_csv


# ---------------------------------------------------------------------------
# The bundled sample, and the command as a process


def _sample_codes(capsys, tmp_path, *extra):
    summary = tmp_path / "summary.json"
    r = run_cli(capsys, "scan", SAMPLES / "sample.jsonl.gz", "--roots", SAMPLES / "roots.pem",
                *extra, "-o", tmp_path / "out.jsonl", "--summary", summary)
    assert r.status == 0, r.err
    return json.loads(summary.read_text())


def test_sample_dataset_matches_expected(capsys, tmp_path):
    expected = json.loads((SAMPLES / "expected.json").read_text())
    s = _sample_codes(capsys, tmp_path, "--pool", SAMPLES / "pool.pem")
    assert s["rows"] == expected["rows"]
    assert s["codes"] == {k: v for k, v in expected["codes"].items() if v}
    assert s["flags"] == expected["flags"]
    assert s["verdicts"] == {"no_chain": 0, **expected["verdicts"]}  # no zgrab2 rows
    s = _sample_codes(capsys, tmp_path)
    assert s["codes"] == expected["codes_without_pool"]
    assert os.path.getsize(SAMPLES / "sample.jsonl.gz") < 2 << 20


def test_make_sample_is_deterministic_and_right(capsys, tmp_path):
    script = SAMPLES / "make-sample.py"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for d in ("a", "b"):
        subprocess.run([sys.executable, script, "--rows", "150", "--seed", "7", "--out",
                        tmp_path / d], check=True, env=env, capture_output=True)
    for name in ("sample.jsonl.gz", "roots.pem", "pool.pem", "expected.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    expected = json.loads((tmp_path / "a" / "expected.json").read_text())
    summary = tmp_path / "s.json"
    r = run_cli(capsys, "scan", tmp_path / "a" / "sample.jsonl.gz", "--roots",
                tmp_path / "a" / "roots.pem", "--pool", tmp_path / "a" / "pool.pem",
                "-o", tmp_path / "o.jsonl", "--summary", summary)
    assert r.status == 0
    s = json.loads(summary.read_text())
    assert s["codes"] == {k: v for k, v in sorted(expected["codes"].items(),
                                                  key=lambda kv: (-kv[1], kv[0]))}


def test_python_m_chainval_subprocess(pki, paths, tmp_path):
    data = "\n".join([jsonl_line(pki.ok_chain, id="p"), "junk",
                      jsonl_line([pki.leaf.der], id="q")]) + "\n"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-m", "chainval", "scan", "-", "--roots",
                           str(paths["roots"]), "--format", "csv"],
                          input=data.encode(), capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode().splitlines()
    assert out[0].startswith("id,line,host,time,ok,code,")
    assert [line.split(",")[0] for line in out[1:]] == ["p", "", "q"]
    assert "chainval scan: 3 rows" in proc.stderr.decode()
    proc = subprocess.run([sys.executable, "-m", "chainval", "--help"], capture_output=True,
                          env=env, timeout=60)
    assert proc.returncode == 0 and b"scan" in proc.stdout and b"report" in proc.stdout


def test_scanner_shares_one_cache_across_stores_and_batches(pki):
    stores = [("a", chainval.TrustStore.from_pem(pki.root.pem)),
              ("b", chainval.TrustStore.from_pem(pki.other_root.pem))]
    scanner = Scanner(stores, at=T_ROW)
    for _ in range(2):
        rows = scanner.rows([Record("x", 1, host="www.example.com",
                                    chain=pki.ok_chain)])
        assert rows[0]["stores"]["a"]["code"] == "ok"
        assert rows[0]["stores"]["b"]["code"] == "missing_issuer"
    # One cache for both stores and both batches: the second batch's two
    # verifications (one per store) are verdict-cache hits.
    assert isinstance(scanner.cache, chainval.Cache)
    assert scanner.cache.stats()["verdict_hits"] == 2
    assert Scanner(stores, cache_bytes=0).cache is None
