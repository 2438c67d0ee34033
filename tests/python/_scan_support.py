"""Helpers of test_scan.py and test_scan_sonar.py: a small PKI (and the ``pki`` and
``paths`` fixtures, which a test module imports), input writers for every format of
``chainval scan``, and a runner for ``chainval.cli.main`` (not a test module)."""

from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import Path

import pytest
from cryptography import x509

from chainval.testing import PKI, pem_bundle, tamper_signature, utc

# 2024-06-01T00:00:00Z: row times in the tests; the expired leaf ends 2024-01-01.
T_ROW = 1717200000
T_LATE = 1893456000  # 2030-01-01


def b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


class ScanPKI:
    """root -> inter -> leaves (www.example.com), and an unrelated other_root ->
    other_inter -> other_leaf. Valid 2020..2099 unless said otherwise."""

    def __init__(self) -> None:
        pki = PKI()
        self.root = pki.root("Scan Test Root")
        self.inter = self.root.intermediate("Scan Test Int", path_length=0)
        self.leaf = self.inter.leaf(dns=["www.example.com"])
        self.leaf2 = self.inter.leaf(dns=["api.example.com"])
        self.expired = self.inter.leaf(dns=["www.example.com"], not_before=utc(2020),
                                       not_after=utc(2024))
        self.short = self.inter.leaf(dns=["www.example.com"], not_before=utc(2020),
                                     not_after=utc(2026))  # valid at T_ROW, expired at T_LATE
        self.precert = self.inter.leaf(dns=["ct.example.com"],
                                       extensions=[(x509.PrecertPoison(), True)])
        self.bad_sig = tamper_signature(self.leaf.der)
        self.other_root = pki.root("Scan Other Root")
        self.other_inter = self.other_root.intermediate("Scan Other Int", path_length=0)
        self.other_leaf = self.other_inter.leaf(dns=["www.example.com"])

    @property
    def ok_chain(self) -> list[bytes]:
        return [self.leaf.der, self.inter.der]

    def write_stores(self, d: Path) -> dict[str, Path]:
        d.mkdir(parents=True, exist_ok=True)
        paths = {
            "roots": d / "roots.pem",
            "other": d / "other.pem",
            "both": d / "both.pem",
            "pool": d / "pool.pem",
        }
        paths["roots"].write_bytes(self.root.pem)
        paths["other"].write_bytes(self.other_root.pem)
        paths["both"].write_bytes(self.root.pem + self.other_root.pem)
        paths["pool"].write_bytes(pem_bundle(self.inter, self.other_inter))
        return paths


@pytest.fixture(scope="module")
def pki() -> ScanPKI:
    return ScanPKI()


@pytest.fixture(scope="module")
def paths(pki, tmp_path_factory) -> dict[str, Path]:
    """The stores and the pool of ``pki``, as PEM files."""
    return pki.write_stores(tmp_path_factory.mktemp("stores"))


def jsonl_line(ders, *, id=None, host="www.example.com", time=T_ROW) -> str:
    obj: dict = {}
    if id is not None:
        obj["id"] = id
    if host is not None:
        obj["host"] = host
    if time is not None:
        obj["time"] = time
    obj["chain"] = [b64(d) for d in ders]
    return json.dumps(obj)


def csv_line(id, host, ders) -> str:
    return f"{id},{host or ''},{';'.join(b64(d) for d in ders)}"


def zgrab_line(ders, *, domain=None, ip="192.0.2.1", timestamp="2024-06-01T00:00:00Z",
               status="success") -> str:
    result: dict = {}
    if ders:
        result = {"handshake_log": {"server_certificates": {
            "certificate": {"raw": b64(ders[0]), "parsed": {"version": 3}},
            "chain": [{"raw": b64(d)} for d in ders[1:]]}}}
    obj: dict = {"ip": ip}
    if domain:
        obj["domain"] = domain
    obj["data"] = {"tls": {"status": status, "protocol": "tls", "result": result,
                           "timestamp": timestamp}}
    return json.dumps(obj)


def _u24(data: bytes) -> bytes:
    return len(data).to_bytes(3, "big") + data


def ct_entry(ders: list[bytes], *, timestamp_ms: int = T_ROW * 1000,
             precert: bool = False) -> dict:
    """A get-entries entry (RFC 6962 MerkleTreeLeaf + extra_data) for ``ders``."""
    head = bytes([0, 0]) + struct.pack(">Q", timestamp_ms)
    chain = _u24(b"".join(_u24(d) for d in ders[1:]))
    if precert:
        # issuer_key_hash + a TBSCertificate stand-in: scan takes the pre-certificate
        # from extra_data, as CT monitors do.
        leaf = head + struct.pack(">H", 1) + b"\x11" * 32 + _u24(b"\x30\x00") + b"\x00\x00"
        extra = _u24(ders[0]) + chain
    else:
        leaf = head + struct.pack(">H", 0) + _u24(ders[0]) + b"\x00\x00"
        extra = chain
    return {"leaf_input": b64(leaf), "extra_data": b64(extra)}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Run:
    """The outcome of one in-process ``chainval`` command."""

    def __init__(self, status: int, out: str, err: str) -> None:
        self.status = status
        self.out = out
        self.err = err

    @property
    def rows(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def run_cli(capsys, *args, stdin: bytes | None = None) -> Run:
    from chainval.cli import main

    capsys.readouterr()
    status = main([str(a) for a in args],
                  stdin=io.BytesIO(stdin) if stdin is not None else None)
    captured = capsys.readouterr()
    return Run(status, captured.out, captured.err)


def interrupt_after(monkeypatch, calls: int) -> None:
    """Stop the next scans as a second Ctrl-C would (KeyboardInterrupt) on the
    ``calls``-th call of the engine (Scanner.feed, feed_file or run): the rows of
    the batches before it are written, that batch's are not."""
    from chainval.scan.engine import Scanner

    count = [0]

    def hook(real):
        def call(self, *args, **kwargs):
            count[0] += 1
            if count[0] == calls:
                raise KeyboardInterrupt
            return real(self, *args, **kwargs)
        return call

    monkeypatch.setattr(Scanner, "feed", hook(Scanner.feed))
    monkeypatch.setattr(Scanner, "feed_file", hook(Scanner.feed_file))
    monkeypatch.setattr(Scanner, "run", hook(Scanner.run))
