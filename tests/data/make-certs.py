#!/usr/bin/env python3
"""Regenerate libchain's test fixtures.

    python3 tests/data/make-certs.py

rewrites every PEM file under tests/data/pki/ and the two case indexes
tests/data/cases.tsv and tests/data/expected.json, all from the CASES list
built below with python/chainval/testing.py. Keys are random, so every run changes
every file; the outputs are committed and never edited by hand.

Every case is verified at T = 1893456000 (2030-01-01T00:00:00Z) unless its
policy says time=...
"""

from __future__ import annotations

import datetime
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _factory import factory  # noqa: E402  (chainval.testing, by path)

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from cryptography.x509.oid import ObjectIdentifier  # noqa: E402

PKI, CA, Cert = factory.PKI, factory.CA, factory.Cert
der_of, der_to_pem, tamper_signature, utc = (
    factory.der_of, factory.der_to_pem, factory.tamper_signature, factory.utc)

T = 1893456000  # 2030-01-01T00:00:00Z
assert utc(2030).timestamp() == T

PKI_DIR = HERE / "pki"

REASONS = (
    "ok", "expired", "not_yet_valid", "missing_issuer", "untrusted_root", "not_ca",
    "path_length", "key_usage", "name_constraints", "bad_signature",
    "insecure_algorithm", "hostname_mismatch", "purpose_mismatch", "depth_exceeded",
    "budget_exceeded", "input_limit", "malformed", "unknown_critical_extension",
    "nonconforming", "revoked", "revocation_unknown", "distrusted",
)
# Policy keys and how their values are typed in expected.json.
INT_KEYS = {"time", "max_depth", "min_rsa_bits", "limit_certs", "limit_sig_checks",
            "limit_candidates", "limit_chain_bytes", "limit_cert_bytes"}
FLAG_KEYS = {"partial_chain", "cn_fallback", "allow_sha1", "repair_order", "precertificate"}
# Switches that are on by default: given only to turn them off (written as 0).
OFF_KEYS = {"strict"}
# crl: a CRL file added to the store; distrust: "<anchor sha256 hex>@<unix>" (distrust-after)
STR_KEYS = {"hostname", "ip", "purpose", "crl", "distrust"}

CertLike = Union[Cert, x509.Certificate, bytes]


@dataclass
class Case:
    name: str
    store: list[str]
    chain: str
    pool: list[str] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    code: str = "ok"
    reasons: list[tuple[str, int]] = field(default_factory=list)
    path_len: Optional[int] = None

    def check(self) -> None:
        assert self.code in REASONS, self.code
        assert self.ok == (self.code == "ok"), self.name
        assert (self.path_len is not None) == self.ok, self.name
        assert not (self.ok and self.reasons), self.name
        for code, depth in self.reasons:
            assert code in REASONS and code != "ok" and depth >= -1, self.name
        for key, value in self.policy.items():
            if key in INT_KEYS:
                assert isinstance(value, int) and not isinstance(value, bool), (self.name, key)
            elif key in FLAG_KEYS:
                assert value is True, (self.name, key)
            elif key in OFF_KEYS:
                assert value is False, (self.name, key)
            else:
                assert key in STR_KEYS and isinstance(value, str), (self.name, key)
        for path in [*self.store, self.chain, *self.pool]:
            assert (HERE / path).is_file(), (self.name, path)


class Fixtures:
    """Writes PEM files under tests/data/pki/ and collects the cases."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.files: dict[str, bytes] = {}
        self.cases: list[Case] = []

    def write(self, filename: str, *items: Union[CertLike, "Raw"]) -> str:
        """Write a PEM bundle (in the given order); return its path relative
        to tests/data."""
        assert filename not in self.files, filename
        data = b"".join(i.pem if isinstance(i, Raw) else der_to_pem(der_of(i)) for i in items)
        self.files[filename] = data
        return f"{self.dir.name}/{filename}"

    def case(self, name: str, store: Union[str, list[str]], chain: str, *,
             pool: Union[str, list[str], None] = None, ok: bool = True,
             code: str = "ok", reasons: Optional[list[tuple[str, int]]] = None,
             path_len: Optional[int] = None, **policy: Any) -> None:
        assert all(c.name != name for c in self.cases), name
        self.cases.append(Case(
            name=name,
            store=[store] if isinstance(store, str) else list(store),
            chain=chain,
            pool=[] if pool is None else [pool] if isinstance(pool, str) else list(pool),
            policy=policy, ok=ok, code=code, reasons=list(reasons or []),
            path_len=path_len))

    def fail(self, name: str, store: Union[str, list[str]], chain: str, code: str,
             *reasons: tuple[str, int], pool: Union[str, list[str], None] = None,
             **policy: Any) -> None:
        self.case(name, store, chain, pool=pool, ok=False, code=code,
                  reasons=list(reasons), **policy)

    def flush(self) -> None:
        self.dir.mkdir(exist_ok=True)
        for old in self.dir.glob("*.pem"):
            old.unlink()
        for filename, data in self.files.items():
            (self.dir / filename).write_bytes(data)
        for case in self.cases:
            case.check()
        write_tsv(HERE / "cases.tsv", self.cases)
        write_json(HERE / "expected.json", self.cases)


@dataclass
class Raw:
    """Bytes to PEM-armor as a CERTIFICATE block as they are (garbage)."""
    der: bytes

    @property
    def pem(self) -> bytes:
        return der_to_pem(self.der)


def tsv_policy(policy: dict[str, Any]) -> str:
    if not policy:
        return "-"
    return ";".join(f"{k}={int(v) if isinstance(v, bool) else v}" for k, v in policy.items())


def write_tsv(path: Path, cases: list[Case]) -> None:
    lines = ["\t".join(("name", "store", "chain", "pool", "policy", "ok", "code",
                        "reasons", "path_len"))]
    for c in cases:
        cols = (
            c.name,
            ",".join(c.store) or "-",
            c.chain,
            ",".join(c.pool) or "-",
            tsv_policy(c.policy),
            "1" if c.ok else "0",
            c.code,
            ",".join(f"{code}@{depth}" for code, depth in c.reasons) or "-",
            "-" if c.path_len is None else str(c.path_len),
        )
        assert all(col and "\t" not in col and "\n" not in col for col in cols), c.name
        lines.append("\t".join(cols))
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def write_json(path: Path, cases: list[Case]) -> None:
    doc = {
        "time": T,
        "cases": [
            {
                "name": c.name,
                "store": c.store,
                "chain": c.chain,
                "pool": c.pool,
                "policy": c.policy,
                "ok": c.ok,
                "code": c.code,
                "reasons": [[code, depth] for code, depth in c.reasons],
                "path_len": c.path_len,
            }
            for c in cases
        ],
    }
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="ascii")


def build(fx: Fixtures) -> None:
    pki = PKI()  # P-256 keys, SHA-256, valid 2020-01-01 .. 2099-12-31
    www = ["www.example.com"]

    # -- main PKI A (RSA-2048 throughout) ------------------------------------
    root_a = pki.root("Test Root A", key="rsa2048")
    int_a = root_a.intermediate("Test Int A", key="rsa2048")
    leaf_a = int_a.leaf(dns=www, key="rsa2048")
    ROOT_A = fx.write("root-a.pem", root_a)
    INT_A = fx.write("int-a.pem", int_a)
    chain_a = fx.write("chain-a.pem", leaf_a, int_a)
    chain_a_leaf = fx.write("chain-a-leaf.pem", leaf_a)
    chain_a_full = fx.write("chain-a-full.pem", leaf_a, int_a, root_a)

    # -- unrelated PKI B (P-256) ---------------------------------------------
    root_b = pki.root("Test Root B")
    int_b = root_b.intermediate("Test Int B")
    leaf_b = int_b.leaf(dns=["www.example.net"])

    # -- EC PKI: P-384 root, P-256 intermediate ------------------------------
    root_ec = pki.root("Test Root EC", key="p384")
    int_ec = root_ec.intermediate("Test Int EC")
    ROOT_EC = fx.write("root-ec.pem", root_ec)

    # -- Ed25519 PKI: Ed25519 root and intermediate (EdDSA signatures) -------
    root_ed = pki.root("Test Root Ed25519", key="ed25519")
    int_ed = root_ed.intermediate("Test Int Ed25519", key="ed25519")
    ROOT_ED = fx.write("root-ed25519.pem", root_ed)

    # ---------------------------------------------------------------- ok paths
    fx.case("ok_rsa", ROOT_A, chain_a, hostname="www.example.com", path_len=3)
    fx.case("ok_ec", ROOT_EC, fx.write("chain-ec.pem", int_ec.leaf(dns=www), int_ec),
            hostname="www.example.com", path_len=3)
    fx.case("ok_ed25519", ROOT_EC,
            fx.write("chain-ed25519.pem", int_ec.leaf(dns=www, key="ed25519"), int_ec),
            hostname="www.example.com", path_len=3)
    fx.case("ok_ed25519_root", ROOT_ED,
            fx.write("chain-ed25519-root.pem", int_ed.leaf(dns=www), int_ed),
            hostname="www.example.com", path_len=3)
    fx.case("ok_unordered", ROOT_A,
            fx.write("chain-a-unordered.pem", leaf_a, root_a, int_a), path_len=3)
    chain_a_extras = fx.write("chain-a-extras.pem", leaf_a, leaf_b, int_a, int_a, int_b)
    fx.case("ok_extras_duplicates", ROOT_A, chain_a_extras, path_len=3)
    fx.case("ok_full_chain", ROOT_A, chain_a_full, path_len=3)

    # ------------------------------------------------------------ pool, store
    pool_a = fx.write("pool-a.pem", int_b, int_a, int_ec)
    fx.case("ok_pool", ROOT_A, chain_a_leaf, pool=pool_a, path_len=3)
    fx.fail("missing_issuer", ROOT_A, chain_a_leaf, "missing_issuer", ("missing_issuer", 0))
    fx.fail("untrusted_root", ROOT_A, fx.write("chain-b-full.pem", leaf_b, int_b, root_b),
            "untrusted_root", ("untrusted_root", 2))
    fx.fail("self_signed_leaf", ROOT_A,
            fx.write("chain-self-signed.pem", pki.self_signed(dns=www)),
            "untrusted_root", ("untrusted_root", 0))
    # A non-root store certificate is a trusted intermediate, not an anchor...
    fx.fail("partial_chain_off", INT_A, chain_a_leaf, "missing_issuer")
    # ...unless partial_chain=1.
    fx.case("partial_chain_on", INT_A, chain_a_leaf, partial_chain=True, path_len=2)
    # With the root also in the store, the stored intermediate completes the path.
    fx.case("trusted_intermediate", [INT_A, ROOT_A], chain_a_leaf, path_len=3)

    # --------------------------------------------------------------- validity
    fx.fail("expired", ROOT_A,
            fx.write("chain-expired.pem", int_a.leaf(dns=www, not_after=utc(2029)), int_a),
            "expired", ("expired", 0))
    fx.fail("not_yet_valid", ROOT_A,
            fx.write("chain-not-yet-valid.pem",
                     int_a.leaf(dns=www, not_before=utc(2031)), int_a),
            "not_yet_valid", ("not_yet_valid", 0))
    int_exp = root_a.intermediate("Test Int Expired", not_after=utc(2029))
    fx.fail("expired_intermediate", ROOT_A,
            fx.write("chain-expired-int.pem", int_exp.leaf(dns=www), int_exp),
            "expired", ("expired", 1))
    # notBefore and notAfter are both inclusive.
    chain_end = fx.write("chain-valid-until-t.pem", int_a.leaf(dns=www, not_after=utc(2030)),
                         int_a)
    fx.case("validity_inclusive", ROOT_A, chain_end, path_len=3)
    fx.fail("validity_after_end", ROOT_A, chain_end, "expired", ("expired", 0), time=T + 1)
    chain_start = fx.write("chain-valid-from-t.pem",
                           int_a.leaf(dns=www, not_before=utc(2030)), int_a)
    fx.case("validity_inclusive_start", ROOT_A, chain_start, path_len=3)
    fx.fail("validity_before_start", ROOT_A, chain_start, "not_yet_valid",
            ("not_yet_valid", 0), time=T - 1)

    # --------------------------------------------------------------- hostname
    fx.fail("hostname_mismatch", ROOT_A, chain_a, "hostname_mismatch",
            ("hostname_mismatch", 0), hostname="other.example.com")
    fx.case("hostname_case", ROOT_A, chain_a, hostname="WWW.EXAMPLE.COM", path_len=3)
    fx.case("hostname_trailing_dot", ROOT_A, chain_a, hostname="www.example.com.",
            path_len=3)

    chain_wild = fx.write("chain-wildcard.pem", int_a.leaf(dns=["*.example.com"]), int_a)
    fx.case("wildcard_ok", ROOT_A, chain_wild, hostname="a.example.com", path_len=3)
    fx.fail("wildcard_two_labels", ROOT_A, chain_wild, "hostname_mismatch",
            ("hostname_mismatch", 0), hostname="a.b.example.com")
    fx.fail("wildcard_apex", ROOT_A, chain_wild, "hostname_mismatch",
            ("hostname_mismatch", 0), hostname="example.com")
    fx.fail("wildcard_tld", ROOT_A,
            fx.write("chain-wildcard-tld.pem", int_a.leaf(dns=["*.com"]), int_a),
            "hostname_mismatch", ("hostname_mismatch", 0), hostname="example.com")
    fx.fail("partial_wildcard", ROOT_A,
            fx.write("chain-partial-wildcard.pem", int_a.leaf(dns=["f*.example.com"]), int_a),
            "hostname_mismatch", ("hostname_mismatch", 0), hostname="foo.example.com")

    chain_ip = fx.write("chain-ip.pem",
                        int_a.leaf("Test IP Leaf", ips=["192.0.2.1", "2001:db8::1"]), int_a)
    fx.case("ip_ok", ROOT_A, chain_ip, hostname="192.0.2.1", path_len=3)
    fx.case("ip6_ok", ROOT_A, chain_ip, ip="2001:0db8:0:0:0:0:0:1", path_len=3)
    fx.case("ip6_hostname_ok", ROOT_A, chain_ip, hostname="2001:db8::1", path_len=3)
    fx.fail("ip_mismatch", ROOT_A, chain_ip, "hostname_mismatch", ("hostname_mismatch", 0),
            ip="192.0.2.2")
    fx.fail("ip_vs_dns", ROOT_A,
            fx.write("chain-ip-as-dns.pem", int_a.leaf(dns=["192.0.2.1"]), int_a),
            "hostname_mismatch", ("hostname_mismatch", 0), hostname="192.0.2.1")

    chain_cn = fx.write("chain-cn-only.pem", int_a.leaf("www.example.com"), int_a)
    fx.fail("cn_no_fallback", ROOT_A, chain_cn, "hostname_mismatch",
            ("hostname_mismatch", 0), hostname="www.example.com")
    fx.case("cn_fallback", ROOT_A, chain_cn, hostname="www.example.com", cn_fallback=True,
            path_len=3)
    # CN fallback applies only when the leaf has no SAN dNSName/iPAddress at all.
    fx.fail("cn_fallback_ignored_with_san", ROOT_A,
            fx.write("chain-cn-and-san.pem", int_a.leaf("other.example.com", dns=www), int_a),
            "hostname_mismatch", ("hostname_mismatch", 0), hostname="other.example.com",
            cn_fallback=True)

    # ------------------------------------------------------------- signatures
    fx.fail("bad_signature", ROOT_A,
            fx.write("chain-bad-sig.pem", tamper_signature(leaf_a.der), int_a),
            "bad_signature", ("bad_signature", 0))
    fx.fail("bad_signature_int", ROOT_A,
            fx.write("chain-bad-sig-int.pem", leaf_a, tamper_signature(int_a.der)),
            "bad_signature", ("bad_signature", 1))

    # ---------------------------------------------------------------- purpose
    chain_client = fx.write("chain-client.pem", int_a.leaf(dns=www, eku=["client"]), int_a)
    fx.fail("purpose_mismatch", ROOT_A, chain_client, "purpose_mismatch",
            ("purpose_mismatch", 0), purpose="server")
    fx.case("purpose_client_ok", ROOT_A, chain_client, purpose="client", path_len=3)
    fx.case("purpose_any_ok", ROOT_A, chain_client, purpose="any", path_len=3)
    fx.case("purpose_default_ok", ROOT_A, chain_client, path_len=3)
    int_eku = root_a.intermediate("Test Int EKU Client", eku=["client"])
    fx.fail("int_eku_mismatch", ROOT_A,
            fx.write("chain-int-eku-client.pem", int_eku.leaf(dns=www, eku=["server"]),
                     int_eku),
            "purpose_mismatch", ("purpose_mismatch", 1), purpose="server")
    chain_codesign = fx.write("chain-codesign.pem",
                              int_a.leaf("Test Code Signer", eku=["1.3.6.1.5.5.7.3.3"]), int_a)
    fx.case("custom_oid", ROOT_A, chain_codesign, purpose="1.3.6.1.5.5.7.3.3", path_len=3)
    fx.fail("custom_oid_mismatch", ROOT_A, chain_codesign, "purpose_mismatch",
            ("purpose_mismatch", 0), purpose="server")
    # anyExtendedKeyUsage satisfies any purpose (RFC 5280 4.2.1.12), but a TLS
    # server certificate must not carry it (CABF BR 7.1.2.7.10): strict refuses.
    chain_eku_any = fx.write("chain-eku-any.pem", int_a.leaf(dns=www, eku=["any"]), int_a)
    fx.fail("eku_any_strict", ROOT_A, chain_eku_any, "nonconforming", ("nonconforming", 0),
            purpose="server")
    fx.case("eku_any_ok", ROOT_A, chain_eku_any, purpose="server", strict=False, path_len=3)

    # ---------------------------------------------------- structural rules
    # Strict (default) policies apply RFC 5280's structural MUSTs, and with
    # the server purpose the CA/B Forum profiles; strict=False only the path rules.
    int_bc_nc = root_a.intermediate("Test Int BC Noncritical", bc_critical=False)
    chain_bc_nc = fx.write("chain-bc-noncritical.pem", int_bc_nc.leaf(dns=www), int_bc_nc)
    fx.fail("nonconforming_bc", ROOT_A, chain_bc_nc, "nonconforming", ("nonconforming", 1))
    fx.case("nonconforming_bc_lenient", ROOT_A, chain_bc_nc, strict=False, path_len=3)
    int_no_ski = root_a.intermediate("Test Int No SKI", ski=False)
    fx.fail("nonconforming_no_ski", ROOT_A,
            fx.write("chain-no-ski.pem", int_no_ski.leaf(dns=www, aki=False), int_no_ski),
            "nonconforming", ("nonconforming", 1))
    # CABF BR 7.1.4.3: a CN naming a SAN entry in another spelling is refused
    # (server purpose); a free-form CN naming nothing in the SAN is tolerated.
    chain_cn_case = fx.write("chain-cn-case.pem", int_a.leaf("WWW.Example.com", dns=www), int_a)
    fx.fail("cn_spelling", ROOT_A, chain_cn_case, "nonconforming", ("nonconforming", 0),
            hostname="www.example.com", purpose="server")
    fx.case("cn_spelling_any_purpose", ROOT_A, chain_cn_case, hostname="www.example.com",
            path_len=3)
    chain_psl = fx.write("chain-wildcard-suffix.pem", int_a.leaf(dns=["*.co.uk"]), int_a)
    fx.fail("wildcard_public_suffix", ROOT_A, chain_psl, "nonconforming", ("nonconforming", 0),
            purpose="server")
    fx.case("wildcard_public_suffix_lenient", ROOT_A, chain_psl, purpose="server",
            strict=False, path_len=3)
    fx.case("cn_free_form", ROOT_A,
            fx.write("chain-cn-free-form.pem", int_a.leaf("Example Web Server", dns=www), int_a),
            hostname="www.example.com", purpose="server", path_len=3)
    # A self-issued intermediate (same name, new key) is no extra logical CA:
    # it counts neither for max_depth nor for pathLenConstraint.
    int_rollover = int_a.intermediate("Test Int A")
    fx.case("self_issued_depth", ROOT_A,
            fx.write("chain-self-issued.pem", int_rollover.leaf(dns=www), int_rollover, int_a),
            max_depth=1, path_len=4)

    # ---------------------------------------------------------- revocation
    def crl(ca: CA, revoked: list[Cert], *, this: int = 2020, next_: int = 2099,
            number: bool = True) -> bytes:
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.name)
                   .last_update(utc(this)).next_update(utc(next_)))
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(cert.cert.serial_number)
                .revocation_date(utc(2025)).build())
        if number:
            builder = builder.add_extension(x509.CRLNumber(1), critical=False)
        return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def write_crl(name: str, data: bytes) -> str:
        fx.files[name] = data
        return f"{fx.dir.name}/{name}"

    fx.fail("revoked", ROOT_A, chain_a, "revoked", ("revoked", 0),
            crl=write_crl("int-a-revokes-leaf.crl", crl(int_a, [leaf_a])))
    fx.case("revoked_before_revocation_date", ROOT_A, chain_a, time=1735689600 - 1,
            crl="pki/int-a-revokes-leaf.crl", path_len=3)
    fx.case("crl_not_listed", ROOT_A, chain_a,
            crl=write_crl("int-a-empty.crl", crl(int_a, [])), path_len=3)
    fx.fail("crl_stale", ROOT_A, chain_a, "revocation_unknown", ("revocation_unknown", 0),
            crl=write_crl("int-a-stale.crl", crl(int_a, [], this=2020, next_=2021)))
    fx.fail("crl_without_number", ROOT_A, chain_a, "revocation_unknown",
            ("revocation_unknown", 0),
            crl=write_crl("int-a-no-number.crl", crl(int_a, [], number=False)))
    int_no_crlsign = root_a.intermediate("Test Int No CRLSign", key_usage=["key_cert_sign"])
    leaf_no_crlsign = int_no_crlsign.leaf(dns=www)
    fx.fail("crl_issuer_without_crlsign", ROOT_A,
            fx.write("chain-no-crlsign.pem", leaf_no_crlsign, int_no_crlsign),
            "revocation_unknown", ("revocation_unknown", 0),
            crl=write_crl("no-crlsign.crl", crl(int_no_crlsign, [])))

    # ---------------------------------------------------- leaf detection
    # Served out of order (intermediate first): by default the first certificate
    # is the leaf; with repair_order the non-CA that issues nothing is.
    chain_swapped = fx.write("chain-a-swapped.pem", int_a, root_a, leaf_a)
    fx.fail("order_not_repaired", ROOT_A, chain_swapped, "hostname_mismatch",
            hostname="www.example.com")
    fx.case("order_repaired", ROOT_A, chain_swapped, hostname="www.example.com",
            repair_order=True, path_len=3)

    # ------------------------------------------------------ distrust-after
    # Root A trusted only for leaves issued before a date (leaf_a: notBefore 2020).
    root_a_sha = root_a.fingerprint
    fx.fail("distrusted", ROOT_A, chain_a, "distrusted", ("distrusted", 2),
            distrust=f"{root_a_sha}@{int(utc(2019).timestamp())}")
    fx.case("distrust_after_later_ok", ROOT_A, chain_a,
            distrust=f"{root_a_sha}@{int(utc(2021).timestamp())}", path_len=3)

    # ------------------------------------------------------- name constraints
    int_nc = root_a.intermediate("Test Int NC", permitted_dns=["example.com"])
    fx.fail("name_constraints", ROOT_A,
            fx.write("chain-nc-violation.pem", int_nc.leaf(dns=["evil.test"]), int_nc),
            "name_constraints", ("name_constraints", 0))
    fx.case("name_constraints_ok", ROOT_A,
            fx.write("chain-nc-ok.pem", int_nc.leaf(dns=www), int_nc), path_len=3)
    int_nc_ex = root_a.intermediate("Test Int NC Excluded", excluded_dns=["bad.example.com"])
    fx.fail("name_constraints_excluded", ROOT_A,
            fx.write("chain-nc-excluded.pem", int_nc_ex.leaf(dns=["x.bad.example.com"]),
                     int_nc_ex),
            "name_constraints", ("name_constraints", 0))

    # ----------------------------------------------------- CA constraints
    int_pl0 = root_a.intermediate("Test Int PathLen 0", path_length=0)
    int_pl0_sub = int_pl0.intermediate("Test Int Under PathLen 0")
    fx.fail("path_length", ROOT_A,
            fx.write("chain-pathlen0.pem", int_pl0_sub.leaf(dns=www), int_pl0_sub, int_pl0),
            "path_length", ("path_length", 2))
    int_pl1 = root_a.intermediate("Test Int PathLen 1", path_length=1)
    int_pl1_sub = int_pl1.intermediate("Test Int Under PathLen 1")
    fx.case("path_length_ok", ROOT_A,
            fx.write("chain-pathlen1.pem", int_pl1_sub.leaf(dns=www), int_pl1_sub, int_pl1),
            path_len=4)

    int_notca = root_a.intermediate("Test Int Not CA", ca=False,
                                    key_usage=("key_cert_sign", "crl_sign"), eku=None)
    fx.fail("not_ca", ROOT_A,
            fx.write("chain-not-ca.pem", int_notca.leaf(dns=www), int_notca),
            "not_ca", ("not_ca", 1))
    int_nobc = root_a.intermediate("Test Int No BC", basic_constraints=False)
    fx.fail("not_ca_no_bc", ROOT_A,
            fx.write("chain-not-ca-no-bc.pem", int_nobc.leaf(dns=www), int_nobc),
            "not_ca", ("not_ca", 1))
    int_ku = root_a.intermediate("Test Int KU DigitalSignature",
                                 key_usage=("digital_signature",))
    fx.fail("key_usage", ROOT_A,
            fx.write("chain-int-ku.pem", int_ku.leaf(dns=www), int_ku),
            "key_usage", ("key_usage", 1))

    # ------------------------------------------------------------- algorithms
    chain_sha1 = fx.write("chain-sha1.pem", int_a.leaf(dns=www, hash="sha1"), int_a)
    fx.fail("sha1", ROOT_A, chain_sha1, "insecure_algorithm", ("insecure_algorithm", 0))
    fx.case("sha1_allowed", ROOT_A, chain_sha1, allow_sha1=True, path_len=3)
    int_sha1 = root_a.intermediate("Test Int SHA1", hash="sha1")
    fx.fail("sha1_intermediate", ROOT_A,
            fx.write("chain-sha1-int.pem", int_sha1.leaf(dns=www), int_sha1),
            "insecure_algorithm", ("insecure_algorithm", 1))
    fx.fail("md5", ROOT_A,
            fx.write("chain-md5.pem", int_a.leaf(dns=www, hash="md5"), int_a),
            "insecure_algorithm", ("insecure_algorithm", 0), allow_sha1=True)
    # The anchor's own (self-)signature is not subject to the algorithm rules.
    root_sha1 = pki.root("Test Root SHA1", hash="sha1")
    int_under_sha1 = root_sha1.intermediate("Test Int Under SHA1 Root")
    fx.case("sha1_anchor_ok", fx.write("root-sha1.pem", root_sha1),
            fx.write("chain-sha1-anchor.pem", int_under_sha1.leaf(dns=www), int_under_sha1),
            path_len=3)
    chain_rsa1024 = fx.write("chain-rsa1024.pem", int_a.leaf(dns=www, key="rsa1024"), int_a)
    fx.fail("rsa1024", ROOT_A, chain_rsa1024, "insecure_algorithm", ("insecure_algorithm", 0))
    fx.case("rsa1024_allowed", ROOT_A, chain_rsa1024, min_rsa_bits=1024, path_len=3)

    # ------------------------------------------------------------- extensions
    unknown = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
    fx.fail("unknown_critical", ROOT_A,
            fx.write("chain-unknown-critical.pem",
                     int_a.leaf(dns=www, extensions=[(unknown, True)]), int_a),
            "unknown_critical_extension", ("unknown_critical_extension", 0))
    fx.case("unknown_noncritical_ok", ROOT_A,
            fx.write("chain-unknown-noncritical.pem",
                     int_a.leaf(dns=www, extensions=[(unknown, False)]), int_a),
            path_len=3)

    # RSA-PSS under two roots with one key and name but other key ids: GnuTLS's
    # PSS check also matches the leaf's AKI against the issuer's SKI, so the
    # answer depends on the issuer certificate (the edge cache must not share
    # it between the two). The leaf's AKI names the expired root.
    pss_key = rsa.generate_private_key(65537, 2048)
    pss_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test PSS Root")])

    def pss_root(ski: bytes, nb: datetime.datetime, na: datetime.datetime) -> x509.Certificate:
        return (x509.CertificateBuilder().subject_name(pss_name).issuer_name(pss_name)
                .public_key(pss_key.public_key()).serial_number(int.from_bytes(ski[:8], "big"))
                .not_valid_before(nb).not_valid_after(na)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                             False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
                .sign(pss_key, hashes.SHA256()))

    pss_old = pss_root(b"\x11" * 20, utc(2010), utc(2015))
    pss_new = pss_root(b"\x22" * 20, utc(2020), utc(2040))
    pss_leaf_key = rsa.generate_private_key(65537, 2048)
    pss_leaf = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")]))
                .issuer_name(pss_name).public_key(pss_leaf_key.public_key()).serial_number(77)
                .not_valid_before(utc(2021)).not_valid_after(utc(2035))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.example.com")]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier(b"\x11" * 20, None, None),
                               critical=False)
                .sign(pss_key, hashes.SHA256(),
                      rsa_padding=padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)))
    fx.fail("pss_issuer_by_key_id", [fx.write("root-pss-old.pem", pss_old),
                                     fx.write("root-pss-new.pem", pss_new)],
            fx.write("chain-pss.pem", pss_leaf), "expired", ("expired", 1))

    # CT precertificates (RFC 6962 3.1): the poison is an unknown critical
    # extension unless the policy verifies a precertificate, and then only on
    # the leaf; a Precertificate Signing Certificate may sign it.
    poison = [(x509.PrecertPoison(), True)]
    chain_precert = fx.write("chain-precert.pem", int_a.leaf(dns=www, extensions=poison), int_a)
    fx.fail("precert_refused", ROOT_A, chain_precert, "unknown_critical_extension",
            ("unknown_critical_extension", 0))
    fx.case("precert_ok", ROOT_A, chain_precert, precertificate=True, purpose="server", path_len=3)
    ct_signer = root_a.intermediate("Test Precert Signer", key="rsa2048",
                                    eku=["1.3.6.1.4.1.11129.2.4.4"])
    chain_ct_signed = fx.write("chain-precert-signer.pem",
                               ct_signer.leaf(dns=www, extensions=poison), ct_signer)
    fx.case("precert_signing_certificate_ok", ROOT_A, chain_ct_signed, precertificate=True,
            purpose="server", path_len=3)
    fx.fail("precert_signing_certificate_needs_precert", ROOT_A, chain_ct_signed,
            "unknown_critical_extension", ("unknown_critical_extension", 0),
            ("purpose_mismatch", 1), purpose="server")
    poisoned_int = root_a.intermediate("Test Poisoned Int", key="rsa2048", extensions=poison)
    fx.fail("precert_poison_on_intermediate", ROOT_A,
            fx.write("chain-poisoned-int.pem", poisoned_int.leaf(dns=www), poisoned_int),
            "unknown_critical_extension", ("unknown_critical_extension", 1), precertificate=True)

    # A basicConstraints whose value is not DER: the certificate parses, the
    # extension does not, and that is reported as malformed, not ignored.
    broken_bc = x509.UnrecognizedExtension(ObjectIdentifier("2.5.29.19"), b"\x01\x02\x03")
    fx.fail("malformed_extension", ROOT_A,
            fx.write("chain-malformed-ext.pem",
                     int_a.leaf(dns=www, basic_constraints=False,
                                extensions=[(broken_bc, True)]), int_a),
            "malformed", ("malformed", 0))

    # ------------------------------------------------------------------ depth
    depth: list[CA] = []
    issuer = root_a
    for i in range(1, 10):
        issuer = issuer.intermediate(f"Test Depth Int {i}")
        depth.append(issuer)

    def depth_chain(n: int) -> list[CertLike]:
        return [depth[n - 1].leaf(dns=www), *reversed(depth[:n])]

    chain_depth3 = fx.write("chain-depth3.pem", *depth_chain(3))
    fx.fail("depth_exceeded", ROOT_A, chain_depth3, "depth_exceeded", max_depth=2)
    fx.case("depth_ok", ROOT_A, chain_depth3, max_depth=3, path_len=5)
    fx.fail("depth_zero", ROOT_A, chain_a, "depth_exceeded", max_depth=0)
    fx.case("depth_one_ok", ROOT_A, chain_a, max_depth=1, path_len=3)
    fx.fail("depth_default", ROOT_A, fx.write("chain-depth9.pem", *depth_chain(9)),
            "depth_exceeded")
    fx.case("depth_default_ok", ROOT_A, fx.write("chain-depth8.pem", *depth_chain(8)),
            path_len=10)

    # ---------------------------------------------------------- search budget
    # 10 layers x 4 CAs; a layer's CAs share one subject name. Each CA of
    # layer k has 4 certificates, one from each CA of layer k+1; the top layer
    # is certified by a root that is nowhere (not stored, served or pooled).
    # 4^10 candidate paths, ~580 distinct signatures: the search must give up.
    # max_depth=16 so that the depth limit (default 8) cannot end it first.
    layers = [[pki.ca(f"Test Lattice {k}") for _ in range(4)] for k in range(10)]
    lattice_root = pki.root("Test Lattice Root")
    lattice: list[x509.Certificate] = []
    for k, layer in enumerate(layers):
        issuers = layers[k + 1] if k + 1 < len(layers) else [lattice_root]
        for ca in layer:
            for up in issuers:
                lattice.append(up.issue(ca.name, ca.key, ca=True))
    fx.fail("budget_exceeded", ROOT_A,
            fx.write("chain-lattice-leaf.pem", layers[0][0].leaf(dns=www)),
            "budget_exceeded", pool=fx.write("pool-lattice.pem", *lattice), max_depth=16)
    fx.fail("limit_sig_checks", ROOT_A, chain_a, "budget_exceeded", limit_sig_checks=1)

    # ----------------------------------------------------------- backtracking
    root_r0 = pki.root("Test Root R0")
    root_r1 = pki.root("Test Root R1")
    int_r1 = root_r1.intermediate("Test Int R1")
    leaf_r1 = int_r1.leaf(dns=www)
    cross_expired = root_r0.cross_sign(root_r1, not_after=utc(2025))
    cross_valid = root_r0.cross_sign(root_r1)
    ROOT_R0 = fx.write("root-r0.pem", root_r0)
    fx.case("backtrack_cross_sign", ROOT_R0,
            fx.write("chain-cross.pem", leaf_r1, int_r1, cross_expired, cross_valid),
            path_len=4)
    fx.case("backtrack_cross_sign_rev", ROOT_R0,
            fx.write("chain-cross-rev.pem", leaf_r1, int_r1, cross_valid, cross_expired),
            path_len=4)
    # R1's own self-signed certificate is served too: a dead end (untrusted).
    fx.case("backtrack_cross_sign_with_root", ROOT_R0,
            fx.write("chain-cross-with-root.pem", leaf_r1, int_r1, root_r1, cross_expired,
                     cross_valid),
            path_len=4)

    # Same issuer name, 8 keys; the leaf has no AKI; the real issuer is last.
    decoys = [root_a.intermediate("Test Int Many") for _ in range(7)]
    int_many = root_a.intermediate("Test Int Many")
    # (strict off: a leaf without AKI is itself nonconforming, RFC 5280 4.2.1.1)
    chain_many = fx.write("chain-many-leaf.pem", int_many.leaf(dns=www, aki=False))
    pool_many = fx.write("pool-many.pem", *decoys, int_many)
    fx.case("many_candidates", ROOT_A, chain_many, pool=pool_many, strict=False, path_len=3)
    fx.fail("many_candidates_strict", ROOT_A, chain_many, "nonconforming",
            ("nonconforming", 0), pool=pool_many)

    # X and Y certify each other; nothing leads to Root A.
    loop_x = pki.ca("Test Loop X")
    loop_y = pki.ca("Test Loop Y")
    x_by_y = loop_y.issue(loop_x.name, loop_x.key, ca=True)
    y_by_x = loop_x.issue(loop_y.name, loop_y.key, ca=True)
    leaf_loop = loop_x.leaf(dns=www)
    fx.fail("loop_in_pool", ROOT_A, fx.write("chain-loop-leaf.pem", leaf_loop),
            "missing_issuer", pool=fx.write("pool-loop.pem", x_by_y, y_by_x))
    fx.fail("loop_in_chain", ROOT_A, fx.write("chain-loop.pem", leaf_loop, x_by_y, y_by_x),
            "missing_issuer")

    # -------------------------------------------------------- malformed input
    fx.fail("malformed", ROOT_A,
            fx.write("chain-malformed.pem", leaf_a, Raw(int_a.der[:200])), "malformed")
    # DER-valid (SEQUENCE { INTEGER 1 }) but not a certificate, as the leaf.
    fx.fail("malformed_leaf", ROOT_A,
            fx.write("chain-malformed-leaf.pem", Raw(b"\x30\x03\x02\x01\x01"), int_a),
            "malformed")

    # ------------------------------------------------------------ input limits
    fx.fail("input_limit", ROOT_A, chain_a_full, "input_limit", limit_certs=2)
    fx.case("limit_certs_exact", ROOT_A, chain_a_full, limit_certs=3, path_len=3)
    # 5 served entries, 4 distinct certificates.
    fx.case("limit_certs_distinct", ROOT_A, chain_a_extras, limit_certs=4, path_len=3)
    total = len(leaf_a.der) + len(int_a.der)
    fx.fail("limit_chain_bytes", ROOT_A, chain_a, "input_limit", limit_chain_bytes=total - 1)
    fx.case("limit_chain_bytes_exact", ROOT_A, chain_a, limit_chain_bytes=total, path_len=3)
    biggest = max(len(leaf_a.der), len(int_a.der))
    fx.fail("limit_cert_bytes", ROOT_A, chain_a, "input_limit", limit_cert_bytes=biggest - 1)
    fx.case("limit_cert_bytes_exact", ROOT_A, chain_a, limit_cert_bytes=biggest, path_len=3)


def main() -> int:
    fx = Fixtures(PKI_DIR)
    build(fx)
    fx.flush()
    size = sum(len(d) for d in fx.files.values())
    print(f"{len(fx.cases)} cases, {len(fx.files)} files, {size} bytes in {PKI_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
