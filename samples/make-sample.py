#!/usr/bin/env python3
"""Generate the sample dataset of ``chainval scan`` (samples/).

    PYTHONPATH=build/python python3 samples/make-sample.py [--rows 3000] [--out samples]

Writes, in the output directory:

* ``sample.jsonl.gz``: served chains as JSONL (``{"id", "host", "time", "chain"}``), each
  with its own observation time in 2025 (unix seconds or RFC 3339), mostly valid, with
  expired and not-yet-valid leaves, wrong hosts, missing intermediates (most of them
  in the pool), self-signed leaves, a private hierarchy, intermediates served first,
  tampered signatures, and a few garbage lines;
* ``roots.pem``: the two trusted roots;
* ``pool.pem``: intermediates that complete most missing-intermediate chains;
* ``expected.json``: the code every kind of row must get, counted: ``codes`` for the scan
  with ``--pool samples/pool.pem`` (what scripts/main.sh runs), ``codes_without_pool``,
  ``flags`` and ``verdicts`` (with the pool).

Everything is derived from ``--seed``: the choices, the names, the times, the keys
(EC keys from seeded scalars, RSA keys from seeded primes) and the serial numbers;
ECDSA signatures are re-made deterministically (RFC 6979) and RSA PKCS#1 v1.5 ones
are deterministic, so the same seed gives byte-identical files. The certificates
are built with chainval.testing.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import gzip
import json
import os
import random
import sys
from collections import Counter

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from chainval.testing import CA, PKI, encode_tlv, pem_bundle, tamper_signature, utc

# kind -> (weight, code with the pool, code without the pool, flags with the pool)
KINDS = {
    "valid":               (700, "ok", "ok", ()),
    "valid_with_root":     (50, "ok", "ok", ()),
    "wildcard":            (40, "ok", "ok", ()),
    "expired":             (55, "expired", "expired", ("valid_apart_from_expiry",)),
    "not_yet_valid":       (10, "not_yet_valid", "not_yet_valid", ("valid_apart_from_expiry",)),
    "wrong_host":          (45, "hostname_mismatch", "hostname_mismatch", ()),
    "missing_int_in_pool": (35, "ok", "missing_issuer", ("pool_used",)),
    "missing_int":         (8, "missing_issuer", "missing_issuer", ()),
    "self_signed":         (18, "untrusted_root", "untrusted_root", ()),
    "private_root":        (12, "untrusted_root", "untrusted_root", ()),
    "intermediate_first":  (15, "ok", "ok", ("order_repaired",)),
    "bad_signature":       (5, "bad_signature", "bad_signature", ()),
    "garbage":             (7, "malformed", "malformed", ()),
}

WORDS = ["acme", "blue", "cedar", "delta", "ember", "fjord", "globe", "harbor", "iris",
         "juniper", "kestrel", "lumen", "maple", "nimbus", "onyx", "pixel", "quartz",
         "river", "summit", "tundra", "umbra", "vertex", "willow", "xenon", "yonder", "zephyr"]
SUBS = ["www", "www", "www", "api", "mail", "shop", "cdn", "login", "app", "static"]
TLDS = ["example", "example", "example.com", "example.net", "example.org", "test"]
DAY = 86400


# ---------------------------------------------------------------------------
# Deterministic keys and signatures


def ec_key(rng: random.Random) -> ec.EllipticCurvePrivateKey:
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 order
    return ec.derive_private_key(rng.randrange(1, n), ec.SECP256R1())


def _probable_prime(n: int, rng: random.Random) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def rsa_key(rng: random.Random, bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA key from seeded primes (e = 65537)."""
    e = 65537

    def prime() -> int:
        while True:
            c = rng.getrandbits(bits // 2) | (3 << (bits // 2 - 2)) | 1
            if (c - 1) % e and _probable_prime(c, rng):
                return c

    while True:
        p, q = prime(), prime()
        if p != q:
            break
    if p < q:
        p, q = q, p
    phi = (p - 1) * (q - 1)
    d = pow(e, -1, phi)
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p),
                                    rsa.RSAPublicNumbers(e, p * q))
    return numbers.private_key()


def _der_children(der: bytes) -> list[bytes]:
    """The elements of the outer SEQUENCE of ``der`` (short or long lengths)."""
    def tlv(pos: int) -> tuple[int, int]:
        first = der[pos + 1]
        if first < 0x80:
            return pos + 2, pos + 2 + first
        n = first & 0x7F
        start = pos + 2 + n
        return start, start + int.from_bytes(der[pos + 2:pos + 2 + n], "big")
    start, end = tlv(0)
    out, pos = [], start
    while pos < end:
        _, e = tlv(pos)
        out.append(der[pos:e])
        pos = e
    return out


def deterministic(cert: x509.Certificate, issuer_key) -> x509.Certificate:
    """``cert`` re-signed by ``issuer_key`` with a deterministic signature."""
    tbs, alg, _ = _der_children(cert.public_bytes(Encoding.DER))
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        sig = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    else:
        sig = issuer_key.sign(tbs, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return x509.load_der_x509_certificate(
        encode_tlv(0x30, tbs + alg + encode_tlv(0x03, b"\x00" + sig)))


def name(cn: str, org: str, country: str | None = "US") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)] if country else []
    attrs += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
              x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    return x509.Name(attrs)


class Sample:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.serial = lambda: rng.getrandbits(127) | (1 << 120)
        pki = PKI(not_before=utc(2020), not_after=utc(2040))
        self.pki = pki

        def root(name, key):
            ca = pki.root(name, key=key, serial=self.serial())
            ca.cert = deterministic(ca.cert, ca.key)
            return ca

        def inter(parent, name, key, **kw):
            ca = parent.intermediate(name, key=key, path_length=0, serial=self.serial(),
                                     not_before=utc(2023), not_after=utc(2030), **kw)
            ca.cert = deterministic(ca.cert, parent.key)
            return ca

        samples = "Chainval Samples"
        self.root_r1 = root(name("Sample Root R1", samples), rsa_key(rng))
        self.root_e1 = root(name("Sample Root E1", samples), ec_key(rng))
        self.root_corp = root(name("Internal Corp Root", "Example Corp", None), ec_key(rng))
        self.int_rsa = inter(self.root_r1, name("Sample RSA TLS CA 2025", samples), rsa_key(rng))
        self.int_ecc = inter(self.root_e1, name("Sample ECC TLS CA 2025", samples), ec_key(rng))
        self.int_ecc_b = inter(self.root_e1, name("Sample ECC TLS CA 2025 B", samples),
                               ec_key(rng))
        self.int_hidden = inter(self.root_e1, name("Sample Unpublished CA", samples),
                                ec_key(rng))
        self.int_corp = inter(self.root_corp, name("Internal Corp Issuing CA", "Example Corp",
                                                   None), ec_key(rng))
        self.leaf_keys = [ec_key(rng) for _ in range(24)] + [rsa_key(rng)]

    def leaf(self, issuer: CA, dns: list[str], nb: int, na: int) -> bytes:
        rng = self.rng
        key = rng.choice(self.leaf_keys)
        cert = issuer.leaf(dns=dns, key=key, serial=self.serial(),
                           not_before=_dt(nb), not_after=_dt(na))
        return deterministic(cert.cert, issuer.key).public_bytes(Encoding.DER)

    def self_signed(self, dns: list[str], nb: int, na: int) -> bytes:
        key = self.rng.choice(self.leaf_keys)
        cert = self.pki.self_signed(dns=dns, key=key, serial=self.serial(),
                                    not_before=_dt(nb), not_after=_dt(na))
        return deterministic(cert.cert, key).public_bytes(Encoding.DER)


def _dt(t: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def _rfc3339(t: int) -> str:
    return _dt(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


# ---------------------------------------------------------------------------


def generate(rows: int, seed: int) -> tuple[list[str], Sample, list[str]]:
    s = Sample(seed)
    rng = s.rng
    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    t0, t1 = int(utc(2025, 1, 1).timestamp()), int(utc(2025, 7, 1).timestamp())
    lines, labels = [], []
    for n in range(1, rows + 1):
        kind = rng.choices(kinds, weights)[0]
        brand = f"{rng.choice(WORDS)}{rng.choice(['', '-', ''])}{rng.choice(WORDS)}" \
                f"{rng.randrange(1, 999)}.{rng.choice(TLDS)}"
        host = f"{rng.choice(SUBS)}.{brand}"
        obs = rng.randrange(t0, t1)
        if rng.random() < 0.8:  # 90-day certificates, else one year
            nb = obs - rng.randrange(1, 80) * DAY - rng.randrange(DAY)
            na = nb + 90 * DAY
        else:
            nb = obs - rng.randrange(1, 300) * DAY - rng.randrange(DAY)
            na = nb + 365 * DAY
        u = rng.random()
        issuer = s.int_ecc if u < 0.55 else s.int_ecc_b if u < 0.85 else s.int_rsa
        root = s.root_r1 if issuer is s.int_rsa else s.root_e1
        dns = [host, brand] if host.startswith("www.") else [host]
        record_id = f"s{n:05d}"
        if kind == "garbage":
            lines.append(_garbage(rng, record_id, host, obs))
            labels.append(kind)
            continue
        if kind == "expired":
            na = obs - rng.randrange(1, 200) * DAY
            nb = na - 90 * DAY
        elif kind == "not_yet_valid":
            nb = obs + rng.randrange(1, 10) * DAY
            na = nb + 90 * DAY
        if kind == "wildcard":
            dns = [f"*.{brand}", brand]
        if kind == "missing_int":
            issuer = s.int_hidden
        if kind == "private_root":
            issuer, root = s.int_corp, s.root_corp
        if kind == "missing_int_in_pool":
            issuer = s.int_ecc_b
        if kind == "self_signed":
            chain = [s.self_signed(dns, nb, na)]
        else:
            leaf = s.leaf(issuer, dns, nb, na)
            if kind == "bad_signature":
                leaf = tamper_signature(leaf)
            chain = [leaf, issuer.der]
            if kind in ("valid_with_root", "private_root"):
                chain.append(root.der)
            elif kind in ("missing_int", "missing_int_in_pool"):
                chain = [leaf]
            elif kind == "intermediate_first":
                chain = [issuer.der, leaf]
        if kind == "wrong_host":
            other = f"{rng.choice(SUBS)}.{rng.choice(WORDS)}{rng.randrange(1, 999)}.example"
            while other in dns:
                other = "x" + other
            host = other
        t = obs if rng.random() < 0.5 else _rfc3339(obs)
        lines.append(json.dumps({"id": record_id, "host": host, "time": t,
                                 "chain": [_b64(d) for d in chain]}, separators=(",", ":")))
        labels.append(kind)
    return lines, s, labels


def _garbage(rng: random.Random, record_id: str, host: str, obs: int) -> str:
    choice = rng.randrange(6)
    if choice == 0:
        return "this line is not JSON"
    if choice == 1:
        return f'{{"id":"{record_id}","host":"{host}","time":{obs},"chain":["MIIB'  # cut
    if choice == 2:
        return json.dumps({"id": record_id, "host": host, "time": obs, "chain": ["@@not base64@@"]})
    if choice == 3:
        return json.dumps({"id": record_id, "host": host, "time": obs})  # no chain
    if choice == 4:  # decodes, but is not a certificate: libchain says malformed
        return json.dumps({"id": record_id, "host": host, "time": obs,
                           "chain": [_b64(b"\x30\x03\x02\x01\x00")]})
    return json.dumps([record_id, host, obs])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20250601)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args(argv)
    lines, s, labels = generate(args.rows, args.seed)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "sample.jsonl.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(("\n".join(lines) + "\n").encode("ascii"))
    with open(os.path.join(args.out, "roots.pem"), "wb") as f:
        f.write(pem_bundle(s.root_r1, s.root_e1))
    with open(os.path.join(args.out, "pool.pem"), "wb") as f:
        f.write(pem_bundle(s.int_ecc_b, s.int_ecc, s.int_rsa))
    kinds = Counter(labels)
    codes, codes_np, flags, verdicts = Counter(), Counter(), Counter(), Counter()
    for kind, n in kinds.items():
        _, code, code_np, fl = KINDS[kind]
        codes[code] += n
        codes_np[code_np] += n
        for f in fl:
            flags[f] += n
        verdicts["ok" if code == "ok" else "malformed" if code == "malformed" else "failed"] += n
    expected = {
        "rows": len(lines),
        "seed": args.seed,
        "command": "chainval scan samples/sample.jsonl.gz --roots samples/roots.pem "
                   "--pool samples/pool.pem",
        "codes": dict(sorted(codes.items())),
        "codes_without_pool": dict(sorted(codes_np.items())),
        "flags": dict(sorted(flags.items())),
        "verdicts": dict(sorted(verdicts.items())),
        "kinds": dict(sorted(kinds.items())),
    }
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")
    size = os.path.getsize(os.path.join(args.out, "sample.jsonl.gz"))
    print(f"{len(lines)} rows, sample.jsonl.gz {size} bytes; codes {dict(codes)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
