"""chainval scan on the Rapid7 Sonar SSL layout (input format ``sonar``): a hosts or
endpoints file (``ip,sha1hex``) as the input, its certificates from certs files
(``sha1hex,base64der``) loaded into SQLite; chains, malformed rows, detection, the
study time, several certs files, --sonar-db, --resume, and constant memory."""

from __future__ import annotations

import calendar
import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from chainval.scan.formats import Input, detect, detect_format, record, sonar
from chainval.scan.formats.sonar import SonarCerts, certs_siblings, study_time

from _scan_support import (T_LATE, T_ROW, b64, interrupt_after, paths, pki,  # noqa: F401
                           read_jsonl, run_cli)

STUDY = "20240601"  # T_ROW, 2024-06-01T00:00:00Z


def sha1(der: bytes) -> str:
    return hashlib.sha1(der).hexdigest()


def put(path: Path, lines: list[str]) -> Path:
    """Write ``lines``, gzip-compressed when the name ends in .gz."""
    data = ("".join(line + "\n" for line in lines)).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def certs_lines(ders: list[bytes]) -> list[str]:
    return [f"{sha1(d)},{b64(d)}" for d in ders]


def hosts_lines(hosts: list[tuple[str, list[bytes]]]) -> list[str]:
    return [f"{ip},{sha1(d)}" for ip, ders in hosts for d in ders]


def study(pki, d: Path, hosts: list[tuple[str, list[bytes]]], *, prefix=STUDY,
          kind="hosts", gz=".gz", certs=None) -> Path:
    """A hosts file and its sibling certs file (the PKI's certificates by default)."""
    if certs is None:
        certs = [pki.leaf.der, pki.leaf2.der, pki.inter.der, pki.expired.der,
                 pki.short.der, pki.root.der]
    put(d / f"{prefix}_certs{gz}", certs_lines(certs))
    return put(d / f"{prefix}_{kind}{gz}", hosts_lines(hosts))


def scan(capsys, paths, *args, stdin=None):
    extra = [] if "--roots" in args else ["--roots", paths["roots"]]
    return run_cli(capsys, "scan", *args, *extra, "-q", stdin=stdin)


# ---------------------------------------------------------------------------
# Chains and rows


def test_ok_chain_rows_and_pool(pki, paths, tmp_path, capsys, monkeypatch):
    made, mkdtemp = [], tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **kw: made.append(mkdtemp(**kw)) or made[-1])
    hosts = study(pki, tmp_path, [
        ("192.0.2.1", pki.ok_chain),
        ("192.0.2.2", [pki.inter.der, pki.leaf.der]),  # served out of order
        ("2001:db8::7", [pki.leaf2.der, pki.inter.der, pki.root.der]),
        ("192.0.2.3", [pki.leaf.der]),  # without its intermediate
        ("192.0.2.4", [pki.expired.der, pki.inter.der]),
    ])
    summary = tmp_path / "s.json"
    r = scan(capsys, paths, hosts, "--summary", summary)
    assert r.status == 0, r.err
    rows = r.rows
    assert [row["id"] for row in rows] == ["192.0.2.1", "192.0.2.2", "2001:db8::7",
                                           "192.0.2.3", "192.0.2.4"]
    assert [row["line"] for row in rows] == [1, 3, 5, 8, 9]
    assert [row["code"] for row in rows] == ["ok", "ok", "ok", "missing_issuer", "expired"]
    assert all(row["host"] is None and row["time"] == T_ROW for row in rows)
    assert rows[0]["path"] == [pki.leaf.fingerprint, pki.inter.fingerprint,
                               pki.root.fingerprint]
    assert rows[1]["flags"] == ["order_repaired"]
    assert rows[3]["path"] == [pki.leaf.fingerprint]
    s = json.loads(summary.read_text())
    assert s["inputs"] == [{"path": str(hosts), "format": "sonar", "rows": 5}]
    assert len(made) == 1 and not os.path.exists(made[0])  # the temporary database is gone
    rows = scan(capsys, paths, hosts, "--pool", paths["pool"]).rows
    assert [row["code"] for row in rows] == ["ok", "ok", "ok", "ok", "expired"]
    assert rows[3]["flags"] == ["pool_used"]
    assert rows[3]["path"] == [pki.leaf.fingerprint, pki.inter.fingerprint,
                               pki.root.fingerprint]


def test_unknown_hashes_are_malformed_rows_naming_the_first(pki, paths, tmp_path, capsys):
    ghost1, ghost2 = "ab" * 20, "cd" * 20
    hosts = study(pki, tmp_path, [("192.0.2.1", pki.ok_chain)])
    put(hosts, hosts_lines([("192.0.2.1", pki.ok_chain)]) + [
        f"192.0.2.2,{ghost1}",
        f"192.0.2.3,{sha1(pki.leaf.der)}", f"192.0.2.3,{ghost2}", f"192.0.2.3,{ghost1}",
        f"192.0.2.4,{ghost2.upper()}",
    ] + hosts_lines([("192.0.2.5", pki.ok_chain)]))
    rows = scan(capsys, paths, hosts).rows
    assert [row["id"] for row in rows] == ["192.0.2.1", "192.0.2.2", "192.0.2.3",
                                           "192.0.2.4", "192.0.2.5"]
    assert [row["code"] for row in rows] == ["ok", "malformed", "malformed", "malformed", "ok"]
    assert rows[1]["error"] == f"certificate {ghost1} not in the certs files"
    assert rows[2]["error"] == f"certificate {ghost2} not in the certs files"
    assert rows[2]["line"] == 4 and rows[2]["path"] == []
    assert rows[3]["error"] == f"certificate {ghost2} not in the certs files"


def test_without_any_certs_file_the_error_says_so(pki, paths, tmp_path, capsys):
    hosts = put(tmp_path / f"{STUDY}_hosts.gz", hosts_lines([("192.0.2.1", pki.ok_chain)]))
    rows = scan(capsys, paths, hosts).rows
    assert len(rows) == 1 and rows[0]["code"] == "malformed"
    assert f"none was loaded: no {tmp_path / (STUDY + '_certs.gz')}" in rows[0]["error"]
    assert "--sonar-certs" in rows[0]["error"]


def test_garbage_lines_each_give_one_row(pki, paths, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(record, "MAX_RECORD_BYTES", 4096)
    hosts = study(pki, tmp_path, [])
    leaf, inter = sha1(pki.leaf.der), sha1(pki.inter.der)
    lines = [
        f"192.0.2.1,{leaf}", f"192.0.2.1,{inter}",  # 1-2: ok
        "garbage",  # 3
        f"192.0.2.2,{leaf}", "192.0.2.2,not-a-hash", f"192.0.2.2,{inter}",  # 4-6: one record
        f"192.0.2.3,{leaf},extra",  # 7
        "",  # 8: blank, not a record
        f"{leaf},{b64(pki.leaf.der)}",  # 9: a certs-file line
        "x" * 10000,  # 10: too long
        f"192.0.2.4,{leaf}", f"192.0.2.4,{inter}",  # 11-12: ok
        f"999.1.1.1,{leaf}",  # 13: not an IP
    ]
    hosts.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()
                                    + b"\xff\xfe,not utf-8\n" + f"192.0.2.5,{leaf}\n".encode()))
    rows = scan(capsys, paths, hosts).rows
    assert [(row["line"], row["code"]) for row in rows] == [
        (1, "ok"), (3, "malformed"), (4, "malformed"), (7, "malformed"), (9, "malformed"),
        (10, "malformed"), (11, "ok"), (13, "malformed"), (14, "malformed"),
        (15, "missing_issuer")]
    # Lines whose IP cannot be read have no id (null; the line number before 0.2).
    assert [row["id"] for row in rows] == ["192.0.2.1", None, "192.0.2.2", "192.0.2.3", None,
                                           None, "192.0.2.4", None, None, "192.0.2.5"]
    errors = [row["error"] for row in rows]
    assert errors[1] == "not a Sonar hosts line (expected ip,sha1hex)"
    assert errors[2] == "line 5: invalid SHA-1 'not-a-hash' (expected 40 hex digits)"
    assert errors[3] == "line 7: expected 2 fields (ip,sha1hex), got 3"
    assert "a certs-file line? give that file with --sonar-certs" in errors[4]
    assert errors[5] == "line longer than 4096 bytes"
    assert errors[7].startswith("not a Sonar hosts line")
    assert errors[8] == "not UTF-8 text"


def test_a_host_with_too_many_lines_is_one_malformed_row(pki, paths, tmp_path, capsys):
    hosts = study(pki, tmp_path, [])
    many = [("192.0.2.1", [pki.leaf.der] + [pki.inter.der] * 99)]
    limit = [("192.0.2.2", [pki.leaf.der] + [pki.inter.der] * (sonar.MAX_CERTS - 1))]
    put(hosts, hosts_lines(many + limit + [("192.0.2.3", pki.ok_chain)]))
    rows = scan(capsys, paths, hosts).rows
    assert [(row["id"], row["line"]) for row in rows] == [
        ("192.0.2.1", 1), ("192.0.2.2", 101), ("192.0.2.3", 101 + sonar.MAX_CERTS)]
    assert rows[0]["code"] == "malformed"
    assert rows[0]["error"] == f"100 certificates for 192.0.2.1, over the limit of {sonar.MAX_CERTS}"
    assert rows[1]["code"] == "ok"  # exactly the limit: verified
    assert rows[2]["code"] == "ok"


# ---------------------------------------------------------------------------
# Files: gzip or plain, siblings, several certs files, stdin


def test_gzip_and_plain_files_and_siblings(pki, paths, tmp_path, capsys):
    served = [("192.0.2.1", pki.ok_chain)]
    plain = study(pki, tmp_path / "plain", served, gz="")
    assert plain.name == f"{STUDY}_hosts" and (plain.parent / f"{STUDY}_certs").exists()
    packed = study(pki, tmp_path / "gz", served)
    mixed = tmp_path / "mixed"
    put(mixed / "s_certs", certs_lines(pki.ok_chain))  # plain certs beside a gzip hosts file
    put(mixed / "s_endpoints.gz", hosts_lines(served))
    for hosts in (plain, packed, mixed / "s_endpoints.gz"):
        rows = scan(capsys, paths, hosts, "--at", T_ROW).rows
        assert [(row["id"], row["code"]) for row in rows] == [("192.0.2.1", "ok")], hosts
    assert certs_siblings("d/2020-08-17-1597624101_ssl_443_endpoints.gz") == [
        "d/2020-08-17-1597624101_ssl_443_certs.gz", "d/2020-08-17-1597624101_ssl_443_certs"]
    assert certs_siblings("x_hosts") == ["x_certs", "x_certs.gz"]
    assert certs_siblings("x.jsonl") == []


def test_stdin_with_sonar_certs(pki, paths, tmp_path, capsys):
    certs = put(tmp_path / "c.gz", certs_lines(pki.ok_chain))
    data = "\n".join(hosts_lines([("192.0.2.1", pki.ok_chain), ("192.0.2.2", [pki.leaf.der])]))
    for payload in (data.encode(), gzip.compress(data.encode())):
        r = scan(capsys, paths, "-", "--sonar-certs", certs, "--at", T_ROW, stdin=payload)
        assert r.status == 0, r.err
        assert [(row["id"], row["code"], row["time"]) for row in r.rows] == [
            ("192.0.2.1", "ok", T_ROW), ("192.0.2.2", "missing_issuer", T_ROW)]
    rows = scan(capsys, paths, "-", "--sonar-certs", certs, "--input-format", "sonar",
                stdin=data.encode()).rows
    assert rows[0]["code"] == "ok"  # no study time on stdin: verified now
    assert abs(rows[0]["time"] - time.time()) < 600


def test_several_certs_files(pki, paths, tmp_path, capsys):
    """Incremental studies: today's hosts file names certificates that only
    earlier studies' certs files hold."""
    old1 = put(tmp_path / "20240101_certs.gz", certs_lines([pki.inter.der]))
    old2 = put(tmp_path / "old2_certs", certs_lines([pki.leaf2.der]))
    hosts = study(pki, tmp_path, [("192.0.2.1", pki.ok_chain), ("192.0.2.2", [pki.leaf2.der]),
                                  ("192.0.2.3", [pki.leaf2.der, pki.inter.der])],
                  certs=[pki.leaf.der])
    r = scan(capsys, paths, hosts)
    assert [row["code"] for row in r.rows] == ["malformed"] * 3
    assert r.rows[0]["error"] == f"certificate {sha1(pki.inter.der)} not in the certs files"
    r = scan(capsys, paths, hosts, "--sonar-certs", old1, "--sonar-certs", old2)
    assert [row["code"] for row in r.rows] == ["ok", "missing_issuer", "ok"]
    # every sonar input of a scan sees the certificates of all its certs files
    other = put(tmp_path / "other" / "b_hosts", hosts_lines([("192.0.2.9", pki.ok_chain)]))
    r = scan(capsys, paths, other, hosts)
    assert [(row["source"], row["code"]) for row in r.rows] == [
        (str(other), "malformed"), (str(hosts), "malformed"), (str(hosts), "malformed"),
        (str(hosts), "malformed")]
    r = scan(capsys, paths, other, hosts, "--sonar-certs", old1)
    assert [row["code"] for row in r.rows] == ["ok", "ok", "malformed", "malformed"]
    assert scan(capsys, paths, hosts, "--sonar-certs", tmp_path / "missing.gz").status == 2


def test_bad_certs_lines_are_skipped_counted_and_named(pki, paths, tmp_path, capsys):
    wrong = pki.leaf2.der
    lines = certs_lines(pki.ok_chain) + [
        f"{sha1(pki.expired.der)},{b64(wrong)}",  # SHA-1 mismatch
        f"{sha1(pki.short.der)},@@not base64@@",
        "not a certs line",
        f"{sha1(pki.root.der)},",
    ]
    hosts = study(pki, tmp_path, [("192.0.2.1", pki.ok_chain),
                                  ("192.0.2.2", [pki.expired.der, pki.inter.der]),
                                  ("192.0.2.3", [pki.short.der]),
                                  ("192.0.2.4", [wrong])])
    put(tmp_path / f"{STUDY}_certs.gz", lines)
    r = run_cli(capsys, "scan", hosts, "--roots", paths["roots"], "-q")  # warned even with -q
    assert r.status == 0
    assert (f"{STUDY}_certs.gz: 2 certificates loaded, 4 bad lines skipped (first: line 3: "
            f"SHA-1 mismatch: the DER hashes to {sha1(wrong)})") in r.err
    rows = r.rows
    assert [row["code"] for row in rows] == ["ok", "malformed", "malformed", "malformed"]
    assert rows[1]["error"] == (f"certificate {sha1(pki.expired.der)}: its certs-file line was "
                                f"skipped (SHA-1 mismatch: the DER hashes to {sha1(wrong)})")
    assert rows[2]["error"].startswith(f"certificate {sha1(pki.short.der)}: its certs-file "
                                       "line was skipped (certificate: invalid base64")
    assert rows[3]["error"] == f"certificate {sha1(wrong)} not in the certs files"
    r = run_cli(capsys, "scan", hosts, "--roots", paths["roots"])
    assert "2 certificates loaded, 4 bad lines skipped" in r.err


def test_a_truncated_certs_file_keeps_what_was_read(pki, paths, tmp_path, capsys):
    filler = [b"\x30\x82" + os.urandom(1000) for _ in range(400)]  # 560 kB, incompressible
    packed = gzip.compress(("\n".join(certs_lines(pki.ok_chain + filler)) + "\n").encode())
    hosts = put(tmp_path / f"{STUDY}_hosts", hosts_lines([("192.0.2.1", pki.ok_chain),
                                                          ("192.0.2.2", filler[-1:])]))
    (tmp_path / f"{STUDY}_certs").write_bytes(packed[:len(packed) // 2])
    r = run_cli(capsys, "scan", hosts, "--roots", paths["roots"], "-q")  # said even with -q
    assert r.status == 0 and [row["code"] for row in r.rows] == ["ok", "malformed"], r.err
    assert r.rows[1]["error"] == f"certificate {sha1(filler[-1])} not in the certs files"
    assert "; stopped after line" in r.err and "ends inside the compressed stream" in r.err


# ---------------------------------------------------------------------------
# Detection, the certs file as an input, the study time


def test_detection_by_content_and_by_name(pki, paths, tmp_path, capsys):
    leaf = sha1(pki.leaf.der)
    assert detect_format(f"192.0.2.1,{leaf}\n".encode()) == "sonar"
    assert detect_format(f"2001:db8::1,{leaf.upper()}\r\n".encode()) == "sonar"
    assert detect_format(f"0.0.0.1,{leaf}\n".encode()) == "sonar"  # not DER although "0"
    assert detect_format(f"300.0.0.1,{leaf}\n".encode()) is None
    assert detect_format(f"{leaf},{b64(pki.leaf.der)}\n".encode()) is None  # a certs file
    assert detect_format(f"0{leaf[1:]},{b64(pki.leaf.der)}\n".encode(), "x.pem") is None
    assert detect_format(b"garbage\n", "/d/20170904_hosts.gz") == "sonar"
    assert detect_format(b"", "2020-08-17-1597624101_starttls_25_endpoints") == "sonar"
    assert detect_format(b"garbage\n", "x_hosts.txt") is None
    assert detect_format(b'{"chain": ["AA=="]}\n', "x_hosts.gz") == "jsonl"  # content first
    # by content: no telling name, no --input-format
    certs = put(tmp_path / "c.gz", certs_lines(pki.ok_chain))
    data = put(tmp_path / "data.bin", hosts_lines([("192.0.2.1", pki.ok_chain)]))
    rows = scan(capsys, paths, data, "--sonar-certs", certs, "--at", T_ROW).rows
    assert [(row["id"], row["code"]) for row in rows] == [("192.0.2.1", "ok")]
    # by name: the first line is garbage
    hosts = study(pki, tmp_path, [], prefix="2020-08-17-1597624101_ssl_443", kind="endpoints")
    put(hosts, ["junk"] + hosts_lines([("192.0.2.1", pki.ok_chain)]))
    rows = scan(capsys, paths, hosts).rows
    assert [(row["line"], row["code"]) for row in rows] == [(1, "malformed"), (2, "ok")]
    assert rows[1]["time"] == 1597624101


def test_a_certs_file_as_input_is_one_clear_malformed_row(pki, paths, tmp_path, capsys):
    certs = put(tmp_path / f"{STUDY}_certs.gz", certs_lines(pki.ok_chain))
    zero = tmp_path / "zero.txt"  # a hash starting with "0" (0x30, a DER SEQUENCE's byte)
    zero.write_text(f"0{sha1(pki.leaf.der)[1:]},{b64(pki.leaf.der)}\n" * 3)
    empty_name = put(tmp_path / "y_certs", ["???"])
    for args in ([certs], [certs, "--input-format", "sonar"], [zero], [empty_name]):
        r = scan(capsys, paths, *args)
        assert r.status == 0
        assert len(r.rows) == 1 and r.rows[0]["code"] == "malformed", args
        assert r.rows[0]["error"] == detect._SONAR_CERTS_AS_INPUT
    assert "--sonar-certs" in detect._SONAR_CERTS_AS_INPUT


def test_study_time_from_the_file_name(pki, paths, tmp_path, capsys):
    assert study_time("/data/20170904_hosts.gz") == calendar.timegm((2017, 9, 4, 0, 0, 0))
    assert study_time("2020-08-17-1597624101_hosts.gz") == 1597624101
    assert study_time("2020-08-17-1597624101_ssl_443_endpoints.gz") == 1597624101
    assert study_time("2020-08-17_hosts") == calendar.timegm((2020, 8, 17, 0, 0, 0))
    assert study_time("20171340_hosts.gz") is None  # no 13th month
    assert study_time("hosts.gz") is None and study_time("x_123_hosts") is None
    # the row time is the study's: the short leaf (2020..2026) is expired in 2029
    served = [("192.0.2.1", [pki.short.der, pki.inter.der])]
    then = study(pki, tmp_path / "a", served, prefix="20290101")
    rows = scan(capsys, paths, then).rows
    assert (rows[0]["time"], rows[0]["code"]) == (calendar.timegm((2029, 1, 1, 0, 0, 0)),
                                                  "expired")
    now = study(pki, tmp_path / "b", served, prefix="2024-06-01-1717243200")
    rows = scan(capsys, paths, now).rows
    assert (rows[0]["time"], rows[0]["code"]) == (1717243200, "ok")
    rows = scan(capsys, paths, now, "--at", T_LATE).rows  # --at wins
    assert (rows[0]["time"], rows[0]["code"]) == (T_LATE, "expired")


# ---------------------------------------------------------------------------
# --resume, --sonar-db


def test_resume_on_a_sonar_input(pki, paths, tmp_path, capsys, monkeypatch):
    served, extra = [], []
    for i in range(90):
        ip = f"10.0.{i // 250}.{i % 250}"
        served.append((ip, pki.ok_chain if i % 3 else [pki.leaf.der]))
    hosts = study(pki, tmp_path, served)
    lines = hosts_lines(served)
    for k in range(5, len(lines), 23):  # garbage here and there
        lines[k] = "broken line"
        extra.append(k)
    put(hosts, lines)
    full = tmp_path / "full.jsonl"
    assert scan(capsys, paths, hosts, "-o", full, "--batch", "7").status == 0
    rows = read_jsonl(full)
    assert len(rows) > 90 and sum(row["code"] == "malformed" for row in rows) >= len(extra)
    part = tmp_path / "part.jsonl"
    with monkeypatch.context() as m:
        interrupt_after(m, 7)  # six batches of 7 rows written
        assert scan(capsys, paths, hosts, "-o", part, "--batch", "7").status == 130
    summary = tmp_path / "s.json"
    r = scan(capsys, paths, hosts, "-o", part, "--batch", "7", "--resume", "--summary", summary)
    assert r.status == 0, r.err
    assert part.read_text() == full.read_text()
    s = json.loads(summary.read_text())
    assert (s["rows"], s["resumed_rows"], s["scanned"]) == (len(rows), 42, len(rows) - 42)


def test_help_names_the_sonar_options(capsys):
    text = run_cli(capsys, "scan", "--help").out
    for needle in ("--sonar-certs FILE", "--sonar-db PATH", "Rapid7 Sonar SSL", "ct, sonar"):
        assert needle in text


def test_sonar_db_is_kept_and_reused(pki, paths, tmp_path, capsys):
    db = tmp_path / "certs.sqlite"
    hosts = study(pki, tmp_path, [("192.0.2.1", pki.ok_chain)])
    r = run_cli(capsys, "scan", hosts, "--roots", paths["roots"], "--sonar-db", db)
    assert r.rows[0]["code"] == "ok"
    assert f"{STUDY}_certs.gz: 6 certificates loaded" in r.err
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM certs").fetchone()[0] == 6
    r = run_cli(capsys, "scan", hosts, "--roots", paths["roots"], "--sonar-db", db)
    assert r.rows[0]["code"] == "ok"
    sonar = [line for line in r.err.splitlines() if "sonar" in line]
    assert f"already in {db} (6 certificates)" in r.err and not any("loaded" in x for x in sonar)
    alone = put(tmp_path / "later" / "x_hosts", hosts_lines([("192.0.2.1", pki.ok_chain)]))
    assert scan(capsys, paths, alone, "--sonar-db", db).rows[0]["code"] == "ok"
    assert scan(capsys, paths, alone).rows[0]["code"] == "malformed"
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database\n" * 100)
    r = scan(capsys, paths, hosts, "--sonar-db", junk)
    assert r.status == 2 and "Sonar database" in r.err
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE t (x)")
    r = scan(capsys, paths, hosts, "--sonar-db", other)
    assert r.status == 2 and "not a chainval Sonar certificate database" in r.err


# ---------------------------------------------------------------------------
# Constant memory: the certificates live in SQLite, not in Python


def test_lookups_go_through_sqlite_and_the_temporary_db_is_removed(pki, tmp_path):
    certs_file = put(tmp_path / "s_certs.gz", certs_lines(pki.ok_chain))
    db_path = tmp_path / "kept.sqlite"
    certs = SonarCerts(str(db_path))
    certs.add(str(certs_file))
    hashes = [sha1(d) for d in pki.ok_chain]
    assert certs.chain(hashes) == pki.ok_chain
    assert not any(isinstance(v, dict) and v for v in vars(certs).values())
    with sqlite3.connect(db_path) as con:  # behind its back: the next lookup misses
        con.execute("DELETE FROM certs WHERE sha1 = ?", (bytes.fromhex(hashes[1]),))
    with pytest.raises(ValueError, match=f"certificate {hashes[1]} not in the certs files"):
        certs.chain(hashes)
    certs.close()
    assert db_path.exists()
    # the Python API: an Input makes its own temporary database from the sibling
    before = set(os.listdir(tempfile.gettempdir()))
    hosts = put(tmp_path / "s_hosts.gz", hosts_lines([("192.0.2.1", pki.ok_chain)]))
    it = Input(str(hosts)).records()
    rec = next(it)
    made = [d for d in set(os.listdir(tempfile.gettempdir())) - before
            if d.startswith("chainval-sonar-")]
    assert rec.chain == pki.ok_chain and rec.id == "192.0.2.1" and len(made) == 1
    assert os.path.exists(os.path.join(tempfile.gettempdir(), made[0], "certs.sqlite"))
    assert list(it) == []
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), made[0]))


_MEMORY_SCRIPT = r"""
import base64, gzip, hashlib, json, os, resource, sys
from chainval.scan.formats import Input
from chainval.scan.formats.sonar import SonarCerts

n, size, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def der(i):
    return b"\x30\x82" + i.to_bytes(8, "big") + bytes(size)
with gzip.open(os.path.join(d, "big_certs.gz"), "wt", compresslevel=1) as c, \
        gzip.open(os.path.join(d, "big_hosts.gz"), "wt", compresslevel=1) as h:
    for i in range(n):
        x = der(i)
        digest = hashlib.sha1(x).hexdigest()
        c.write(f"{digest},{base64.b64encode(x).decode()}\n")
        h.write(f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255},{digest}\n")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
certs = SonarCerts()
recs = chained = 0
for rec in Input(os.path.join(d, "big_hosts.gz"), sonar_certs=certs).records():
    recs += 1
    chained += rec.chain is not None and len(rec.chain[0]) == size + 10
db = os.path.getsize(os.path.join(certs._handle.tmpdir, "certs.sqlite"))
certs.close()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"records": recs, "chained": chained, "loaded": certs.loaded,
                  "db": db, "growth_kib": after - before}))
"""


def test_memory_does_not_grow_with_the_certs_files(tmp_path):
    n, size = 50_000, 2000  # 100 MB of DER
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(n), str(size),
                          str(tmp_path)], env=env, capture_output=True, text=True,
                         check=True)
    res = json.loads(out.stdout)
    assert res["records"] == res["chained"] == res["loaded"] == n
    assert res["db"] > n * size  # the certificates went to disk ...
    assert res["growth_kib"] < 40 << 10, res  # ... and not into memory (100 MB of DER)


@pytest.mark.parametrize("where", ["mkdtemp", "insert"])
def test_a_full_disk_for_the_certificate_database_stops_the_scan(pki, paths, tmp_path, capsys,
                                                                 monkeypatch, where):
    """The temporary database cannot be made, or written while a certs file
    loads: no fault of the input (each row said 'cannot read the input' or the
    scan ended in a traceback), so the scan stops with one line and the
    --resume hint (exit 1), and --resume completes it once there is room."""
    import errno as errno_

    hosts = study(pki, tmp_path, [("192.0.2.1", pki.ok_chain), ("192.0.2.2", pki.ok_chain)])
    out, want = tmp_path / "out.jsonl", tmp_path / "want.jsonl"
    assert scan(capsys, paths, hosts, "-o", want).status == 0
    with monkeypatch.context() as m:
        if where == "mkdtemp":
            def full(**kw):
                raise OSError(errno_.ENOSPC, os.strerror(errno_.ENOSPC))
            m.setattr(tempfile, "mkdtemp", full)
        else:
            def full(self, db, good, bad):
                raise sqlite3.OperationalError("database or disk is full")
            m.setattr(SonarCerts, "_insert", full)
        r = scan(capsys, paths, hosts, "-o", out)
    assert r.status == 1 and "Traceback" not in r.err, r.err
    why = "No space left on device" if where == "mkdtemp" else "database or disk is full"
    assert f"cannot store the Sonar certificates: {why}" in r.err and "--resume" in r.err
    r = scan(capsys, paths, hosts, "-o", out, "--resume")
    assert r.status == 0, r.err
    assert out.read_text() == want.read_text()
