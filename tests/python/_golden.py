"""A deterministic scan dataset in every input format, for the golden-file test
(test_scan_golden.py): Ed25519 keys from fixed seeds, fixed serials and validity,
so the certificates, and the rows ``chainval scan`` writes for them, are the same
bytes on every machine. tests/data/scan-golden/ holds the rows the Python scanner
wrote before the C engine replaced it (issue 12); ``python3
tests/python/_golden.py OUTDIR`` writes the inputs (the test writes them too).

Not a test module."""

from __future__ import annotations

import base64
import datetime
import gzip
import json
import struct
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from chainval.testing import PKI, tamper_signature

T_ROW = 1717200000  # 2024-06-01T00:00:00Z
AT = 1719792000     # 2024-07-01T00:00:00Z: --at of the golden runs

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "scan-golden"


def _key(n: int) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


def _utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


def b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


class GoldenPKI:
    """root -> inter -> leaves; other_root -> other_inter -> other_leaf; all
    Ed25519 with fixed keys, serials and dates."""

    def __init__(self) -> None:
        pki = PKI(key_type="ed25519")
        span = {"not_before": _utc(2020, 1, 1), "not_after": _utc(2030, 1, 1)}
        self.root = pki.root("Golden Root", key=_key(1), serial=1, **span)
        self.inter = self.root.intermediate("Golden Int", key=_key(2), serial=2, path_length=0,
                                            **span)
        self.leaf = self.inter.leaf(dns=["www.example.com", "example.com"], key=_key(3),
                                    serial=3, **span)
        self.leaf2 = self.inter.leaf(dns=["api.example.com"], key=_key(4), serial=4, **span)
        self.expired = self.inter.leaf(dns=["www.example.com"], key=_key(5), serial=5,
                                       not_before=_utc(2020, 1, 1),
                                       not_after=_utc(2024, 1, 1))
        self.future = self.inter.leaf(dns=["www.example.com"], key=_key(6), serial=6,
                                      not_before=_utc(2029, 1, 1),
                                      not_after=_utc(2030, 1, 1))
        self.bad_sig = tamper_signature(self.leaf.der)
        self.other_root = pki.root("Golden Other Root", key=_key(7), serial=7, **span)
        self.other_inter = self.other_root.intermediate("Golden Other Int", key=_key(8),
                                                        serial=8, path_length=0, **span)
        self.other_leaf = self.other_inter.leaf(dns=["www.example.com"], key=_key(9), serial=9,
                                                **span)

    def chains(self) -> list[tuple[str, list[bytes]]]:
        """(host, served chain) of every verdict the dataset covers."""
        return [
            ("www.example.com", [self.leaf.der, self.inter.der]),               # ok
            ("www.example.com", [self.leaf.der, self.inter.der, self.root.der]),  # ok, root served
            ("www.example.com", [self.expired.der, self.inter.der]),            # expired
            ("www.example.com", [self.future.der, self.inter.der]),             # not yet valid
            ("www.example.com", [self.leaf2.der, self.inter.der]),              # hostname
            ("www.example.com", [self.bad_sig, self.inter.der]),                # bad signature
            ("www.example.com", [self.other_leaf.der, self.other_inter.der]),   # other root
            ("www.example.com", [self.leaf.der]),                               # pool completes
            ("www.example.com", [self.inter.der, self.leaf.der]),               # order repaired
            ("192.0.2.1", [self.leaf.der, self.inter.der]),                     # an IP
            ("", [self.leaf.der, self.inter.der]),                              # no name
        ]

    def stores(self, d: Path) -> dict[str, Path]:
        d.mkdir(parents=True, exist_ok=True)
        out = {"roots": d / "roots.pem", "other": d / "other.pem", "pool": d / "pool.pem"}
        out["roots"].write_bytes(self.root.pem)
        out["other"].write_bytes(self.other_root.pem)
        out["pool"].write_bytes(self.inter.pem + self.other_inter.pem)
        return out


def _u24(data: bytes) -> bytes:
    return len(data).to_bytes(3, "big") + data


def _ct_entry(ders: list[bytes], stamp_ms: int) -> dict:
    head = bytes([0, 0]) + struct.pack(">Q", stamp_ms)
    leaf = head + struct.pack(">H", 0) + _u24(ders[0]) + b"\x00\x00"
    return {"leaf_input": b64(leaf), "extra_data": b64(_u24(b"".join(_u24(d) for d in ders[1:])))}


def write_inputs(pki: GoldenPKI, d: Path) -> dict[str, Path]:
    """Every input format, each with every verdict and a few damaged records."""
    d.mkdir(parents=True, exist_ok=True)
    chains = pki.chains()
    ok = b64(pki.leaf.der)
    inputs: dict[str, Path] = {}

    lines = [json.dumps({"id": i, "host": h or None, "time": T_ROW + i,
                         "chain": [b64(x) for x in c]}) for i, (h, c) in enumerate(chains)]
    lines += [
        json.dumps({"id": "pem-item", "host": "www.example.com",
                    "chain": [pki.leaf.pem.decode(), b64(pki.inter.der)]}),
        json.dumps({"id": "rfc3339", "host": "www.example.com", "time": "2024-06-01T00:00:00Z",
                    "chain": [ok, b64(pki.inter.der)]}),
        json.dumps({"id": "bad-b64", "host": "www.example.com", "chain": [ok + "!"]}),
        json.dumps({"id": "empty", "chain": []}),
        json.dumps({"id": "no-chain"}),
        '{"id": "cut", "chain": ["AAAA"',
        "",
        json.dumps({"id": "garbage-der", "chain": [b64(b"\x30\x03\x02\x01\x01")]}),
    ]
    inputs["jsonl"] = d / "in.jsonl"
    inputs["jsonl"].write_text("\n".join(lines) + "\n")

    zgrab = []
    for i, (h, c) in enumerate(chains):
        obj: dict = {"ip": "192.0.2.%d" % (i + 1)}
        if h and not h[0].isdigit():
            obj["domain"] = h
        obj["data"] = {"tls": {"status": "success", "timestamp": "2024-06-01T00:00:%02dZ" % i,
                               "result": {"handshake_log": {"server_certificates": {
                                   "certificate": {"raw": b64(c[0]), "parsed": {"v": [1, {"x": 2}]}},
                                   "chain": [{"raw": b64(x)} for x in c[1:]]}}}}}
        zgrab.append(json.dumps(obj))
    zgrab.append(json.dumps({"ip": "192.0.2.99", "data": {"tls": {
        "status": "connection-timeout", "timestamp": "2024-06-01T00:01:00Z", "result": {}}}}))
    inputs["zgrab"] = d / "in.zgrab.json"
    inputs["zgrab"].write_text("\n".join(zgrab) + "\n")

    rows = ["id,host,time,chain"]
    rows += [f"c{i},{h},{T_ROW + i},{';'.join(b64(x) for x in c)}"
             for i, (h, c) in enumerate(chains)]
    rows += [f"bad,www.example.com,,{ok}!", "short,row", f"nochain,www.example.com,{T_ROW},"]
    inputs["csv"] = d / "in.csv"
    inputs["csv"].write_text("\n".join(rows) + "\n")
    inputs["csv_gz"] = d / "in.csv.gz"
    inputs["csv_gz"].write_bytes(gzip.compress(inputs["csv"].read_bytes(), mtime=0))

    entries = [_ct_entry(c, (T_ROW + i) * 1000) for i, (_, c) in enumerate(chains)]
    entries.append({"leaf_input": "!!", "extra_data": ""})
    inputs["ct"] = d / "in.ct.json"
    inputs["ct"].write_text(json.dumps({"entries": entries}, indent=1) + "\n")

    pem_dir = d / "pem"
    pem_dir.mkdir(exist_ok=True)
    for i, (_, c) in enumerate(chains):
        (pem_dir / ("%02d.pem" % i)).write_text("".join(
            "-----BEGIN CERTIFICATE-----\n" + b64(x) + "\n-----END CERTIFICATE-----\n" for x in c))
    (pem_dir / "99-garbage.pem").write_text("not a certificate\n")
    inputs["pem"] = pem_dir

    hosts, certs = [], {}
    import hashlib
    for i, (_, c) in enumerate(chains):
        for der in c:
            sha1 = hashlib.sha1(der).hexdigest()
            certs[sha1] = der
            hosts.append(f"198.51.100.{i + 1},{sha1}")
    hosts.append("198.51.100.200," + "ab" * 20)  # a certificate no certs file has
    inputs["sonar"] = d / "20240601_hosts"
    inputs["sonar"].write_text("\n".join(hosts) + "\n")
    (d / "20240601_certs").write_text("".join(f"{k},{b64(v)}\n" for k, v in sorted(certs.items())))
    return inputs


# The scans the golden files record: (name, input key, extra arguments).
RUNS = [
    ("jsonl", "jsonl", []),
    ("jsonl-csv-out", "jsonl", ["--format", "csv"]),
    ("zgrab", "zgrab", ["--host-from", "ip"]),  # 0.1 checked a zgrab2 record's IP
    ("csv", "csv", []),
    ("csv-gz", "csv_gz", []),
    ("ct", "ct", []),
    ("pem-dir", "pem", []),
    ("sonar", "sonar", []),
]


def scan_args(inputs: dict[str, Path], stores: dict[str, Path], key: str, extra,
              out: Path) -> list[str]:
    args = ["scan", str(inputs[key]), "--roots", str(stores["roots"]),
            "--store", f"other={stores['other']}", "--pool", str(stores["pool"]),
            "-o", str(out), "-q", "--threads", "1"]
    return args + ["--at", str(AT)] + extra


if __name__ == "__main__":  # write the inputs, and (with --golden) the golden rows
    from chainval.cli import main as cli_main

    target = Path(sys.argv[1])
    pki = GoldenPKI()
    inputs = write_inputs(pki, target / "inputs")
    stores = pki.stores(target / "stores")
    if "--golden" in sys.argv:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, key, extra in RUNS:
            out = GOLDEN / (name + (".csv" if extra and "csv" in extra else ".jsonl"))
            status = cli_main(scan_args(inputs, stores, key, extra, out))
            print(name, status, out)
