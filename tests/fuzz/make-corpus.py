#!/usr/bin/env python3
"""Seed corpora for the fuzz targets of tests/fuzz, written at run time.

    python3 tests/fuzz/make-corpus.py OUTDIR

writes OUTDIR/<target>/<name> for fuzz_verify, fuzz_x509, fuzz_pem, fuzz_store,
fuzz_names and fuzz_ocsp (scripts/fuzz.sh runs it into build-fuzz/seeds). The seeds come
from the committed fixtures (tests/data: cases.tsv and nc/cases.tsv, their PEM
bundles and CRLs), the x509-limbo vectors (tests/limbo/limbo.json.gz), and a
few certificates made here with chainval.testing (python/chainval/testing.py,
loaded from its file: the compiled extension is not needed) and cryptography
for shapes the fixtures lack (other SAN types, name constraints on IPs, long
and multi-valued names). Nothing here is committed: the fixtures are.

Input formats are those documented at the top of each target's .c file and of
fuzz_common.h; the tables below (NAMES, PURPOSES, TIMES) must match
fuzz_common.c's.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import importlib.util
import ipaddress
import json
import re
import struct
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
LIMBO = ROOT / "tests" / "limbo" / "limbo.json.gz"

T = 1893456000
NAMES = ["www.example.com", "other.example.com", "example.com", "192.0.2.1",
         "a.example.com", "a.b.example.com", "foo.example.com", "WWW.EXAMPLE.COM",
         "www.example.com.", "2001:db8::1", "2001:0db8:0:0:0:0:0:1", "192.0.2.2",
         "localhost", "xn--caf-dma.example.com", "*.example.com", ""]
PURPOSES = {"server": 0, "client": 1, "1.3.6.1.5.5.7.3.3": 2, "any": 3}
TIMES = [T, 1735689599, 1893456001, 1893455999, 1546300800, 1609459200, 1577836800,
         4102444799, 4102444800, 0, -1, 1700000000, 253402300799, 253402300800,
         -2**63, 2**63 - 1]
LIMITS = {"limit_chain_bytes": 1, "limit_cert_bytes": 2, "limit_certs": 3,
          "limit_sig_checks": 4, "limit_candidates": 5}

PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


def pem_blocks(text: bytes, label: bytes = b"CERTIFICATE") -> list[bytes]:
    """DER of every @label block (a block that does not decode: b"\\x04")."""
    out = []
    for m in PEM_RE.finditer(text):
        if m.group(1) != label:
            continue
        try:
            out.append(base64.b64decode(b"".join(m.group(2).split()), validate=True))
        except ValueError:
            out.append(b"\x04")
    return out


def read_cases(index: Path) -> list[dict]:
    lines = index.read_text().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, line.split("\t"))) for line in lines[1:] if line]


def policy_header(spec: str) -> tuple[bytes, int] | None:
    """fuzz_common.h's 8-byte policy header for a cases.tsv policy, and the
    store selector of fuzz_verify (None when the policy cannot be said)."""
    b = [0] * 8
    store = 0
    if spec != "-":
        for kv in spec.split(";"):
            key, _, value = kv.partition("=")
            if key in ("hostname", "ip"):
                if value not in NAMES:
                    return None
                b[0] |= 0x01
                b[1] |= NAMES.index(value) << 2 | (0x02 if key == "ip" else 0)
            elif key == "purpose":
                b[0] |= 0x02
                b[1] |= PURPOSES.get(value, 3) << 6
            elif key == "strict":
                b[0] |= 0x04 if value == "0" else 0
            elif key in ("cn_fallback", "partial_chain", "allow_sha1", "repair_order",
                         "precertificate"):
                bit = {"cn_fallback": 0x08, "partial_chain": 0x10, "allow_sha1": 0x20,
                       "repair_order": 0x40, "precertificate": 0x80}[key]
                b[0] |= bit if value == "1" else 0
            elif key == "min_rsa_bits":
                b[1] |= 0x01 if value == "1024" else 0
            elif key == "max_depth":
                b[2] = 0x80 | (int(value) & 0x1F)
            elif key == "time":
                if int(value) not in TIMES:
                    return None
                b[3] = TIMES.index(int(value))
            elif key in LIMITS:
                b[5] = LIMITS[key]
                b[6], b[7] = (int(value) >> 8) & 0xFF, int(value) & 0xFF
            elif key == "crl":
                store = {"pki/int-a-revokes-leaf.crl": 1, "pki/no-crlsign.crl": 1,
                         "pki/int-a-stale.crl": 2, "pki/int-a-no-number.crl": 2,
                         "pki/int-a-empty.crl": 3}.get(value, 0)
            elif key == "distrust":
                store = 2 if value.endswith("@1546300800") else 3
            else:
                return None
    return bytes(b), store


def length_prefixed(ders: list[bytes]) -> bytes:
    return b"".join(struct.pack(">H", min(len(d), 0xFFFF)) + d[:0xFFFF] for d in ders)


class Seeds:
    def __init__(self, out: Path, target: str) -> None:
        self.dir = out / target
        self.dir.mkdir(parents=True, exist_ok=True)
        self.seen: set[bytes] = set()

    def add(self, name: str, data: bytes) -> None:
        if data in self.seen:
            return
        self.seen.add(data)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]
        (self.dir / f"{safe}-{hashlib.sha1(data).hexdigest()[:8]}").write_bytes(data)


def load_testing():
    spec = importlib.util.spec_from_file_location(
        "chainval_testing", ROOT / "python" / "chainval" / "testing.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["chainval_testing"] = mod
    spec.loader.exec_module(mod)
    return mod


def extra_certificates() -> list[bytes]:
    """Shapes the fixtures lack, made with chainval.testing and cryptography."""
    try:
        t = load_testing()
        from cryptography import x509
        from cryptography.x509.oid import NameOID, ObjectIdentifier
    except Exception as e:  # cryptography missing: the fixtures still seed everything
        print(f"make-corpus: no generated certificates ({e})", file=sys.stderr)
        return []
    pki = t.PKI()
    root = pki.root("Fuzz Root")
    inter = root.intermediate("Fuzz Int", permitted_dns=["example.com"],
                              excluded_ips=["192.0.2.0/24"], permitted_ips=["2001:db8::/32"])
    sans = [x509.UniformResourceIdentifier("https://www.example.com:8443/x"),
            x509.RFC822Name("user@example.com"),
            x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dir")])),
            x509.RegisteredID(ObjectIdentifier("1.2.3.4")),
            x509.OtherName(ObjectIdentifier("1.3.6.1.5.5.7.8.9"), b"\x0c\x03abc")]
    name = x509.Name([
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Multi, Valued+RDN")]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.COMMON_NAME, "caf\u00e9 #1 <x>",
                               _type=x509.name._ASN1Type.BMPString)]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example")]),
    ])
    with warnings.catch_warnings():  # over the 64-character upper bound, on purpose
        warnings.simplefilter("ignore")
        long_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a" * 200,
                                                  _validate=False)])
    makers = [
        lambda: root.cert, lambda: inter.cert,
        lambda: inter.leaf(dns=["www.example.com", "*.example.com"], ips=["2001:db8::1"]).cert,
        lambda: inter.leaf(subject=name,
                           extensions=[(x509.SubjectAlternativeName(sans), False)]).cert,
        lambda: root.leaf(subject=long_name, key="rsa2048", hash="sha384").cert,
        lambda: root.leaf(dns=["x.example.com"], key="p384", eku=["server", "client", "any"]).cert,
        lambda: root.leaf(dns=["ed.example.com"], key="ed25519").cert,
        lambda: root.intermediate("Fuzz PathLen", path_length=0, key_usage=["key_cert_sign"]).cert,
        lambda: root.leaf(dns=["legacy.example.com"], hash="sha1").cert,
    ]
    out = []
    for make in makers:
        try:
            out.append(t.der_of(make()))
        except Exception as e:  # one shape this cryptography cannot make: skip it
            print(f"make-corpus: a generated certificate skipped ({e})", file=sys.stderr)
    return out


# The fuzz key of fuzz_common.c (an Ed25519 test key, nothing secret): the
# certificates of fuzz_verify's signed mode carry its public key, and the
# harness signs whatever TBS bytes it gets with it.
FUZZ_KEY_SEED = bytes(range(0x40, 0x60))


def signed_chains() -> list[tuple[str, list[bytes], list[bytes]]]:
    """(name, [root TBS, served TBS...], [CRL TBS...]) for fuzz_verify's
    signed mode: every certificate has the fuzz key, so the harness's
    signatures verify whatever the fuzzer does to the TBS bytes."""
    try:
        t = load_testing()
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import ed25519
        from cryptography.x509.oid import ObjectIdentifier
    except Exception as e:
        print(f"make-corpus: no signed-mode seeds ({e})", file=sys.stderr)
        return []
    key = ed25519.Ed25519PrivateKey.from_private_bytes(FUZZ_KEY_SEED)
    pki = t.PKI(key_type="ed25519")
    root = pki.root("Fuzz Root", key=key)
    inter = root.intermediate("Fuzz Int", key=key)
    tbs = lambda c: (c.cert if hasattr(c, "cert") else c).tbs_certificate_bytes  # noqa: E731
    leaf = inter.leaf(dns=["www.example.com"], key=key)
    chains = [("basic", [root, leaf, inter], [])]

    def tbs_of_crl(der):  # the TBSCertList of a DER CRL
        _, start, end = t._read_tlv(der, 0)
        _, tbs_start, tbs_end = t._read_tlv(der, start, end)
        return der[start:tbs_end]

    def crl(issuer, revoked_serials, *, number=True, this=2029, next_=2031):
        b = (x509.CertificateRevocationListBuilder().issuer_name(issuer.name)
             .last_update(t.utc(this)).next_update(t.utc(next_)))
        if number:
            b = b.add_extension(x509.CRLNumber(7), critical=False)
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            key.public_key()), critical=False)
        for serial in revoked_serials:
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(t.utc(2028)).build())
        return b.sign(key, None).tbs_certlist_bytes

    try:
        i2 = inter.intermediate("Fuzz Int 2", key=key)
        pl0 = root.intermediate("Fuzz PathLen0", key=key, path_length=0)
        pl0_sub = pl0.intermediate("Fuzz Under PathLen0", key=key)
        nc = root.intermediate("Fuzz NC", key=key, permitted_dns=["example.com"],
                               excluded_dns=["bad.example.com"], permitted_ips=["192.0.2.0/24"])
        not_ca = root.intermediate("Fuzz Not CA", key=key, ca=False)
        no_ku = root.intermediate("Fuzz No KU", key=key, key_usage=["digital_signature"])
        self_issued = root.intermediate("Fuzz Root", key=key)
        deep = [inter]
        for k in range(8):
            deep.append(deep[-1].intermediate(f"Fuzz Deep {k}", key=key))
        unknown = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
        def served(ca, *rest, **options):
            options.setdefault("dns", ["www.example.com"])
            return [root, ca.leaf(key=key, **options), *rest]

        chains += [
            ("two-intermediates", served(i2, i2, inter), []),
            ("pathlen0", served(pl0_sub, pl0_sub, pl0), []),
            ("nc-inside", served(nc, nc, ips=["192.0.2.1"]), []),
            ("nc-excluded", served(nc, nc, dns=["bad.example.com"]), []),
            ("nc-outside", served(nc, nc, dns=["www.example.org"], ips=["198.51.100.1"]), []),
            ("client-eku", served(inter, inter, eku=["client"]), []),
            ("expired", served(inter, inter, not_after=t.utc(2025)), []),
            ("not-ca", served(not_ca, not_ca), []),
            ("no-certsign", served(no_ku, no_ku), []),
            ("unknown-critical", served(inter, inter, extensions=[(unknown, True)]), []),
            ("wildcard-ip-cn", served(inter, inter, cn="www.example.com", dns=["*.example.com"],
                                      ips=["2001:db8::1"]), []),
            ("cn-only", served(inter, inter, cn="www.example.com", dns=[]), []),
            ("self-issued", served(self_issued, self_issued), []),
            ("deep", served(deep[-1], *deep[::-1]), []),
            ("unordered-extras", [root, leaf, root, i2, inter, inter], []),
            ("crl-revoked", [root, leaf, inter], [crl(inter, [leaf.cert.serial_number])]),
            ("crl-empty-no-number", [root, leaf, inter], [crl(inter, [], number=False),
                                                          crl(root, [inter.cert.serial_number])]),
            ("crl-stale", [root, leaf, inter], [crl(inter, [], this=2020, next_=2021)]),
            # revokedCertificates present but empty (30 00): once undefined behaviour
            ("crl-empty-list", [root, leaf, inter], [tbs_of_crl(t.make_crl(
                inter, [], key=key, empty_list=True))]),
        ]
    except Exception as e:  # a shape this cryptography cannot make: the rest stay
        print(f"make-corpus: some signed-mode seeds skipped ({e})", file=sys.stderr)
    return [(name, [tbs(c) for c in certs], crls) for name, certs, crls in chains]


def ocsp_seeds(out: Path) -> None:
    """fuzz_ocsp: root, intermediate, leaf (length-prefixed), then a stapled
    OCSP response made with pyca: good, revoked, by a delegated responder, by a
    stranger, stale, about another certificate, not successful."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509 import ocsp
    from cryptography.x509.oid import ExtendedKeyUsageOID

    t = load_testing()
    day = datetime.timedelta(days=1)
    when = t.utc(2030)
    pki = t.PKI()
    root = pki.root("Fuzz OCSP Root")
    inter = root.intermediate("Fuzz OCSP Int")
    leaf = inter.leaf(dns=["www.example.com"])
    other = inter.leaf(dns=["other.example.com"])
    responder = inter.leaf(cn="Fuzz Responder", eku=[ExtendedKeyUsageOID.OCSP_SIGNING])
    stranger = pki.root("Fuzz Stranger")
    head = length_prefixed([root.der, inter.der, leaf.der])
    seeds = Seeds(out, "fuzz_ocsp")

    def resp(name, *, cert=leaf, signer=inter, this=when - day, next_=when + 3 * day,
             revoked=None, include=None, unknown=False):
        seeds.add(name, head + t.make_ocsp_response(
            inter, cert, this_update=this, next_update=next_, revoked_at=revoked,
            reason=x509.ReasonFlags.key_compromise if revoked else None, signer=signer,
            include=include, unknown=unknown))

    resp("good")
    resp("revoked", revoked=when - 10 * day)
    resp("revoked-later", revoked=when + day)
    resp("unknown", unknown=True)
    resp("delegated", signer=responder, include=responder)
    resp("stranger", signer=stranger)
    resp("stale", this=when - 30 * day, next_=when - 20 * day)
    resp("no-next-update", next_=None)
    resp("other-cert", cert=other)
    seeds.add("try-later", head + ocsp.OCSPResponseBuilder.build_unsuccessful(
        ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(Encoding.DER))
    seeds.add("no-response", head)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: make-corpus.py OUTDIR")
    out = Path(sys.argv[1])
    cases = [(DATA, c) for c in read_cases(DATA / "cases.tsv")]
    cases += [(DATA, c) for c in read_cases(DATA / "nc" / "cases.tsv")]
    limbo = json.load(gzip.open(LIMBO, "rt"))["testcases"]
    extra = extra_certificates()

    # ---- fuzz_verify: every case, then x509-limbo's served chains -----------
    verify = Seeds(out, "fuzz_verify")
    for base, case in cases:
        head = policy_header(case["policy"])
        if head is None:
            continue
        header, store = head
        if case["store"] in ("pki/int-a.pem", "pki/int-a.pem,pki/root-a.pem"):
            store = 3
        if case["pool"] != "-":
            store |= 4
        ders = pem_blocks((base / case["chain"]).read_bytes())
        verify.add(case["name"], header + bytes([store, 5]) + length_prefixed(ders))
    # 2024-01-01 is 1700000000 + 47 days: time index 11, offset 47, unit days.
    limbo_header = bytes([0, 0, 0, 11 | 2 << 4, 47, 0, 0, 0])
    for tc in limbo:
        ders = [pem_blocks(tc["peer_certificate"].encode())[0]]
        ders += [pem_blocks(p.encode())[0] for p in tc["untrusted_intermediates"]]
        verify.add("limbo-" + tc["id"], limbo_header + bytes([4, 1]) + length_prefixed(ders))

    # Signed mode: the root's TBS, the CRLs' (length | 0x8000), the served ones.
    for name, tbss, crls in signed_chains():
        for host, header in (("www", bytes([0x01, 0, 0, 0, 0, 0, 0, 0])),
                             ("server-lenient", bytes([0x07, 0x40, 0, 0, 0, 0, 0, 0])),
                             ("ip", bytes([0x01, 3 << 2, 0, 0, 0, 0, 0, 0]))):
            body = struct.pack(">H", len(tbss[0])) + tbss[0]
            body += b"".join(struct.pack(">H", 0x8000 | len(c)) + c for c in crls)
            body += length_prefixed(tbss[1:])
            verify.add(f"signed-{name}-{host}", header + bytes([0x10, 5]) + body)

    # ---- fuzz_x509: every certificate -----------------------------------------
    x509s = Seeds(out, "fuzz_x509")
    for d in (DATA / "pki", DATA / "nc"):
        for f in sorted(d.glob("*.pem")):
            for i, der in enumerate(pem_blocks(f.read_bytes())):
                x509s.add(f"{f.stem}-{i}", der)
    for tc in limbo:
        for i, p in enumerate(tc["trusted_certs"] + tc["untrusted_intermediates"] +
                              [tc["peer_certificate"]]):
            x509s.add(f"limbo-{tc['id']}-{i}", pem_blocks(p.encode())[0])
    for i, der in enumerate(extra):
        x509s.add(f"generated-{i}", der)
        # A directoryName whose length runs past its Name into the names
        # after it: libtasn1 passes over it, libchain calls the certificate
        # malformed (fuzz_x509's finding of 2026-12-06).
        if b"\xa4\x10\x30\x0e" in der:
            x509s.add(f"generated-{i}-san-dirname-length",
                      der.replace(b"\xa4\x10\x30\x0e", b"\xa4\x1a\x30\x0e", 1))

    # ---- fuzz_pem: the fixture files as they are, and reshaped ---------------
    pem = Seeds(out, "fuzz_pem")
    files = sorted((DATA / "pki").glob("*.pem")) + sorted((DATA / "pki").glob("*.crl"))
    for f in files:
        pem.add(f.name, f.read_bytes())
    chain_a = (DATA / "pki" / "chain-a.pem").read_bytes()
    crl = (DATA / "pki" / "int-a-revokes-leaf.crl").read_bytes()
    first = chain_a.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    variants = {
        "crlf": chain_a.replace(b"\n", b"\r\n"),
        "no-final-newline": chain_a.rstrip(),
        "comments": b"# issuer: Test\nsubject= /CN=x\n" + chain_a + b"trailing text\n",
        "missing-end": chain_a[: chain_a.rfind(b"-----END")],
        "bad-base64": first.replace(b"MII", b"M!I", 1),
        "truncated-base64": first[: len(first) // 2] + b"\n-----END CERTIFICATE-----\n",
        "cert-and-crl": chain_a + crl,
        "trusted-label": first.replace(b"CERTIFICATE", b"TRUSTED CERTIFICATE"),
        "indented": b"\n".join(b"  " + line for line in chain_a.splitlines()),
        "one-line": first.replace(b"\n", b"", 2),
        "empty-block": b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "nested-begin": b"-----BEGIN CERTIFICATE-----\n" + first,
        "padding": first.replace(b"-----END", b"====\n-----END"),
        "empty": b"",
    }
    for name, data in variants.items():
        pem.add(name, data)

    # ---- fuzz_store: records (kind, u16 length, bytes) ------------------------
    store = Seeds(out, "fuzz_store")

    def rec(kind: int, data: bytes) -> bytes:
        return bytes([kind]) + struct.pack(">H", len(data)) + data

    def der(rel: str, i: int = 0) -> bytes:
        return pem_blocks((DATA / rel).read_bytes())[i]

    def crl_der(rel: str) -> bytes:
        return pem_blocks((DATA / rel).read_bytes(), b"X509 CRL")[0]

    root_a, int_a = der("pki/root-a.pem"), der("pki/int-a.pem")
    leaf_a = der("pki/chain-a.pem")
    store.add("root-verify-crl-verify", rec(0, root_a) + rec(6, b"") +
              rec(2, (DATA / "pki/int-a-revokes-leaf.crl").read_bytes()) + rec(6, b""))
    store.add("pem-bundles-distrust", rec(3, (DATA / "pki/root-a.pem").read_bytes()) +
              rec(4, (DATA / "pki/pool-a.pem").read_bytes()) + rec(5 | 5 << 4, root_a))
    store.add("both-and-der-crl", rec(7, int_a) + rec(0, root_a) +
              rec(2, crl_der("pki/int-a-empty.crl")) + rec(2, crl_der("pki/int-a-stale.crl")))
    store.add("served-records", rec(0, root_a) + rec(1, leaf_a) + rec(1, int_a))
    store.add("partial", rec(0, int_a) + rec(6, b"") + rec(1, leaf_a))
    store.add("garbage", rec(0, b"\x30\x03\x02\x01\x01") + rec(2, b"\x30\x00") +
              rec(3, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
    for name in ("root-ec", "root-ed25519", "root-pss-old", "root-sha1", "root-r0"):
        store.add(name, rec(0, der(f"pki/{name}.pem")) + rec(0, root_a) +
                  rec(2, (DATA / "pki/no-crlsign.crl").read_bytes()))
    for f in sorted((DATA / "pki").glob("*.crl")):
        store.add("crl-" + f.stem, rec(0, root_a) + rec(2, f.read_bytes()) +
                  rec(2, crl_der(f"pki/{f.name}")))
    for tc in limbo[:60]:
        recs = b"".join(rec(0, pem_blocks(p.encode())[0]) for p in tc["trusted_certs"])
        recs += b"".join(rec(1, pem_blocks(p.encode())[0]) for p in tc["untrusted_intermediates"])
        recs += b"".join(rec(2, c.encode()) for c in tc.get("crls") or [])
        store.add("limbo-" + tc["id"], recs)

    # ---- fuzz_names: fixture chains (the C side's list) and built leaves ------
    names = Seeds(out, "fuzz_names")
    chain_list: list[str] = []
    for base, case in cases:
        if case["store"] in ("pki/root-a.pem", "nc/root.pem", "nc/root-nc.pem") and \
                case["chain"] not in chain_list:
            chain_list.append(case["chain"])
    for base, case in cases:
        if case["chain"] not in chain_list:
            continue
        policy = dict(kv.partition("=")[::2] for kv in case["policy"].split(";")
                      if case["policy"] != "-")
        flags = (0x01 if policy.get("cn_fallback") == "1" else 0) | \
                (0x02 if policy.get("strict") == "0" else 0)
        name = policy.get("hostname", policy.get("ip", "www.example.com"))
        if "ip" in policy:
            flags |= 0x08
        purpose = {"server": "1.3.6.1.5.5.7.3.1", "client": "1.3.6.1.5.5.7.3.2"}.get(
            policy.get("purpose", ""), policy.get("purpose", ""))
        if purpose and purpose != "any":
            flags |= 0x10
        idx = chain_list.index(case["chain"]) % 256
        names.add("chain-" + case["name"],
                  bytes([flags, idx]) + name.encode() + b"\n" + purpose.encode())
    built = [
        (0x00, "www.example.com", ["dwww.example.com"]),
        (0x00, "a.example.com", ["d*.example.com", "dexample.com"]),
        (0x00, "WWW.Example.COM.", ["dwww.example.com."]),
        (0x00, "a.b.example.com", ["d*.example.com"]),
        (0x00, "example.com", ["d*.com", "df*.example.com"]),
        (0x00, "192.0.2.1", ["i192.0.2.1", "d192.0.2.1"]),
        (0x08, "2001:db8::1", ["i2001:db8::1", "r\x20\x01\x0d\xb8"]),
        (0x01, "www.example.com", ["cwww.example.com", "cother"]),
        (0x01, "www.example.com", ["cwww.example.com", "eadmin@example.com"]),
        (0x01, "www.example.com", ["c*.example.com", "uhttps://www.example.com/"]),
        (0x21, "foo.example.com", ["cFOO.example.com.", "x\xa4\x00"]),
        (0x00, "xn--caf-dma.example.com", ["dxn--caf-dma.example.com", "dexa\x00mple.com"]),
        (0x02, "localhost", ["dlocalhost", "x\x88\x03\x2a\x03\x04"]),
    ]
    for i, (flags, host, entries) in enumerate(built):
        data = bytes([flags | 0x04, 0]) + host.encode() + b"\n\n" + \
            "\n".join(entries).encode("latin-1")
        names.add(f"built-{i}", data)
        names.add(f"built-{i}-purpose", bytes([flags | 0x14, 0]) + host.encode() +
                  b"\n1.3.6.1.5.5.7.3.1\n" + "\n".join(entries).encode("latin-1"))

    # ---- fuzz_scan: JSON lines (jsonl and zgrab2 shapes) of fixture chains ----
    scan = Seeds(out, "fuzz_scan")
    chains = {f.stem: pem_blocks(f.read_bytes()) for f in sorted((DATA / "pki").glob("chain-*.pem"))}
    lines = []
    for i, (name, ders) in enumerate(chains.items()):
        items = [base64.b64encode(d).decode() for d in ders]
        lines.append(json.dumps({"id": i, "host": "www.example.com", "time": T, "chain": items}))
        lines.append(json.dumps({"ip": "192.0.2.1", "domain": "www.example.com", "data": {"tls": {
            "status": "success", "timestamp": "2030-01-01T00:00:00Z", "result": {
                "handshake_log": {"server_certificates": {
                    "certificate": {"raw": items[0], "parsed": {"subject": {"cn": [name]}}},
                    "chain": [{"raw": x} for x in items[1:]]}}}}}}))
    for k in range(0, len(lines), 4):
        text = "\n".join(lines[k:k + 4]).encode() + b"\n"
        scan.add(f"lines-{k}", bytes([0, 128]) + text)
        scan.add(f"lines-{k}-short", bytes([1, 40]) + text)
    rows = ["id,host,time,chain"] + [
        f'{i},www.example.com,{T},"' + ";".join(base64.b64encode(d).decode() for d in ders) + '"'
        for i, ders in enumerate(chains.values())]
    for k in range(0, len(rows), 5):
        text = "\r\n".join(rows[:1] + rows[k + 1:k + 5]).encode() + b"\r\n"
        scan.add(f"csv-{k}", bytes([2, 128]) + text)
        scan.add(f"csv-{k}-short", bytes([3, 30]) + text)
    scan.add("csv-quoted", bytes([2, 90]) + b'id,chain,note\n1,"QUJD;","a\nb ""c"""\n,,\n')
    pem_item = (DATA / "pki" / "chain-a.pem").read_text()
    staple = base64.b64encode(b"\x30\x03\x0a\x01\x01").decode()  # OCSPResponse: malformedRequest
    scan.add("ocsp", bytes([0, 150]) + json.dumps(
        {"id": "o", "chain": [base64.b64encode(d).decode() for d in chains["chain-a"]],
         "ocsp": staple}).encode() + b"\n" + json.dumps({"chain": ["QUJD"], "ocsp": 5}).encode())
    scan.add("csv-ocsp", bytes([2, 60]) + ("id,chain,ocsp\n1,\"" + ";".join(
        base64.b64encode(d).decode() for d in chains["chain-a"]) + f'",{staple}\n').encode())
    scan.add("pem-item", bytes([0, 200]) + json.dumps({"id": "a", "chain": [pem_item]}).encode())
    scan.add("damaged", bytes([0, 100]) + b'{"id": 1, "chain": ["AAAA"\n\n[1,2]\ntrue\n'
             b'{"id": {"x": [1, {"y": null}]}, "host": "[::1]", "chain": "QUJD"}\n')
    # b0 bits 2, 3, 6 (fuzz_scan.cc): --resume's skip (N = b1 % (records + 2)),
    # a limit of 1 + (b0 >> 4 & 3) records a call, a canceled engine.
    text = "\n".join(lines[:4]).encode() + b"\n\n" + "\n".join(lines[4:6]).encode() + b"\n"
    scan.add("lines-skip", bytes([0x04, 3]) + text)
    scan.add("lines-skip-limit", bytes([0x04 | 0x08 | 0x10, 130]) + text)
    scan.add("lines-limit-cancel", bytes([0x08 | 0x40, 128]) + text)
    csv_text = ("\r\n".join(rows[:6]) + "\r\n").encode()
    scan.add("csv-skip", bytes([0x02 | 0x04, 4]) + csv_text)
    scan.add("csv-skip-limit-cancel", bytes([0x02 | 0x04 | 0x08 | 0x40, 60]) + csv_text)
    # Found with the skip check: an over-long record before the header is one to skip.
    scan.add("csv-skip-long-first", bytes([0x01 | 0x02 | 0x04, 2]) + b"h" * 300 +
             b"\nid,chain\na,QUJD\nb,QUJD\n")
    # Found with the limit check: a call whose one record (limit 1) is an over-long
    # one must still take that record's bytes.
    scan.add("csv-limit-long", bytes([0x01 | 0x02 | 0x08, 0]) + b"id,chain\na,QUJD\nb," +
             b"A" * 300 + b"\nc,QUJD\n")

    ocsp_seeds(out)

    for target in ("fuzz_verify", "fuzz_x509", "fuzz_pem", "fuzz_store", "fuzz_names",
                   "fuzz_scan", "fuzz_ocsp"):
        n = len(list((out / target).iterdir()))
        print(f"{target}: {n} seeds")


if __name__ == "__main__":
    main()
