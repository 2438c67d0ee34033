"""Stapled OCSP responses in scan records (issue 14): a jsonl record's "ocsp" field and a
CSV "ocsp" column (base64 DER OCSPResponse) are checked against the chain, as
`chainval verify --ocsp-response` does; the row gets the flag ocsp_good, ocsp_revoked or
ocsp_unusable, and a revoked leaf is not ok (code "revoked")."""

from __future__ import annotations

import csv
import datetime
import json

import pytest
from cryptography import x509

from chainval.testing import make_ocsp_response, utc

from _scan_support import T_ROW, b64, jsonl_line, paths, pki, read_jsonl, run_cli  # noqa: F401 (fixtures)

DAY = datetime.timedelta(days=1)
NOW = datetime.datetime.fromtimestamp(T_ROW, datetime.timezone.utc)


@pytest.fixture(scope="module")
def staples(pki):
    current = {"this_update": NOW - DAY, "next_update": NOW + 6 * DAY}
    return {
        "good": make_ocsp_response(pki.inter, pki.leaf, **current),
        "revoked": make_ocsp_response(pki.inter, pki.leaf, revoked_at=utc(2024, 5, 1),
                                      reason=x509.ReasonFlags.key_compromise, **current),
        "stale": make_ocsp_response(pki.inter, pki.leaf, this_update=utc(2024, 1, 1),
                                    next_update=utc(2024, 1, 8)),
        "garbage": b"\x30\x03\x0a\x01\x00junk",
    }


def with_ocsp(line: str, value) -> str:
    obj = json.loads(line)
    obj["ocsp"] = value
    return json.dumps(obj)


def scan(capsys, tmp_path, lines, *args):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(line + "\n" for line in lines))
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    r = run_cli(capsys, "scan", src, "-o", out, "--summary", summary, "-q", *args)
    assert r.status == 0, r.err
    return read_jsonl(out), json.loads(summary.read_text())


def test_jsonl_rows_carry_the_staples_verdict(capsys, tmp_path, pki, paths, staples):
    chain = pki.ok_chain
    lines = [with_ocsp(jsonl_line(chain, id=name), b64(der)) for name, der in staples.items()]
    lines.append(jsonl_line(chain, id="none"))
    lines.append(with_ocsp(jsonl_line(chain, id="null"), None))
    lines.append(with_ocsp(jsonl_line(chain, id="empty"), ""))
    rows, summary = scan(capsys, tmp_path, lines, "--roots", paths["roots"])
    by_id = {row["id"]: row for row in rows}
    assert [row["id"] for row in rows] == ["good", "revoked", "stale", "garbage", "none", "null",
                                           "empty"]
    assert by_id["good"]["ok"] and by_id["good"]["flags"] == ["ocsp_good"]
    revoked = by_id["revoked"]
    assert not revoked["ok"] and revoked["code"] == "revoked"
    assert revoked["flags"] == ["ocsp_revoked"]
    assert [r["code"] for r in revoked["reasons"]] == ["revoked"]
    assert "2024-05-01" in revoked["reasons"][0]["message"]
    assert "keyCompromise" in revoked["reasons"][0]["message"]
    assert revoked["stores"]["default"]["code"] == "revoked"
    # An unusable staple is reported and otherwise ignored (docs/api.md says why).
    for name in ("stale", "garbage"):
        assert by_id[name]["ok"] and by_id[name]["flags"] == ["ocsp_unusable"], by_id[name]
    for name in ("none", "null", "empty"):
        assert by_id[name]["ok"] and by_id[name]["flags"] == [], by_id[name]
    assert summary["flags"] == {"ocsp_good": 1, "ocsp_revoked": 1, "ocsp_unusable": 2}
    assert summary["codes"]["revoked"] == 1


def test_a_revoked_staple_does_not_reach_the_same_chain_without_one(capsys, tmp_path, pki,
                                                                     paths, staples):
    """The verdict cache answers the unstapled rows; the stapled one bypasses it both
    ways (a cached ok does not hide the revocation, and the revocation is not cached)."""
    chain = pki.ok_chain
    lines = [jsonl_line(chain, id=1), with_ocsp(jsonl_line(chain, id=2), b64(staples["revoked"])),
             jsonl_line(chain, id=3)]
    rows, _ = scan(capsys, tmp_path, lines, "--roots", paths["roots"], "--batch", "1")
    assert [(row["id"], row["code"]) for row in rows] == [(1, "ok"), (2, "revoked"), (3, "ok")]


def test_staples_stay_with_their_rows_past_records_never_verified(capsys, tmp_path, pki, paths,
                                                                 staples):
    """Malformed records are not items of the engine's batch: the staples of the
    records after them must still go to their own rows."""
    chain = pki.ok_chain
    lines = ["{not json", jsonl_line(chain, id="plain"),
             with_ocsp(jsonl_line([b"not a certificate", pki.inter.der], id="bad"),
                       b64(staples["good"])),
             "[1]", with_ocsp(jsonl_line(chain, id="revoked"), b64(staples["revoked"])),
             jsonl_line(chain, id="plain2"), with_ocsp(jsonl_line(chain, id="good"),
                                                       b64(staples["good"]))]
    rows, _ = scan(capsys, tmp_path, lines, "--roots", paths["roots"])
    got = [(row["id"], row["code"], row["flags"]) for row in rows]
    assert got == [(None, "malformed", []), ("plain", "ok", []), ("bad", "malformed", []),
                   (None, "malformed", []), ("revoked", "revoked", ["ocsp_revoked"]),
                   ("plain2", "ok", []), ("good", "ok", ["ocsp_good"])]


def test_a_staple_over_the_size_limit_is_an_input_error(capsys, tmp_path, pki, paths):
    """libchain bounds a staple like a chain (CHAIN_LIMIT_CHAIN_BYTES, 1 MiB): over
    it, the row is not verified (code input_limit), as for an over-large chain."""
    big = b"\x30\x83" + (2 << 20).to_bytes(3, "big") + b"\x00" * (2 << 20)
    rows, _ = scan(capsys, tmp_path, [with_ocsp(jsonl_line(pki.ok_chain, id="big"), b64(big))],
                   "--roots", paths["roots"])
    assert rows[0]["code"] == "input_limit" and not rows[0]["ok"] and rows[0]["flags"] == []
    assert "stapled OCSP response over the chain size limit" in rows[0]["reasons"][0]["message"]


def test_each_store_checks_the_staple_and_the_flag_is_the_first_stores(capsys, tmp_path, pki,
                                                                       paths, staples):
    line = with_ocsp(jsonl_line(pki.ok_chain, id="r"), b64(staples["revoked"]))
    rows, _ = scan(capsys, tmp_path, [line], "--store", f"a={paths['roots']}",
                   "--store", f"b={paths['other']}")
    row = rows[0]
    assert row["stores"]["a"]["code"] == "revoked" and row["code"] == "revoked"
    assert row["stores"]["b"]["code"] != "ok"
    assert row["flags"] == ["ocsp_revoked"]


@pytest.mark.parametrize("value, words", [
    ("not base64!", "ocsp: "),
    (12, "ocsp: expected a base64 string, got int"),
    (["MII="], "ocsp: expected a base64 string, got list"),
])
def test_an_unreadable_ocsp_field_is_a_malformed_row(capsys, tmp_path, pki, paths, value, words):
    line = with_ocsp(jsonl_line(pki.ok_chain, id="x"), value)
    rows, summary = scan(capsys, tmp_path, [line, jsonl_line(pki.ok_chain, id="y")],
                         "--roots", paths["roots"])
    assert rows[0]["code"] == "malformed" and rows[0]["error"].startswith(words), rows[0]
    assert rows[1]["ok"]
    assert summary["malformed"] == {"ocsp": 1}


def test_csv_input_with_an_ocsp_column_and_csv_output(capsys, tmp_path, pki, paths, staples):
    src = tmp_path / "in.csv"
    chain = ";".join(b64(d) for d in pki.ok_chain)
    src.write_text("id,host,chain,ocsp\n"
                   f"a,www.example.com,{chain},{b64(staples['good'])}\n"
                   f"b,www.example.com,{chain},{b64(staples['revoked'])}\n"
                   f"c,www.example.com,{chain},\n"
                   f"d,www.example.com,{chain},%%%\n")
    out = tmp_path / "out.csv"
    r = run_cli(capsys, "scan", src, "--roots", paths["roots"], "--at", "2024-06-01T00:00:00Z",
                "-o", out, "--format", "csv", "-q")
    assert r.status == 0, r.err

    rows = list(csv.DictReader(out.open(newline="")))
    assert [(row["id"], row["code"], row["flags"]) for row in rows] == [
        ("a", "ok", "ocsp_good"), ("b", "revoked", "ocsp_revoked"), ("c", "ok", ""),
        ("d", "malformed", "")]
    assert rows[3]["error"].startswith("ocsp: ")
