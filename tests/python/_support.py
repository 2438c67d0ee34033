"""Shared constants and helpers of the chainval test suite (not a test module).

Imported by conftest.py and the test modules as ``_support``; conftest.py puts
this directory on sys.path, so it works with every pytest import mode.
"""

from __future__ import annotations

import base64
import json
import re
import socket
from pathlib import Path

import chainval

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DATA_DIR = REPO / "tests" / "data"
STUB = REPO / "python" / "chainval" / "__init__.pyi"

# Verification time of the committed fixtures and of the generated chains:
# 2030-01-01T00:00:00Z.
T = 1893456000

_PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.S)


def pem_ders(data: bytes | str) -> list[bytes]:
    """The DER payload of every CERTIFICATE block, in order (no validation)."""
    if isinstance(data, str):
        data = data.encode("ascii")
    return [base64.b64decode(b"".join(m.group(1).split())) for m in _PEM_BLOCK.finditer(data)]


def read_data(rel: str) -> bytes:
    return (DATA_DIR / rel).read_bytes()


def load_expected() -> dict:
    with open(DATA_DIR / "expected.json", encoding="utf-8") as f:
        return json.load(f)


# Case "policy" keys that are store contents: crl=<file> is a CRL the C runner
# loads with chain_store_add_crl() (TrustStore.add_crl() in Python).
STORE_KEYS = {"crl", "distrust"}  # distrust=<sha256>@<unix>: TrustStore.distrust_after()


def policy_kwargs_from_case(spec: dict, default_time: int = T) -> dict:
    """Map a case's policy dict (tests/data/README.md) onto Policy keywords.

    The fixtures' purpose default is "any" (the C default), the Python default
    is "server": the mapping sets it explicitly. ``limit_X`` is ``max_X`` and
    ``time`` is ``at``.
    """
    kw: dict = {"purpose": "any", "at": default_time}
    for key, value in spec.items():
        if key in STORE_KEYS:
            continue  # loaded into the trust store, not a Policy field
        if key == "time":
            kw["at"] = value
        elif key.startswith("limit_"):
            kw["max_" + key[len("limit_"):]] = value
        else:
            kw[key] = value
    return kw


def policy_from_case(spec: dict, default_time: int = T) -> chainval.Policy:
    return chainval.Policy(**policy_kwargs_from_case(spec, default_time))


def problem_key(p) -> tuple:
    return (p.code, p.depth, p.message, p.input_index)


def result_key(r) -> tuple:
    """Everything observable about a Result that must not depend on how it was made."""
    return (r.ok, bool(r), r.code, tuple(problem_key(p) for p in r.reasons),
            tuple(r.chain), r.anchored, r.time, r.order_repaired, r.error_message,
            tuple((c.subject, c.issuer, c.serial, c.source, c.fingerprint_sha256)
                  for c in r.certificates))


def verify_or_malformed(chain, **kwargs):
    """``chainval.verify``, with a ParseError mapped to the string "malformed"
    (what verify_many reports instead of raising)."""
    try:
        return chainval.verify(chain, **kwargs)
    except chainval.ParseError:
        return "malformed"


# ---------------------------------------------------------------------------
# A generated corpus for verify_many (built once per session by conftest.py)

GARBAGE_DER = b"\x30\x03\x02\x01\x00"  # a DER SEQUENCE that is not a certificate

# label -> the primary code every chain of that kind must get
CORPUS_CODES = {
    "valid": "ok",
    "valid+root": "ok",
    "expired": "expired",
    "not_yet_valid": "not_yet_valid",
    "wrong_host": "hostname_mismatch",
    "missing_intermediate": "missing_issuer",
    "bad_signature": "bad_signature",
    "untrusted": "untrusted_root",
    "malformed": "malformed",
}

CORPUS_WEIGHTS = {
    "valid": 45, "valid+root": 8, "expired": 9, "not_yet_valid": 4, "wrong_host": 9,
    "missing_intermediate": 8, "bad_signature": 8, "untrusted": 4, "malformed": 5,
}


class Corpus:
    """``n`` chains for verify_many, with a handful of reused keys.

    Two hierarchies in the store (RSA-2048 and P-256 roots, one intermediate
    each) and one that is not (for untrusted_root). Items are chains in every
    accepted form (DER list, PEM bytes/str list, PEM bundle bytes/str), about
    half of them as (chain, Policy) tuples with the leaf's hostname; the rest
    use the batch policy ``self.policy`` (server purpose, no hostname, at T).
    ``labels[i]`` is the kind of item i (CORPUS_CODES gives its expected code).
    """

    def __init__(self, n: int = 3000, seed: int = 20300101) -> None:
        import random

        from chainval.testing import PKI, der_to_pem, generate_key, tamper_signature, utc

        rng = random.Random(seed)
        rsa = PKI(key_type="rsa2048")
        ec = PKI(key_type="p256")
        self.root_rsa = rsa.root("Corpus Root RSA")
        self.int_rsa = self.root_rsa.intermediate("Corpus Int RSA", path_length=0)
        self.root_ec = ec.root("Corpus Root EC")
        self.int_ec = self.root_ec.intermediate("Corpus Int EC", path_length=0)
        self.root_other = ec.root("Corpus Root Untrusted")
        self.int_other = self.root_other.intermediate("Corpus Int Untrusted", path_length=0)
        keys = [generate_key("p256") for _ in range(3)] + [generate_key("rsa2048")]
        self.store_pem = self.root_rsa.pem + self.root_ec.pem
        self.pool_ders = [self.int_rsa.der, self.int_ec.der]
        self.policy = chainval.Policy(at=T)
        self.items: list = []
        self.labels: list[str] = []
        kinds = list(CORPUS_WEIGHTS)
        weights = [CORPUS_WEIGHTS[k] for k in kinds]

        for i in range(n):
            kind = rng.choices(kinds, weights)[0]
            host = f"h{i}.example.com"
            issuer, root = ((self.int_rsa, self.root_rsa) if rng.random() < 0.6
                            else (self.int_ec, self.root_ec))
            if kind == "untrusted":
                issuer, root = self.int_other, self.root_other
            opts = {}
            if kind == "expired":
                opts = {"not_before": utc(2025), "not_after": utc(2029, 6, 1)}
            elif kind == "not_yet_valid":
                opts = {"not_before": utc(2031), "not_after": utc(2032)}
            leaf = issuer.leaf(dns=[host], key=rng.choice(keys), **opts).der
            if kind == "bad_signature":
                leaf = tamper_signature(leaf)
            ders = [leaf, issuer.der]
            if kind in ("valid+root", "untrusted"):
                ders.append(root.der)
            elif kind == "missing_intermediate":
                ders = [leaf]
            elif kind == "malformed":
                where = rng.randrange(len(ders) + 1)
                ders.insert(where, rng.choice([GARBAGE_DER, leaf + b"\x00", leaf[:-3],
                                               b"\x30\x80\x00\x00"]))
            chain = self._encode(rng, ders, der_to_pem)
            if kind == "malformed" and rng.random() < 0.2:
                chain = rng.choice([b"", "", b"junk", "no PEM here", GARBAGE_DER])
            if kind == "wrong_host":
                item = (chain, chainval.Policy(hostname=f"other{i}.example.net", at=T))
            elif rng.random() < 0.5:
                item = (chain, chainval.Policy(hostname=host, at=T))
            else:
                item = chain
            self.items.append(item)
            self.labels.append(kind)

    @staticmethod
    def _encode(rng, ders, der_to_pem):
        form = rng.choice(["der", "pem", "pem-str", "bundle", "bundle-str", "mixed"])
        if form == "der":
            return list(ders)
        if form == "pem":
            return [der_to_pem(d) for d in ders]
        if form == "pem-str":
            return [der_to_pem(d).decode() for d in ders]
        if form == "bundle":
            return b"".join(der_to_pem(d) for d in ders)
        if form == "bundle-str":
            return b"".join(der_to_pem(d) for d in ders).decode()
        return [d if j % 2 == 0 else der_to_pem(d).decode() for j, d in enumerate(ders)]

    def store(self) -> chainval.TrustStore:
        return chainval.TrustStore.from_pem(self.store_pem)

    def split(self, item):
        """(chain, policy) of an item, with the batch policy for a bare chain."""
        if isinstance(item, tuple):
            return item
        return item, self.policy

    def verify_each(self, store, intermediates=None) -> list:
        """verify() one by one; "malformed" where it raises ParseError."""
        out = []
        for item in self.items:
            chain, policy = self.split(item)
            out.append(verify_or_malformed(chain, store=store, policy=policy,
                                           intermediates=intermediates))
        return out


def free_port() -> int:
    """A TCP port on loopback nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
