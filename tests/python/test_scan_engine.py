"""The C engine of chainval scan (scanner/, through chainval._chainval's
private _ScanEngine and _Reader): JSON lines and CSV read in C on datasets of
every record shape and every kind of damage; block boundaries change nothing;
--resume's skip; Ctrl-C; the summary counted in C. test_scan_golden.py holds
the rows to those the Python scanner wrote before 0.2."""

from __future__ import annotations

import base64
import errno
import json
import os
import random

import pytest

from chainval import _chainval as C
from _scan_support import T_ROW, b64, jsonl_line, paths, pki, zgrab_line  # noqa: F401

from chainval.scan import Scanner, load_pool, load_store


def dataset(pki) -> list[str]:
    """Lines of every shape the JSON reader meets, good and damaged."""
    ok, inter = pki.leaf.der, pki.inter.der
    lines = [
        jsonl_line(pki.ok_chain, id=1),
        jsonl_line(pki.ok_chain, id="text-id \u00e9\u4e2d\U0001f600"),
        jsonl_line([pki.expired.der, inter], id=3),
        jsonl_line([pki.leaf2.der, inter], id=4),                    # hostname mismatch
        jsonl_line([pki.bad_sig, inter], id=5),
        jsonl_line([pki.other_leaf.der, pki.other_inter.der], id=6),  # other root
        jsonl_line([ok], id=7),                                      # pool completes it
        jsonl_line([inter, ok], id=8),                               # order repaired
        jsonl_line(pki.ok_chain, id=123456789012345678901234567890),  # a big id, kept
        json.dumps({"id": 10, "host": "[192.0.2.1]", "time": T_ROW, "chain": [b64(ok), b64(inter)]}),
        json.dumps({"id": 11, "host": "WWW.Example.COM", "time": "2024-06-01T00:00:00Z",
                    "chain": [b64(ok), b64(inter)]}),
        json.dumps({"id": 12, "host": "www.example.com", "time": "2024-06-01",
                    "chain": [pki.leaf.pem.decode(), b64(inter)]}),       # a PEM item
        json.dumps({"id": 13, "host": "www.example.com", "time": 1717200000.75,
                    "chain": b64(ok)}),                               # one string, float time
        json.dumps({"id": 14, "chain": [b64(ok), b64(inter)]}),      # no host, no time
        json.dumps({"id": {"b": [1, 2], "a": None}, "host": "www.example.com", "time": T_ROW,
                    "chain": [b64(ok), b64(inter)]}),                # a compound id
        json.dumps({"id": 16, "host": "www.example.com", "time": T_ROW,
                    "chain": [b64(ok) + "!", b64(inter)]}),          # bad base64
        json.dumps({"id": 17, "host": "www.example.com", "time": T_ROW, "chain": []}),
        json.dumps({"id": 18, "host": "www.example.com", "time": T_ROW, "chain": [5]}),
        json.dumps({"id": 19, "host": 5, "chain": [b64(ok)]}),
        json.dumps({"id": 20, "host": "www.example.com", "time": "yesterday",
                    "chain": [b64(ok)]}),
        json.dumps({"id": 21, "host": "www.example.com", "time": True, "chain": [b64(ok)]}),
        json.dumps({"id": 22, "host": "www.example.com"}),            # no chain
        json.dumps({"id": 23, "chain": [base64.b64encode(b"\x30\x03\x02\x01\x01").decode()]}),
        json.dumps([1, 2]),
        "true",
        '{"id": 26, "chain": ["abc"',                                 # cut short
        '{"id": 27, "chain": ["' + b64(ok) + '"]} trailing',
        "{\"id\": 28, \"chain\": [\"\x01\"]}",                       # a control character
        "",                                                          # blank: no record
        "   ",
        zgrab_line(pki.ok_chain, domain="www.example.com"),
        zgrab_line(pki.ok_chain, ip="192.0.2.7"),
        zgrab_line([pki.short.der, inter], domain="www.example.com",
                   timestamp="2024-06-01T00:00:00.123456789-07:00"),
        zgrab_line([], domain="down.example.com", status="connection-timeout"),
        json.dumps({"ip": "192.0.2.9", "data": "nope"}),
        json.dumps({"ip": "192.0.2.9", "data": {"http": {"status": "success", "result": {
            "response": {"request": {"tls_log": {"handshake_log": {"server_certificates": {
                "certificate": {"raw": b64(ok)}, "chain": [{"raw": b64(inter)}]}}}}}}}}}),
        json.dumps({"id": 36, "domain": "www.example.com", "data": {"tls": {
            "status": "success", "result": {"handshake_log": {"server_certificates": {
                "certificate": {"parsed": {}}}}}}}}),
        '{"id": 38, "deep": ' + "[" * 900 + "]" * 900 + ', "host": "www.example.com", '
        '"time": %d, "chain": ["%s", "%s"]}' % (T_ROW, b64(ok), b64(inter)),
    ]
    return lines


def _engine(pki, paths, fmt="jsonl", at=None, sources=("in.jsonl",)):
    store = load_store(str(paths["roots"]))
    pool = load_pool(str(paths["pool"]))
    return (C._ScanEngine([("default", store)], pool, None, 1, at, fmt, list(sources)),
            Scanner([("default", store)], pool=pool, at=at, threads=1, cache_bytes=0))


def _c_rows(engine, data: bytes, chunks=None) -> list[dict]:
    reader = C._Reader(0, 16 << 20, "json")
    out, rest = b"", data
    sizes = iter(chunks or [])
    buf = b""
    while True:
        n = next(sizes, None)
        piece, rest = (rest[:n], rest[n:]) if n is not None else (rest, b"")
        buf += piece
        final = not rest
        rows, used = engine.run_block(reader, buf, final)
        out += rows
        buf = buf[used:]
        if final:
            assert not buf
            break
    return [json.loads(line) for line in out.decode().splitlines()]


# (line, id, code, a part of the error) of dataset()'s rows at T_ROW; the
# golden files (test_scan_golden.py) hold the same rules to the rows the
# Python scanner wrote before 0.2.
EXPECTED = [
    (1, 1, "ok", None), (2, "text-id \u00e9\u4e2d\U0001f600", "ok", None),
    (3, 3, "expired", None), (4, 4, "hostname_mismatch", None), (5, 5, "bad_signature", None),
    (6, 6, "missing_issuer", None), (7, 7, "ok", None), (8, 8, "ok", None),
    (9, 123456789012345678901234567890, "ok", None), (10, 10, "hostname_mismatch", None),
    (11, 11, "ok", None), (12, 12, "ok", None), (13, 13, "ok", None), (14, 14, "ok", None),
    (15, {"b": [1, 2], "a": None}, "ok", None),
    (16, 16, "malformed", "chain[0]: invalid base64"), (17, 17, "malformed", "chain: empty"),
    (18, 18, "malformed", "chain[0]: expected a base64 string, got int"),
    (19, 19, "malformed", "host: expected a string, got int"),
    (20, 20, "malformed", "time: invalid time"), (21, 21, "malformed", "invalid time (a bool)"),
    (22, 22, "malformed", "no 'chain' field"), (23, 23, "malformed", "certificate 0:"),
    (24, None, "malformed", "expected a JSON object, got list"),
    (25, None, "malformed", "expected a JSON object, got bool"),
    (26, None, "malformed", "invalid JSON"), (27, None, "malformed", "invalid JSON"),
    (28, None, "malformed", "invalid JSON"),
    (31, None, "ok", None), (32, None, "ok", None), (33, None, "ok", None),
    (34, None, "no_chain", "zgrab: no server certificates (status connection-timeout)"),
    (35, None, "malformed", "zgrab: no data object"), (36, None, "ok", None),
    (37, 36, "malformed", "certificate.raw missing"), (38, 38, "ok", None),
]


def test_json_lines_every_shape(pki, paths, tmp_path):
    engine, _ = _engine(pki, paths, at=T_ROW)
    rows = _c_rows(engine, ("\n".join(dataset(pki)) + "\n").encode())
    got = [(r["line"], r["id"], r["code"]) for r in rows]
    assert got == [e[:3] for e in EXPECTED]
    for row, (_, _, _, error) in zip(rows, EXPECTED):
        assert (error is None) == (row["error"] is None), row
        assert error is None or error in row["error"], (row["line"], row["error"])
    assert all(r["stores"]["default"]["anchor"] == r["anchor"] for r in rows)
    assert rows[9]["host"] == "192.0.2.1" and rows[10]["host"] == "WWW.Example.COM"
    assert rows[29]["host"] is None and rows[33]["host"] is None  # no domain: no name check
    engine, _ = _engine(pki, paths, at=T_ROW)
    reader = C._Reader(0, 16 << 20, "json", "ip")  # --host-from ip
    out, _ = engine.run_block(reader, ("\n".join(dataset(pki)) + "\n").encode(), True)
    rows = [json.loads(x) for x in out.decode().splitlines()]
    assert (rows[29]["host"], rows[29]["code"]) == ("192.0.2.7", "hostname_mismatch")
    assert rows[33]["host"] == "192.0.2.9"  # the http module's handshake, host from the IP


def test_block_boundaries_change_nothing(pki, paths, tmp_path):
    data = ("\n".join(dataset(pki)) + "\n").encode()
    engine, _ = _engine(pki, paths, at=T_ROW)
    whole = _c_rows(engine, data)
    rng = random.Random(7)
    for _ in range(5):
        engine, _ = _engine(pki, paths, at=T_ROW)
        chunks = [rng.randrange(1, 3000) for _ in range(len(data) // 500 + 10)]
        assert _c_rows(engine, data, chunks) == whole


def test_lines_numbered_blank_lines_bom_and_last_line_without_newline(pki, paths):
    engine, _ = _engine(pki, paths, at=T_ROW)
    data = ("\ufeff" + jsonl_line(pki.ok_chain, id=1) + "\n\n  \r\n"
            + jsonl_line(pki.ok_chain, id=2)).encode()
    rows = _c_rows(engine, data)
    assert [(r["id"], r["line"], r["ok"]) for r in rows] == [(1, 1, True), (2, 4, True)]


def test_a_line_over_the_bound_is_one_malformed_row_and_never_held(pki, paths):
    engine, _ = _engine(pki, paths, at=T_ROW)
    reader = C._Reader(0, 2000, "json")
    head = b'{"id": 1, "chain": ["' + b"A" * 5000
    out, used = engine.run_block(reader, head, False)
    assert used == len(head)  # consumed and dropped, not kept for later
    rows = [json.loads(x) for x in out.decode().splitlines()]
    assert [(r["line"], r["code"], r["id"]) for r in rows] == [(1, "malformed", None)]
    assert "longer than 2000 bytes" in rows[0]["error"]
    tail = b'AAAA"]}\n' + jsonl_line(pki.ok_chain, id=2).encode() + b"\n"
    out, used = engine.run_block(reader, tail, True)
    assert used == len(tail)
    rows = [json.loads(x) for x in out.decode().splitlines()]
    assert [(r["line"], r["id"], r["ok"]) for r in rows] == [(2, 2, True)]


def test_deep_nesting_is_one_malformed_row(pki, paths):
    """Issue 12 item 2: a line nested 100,000 deep (Python's reader stops the
    whole scan with RecursionError) is one malformed row; one nested 900 deep
    in a field the scanner does not read is an ordinary row."""
    engine, _ = _engine(pki, paths, at=T_ROW)
    ok = ('{"id": 2, "x": ' + "[" * 900 + "]" * 900 + ', "host": "www.example.com", '
          '"chain": ["%s", "%s"]}' % (b64(pki.leaf.der), b64(pki.inter.der)))
    data = ("[" * 100000 + "]" * 100000 + "\n" + "{" * 5000 + "\n" + ok + "\n").encode()
    rows = _c_rows(engine, data)
    assert [(r["line"], r["code"]) for r in rows] == [(1, "malformed"), (2, "malformed"), (3, "ok")]


def test_not_utf8_and_nan_are_malformed_and_output_stays_json(pki, paths):
    engine, _ = _engine(pki, paths, at=T_ROW)
    data = (b'{"id": NaN, "chain": ["' + b64(pki.leaf.der).encode() + b'"]}\n'
            b'{"id": Infinity, "chain": []}\n'
            b'{"id": 3, "host": "\xff", "chain": []}\n')
    rows = _c_rows(engine, data)
    assert [(r["line"], r["code"], r["id"]) for r in rows] == [
        (1, "malformed", None), (2, "malformed", None), (3, "malformed", None)]
    assert rows[2]["error"] == "not UTF-8 text"


def test_summary_counts_rows_in_c(pki, paths, tmp_path):
    engine, _ = _engine(pki, paths)
    rows = _c_rows(engine, ("\n".join(dataset(pki)) + "\n").encode())
    summary = json.loads(engine.summary())
    assert summary["rows"] == len(rows)
    codes: dict = {}
    for r in rows:
        codes[r["code"]] = codes.get(r["code"], 0) + 1
    assert summary["codes"] == codes
    assert sum(summary["verdicts"].values()) == len(rows)
    assert summary["malformed"] and sum(summary["malformed"].values()) == summary["verdicts"]["malformed"]
    assert summary["malformed"]["invalid_json"] >= 3


def _rows_of(engine, fmt: str, data: bytes, chunks=None, max_record=16 << 20) -> list[dict]:
    reader = C._Reader(0, max_record, fmt)
    out, buf, rest = b"", b"", data
    sizes = iter(chunks or [])
    while True:
        n = next(sizes, None)
        piece, rest = (rest[:n], rest[n:]) if n is not None else (rest, b"")
        buf += piece
        rows, used = engine.run_block(reader, buf, not rest)
        out += rows
        buf = buf[used:]
        if not rest:
            assert not buf
            return [json.loads(line) for line in out.decode().splitlines()]


def csv_dataset(pki) -> str:
    ok, inter = b64(pki.leaf.der), b64(pki.inter.der)
    return "\r\n".join([
        "\ufeffID, Host ,chain,time,extra",
        f"1,www.example.com,{ok};{inter},{T_ROW},x",
        f"2,www.example.com, {b64(pki.expired.der)} ; {inter} ;,2024-06-01T00:00:00Z,",
        f"3,api.example.com,{ok};{inter},{T_ROW},",
        f"4,,{ok};{inter},,",
        f"5,www.example.com,{ok}!;{inter},{T_ROW},",
        f"6,www.example.com,,{T_ROW},",
        f"7,www.example.com,{ok},yesterday,",
        "8,too,few",
        "",
        f",www.example.com,{ok};{inter},{T_ROW},",
        f'"9","www.example.com","{ok};{inter}","{T_ROW}","a ""quoted"", field"',
    ]) + "\r\n"


def test_csv_every_shape_and_block_boundaries(pki, paths, tmp_path):
    engine, _ = _engine(pki, paths, at=T_ROW)
    data = csv_dataset(pki).encode()
    rows = _rows_of(engine, "csv", data)
    assert [(r["id"], r["line"], r["code"]) for r in rows] == [
        ("1", 2, "ok"), ("2", 3, "expired"), ("3", 4, "hostname_mismatch"), ("4", 5, "ok"),
        ("5", 6, "malformed"), ("6", 7, "malformed"), ("7", 8, "malformed"),
        (None, 9, "malformed"), (None, 11, "ok"), ("9", 12, "ok")]
    assert "expected 5 fields, got 3" in rows[7]["error"]
    assert rows[3]["host"] is None
    rng = random.Random(3)
    for _ in range(5):
        engine, _ = _engine(pki, paths, at=T_ROW)
        chunks = [rng.randrange(1, 700) for _ in range(200)]
        assert _rows_of(engine, "csv", data, chunks) == rows


def test_csv_quoted_newlines_are_one_record(pki, paths):
    """Issue 12 item 9: a quoted field holding a newline is part of its
    record (the Python reader cut it into a bogus extra row); the next
    record's line is the physical line it starts on."""
    ok, inter = b64(pki.leaf.der), b64(pki.inter.der)
    data = (f'id,chain,note\n1,{ok};{inter},"two\nlines, and ""quotes"""\n'
            f'2,{ok};{inter},plain\n').encode()
    engine, _ = _engine(pki, paths, at=T_ROW)
    rows = _rows_of(engine, "csv", data)
    assert [(r["id"], r["line"], r["code"]) for r in rows] == [("1", 2, "ok"), ("2", 4, "ok")]


def test_csv_header_without_chain_and_overlong_records(pki, paths):
    engine, _ = _engine(pki, paths, at=T_ROW)
    rows = _rows_of(engine, "csv", b"id,host\n1,a\n2,b\n")
    assert [(r["line"], r["code"]) for r in rows] == [(1, "malformed"), (2, "malformed"),
                                                      (3, "malformed")]
    assert "without a header naming a 'chain' column" in rows[0]["error"]
    ok = b64(pki.leaf.der)
    data = (f'id,chain\n1,"{"A" * 3000}\n{"B" * 3000}"\n2,{ok};{b64(pki.inter.der)}\n').encode()
    rows = _rows_of(engine, "csv", data, chunks=[100] * 80, max_record=2000)
    assert [(r["line"], r["code"]) for r in rows] == [(2, "malformed"), (4, "ok")]
    assert "longer than 2000 bytes" in rows[0]["error"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_call_that_gives_an_overlong_record_takes_its_bytes(pki, paths, fmt):
    """Found by fuzz_scan: with limit 1, the CSV reader gave the record for an
    over-long line without consuming anything (it passed over the line's bytes
    only in the next call); a caller that stops feeding when a call takes
    nothing then lost every record after it. Each call must take bytes."""
    ok = b64(pki.leaf.der) + ";" + b64(pki.inter.der)
    if fmt == "csv":
        data = f"id,chain\n1,{ok}\n2,{'A' * 3000}\n3,{ok}\n".encode()
    else:
        data = (jsonl_line(pki.ok_chain, id=1) + "\n" + "x" * 3000 + "\n"
                + jsonl_line(pki.ok_chain, id=3) + "\n").encode()
    engine, _ = _engine(pki, paths, at=T_ROW)
    reader = C._Reader(0, 2000, fmt)
    rows, end = [], 0
    while end < len(data):
        out, used = engine.run_block(reader, data, True, end, 1)
        assert used > end, "a call gave a record and took no bytes"
        rows += [json.loads(x) for x in out.decode().splitlines()]
        end = used
    assert [r["code"] for r in rows] == ["ok", "malformed", "ok"]


def test_skip_passes_over_records_unread(pki, paths):
    """--resume: skip(n) passes over the next n records without parsing them
    (a broken line counts as one record, blank lines as none), then reads on
    with the right line numbers; for CSV the header is still read."""
    lines = [jsonl_line(pki.ok_chain, id=1), "", '{"broken', jsonl_line(pki.ok_chain, id=4),
             jsonl_line(pki.ok_chain, id=5)]
    data = ("\n".join(lines) + "\n").encode()
    engine, _ = _engine(pki, paths, at=T_ROW)
    reader = C._Reader(0, 16 << 20, "json")
    reader.skip(2)
    out, used = engine.run_block(reader, data[:40], False)  # inside line 1: nothing yet
    assert (out, reader.skip_left) == (b"", 2)
    out, end = engine.run_block(reader, data, True, used)
    # The call that passes over the last skipped record stops right after it,
    # so that the caller can check the line where the skip ended.
    assert (out, reader.skip_left, reader.line) == (b"", 0, 3)
    out, end = engine.run_block(reader, data, True, end)
    assert end == len(data)
    rows = [json.loads(x) for x in out.decode().splitlines()]
    assert [(r["id"], r["line"]) for r in rows] == [(4, 4), (5, 5)]

    ok, inter = b64(pki.leaf.der), b64(pki.inter.der)
    csv = f'id,chain\n1,"{ok};\n{inter}"\n\n2,{ok};{inter}\n3,{ok}\n'.encode()
    reader = C._Reader(0, 16 << 20, "csv")
    reader.skip(2)
    out, end = engine.run_block(reader, csv, True)
    assert (out, reader.line) == (b"", 5)
    out, _ = engine.run_block(reader, csv, True, end)
    rows = [json.loads(x) for x in out.decode().splitlines()]
    assert [(r["id"], r["line"]) for r in rows] == [("3", 6)]
    reader = C._Reader(0, 16 << 20, "csv")
    reader.skip(10)
    out, _ = engine.run_block(reader, csv, True)
    assert out == b"" and reader.skip_left == 7


def test_ctrl_c_stops_a_long_block(pki, paths, tmp_path):
    """Issue 12 item 14: SIGINT while the engine verifies a large block stops
    it between chains with KeyboardInterrupt, writes nothing of that block,
    and the engine works afterwards."""
    import os
    import signal
    import threading
    import time

    line = jsonl_line(pki.ok_chain, id=1).encode() + b"\n"
    store = load_store(str(paths["roots"]))
    engine = C._ScanEngine([("default", store)], None, None, 1, T_ROW, "jsonl", ["x"])
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        engine.run_block(C._Reader(0, 16 << 20, "json"), line * 60000, True)
    assert time.monotonic() - start < 3.0  # ~10 s uninterrupted; a hang guard, not a speed claim
    out, _ = engine.run_block(C._Reader(0, 16 << 20, "json"), line * 3, True)
    assert len(out.splitlines()) == 3
    assert json.loads(engine.summary())["rows"] == 3


# ---------------------------------------------------------------------------
# Found by review (each reproduced before its fix)


def test_csv_skip_ends_where_a_multiline_record_starts(pki, paths):
    """--resume's check compares the record's first line: a quoted field
    spanning lines must not make it refuse (last_start, not line)."""
    ok = b64(pki.leaf.der)
    data = f'id,chain\na,"{ok};\n{ok}"\nb,{ok}\n'.encode()
    engine, _ = _engine(pki, paths, at=T_ROW)
    reader = C._Reader(0, 16 << 20, "csv")
    reader.skip(1)
    out, end = engine.run_block(reader, data, True)
    assert (out, reader.skip_left, reader.last_start, reader.line) == (b"", 0, 2, 3)


def test_csv_skip_of_an_overlong_record_stops_after_it_and_keeps_quotes(pki, paths):
    data = ('id,chain\na,"' + "x" * 100 + '""q\nstill,inside"\n' + "b,QUJD\n").encode()
    engine, _ = _engine(pki, paths, at=T_ROW)
    rows = _rows_of(engine, "csv", data, max_record=50)
    # The doubled quote does not end the quoted field: no row from inside it.
    assert [(r["id"], r["line"]) for r in rows] == [(None, 2), ("b", 4)]
    reader = C._Reader(0, 50, "csv")
    reader.skip(1)
    out, end = engine.run_block(reader, data, True)
    assert (out, reader.skip_left, reader.last_start, reader.line) == (b"", 0, 2, 3)


def test_csv_skip_counts_an_overlong_record_before_the_header(pki, paths):
    """Found by fuzz_scan's skip check: an over-long first record is a row
    (the header is the next one), so --resume's skip(n) counts it; it was
    written again while skipping, and the skip then ended one record late
    (--resume refused: "the input does not match")."""
    data = ("h" * 100 + "\nid,chain\na,QUJD\nb,QUJD\n").encode()
    engine, _ = _engine(pki, paths, at=T_ROW)
    rows = _rows_of(engine, "csv", data, max_record=50)
    assert [(r["id"], r["line"]) for r in rows] == [(None, 1), ("a", 3), ("b", 4)]
    reader = C._Reader(0, 50, "csv")
    reader.skip(2)
    out, end = engine.run_block(reader, data, True)
    assert (out, reader.skip_left, reader.last_start) == (b"", 0, 3)
    out, _ = engine.run_block(reader, data, True, end)
    assert [(r["id"], r["line"]) for r in map(json.loads, out.decode().splitlines())] == [("b", 4)]


def test_a_host_with_a_nul_is_refused_and_huge_times_are_malformed(pki, paths):
    ok, inter = b64(pki.leaf.der), b64(pki.inter.der)
    data = (json.dumps({"id": 1, "host": "www.example.com\u0000.evil", "chain": [ok, inter]})
            + "\n" + '{"id": 2, "time": 9.25e18, "chain": ["%s"]}\n' % ok
            + '{"id": 3, "time": 9223372036854775808, "chain": ["%s"]}\n' % ok).encode()
    engine, _ = _engine(pki, paths)
    rows = _c_rows(engine, data)
    assert [r["code"] for r in rows] == ["malformed"] * 3
    assert rows[0]["error"] == "host: contains a NUL character"
    assert "time" in rows[1]["error"] and "time" in rows[2]["error"]


def test_one_engine_is_used_by_one_thread_at_a_time(pki, paths):
    import threading

    engine, _ = _engine(pki, paths, at=T_ROW)
    line = (jsonl_line(pki.ok_chain, id=1) + "\n").encode() * 3000
    errors, done = [], []

    def work():
        try:
            for _ in range(5):
                out, _ = engine.run_block(C._Reader(0, 16 << 20, "json"), line, True)
                done.append(out.count(b"\n"))
                engine.rows  # read while another thread may be running it: refused
        except RuntimeError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = json.loads(engine.summary())
    assert summary["rows"] == sum(done) == engine.rows  # the counters match the rows returned
    assert all("in use by another thread" in e for e in errors)


def test_a_row_owes_nothing_to_the_row_before(pki, paths):
    """The engine reuses its row policies from batch to batch: each row's
    host name and time must be its own (its precertificate flag too, which
    changes no verdict here). Records that
    differ in each, in a batch, in the next batch each a place earlier, and
    one at a time, give the same rows."""
    from chainval.scan.formats.record import Record

    ok, inter = pki.leaf.der, pki.inter.der
    recs = [
        Record("in", 1, id=1, host="www.example.com", time=T_ROW, chain=[ok, inter]),
        Record("in", 2, id=2, chain=[ok, inter]),                      # no host, no time
        Record("in", 3, id=3, host="other.example.com", time=T_ROW, chain=[ok, inter]),
        Record("in", 4, id=4, chain=[ok, inter]),
        Record("in", 5, id=5, host="www.example.com", time=T_ROW, chain=[ok, inter],
               flags=["precertificate"]),
        Record("in", 6, id=6, host="www.example.com", time=T_ROW, chain=[ok, inter]),
        Record("in", 7, id=7, host="bad host!", time=T_ROW, chain=[ok, inter]),  # refused
        Record("in", 8, id=8, time=T_ROW, chain=[ok, inter]),
    ]
    _, batch = _engine(pki, paths)
    together = batch.rows(recs)
    # The next batch's row k gets the policy of the last batch's row k:
    # record k + 1 that of record k.
    again = batch.rows(recs[1:] + recs[:1])
    again = again[-1:] + again[:-1]
    alone = [_engine(pki, paths)[1].rows([r])[0] for r in recs]
    for a, b in [*zip(together, alone), *zip(again, alone)]:
        if a["time"] != b["time"]:  # no time: now, read a moment apart
            assert a["id"] in (2, 4) and abs(a["time"] - b["time"]) <= 5, (a, b)
            a["time"] = b["time"]
        assert a == b
    codes = [r["code"] for r in together]
    assert codes[0] == "ok" and codes[2] == "hostname_mismatch" and codes[3] == codes[1]
    assert together[6]["code"] == "malformed" and "host name" in together[6]["error"]
    assert together[7]["code"] == "ok"


def test_the_engine_counts_the_rows_it_writes(pki, paths):
    """The scan counts each batch's rows from the engine (``rows``), not by
    searching the rows' bytes for line ends: the count moves by the rows of
    each call, not by records passed over (--resume), blank lines or the CSV
    header (test_one_engine_is_used_by_one_thread_at_a_time: nor is it read
    while another thread runs the engine)."""
    engine, _ = _engine(pki, paths, fmt="csv", at=T_ROW)
    assert engine.rows == 0
    engine.csv_header()
    reader = C._Reader(0, 16 << 20, "json")
    reader.skip(3)
    data = ("\n".join(dataset(pki)) + "\n").encode()
    end, total = 0, 0
    while end < len(data):
        before = engine.rows
        out, end = engine.run_block(reader, data, True, end, 5)
        assert engine.rows - before == out.count(b"\n")
        total += engine.rows - before
    assert total == len(EXPECTED) - 3 == json.loads(engine.summary())["rows"]
    out = engine.run([(0, 1, "x", None, None, (), False, "no certificates", "no_certificates")])
    assert engine.rows == total + 1 and out.count(b"\n") == 1


def _file_rows(engine, kind: str, path, cap: int, limit: int = 0, skip: int = 0,
               tail: bytes = b"", offset: int = 0) -> list[dict]:
    """The rows of ``path`` from ``offset`` read by run_file() into a buffer
    of ``cap`` bytes (twice as large whenever one record fills it), ``tail``
    (the record a block before cut) first: what pipeline.Rows does."""
    reader = C._Reader(0, 16 << 20, kind)
    reader.skip(skip)
    out, eof, skip_ended, grown = b"", False, skip == 0, 0
    buf = bytearray(max(cap, 2 * len(tail)))
    buf[:len(tail)] = tail
    filled, start = len(tail), 0
    fd = os.open(path, os.O_RDONLY)
    try:
        while not (eof and start >= filled):
            skipping = reader.skip_left > 0
            rows, start, filled, offset, state, err = engine.run_file(
                reader, buf, filled, start, limit, fd, offset, eof)
            assert err == 0 and 0 <= start <= filled <= len(buf)
            assert limit == 0 or rows.count(b"\n") <= limit
            if skipping and reader.skip_left == 0:
                # The call that passes over the last skipped record stops right after it.
                assert rows == b"" and state == 0
                skip_ended = True
            out += rows
            if state == 1:  # one record fills the buffer
                assert (start, filled) == (0, len(buf))
                buf = buf + bytearray(len(buf))
                grown += 1
            eof = state == 2
    finally:
        os.close(fd)
    assert skip_ended
    _file_rows.grown = grown  # type: ignore[attr-defined]
    return [json.loads(line) for line in out.decode().splitlines()]


@pytest.mark.parametrize("cap", [3000, 300_000, 4 << 20])
def test_run_file_reads_the_file_a_piece_at_a_time(pki, paths, tmp_path, cap):
    """run_file reads a regular file itself (pread, 256 KiB at a time) as the
    records run out, moving the record a full buffer cuts to its front: every
    buffer size (one smaller than a record: FILE_FULL), limit and resume skip
    gives the rows of the whole data read at once, records cut by pieces and
    buffers included, and the last line without its newline."""
    data = ("\n".join(dataset(pki) * 28)).encode()  # 870 KB, no newline at the end
    csv = (csv_dataset(pki) * 90).encode()
    assert len(data) > 3 * (256 << 10) and len(csv) > 2 * (256 << 10)
    for kind, text in (("json", data), ("csv", csv)):
        path = tmp_path / f"in.{kind}"
        path.write_bytes(text)
        engine, _ = _engine(pki, paths, at=T_ROW)
        whole = _c_rows(engine, text) if kind == "json" else _rows_of(engine, "csv", text)
        for limit in (0, 7):
            engine, _ = _engine(pki, paths, at=T_ROW)
            assert _file_rows(engine, kind, path, cap, limit) == whole, (kind, limit)
            # dataset()'s 900-deep line (3.6 KB) is larger than a 3,000-byte buffer.
            assert (_file_rows.grown > 0) == (kind == "json" and cap == 3000)  # type: ignore

        engine, _ = _engine(pki, paths, at=T_ROW)
        assert _file_rows(engine, kind, path, cap, skip=50) == whole[50:], kind
        # What a block read before left: the rest from an offset, the cut record first.
        cut = text.index(b"\n", 100_000) - 500
        engine, _ = _engine(pki, paths, at=T_ROW)
        got = _file_rows(engine, kind, path, cap, tail=text[:cut], offset=cut)
        assert got == whole, kind


def test_run_file_returns_the_rows_before_a_read_error(pki, paths, tmp_path):
    """A read that fails (here: the fd of a directory) ends the call with its
    errno after the rows of the complete records already in the buffer."""
    lines = [jsonl_line(pki.ok_chain, id=i) for i in range(3)]
    head = ("\n".join(lines) + "\n" + lines[0][:40]).encode()
    buf = bytearray(1 << 16)
    buf[:len(head)] = head
    engine, _ = _engine(pki, paths, at=T_ROW)
    reader = C._Reader(0, 16 << 20, "json")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        rows, end, filled, offset, state, err = engine.run_file(
            reader, buf, len(head), 0, 0, fd, 0, False)
    finally:
        os.close(fd)
    assert err == errno.EISDIR and (filled, offset) == (len(head), 0)
    assert [json.loads(x)["id"] for x in rows.decode().splitlines()] == [0, 1, 2]
    assert end == len(head) - 40  # the cut record is left: the caller reports it damaged


def test_run_file_checks_its_arguments(pki, paths, tmp_path):
    engine, _ = _engine(pki, paths, at=T_ROW)
    reader = C._Reader(0, 16 << 20, "json")
    path = tmp_path / "in.jsonl"
    path.write_text(jsonl_line(pki.ok_chain, id=1) + "\n")
    with open(path, "rb") as fh:
        fd = fh.fileno()
        with pytest.raises(BufferError):
            engine.run_file(reader, b"read-only", 0, 0, 0, fd, 0, False)
        for filled, start, fdx, offset in ((5, 0, fd, 0), (0, 1, fd, 0), (0, 0, -1, 0),
                                           (0, 0, fd, -1)):
            with pytest.raises(ValueError):
                engine.run_file(reader, bytearray(4), filled, start, 0, fdx, offset, False)
        with pytest.raises(TypeError):
            engine.run_file(object(), bytearray(4), 0, 0, 0, fd, 0, False)
        rows, end, filled, offset, state, err = engine.run_file(
            reader, bytearray(1 << 16), 0, 0, 0, fd, 0, False)
    assert (json.loads(rows)["id"], end, filled, state, err) == (1, filled, offset, 2, 0)


_ARENAS = r"""
import sys, threading
from chainval import _chainval

def reserved_regions():
    # glibc reserves a thread's arena as a large anonymous PROT_NONE mapping
    # (64 MiB, made writable as it grows): count those of at least 1 MiB.
    n = 0
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) == 5 and fields[1] == "---p":
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                n += hi - lo >= 1 << 20
    return n

applied = _chainval._one_malloc_arena() if sys.argv[1] == "one" else None
before = reserved_regions()
keep = []
t = threading.Thread(target=lambda: keep.extend(bytes(1000) for _ in range(1000)))
t.start()
t.join()
print(applied, reserved_regions() - before)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/maps") or os.uname().sysname != "Linux",
                    reason="reads /proc/self/maps")
def test_one_malloc_arena_keeps_a_new_thread_in_the_main_arena():
    """_one_malloc_arena() (chainval scan --threads 1): a thread started after
    it allocates from the main arena; without it glibc reserves a new arena."""
    import subprocess
    import sys

    def run(mode: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", _ARENAS, mode], capture_output=True,
                             text=True, check=True, env=os.environ).stdout
        return out.split()

    if run("one")[0] == "False":
        pytest.skip("not glibc: no M_ARENA_MAX")
    assert run("default") == ["None", "1"]  # the test sees a thread's arena
    assert run("one") == ["True", "0"]


_COUNT_ARENA_CALLS = r"""
import atexit, sys
from chainval import _chainval, cli

calls = []
_chainval._one_malloc_arena = lambda: calls.append(1) or True
atexit.register(lambda: sys.stderr.write(f"calls={len(calls)}\n"))
sys.argv = ["chainval"] + sys.argv[1:]
cli.program()
"""


def test_scan_with_one_thread_shares_the_main_arena(pki, paths, tmp_path, capsys):
    """The chainval program asks for it with --threads 1 only (more verifying
    threads keep an arena each: they would contend for one), and cli.main(),
    which runs in someone else's process, never: the setting is process-wide
    and cannot be undone."""
    import subprocess
    import sys

    from chainval import cli

    src = tmp_path / "in.jsonl"
    src.write_text(jsonl_line(pki.ok_chain, id=1) + "\n")
    args = ["scan", str(src), "--roots", str(paths["roots"]), "-q", "--at", str(T_ROW)]
    for threads, want in (("2", "calls=0"), ("1", "calls=1")):
        r = subprocess.run([sys.executable, "-c", _COUNT_ARENA_CALLS, *args, "--threads", threads,
                            "-o", str(tmp_path / f"out{threads}.jsonl")],
                           capture_output=True, text=True, env=os.environ)
        assert r.returncode == 0 and r.stderr.splitlines()[-1] == want, r.stderr
    called: list[int] = []
    real = C._one_malloc_arena
    try:
        C._one_malloc_arena = lambda: called.append(1)
        assert cli.main(args + ["--threads", "1", "-o", str(tmp_path / "in-process.jsonl")]) == 0
    finally:
        C._one_malloc_arena = real
    assert called == []
    capsys.readouterr()
