"""Issue 12's robustness list, one regression test per item (each was reproduced
on 0.1 as a new user would: the test fails there). Items tested elsewhere:
3 resume (test_scan.py), 9 CSV quoted newlines and 14 Ctrl-C (test_scan_engine.py,
test_verify_many.py), 15 and 20 (test_scan.py, test_scan_golden.py)."""

from __future__ import annotations

import errno
import gzip
import json
import os

import pytest

from _scan_support import (T_ROW, b64, ct_entry, interrupt_after, jsonl_line, paths, pki,  # noqa: F401
                           read_jsonl, run_cli)


def scan(capsys, paths, *args, stdin=None):
    extra = [] if "--roots" in args else ["--roots", paths["roots"]]
    return run_cli(capsys, "scan", *args, *extra, stdin=stdin)


def lines(pki, n=20) -> str:
    return "".join(jsonl_line(pki.ok_chain, id=i) + "\n" for i in range(n))


def test_1_output_that_is_an_input_is_refused(pki, paths, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki))
    before = src.read_bytes()
    for out in (src, tmp_path / "." / "in.jsonl"):
        r = scan(capsys, paths, src, "-o", out)
        assert r.status == 2 and "is also an input" in r.err
    link = tmp_path / "hard.jsonl"
    os.link(src, link)
    r = scan(capsys, paths, src, "-o", link)
    assert r.status == 2 and "is also an input" in r.err
    r = scan(capsys, paths, src, "-o", tmp_path / "out.jsonl", "--summary", src)
    assert r.status == 2 and "is also an input" in r.err
    r = scan(capsys, paths, src, "-o", tmp_path / "x.jsonl", "--roots", paths["roots"],
             "--summary", paths["roots"])
    assert r.status == 2
    assert src.read_bytes() == before


def test_2_deep_nesting_is_one_malformed_row(pki, paths, tmp_path, capsys):
    deep = "[" * 1000 + "]" * 1000
    src = tmp_path / "in.jsonl"
    src.write_text(deep + "\n" + jsonl_line(pki.ok_chain, id="after") + "\n")
    r = scan(capsys, paths, src)
    assert r.status == 0 and [x["code"] for x in r.rows] == ["malformed", "ok"]
    ct = tmp_path / "ct.json"
    entry = ct_entry(pki.ok_chain)
    ct.write_text(json.dumps({"entries": [entry]}) + "\n" + '{"entries": [' + deep + "]}\n")
    r = scan(capsys, paths, ct, "--input-format", "ct")
    assert r.status == 0 and [x["code"] for x in r.rows] == ["ok", "malformed"]
    assert "nested too deeply" in r.rows[1]["error"]


def test_6_unwritable_output_is_found_before_the_first_row(pki, paths, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki))
    r = scan(capsys, paths, src, "-o", tmp_path / "missing" / "out.jsonl")
    assert r.status == 2 and "does not exist" in r.err and "Traceback" not in r.err
    r = scan(capsys, paths, src, "-o", tmp_path / "o.jsonl", "--summary", tmp_path / "no" / "s")
    assert r.status == 2 and "does not exist" in r.err
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.jsonl.partial").exists()


def test_6_a_write_failure_is_one_line_and_resume_completes(pki, paths, tmp_path, capsys,
                                                            monkeypatch):
    """ENOSPC in the middle of a scan: one line with the --resume hint, exit 1,
    no traceback; the rows before it stay, and --resume finishes the scan."""
    from chainval.scan.output import Output

    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 50))
    full = tmp_path / "full.jsonl"
    assert scan(capsys, paths, src, "-o", full).status == 0
    real = Output.write
    calls = []

    def write(self, data):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        m.setattr(Output, "write", write)
        r = scan(capsys, paths, src, "-o", out, "--batch", "10")
    assert r.status == 1, r.err
    assert "No space left on device" in r.err and "--resume" in r.err
    assert "Traceback" not in r.err
    assert len((tmp_path / "out.jsonl.partial").read_text().splitlines()) == 20
    r = scan(capsys, paths, src, "-o", out, "--batch", "10", "--resume")
    assert r.status == 0 and out.read_text() == full.read_text()


def test_6_summary_is_replaced_atomically(pki, paths, tmp_path, capsys, monkeypatch):
    """A failure while the summary is written leaves the old summary whole."""
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 3))
    summary = tmp_path / "s.json"
    summary.write_text('{"old": true}\n')

    def fail(*args):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "replace", fail)
    r = scan(capsys, paths, src, "--summary", summary)
    assert r.status == 1 and "I/O error" in r.err
    assert summary.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_8_output_is_rfc8259_json(pki, paths, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": NaN, "chain": ["%s"]}\n{"id": Infinity, "chain": []}\n'
                   '{"id": 1e999, "host": "www.example.com", "chain": ["%s", "%s"]}\n'
                   % (b64(pki.leaf.der), b64(pki.leaf.der), b64(pki.inter.der)))
    out = tmp_path / "out.jsonl"
    assert scan(capsys, paths, src, "-o", out).status == 0

    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    rows = [json.loads(x, parse_constant=refuse) for x in out.read_text().splitlines()]
    assert [r["code"] for r in rows] == ["malformed", "malformed", "ok"]
    assert rows[0]["id"] is None and '"id":1e999' in out.read_text().splitlines()[2]


def test_10_fifos_and_dangling_symlinks_get_a_row(pki, paths, tmp_path, capsys):
    d = tmp_path / "pems"
    d.mkdir()
    (d / "a.pem").write_bytes(pki.leaf.pem + pki.inter.pem)
    os.mkfifo(d / "b.pem")
    os.symlink(tmp_path / "nowhere.pem", d / "c.pem")
    r = scan(capsys, paths, d, "--at", T_ROW)
    assert r.status == 0
    assert [(x["id"], x["code"]) for x in r.rows] == [
        ("a.pem", "ok"), ("b.pem", "malformed"), ("c.pem", "malformed")]
    assert r.rows[1]["error"] == "not read: a FIFO"
    assert r.rows[2]["error"] == "not read: a symlink to nothing"


def test_11_gzip_damage_keeps_every_complete_line(pki, paths, tmp_path, capsys):
    data = lines(pki, 20).encode()
    packed = gzip.compress(data)
    trailing = tmp_path / "trailing.jsonl.gz"
    trailing.write_bytes(packed + b"trailing garbage")
    r = scan(capsys, paths, trailing)
    assert [x["id"] for x in r.rows[:20]] == list(range(20)) and len(r.rows) == 21
    assert r.rows[20]["code"] == "malformed" and "after the end of the gzip data" in r.rows[20]["error"]
    assert "warning:" in r.err
    bad_crc = bytearray(packed)
    bad_crc[-8] ^= 0xFF
    crc = tmp_path / "crc.jsonl.gz"
    crc.write_bytes(bytes(bad_crc))
    r = scan(capsys, paths, crc)
    assert [x["id"] for x in r.rows[:20]] == list(range(20)) and len(r.rows) == 21
    assert "incorrect data check" in r.rows[20]["error"]
    two = tmp_path / "two.jsonl.gz"  # two members are one stream, as gzip -d reads them
    two.write_bytes(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
    assert [x["id"] for x in scan(capsys, paths, two).rows] == list(range(20))


def test_12_a_damaged_store_is_reported_and_strict_refuses_it(pki, paths, tmp_path, capsys):
    store = tmp_path / "store.pem"
    bad = "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n"
    store.write_text(pki.root.pem.decode() + bad * 3)
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 2))
    r = scan(capsys, paths, src, "--roots", store)
    assert r.status == 0
    assert "trust store default: 1 anchor loaded" in r.err and "3 rejected (first:" in r.err
    r = scan(capsys, paths, src, "--roots", store, "--strict-stores")
    assert r.status == 2 and "3 entries could not be loaded" in r.err


@pytest.mark.parametrize("args,message", [
    (["--threads", "100000"], "--threads must be between 1 and 1024"),
    (["--threads", "0"], "--threads must be between 1 and 1024"),
    (["--cache-size", "99999999999999"], "--cache-size must be between 0 and"),
    (["--batch", "0"], "--batch must be between 1 and"),
    (["--at", "10000-01-01"], "--at:"),
    (["--at", "300000000000"], "outside the years 0001..9999"),
])
def test_13_numbers_are_checked_when_parsed(pki, paths, tmp_path, capsys, args, message):
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 1))
    r = scan(capsys, paths, src, *args)
    assert r.status == 2 and message in r.err and "Traceback" not in r.err


def test_17_exit_status_with_fail_on_malformed(pki, paths, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 2) + "junk\n")
    assert scan(capsys, paths, src).status == 0
    assert scan(capsys, paths, src, "--fail-on-malformed").status == 3
    clean = tmp_path / "clean.jsonl"
    clean.write_text(lines(pki, 2))
    assert scan(capsys, paths, clean, "--fail-on-malformed").status == 0


def test_18_version_one_row_and_quiet(pki, paths, tmp_path, capsys):
    import chainval

    r = run_cli(capsys, "--version")
    assert r.status == 0 and chainval.__version__ in r.out and chainval.GNUTLS_VERSION in r.out
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 1))
    r = scan(capsys, paths, src)
    assert "chainval scan: 1 row in" in r.err
    r = scan(capsys, paths, src, "-q", "--progress", "auto")
    assert r.err == ""
    r = run_cli(capsys, "scan", "--help")
    assert "exit status: 0 done" in r.out


def test_19_summary_counts_malformed_by_reason_and_anchors_per_store(pki, paths, tmp_path,
                                                                     capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 2) + "junk\n" + '{"chain": ["%%%"]}\n{"x": 1}\n')
    summary = tmp_path / "s.json"
    r = scan(capsys, paths, src, "--summary", summary, "--store", f"other={paths['both']}")
    assert r.status == 0
    s = json.loads(summary.read_text())
    assert s["malformed"] == {"base64": 1, "invalid_json": 1, "no_chain_field": 1}
    assert [(x["name"], x["anchors"], x["rejected"]) for x in s["stores_loaded"]] == [
        ("default", 1, 0), ("other", 2, 0)]
    assert "malformed: base64 1, invalid_json 1, no_chain_field 1" in r.err


def test_4_documents_that_are_not_ct_are_malformed_rows(pki, paths, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(jsonl_line(pki.ok_chain, id=1) + "\n" + jsonl_line(pki.ok_chain, id=2) + "\n")
    r = scan(capsys, paths, src, "--input-format", "ct")
    assert [x["code"] for x in r.rows] == ["malformed", "malformed"]
    assert "not a CT get-entries response" in r.rows[0]["error"]
    assert "--input-format" in r.rows[0]["error"]
    docs = tmp_path / "docs.json"
    docs.write_text('{"error": "rate limited"}\n{"entries": "x"}\n{"entries": []}\n'
                    + json.dumps({"entries": [ct_entry(pki.ok_chain)]}) + "\n")
    r = scan(capsys, paths, docs, "--input-format", "ct")
    assert [(x["line"], x["code"]) for x in r.rows] == [
        (1, "malformed"), (2, "malformed"), (3, "ok")]
    assert "its keys: error" in r.rows[0]["error"]
    assert r.rows[1]["error"] == "CT response: entries is not a list"


def test_5_a_broken_entry_in_a_one_line_response_loses_nothing_else(pki, paths, tmp_path,
                                                                     capsys):
    text = json.dumps({"entries": [ct_entry(pki.ok_chain)] * 20})
    parts = text.split('{"leaf_input"')
    parts[8] = parts[8].replace('"extra_data":', '"extra_data" ', 1)  # entry 8: no colon
    src = tmp_path / "ct.json"
    src.write_text('{"leaf_input"'.join(parts) + "\n")
    r = scan(capsys, paths, src, "--input-format", "ct", "--at", T_ROW)
    assert [x["line"] for x in r.rows] == list(range(1, 21))
    assert [x["code"] for x in r.rows] == ["ok"] * 7 + ["malformed"] + ["ok"] * 12


def test_14_ctrl_c_while_sonar_certificates_load(pki, paths, tmp_path, capsys, monkeypatch):
    """The first Ctrl-C while the reader is still loading a Sonar certs file
    stops the scan without waiting for the load (nothing is being verified);
    a Ctrl-C before the scan's own handler is in place is one line, status
    130, no traceback."""
    import signal
    import threading
    import time

    from chainval.scan.formats import sonar as sonar_module

    hosts = tmp_path / "20240601_hosts"
    hosts.write_text("192.0.2.1," + "ab" * 20 + "\n")
    (tmp_path / "20240601_certs").write_text("ab" * 20 + "," + b64(pki.leaf.der) + "\n")
    slow_started = threading.Event()

    def slow_load(self, db, path):  # a load that would take a minute
        slow_started.set()
        for _ in range(600):
            if self._closing:
                raise sonar_module._Closed()
            time.sleep(0.1)

    monkeypatch.setattr(sonar_module.SonarCerts, "_load", slow_load)
    threading.Thread(target=lambda: (slow_started.wait(10), time.sleep(0.2),
                                     os.kill(os.getpid(), signal.SIGINT)), daemon=True).start()
    start = time.monotonic()
    r = scan(capsys, paths, hosts, "-o", tmp_path / "out.jsonl")
    assert r.status == 130, r.err
    assert time.monotonic() - start < 5  # not the minute the load would take
    assert "Traceback" not in r.err and "continue with --resume" in r.err

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sonar_module.SonarCerts, "__init__", interrupted)
    r = scan(capsys, paths, hosts)
    assert r.status == 130 and "interrupted" in r.err and "Traceback" not in r.err


def test_file_names_that_are_not_utf8_do_not_stop_the_scan(pki, paths, tmp_path, capsys):
    """A PEM file named with bytes that are not UTF-8 (its id) and such an
    input path (the source) are written with U+FFFD, not a traceback."""
    d = tmp_path / "pems"
    d.mkdir()
    name = os.fsdecode(b"bad\xff.pem")
    (d / name).write_bytes(pki.leaf.pem + pki.inter.pem)
    src = tmp_path / os.fsdecode(b"in\xfe.jsonl")
    src.write_text(jsonl_line(pki.ok_chain, id=1) + "\n")
    out = tmp_path / "out.jsonl"
    r = scan(capsys, paths, d, src, "-o", out, "--at", T_ROW)
    assert r.status == 0, r.err
    rows = read_jsonl(out)
    assert [x["code"] for x in rows] == ["ok", "ok"]
    assert rows[0]["id"] == "bad\ufffd.pem" and rows[1]["source"].endswith("in\ufffd.jsonl")


# ---------------------------------------------------------------------------
# Reading in reused buffers (the --resume target): a record cut by a block
# boundary is joined from the next block's first line(s), never the whole block.


def _records_cut_everywhere(pki) -> tuple[str, str]:
    ok, inter = b64(pki.leaf.der), b64(pki.inter.der)
    jsonl = "".join(jsonl_line(pki.ok_chain if i % 3 else [pki.leaf.der], id=i) + "\n"
                    + ("\n" if i % 7 == 0 else "") for i in range(40)) + "broken"
    csv_text = "id,chain,note\n" + "".join(
        f'{i},{ok};{inter},"{"multi" if i % 5 == 0 else "one"}\nline, ""quoted"""\n'
        if i % 2 else f"{i},{ok};{inter},plain\n" for i in range(40))
    return jsonl, csv_text


@pytest.mark.parametrize("size", [1, 7, 97, 1000, 5000])
def test_small_blocks_and_reused_buffers_change_no_row(pki, paths, tmp_path, capsys,
                                                       monkeypatch, size):
    from chainval.scan.formats import blocks

    jsonl, csv_text = _records_cut_everywhere(pki)
    for name, text in (("in.jsonl", jsonl), ("in.csv", csv_text)):
        src = tmp_path / name
        src.write_text(text)
        want = scan(capsys, paths, src, "--at", T_ROW)
        assert want.status == 0 and len(want.rows) == 41 if name == "in.jsonl" else 40
        with monkeypatch.context() as m:
            m.setattr(blocks, "BLOCK", size)
            m.setattr(blocks, "FILE_BUFFER", size)  # the rest of the file, read by the engine
            got = scan(capsys, paths, src, "--at", T_ROW)
            assert got.status == 0, got.err
            assert got.out == want.out, (name, size)
            # --resume with small blocks: the skip ends inside a joined record too.
            out = tmp_path / f"out-{name}"
            interrupt_after(m, 4)
            r = scan(capsys, paths, src, "--at", T_ROW, "-o", out, "--batch", "3")
            assert r.status == 130
        r = scan(capsys, paths, src, "--at", T_ROW, "-o", out, "--resume", "--batch", "3")
        assert r.status == 0, r.err
        assert out.read_text() == want.out


def test_a_csv_record_of_many_lines_across_blocks_is_read_in_bounded_time(
        pki, paths, tmp_path, capsys, monkeypatch):
    """A quoted CSV field of 200,000 newlines that a block cuts: the record was
    joined from the next block one line at a time, each try reading it again
    from its start (quadratic: it never finished). Now the joined part doubles:
    a few tries, from stdin (blocks) and from a file (read by the engine)."""
    from chainval.scan.engine import Scanner
    from chainval.scan.formats import blocks

    ok, inter = b64(pki.leaf.der), b64(pki.inter.der)
    rows = ["id,chain,note"] + [f"{i},{ok};{inter},plain" for i in range(40)]
    rows.append(f'40,{ok};{inter},"' + "y\n" * 200_000 + '"')
    rows += [f"{i},{ok};{inter},plain" for i in range(41, 60)]
    data = ("\n".join(rows) + "\n").encode()
    src = tmp_path / "many.csv"
    src.write_bytes(data)
    real, calls = Scanner.feed, []

    def counted(self, *args):
        calls.append(1)
        if len(calls) > 2000:
            raise AssertionError("the record is read again line by line")
        return real(self, *args)

    with monkeypatch.context() as m:
        m.setattr(blocks, "BLOCK", 64 << 10)
        m.setattr(Scanner, "feed", counted)
        r = scan(capsys, paths, "-", "--at", T_ROW, "--input-format", "csv", stdin=data)
    assert r.status == 0, r.err
    assert [x["id"] for x in r.rows] == [str(i) for i in range(60)]
    assert r.rows[40]["code"] == "ok" and r.rows[41]["line"] == 200_043
    assert len(calls) < 200
    with monkeypatch.context() as m:
        m.setattr(blocks, "BLOCK", 64 << 10)
        m.setattr(blocks, "FILE_BUFFER", 64 << 10)
        f = scan(capsys, paths, src, "--at", T_ROW)
    assert f.status == 0 and f.out == r.out


def test_buffer_pool_reuses_only_what_is_given_back(tmp_path):
    import io

    from chainval.scan.formats.blocks import BufferPool

    pool = BufferPool(size=4)
    raw = io.BytesIO(b"aaaabbbbccccdd")
    first, second = pool.read(raw), pool.read(raw)
    assert bytes(first) == b"aaaa" and bytes(second) == b"bbbb"
    kept = second.obj
    pool.give(first)  # used up: its buffer is read into next
    third = pool.read(raw)
    assert bytes(third) == b"cccc" and bytes(second) == b"bbbb" and third.obj is not kept
    assert bytes(pool.read(raw)) == b"dd" and pool.read(raw) is None
    pool.give(b"not a pool buffer")  # ignored


# The rest of a regular uncompressed file after its first block is read by the
# engine itself, in the verifying thread, 256 KiB at a time (Input.file_rest,
# Scanner.feed_file); stdin, gzip and URLs still come in blocks from the
# reading thread. Both give the same rows.

def _big_jsonl(pki) -> bytes:
    """~10 MiB of JSON lines over three 4 MiB blocks: a record of 3 MiB and
    one of 5 MiB (more than a block), blank and broken lines, the last line
    without its newline."""
    out = []
    for i in range(3000):
        out.append(jsonl_line(pki.ok_chain if i % 4 else [pki.leaf.der], id=i))
        if i in (1200, 2000):
            out.append(json.dumps({"id": f"pad{i}", "pad": "x" * ((3 if i == 1200 else 5) << 20),
                                   "host": "www.example.com", "time": T_ROW,
                                   "chain": [b64(d) for d in pki.ok_chain]}))
        if i % 500 == 0:
            out.append("")
        if i == 2500:
            out.append('{"broken')
    return "\n".join(out).encode()


def _feed_file_calls(monkeypatch) -> list:
    from chainval.scan.engine import Scanner

    calls: list = []
    real = Scanner.feed_file

    def spy(self, *args):
        calls.append(len(args[1]))  # the buffer's size
        return real(self, *args)

    monkeypatch.setattr(Scanner, "feed_file", spy)
    return calls


def test_a_file_read_by_the_engine_gives_the_rows_of_stdin(pki, paths, tmp_path, capsys,
                                                           monkeypatch):
    data = _big_jsonl(pki)
    src = tmp_path / "big.jsonl"
    src.write_bytes(data)
    calls = _feed_file_calls(monkeypatch)
    from_stdin = scan(capsys, paths, "-", "--at", T_ROW, stdin=data)
    assert from_stdin.status == 0 and not calls  # stdin: blocks from the reading thread
    from_file = scan(capsys, paths, src, "--at", T_ROW, "--batch", "100")
    assert from_file.status == 0 and len(calls) > 10
    # The buffer grew for the 3 and 5 MiB records and went back to FILE_BUFFER after them.
    from chainval.scan.formats.blocks import FILE_BUFFER

    assert max(calls) > 4 << 20 and calls[-1] == FILE_BUFFER
    assert from_file.out == from_stdin.out
    rows = from_file.rows
    assert len(rows) == 3003 and rows[-1]["id"] == 2999 and rows[-1]["code"] == "ok"
    assert [r["code"] for r in rows if str(r["id"]).startswith("pad")] == ["ok", "ok"]
    assert sum(r["code"] == "malformed" for r in rows) == 1


def test_a_file_cut_short_while_it_is_read_keeps_its_complete_lines(pki, paths, tmp_path,
                                                                     capsys, monkeypatch):
    """The input truncated by someone else after the scan began (a log rotated
    in place): the rows of its complete lines, the cut line malformed, no
    crash; as if the shorter file had been given."""
    from chainval.scan.formats import Input

    data = _big_jsonl(pki)
    cut = data.index(b"\n", 9 << 20) - 100
    src = tmp_path / "big.jsonl"
    src.write_bytes(data)
    real = Input.file_rest

    def file_rest(self):
        rest = real(self)
        os.truncate(self.path, cut)
        return rest

    with monkeypatch.context() as m:
        m.setattr(Input, "file_rest", file_rest)
        got = scan(capsys, paths, src, "--at", T_ROW)
    want = scan(capsys, paths, "-", "--at", T_ROW, stdin=data[:cut])
    assert got.status == 0 and got.out == want.out
    assert got.rows[-1]["code"] == "malformed" and "invalid JSON" in got.rows[-1]["error"]


def test_a_read_error_in_a_file_keeps_the_rows_before_it(pki, paths, tmp_path, capsys,
                                                         monkeypatch):
    """EIO from the file the engine reads: the rows before it, a warning, and
    one malformed row for the rest, as for a damaged gzip file."""
    from chainval.scan.engine import Scanner

    data = _big_jsonl(pki)
    src = tmp_path / "big.jsonl"
    src.write_bytes(data)
    full = scan(capsys, paths, src, "--at", T_ROW, "--batch", "100").rows
    real, calls = Scanner.feed_file, []

    def failing(self, *args):
        calls.append(1)
        got = real(self, *args)
        return got[:5] + (errno.EIO,) if len(calls) == 3 else got

    monkeypatch.setattr(Scanner, "feed_file", failing)
    r = scan(capsys, paths, src, "--at", T_ROW, "--batch", "100")
    assert r.status == 0 and "Traceback" not in r.err
    assert "warning: " in r.err and "cannot read the input: Input/output error" in r.err
    rows = r.rows
    assert 1000 < len(rows) - 1 < len(full) - 1000 and rows[:-1] == full[:len(rows) - 1]
    assert rows[-1]["code"] == "malformed"
    assert rows[-1]["error"] == "cannot read the input: Input/output error"
    assert rows[-1]["line"] == rows[-2]["line"] + 1


def test_an_input_that_fails_to_read_is_a_damaged_row_not_a_write_failure(pki, paths, capsys):
    """EIO while reading an input of the formats read in C (the first block:
    /proc/self/mem at offset 0; a later block: stdin failing part way) was
    reported as "cannot write stdout", exit 1. It is the input's damage: the
    rows read before it, a warning, one malformed row, exit 0."""
    import io

    from chainval.cli import main

    for fmt in (["--input-format", "jsonl"], []):  # no format: none can be detected
        r = scan(capsys, paths, "/proc/self/mem", *fmt)
        assert r.status == 0 and "cannot write" not in r.err, r.err
        assert "warning: /proc/self/mem: cannot read the input: Input/output error" in r.err
        assert [(x["line"], x["code"], x["error"]) for x in r.rows] == [
            (1, "malformed", "cannot read the input: Input/output error")]

    class Failing(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data, self.reads = data, 0

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            self.reads += 1
            if self.reads > 1:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            b[:len(self.data)] = self.data
            return len(self.data)

    data = lines(pki, 5).encode() + b'{"id": "cut'
    capsys.readouterr()
    status = main(["scan", "-", "--roots", str(paths["roots"]), "--at", str(T_ROW)],
                  stdin=Failing(data))
    out, err = capsys.readouterr()
    rows = [json.loads(x) for x in out.splitlines()]
    assert status == 0 and "cannot read the input: Input/output error" in err, err
    assert [x["id"] for x in rows] == [0, 1, 2, 3, 4, None]
    assert rows[-1]["error"] == "cannot read the input: Input/output error"


@pytest.mark.parametrize("fmt, good", [("jsonl", 0), ("jsonl", 100_000), ("ct", 0),
                                       ("ct", 100_000)])
def test_a_url_that_fails_to_read_stops_the_scan_for_resume(pki, paths, tmp_path, capsys,
                                                            monkeypatch, fmt, good):
    """A URL input whose connection fails is not the input's damage (a row
    that would stay for good): the scan stops with one line and the --resume
    hint (exit 1), the rows before it kept; --resume then completes it. At
    the first read (format detection) and after it, for a format read in C
    (jsonl) and one read in Python (CT: it was a damaged row)."""
    import io

    from chainval.scan.formats import input as input_module

    src = tmp_path / f"in.{fmt}"
    if fmt == "ct":
        entries = [ct_entry(pki.ok_chain)] * 10
        src.write_text("".join(json.dumps({"entries": entries}) + "\n" for _ in range(30)))
    else:
        src.write_text(lines(pki, 300))
    assert src.stat().st_size > 2 * good
    url, out = src.as_uri(), tmp_path / "out.jsonl"
    want = scan(capsys, paths, src, "--at", T_ROW).out
    real = input_module.open_input

    class Reset(io.RawIOBase):
        """The first ``good`` bytes of the file, then a connection reset."""

        def __init__(self, raw) -> None:
            self.raw, self.left = raw, good

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            if self.left <= 0:
                raise ConnectionResetError(errno.ECONNRESET, os.strerror(errno.ECONNRESET))
            n = self.raw.readinto(memoryview(b)[:self.left])
            self.left -= n
            return n

    with monkeypatch.context() as m:
        m.setattr(input_module, "open_input", lambda path: Reset(real(path)))
        r = scan(capsys, paths, url, "--at", T_ROW, "-o", out)
    assert r.status == 1 and "Traceback" not in r.err, r.err
    assert f"cannot read {url}: Connection reset by peer" in r.err and "--resume" in r.err
    r = scan(capsys, paths, url, "--at", T_ROW, "-o", out, "--resume")
    assert r.status == 0, r.err
    assert out.read_text() == want


def test_the_engine_that_stops_taking_bytes_at_the_end_is_no_endless_loop(
        pki, paths, tmp_path, capsys, monkeypatch):
    from chainval.scan.engine import Scanner

    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 5) + '{"id": "no newline"')
    real = Scanner.feed_file

    def stuck(self, reader, buf, filled, start, limit, fd, offset, eof):
        # What a reader out of memory could do: take nothing of the last bytes.
        if eof:
            return b"", start, filled, offset, Scanner.FILE_END, 0
        got = real(self, reader, buf, filled, start, limit, fd, offset, eof)
        if got[4] == Scanner.FILE_END:
            return b"", start, got[2], got[3], Scanner.FILE_END, 0
        return got

    monkeypatch.setattr(Scanner, "feed_file", stuck)
    r = scan(capsys, paths, src, "--at", T_ROW)
    assert r.status == 0 and [x["id"] for x in r.rows] == [0, 1, 2, 3, 4, None]
    assert r.rows[-1]["error"] == "the input could not be read past this point"


def test_progress_moves_through_a_file_read_by_the_engine(pki, paths, tmp_path, capsys,
                                                          monkeypatch):
    from chainval.scan.progress import Progress

    big, small = tmp_path / "big.jsonl", tmp_path / "small.jsonl"
    big.write_bytes(_big_jsonl(pki))
    small.write_text(lines(pki, 30))
    seen: list[int] = []
    monkeypatch.setattr(Progress, "update",
                        lambda self, rows, position, force=False: seen.append(position))
    r = scan(capsys, paths, big, small, "--progress", "always", "--batch", "100")
    assert r.status == 0 and len(seen) > 30
    assert seen == sorted(seen), "the position never goes back"
    assert seen[-1] == big.stat().st_size + small.stat().st_size
    assert any(4 << 20 < p < big.stat().st_size - (1 << 20) for p in seen)

    # A file that grows while it is read: read past its first size, never back.
    from chainval.scan.formats import Input

    real = Input.file_rest

    def growing(self):
        rest = real(self)
        if self.path == str(big):
            with open(big, "a") as fh:
                fh.write("\n" + lines(pki, 800))
        return rest

    seen.clear()
    monkeypatch.setattr(Input, "file_rest", growing)
    r = scan(capsys, paths, big, small, "--progress", "always", "--batch", "100")
    assert r.status == 0 and seen == sorted(seen) and seen[-1] > big.stat().st_size - (1 << 20)


def test_output_to_a_device_or_fifo_is_written_directly(pki, paths, tmp_path, capsys):
    """-o /dev/null as root replaced the device with a regular file (OUT.partial
    renamed over it at the end). A FIFO and a character device (a null device
    made in tmp_path, where root may) are written to directly, never renamed
    over, and get no sidecar; --resume refuses them."""
    import stat
    import threading

    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 5))
    fifo = tmp_path / "rows.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = scan(capsys, paths, src, "-o", fifo)
    reader.join(10)
    assert r.status == 0, r.err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and len(got[0].splitlines()) == 5
    # Only the rows went there: no sidecar is claimed.
    assert f"wrote {fifo}\n" in r.err and "meta.json" not in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "rows.fifo"]
    r = scan(capsys, paths, src, "-o", fifo, "--resume")
    assert r.status == 2 and "not a regular file" in r.err
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        return  # not root: the FIFO above is the same code path
    r = scan(capsys, paths, src, "-o", null)
    assert r.status == 0, r.err
    assert stat.S_ISCHR(os.stat(null).st_mode) and not (tmp_path / "null.partial").exists()
    assert not (tmp_path / "null.meta.json").exists()
    # A device that fails a write: one error line, and neither a ".partial" that
    # does not exist ("None is complete up to row ...") nor --resume, which it refuses.
    if os.path.exists("/dev/full"):
        r = scan(capsys, paths, src, "-o", "/dev/full")
        assert r.status == 1 and "cannot write /dev/full" in r.err
        assert "--resume" not in r.err and "None" not in r.err and "Traceback" not in r.err


def test_a_second_ctrl_c_during_a_write_keeps_the_checkpoint_exact(pki, paths, tmp_path,
                                                                   capsys, monkeypatch):
    """The rows of the batch being written when a second Ctrl-C came are on disk:
    the checkpoint must count them, or --resume finds the last row elsewhere
    than the skip says and refuses (found in review)."""
    from chainval.scan import output, progress

    src = tmp_path / "in.jsonl"
    src.write_text(lines(pki, 30))
    ref = tmp_path / "ref.jsonl"
    assert scan(capsys, paths, src, "-o", ref, "--batch", "10").status == 0
    monkeypatch.setattr(output, "CHECKPOINT_SECONDS", 0.0)
    calls = [0]
    real_end = progress.Interrupt.end_write

    def second_ctrl_c(self):
        calls[0] += 1
        if calls[0] == 2:
            self.pending = True  # a second Ctrl-C arrived while the batch was written
        real_end(self)

    monkeypatch.setattr(progress.Interrupt, "end_write", second_ctrl_c)
    out = tmp_path / "out.jsonl"
    r = scan(capsys, paths, src, "-o", out, "--batch", "10")
    assert r.status == 130
    monkeypatch.setattr(progress.Interrupt, "end_write", real_end)
    r = scan(capsys, paths, src, "-o", out, "--batch", "10", "--resume")
    assert r.status == 0, r.err
    assert out.read_bytes() == ref.read_bytes()


def test_a_cr_inside_a_quoted_csv_field_is_kept(pki, paths, tmp_path, capsys):
    """RFC 4180: inside quotes a CR is data. With LF line ends the reader took a
    quoted trailing CR for the CR of a CRLF and dropped it (found in review)."""
    chain = ";".join(b64(d) for d in pki.ok_chain)
    src = tmp_path / "in.csv"
    src.write_bytes(f'chain,host,id\n{chain},www.example.com,"x\r"\n'
                    f'{chain},www.example.com,"y"\r\n{chain},www.example.com,z\r\n'.encode())
    r = scan(capsys, paths, src)
    assert r.status == 0, r.err
    assert [row["id"] for row in r.rows] == ["x\r", "y", "z"]


def test_a_lone_surrogate_escape_is_named(pki, paths, tmp_path, capsys):
    """A JSON string with half a surrogate pair (\\ud800 alone) is not Unicode: the
    row is malformed, and the message says that instead of simdjson's "Problem
    while parsing a string" (issue 12 review leftover). A pair, and an escaped
    backslash before "ud800", are fine."""
    chain = [b64(d) for d in pki.ok_chain]
    lines = ['{"id": "a\\ud800", "chain": %s}' % json.dumps(chain),
             '{"id": "b\\ud83d\\ude00", "chain": %s}' % json.dumps(chain),
             '{"id": "c\\\\ud800", "chain": %s}' % json.dumps(chain)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    rows = scan(capsys, paths, src).rows
    assert rows[0]["code"] == "malformed"
    assert "half a surrogate pair alone" in rows[0]["error"]
    assert rows[1]["id"] == "b\U0001F600" and rows[2]["id"] == "c\\ud800"
    assert rows[1]["code"] != "malformed" and rows[2]["code"] != "malformed"
