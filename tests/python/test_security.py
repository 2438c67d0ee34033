"""Regression tests for the security findings on hostile inputs (issue 10).

Each test names its finding; each failed on the code before its fix. The
certificates and CRLs are made here by chainval.testing, the generator
behind tests/data.
"""

from __future__ import annotations

import pytest

import chainval
from chainval import Policy, TrustStore, verify
from chainval.testing import PKI, make_crl, patch_tbs, set_serial, utc
from cryptography.hazmat.primitives.serialization import Encoding

_DER = Encoding.DER

from _support import T


def codes(result):
    return [(p.code, p.depth) for p in result.reasons]


# ---------------------------------------------------------------------------
# Finding 1: CRL checks inside the work budget, CRL memory bounded


@pytest.fixture(scope="module")
def crl_pki():
    """root -> inter -> leaf, and the pieces of a CRL-heavy store."""
    pki = PKI()
    root = pki.root("CRL Root")
    inter = root.intermediate("CRL Int")
    leaf = inter.leaf(dns=["www.example.com"])
    return pki, root, inter, leaf


def big_crl(issuer, n, *, key=None, first=1):
    return make_crl(issuer, range(first, first + n), key=key)


def test_crl_signature_checks_count_against_the_budget(crl_pki):
    """Each (CRL, issuer) check is charged to the signature budget: sixteen
    same-name CRLs of other keys on the intermediate's edge cost 16 units,
    so a budget of 10 ends in budget_exceeded (before: CRL checks were
    free, whatever their number and size)."""
    pki, root, inter, leaf = crl_pki
    store = TrustStore.from_pem(root.pem)
    for _ in range(16):
        store.add_crl(make_crl(inter, [leaf.cert.serial_number], key=pki.key()))
    chain = [leaf.der, inter.der]
    assert verify(chain, store=store, policy=Policy(at=T)).ok
    r = verify(chain, store=store, policy=Policy(at=T, max_sig_checks=10))
    assert r.code == "budget_exceeded", codes(r)
    assert not r.ok


def test_crl_checked_over_the_whole_data_is_charged_by_size():
    """An Ed25519 CRL cannot be checked over a digest made once: each check
    hashes it all, so it costs one unit more per 64 KiB (850 kB: 13)."""
    pki = PKI(key_type="ed25519")
    root = pki.root("Ed Root")
    inter = root.intermediate("Ed Int")
    leaf = inter.leaf(dns=["www.example.com"])
    store = TrustStore.from_pem(root.pem)
    crl = big_crl(inter, 40_000)
    assert len(crl) > 12 * 65536
    store.add_crl(crl)
    chain = [leaf.der, inter.der]
    assert verify(chain, store=store, policy=Policy(at=T)).ok
    r = verify(chain, store=store, policy=Policy(at=T, max_sig_checks=10))
    assert r.code == "budget_exceeded", codes(r)
    # and it is checked for real: one that lists the leaf revokes it
    store.add_crl(make_crl(inter, [leaf.cert.serial_number]))
    r = verify(chain, store=store, policy=Policy(at=T, max_sig_checks=1000))
    assert r.code == "revoked", codes(r)


@pytest.mark.parametrize("key_type", ["p256", "p384", "rsa2048", "ed25519"])
def test_crl_of_each_key_type_revokes(key_type):
    """Digest made once (RSA, ECDSA) or the whole data (EdDSA): either way
    a CRL listing the leaf revokes it, and one of another key is skipped."""
    pki = PKI(key_type=key_type)
    root = pki.root("Kt Root")
    inter = root.intermediate("Kt Int")
    leaf = inter.leaf(dns=["www.example.com"])
    other = TrustStore.from_pem(root.pem)
    other.add_crl(make_crl(inter, [leaf.cert.serial_number], key=pki.key()))
    assert verify([leaf.der, inter.der], store=other, policy=Policy(at=T)).ok
    store = TrustStore.from_pem(root.pem)
    store.add_crl(make_crl(inter, [leaf.cert.serial_number]))
    r = verify([leaf.der, inter.der], store=store, policy=Policy(at=T))
    assert r.code == "revoked", codes(r)


def test_crl_checks_are_charged_once_per_crl_and_issuer(crl_pki):
    """Sixteen CRLs under the intermediate's name (other keys: skipped) and
    eight served copies of the CA above it, seven of which fail: the
    (CRL, intermediate) pairs are met on eight evaluated paths but charged
    once each, so the one good path is found within the default budget of
    100 (charged per path they would cost 128)."""
    pki, root, _, _ = crl_pki
    mid_key = pki.key()
    bad = [root.issue("CRL Mid", mid_key, ca=True, eku=["client"]) for _ in range(7)]
    good = root.issue("CRL Mid", mid_key, ca=True)
    from chainval.testing import CA
    mid = CA(pki, "CRL Mid", mid_key, good)
    inter = mid.intermediate("CRL Int 2")
    leaf = inter.leaf(dns=["www.example.com"])
    store = TrustStore.from_pem(root.pem)
    for _ in range(16):
        store.add_crl(make_crl(inter, [leaf.cert.serial_number], key=pki.key()))
    served = [leaf.der, inter.der, *(c.public_bytes(_DER) for c in bad), mid.der]
    r = verify(served, store=store, policy=Policy(at=T))
    assert r.ok, codes(r)
    assert len(r.chain) == 4


def test_crl_revokes_a_serial_longer_than_64_bytes(crl_pki):
    """Finding 6: a revoked serial is found whatever its length (before: a
    fixed 64-byte buffer skipped longer serials, so the leaf verified ok)."""
    pki, root, inter, leaf = crl_pki
    for size in (64, 65, 80, 200):
        serial = b"\x5a" * size
        long_leaf = set_serial(leaf, serial, inter.key)
        store = TrustStore.from_pem(root.pem)
        store.add_crl(make_crl(inter, [1, serial, 2]))
        r = verify([long_leaf, inter.der], store=store, policy=Policy(at=T, strict=False))
        assert r.code == "revoked", (size, codes(r))
        other = TrustStore.from_pem(root.pem)
        other.add_crl(make_crl(inter, [1, serial[:-1] + b"\x5b", 2]))
        assert verify([long_leaf, inter.der], store=other, policy=Policy(at=T, strict=False)).ok


def test_crl_memory_limit(crl_pki):
    pki, root, inter, _ = crl_pki
    store = TrustStore.from_pem(root.pem)
    crl = big_crl(inter, 1000)
    store.set_crl_limit(len(crl) + 1000 * 24 + 4096)
    assert store.add_crl(crl) == 1
    used = store.crl_bytes
    assert len(crl) + 1000 * 24 <= used <= len(crl) + 1000 * 24 + 4096
    with pytest.raises(ValueError, match="CRL limit"):
        store.add_crl(big_crl(inter, 1000, first=5000))
    assert store.crl_bytes == used
    assert any("CRL limit" in why for _, why in store.rejected)
    store.set_crl_limit(10 * len(crl))
    assert store.add_crl(big_crl(inter, 1000, first=5000)) == 1


# ---------------------------------------------------------------------------
# Finding 2: a CN the hostname check may match is subject to name constraints


@pytest.fixture(scope="module")
def constrained():
    pki = PKI()
    root = pki.root("NC Root")
    inter = root.intermediate("NC Int", permitted_dns=["example.com"])
    return pki, root, inter


@pytest.mark.parametrize("cn, host", [
    ("localhost", "localhost"),
    ("LOCALHOST", "localhost"),
    ("localhost.", "localhost"),
    ("intranet", "INTRANET."),
])
def test_cn_fallback_name_is_constrained(constrained, cn, host):
    """Before: nc.c checked only CNs with a dot, hostname.c matched any CN,
    so a CA permitted only example.com could vouch for "localhost"."""
    pki, root, inter = constrained
    leaf = inter.leaf(cn)  # no SAN
    store = TrustStore.from_pem(root.pem)
    r = verify([leaf.der, inter.der], store=store,
               policy=Policy(at=T, hostname=host, cn_fallback=True, strict=False))
    assert r.code == "name_constraints", codes(r)
    assert ("name_constraints", 0) in codes(r)


def test_cn_fallback_inside_the_constraints_still_verifies(constrained):
    pki, root, inter = constrained
    leaf = inter.leaf("www.example.com")
    store = TrustStore.from_pem(root.pem)
    r = verify([leaf.der, inter.der], store=store,
               policy=Policy(at=T, hostname="www.example.com", cn_fallback=True, strict=False))
    assert r.ok, codes(r)
    # without cn_fallback an undotted CN is not a host name (as before)
    r = verify([inter.leaf("localhost").der, inter.der], store=store,
               policy=Policy(at=T, strict=False))
    assert r.ok, codes(r)


# ---------------------------------------------------------------------------
# Findings 3 and 4: invalid UTF-8 in names


@pytest.fixture(scope="module")
def bad_utf8():
    """An intermediate whose subject O= holds ff fe (not UTF-8) and a leaf it
    issued (whose issuer name holds the same bytes), plus a leaf whose own
    subject O= holds ff fe c0 80."""
    pki = PKI()
    root = pki.root("UTF8 Root")
    inter_key = pki.key()
    inter_cert = root.issue(x509_name(cn="UTF8 Int", o="@@"), inter_key, ca=True)
    inter_der = patch_tbs(inter_cert, b"\x0c\x02@@", b"\x0c\x02\xff\xfe", root.key)
    from chainval.testing import CA
    inter = CA(pki, x509_name(cn="UTF8 Int", o="@@"), inter_key, inter_cert)
    leaf_cert = inter.issue("www.example.com", pki.key(), dns=["www.example.com"])
    leaf_der = patch_tbs(leaf_cert, b"\x0c\x02@@", b"\x0c\x02\xff\xfe", inter_key)
    clean = root.intermediate("UTF8 Clean Int")
    own = clean.issue(x509_name(cn="www.example.com", o="@@@@"), pki.key(),
                      dns=["www.example.com"])
    own_der = patch_tbs(own, b"\x0c\x04@@@@", b"\x0c\x04\xff\xfe\xc0\x80", clean.key)
    return root, inter_der, leaf_der, (clean.der, own_der)


def x509_name(*, cn, o):
    from cryptography import x509 as cx509
    from cryptography.x509.oid import NameOID
    return cx509.Name([cx509.NameAttribute(NameOID.ORGANIZATION_NAME, o),
                       cx509.NameAttribute(NameOID.COMMON_NAME, cn)])


def test_invalid_utf8_issuer_name_is_escaped_text(bad_utf8):
    """Finding 3: before, result.certificates raised UnicodeDecodeError."""
    root, inter, leaf, _ = bad_utf8
    store = TrustStore.from_pem(root.pem)
    r = verify([leaf, inter], store=store, policy=Policy(at=T, strict=False))
    certs = r.certificates
    assert certs[0].issuer == "CN=UTF8 Int,O=\\FF\\FE"
    assert certs[1].subject == "CN=UTF8 Int,O=\\FF\\FE"
    assert r.ok, codes(r)


def test_invalid_utf8_row_does_not_stop_a_scan(bad_utf8, tmp_path):
    """Finding 3: one such row stopped a whole `chainval scan`."""
    import base64
    import json

    from chainval.cli import main

    root, inter, leaf, _ = bad_utf8
    (tmp_path / "roots.pem").write_bytes(root.pem)
    rows = [{"id": i, "host": "www.example.com", "time": T,
             "chain": [base64.b64encode(d).decode() for d in (leaf, inter)]} for i in range(3)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out.jsonl"
    status = main(["scan", str(src), "--store", f"roots={tmp_path / 'roots.pem'}",
                   "-o", str(out)])
    assert status == 0
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["id"] for g in got] == [0, 1, 2]
    assert all(g["issuer"] == "CN=UTF8 Int,O=\\FF\\FE" for g in got)


def test_invalid_utf8_in_a_utf8string_is_malformed_under_strict(bad_utf8):
    """Finding 4: before, the leaf verified ok under the strict policy."""
    root, bad_inter, bad_leaf, (inter, own) = bad_utf8
    store = TrustStore.from_pem(root.pem)
    r = verify([own, inter], store=store, policy=Policy(at=T, strict=True))
    assert r.code == "malformed", codes(r)
    assert codes(r) == [("malformed", 0)]
    # the intermediate's own subject is checked too (depth 1)
    r = verify([bad_leaf, bad_inter], store=store, policy=Policy(at=T, strict=True))
    assert ("malformed", 1) in codes(r) and ("malformed", 0) not in codes(r)
    lax = verify([own, inter], store=store, policy=Policy(at=T, strict=False))
    assert lax.ok, codes(lax)
    assert lax.certificates[0].subject == "CN=www.example.com,O=\\FF\\FE\\C0\\80"


@pytest.mark.parametrize("tag, value, valid", [
    (0x1E, b"\x00A\x00B", True),           # BMPString "AB"
    (0x1E, b"\x00A\x00", False),           # odd length
    (0x1E, b"\xd8\x00\x00A", False),       # a surrogate half
    (0x1C, b"\x00\x00\x00A", True),        # UniversalString "A"
    (0x1C, b"\x00\x00\x00A\x00", False),   # not a multiple of 4
    (0x1C, b"\x00\x11\x00\x00", False),    # beyond U+10FFFF
])
def test_bmp_and_universal_string_lengths(tag, value, valid):
    """Finding 4: BMPString / UniversalString contents are checked too."""
    pki = PKI()
    root = pki.root("Str Root")
    inter = root.intermediate("Str Int")
    placeholder = b"@" * len(value)
    cert = inter.issue(x509_name(cn="www.example.com", o=placeholder.decode()), pki.key(),
                       dns=["www.example.com"])
    der = patch_tbs(cert, b"\x0c" + bytes([len(value)]) + placeholder,
                    bytes([tag, len(value)]) + value, inter.key)
    r = verify([der, inter.der], store=TrustStore.from_pem(root.pem), policy=Policy(at=T))
    if valid:
        assert r.ok, codes(r)
    else:
        assert r.code == "malformed", codes(r)


# ---------------------------------------------------------------------------
# Finding 5: the public-suffix wildcard rule in any case


@pytest.mark.parametrize("pattern", ["*.co.uk", "*.CO.UK", "*.Co.Uk", "*.co.uk."])
def test_wildcard_over_public_suffix_in_any_case(pattern):
    pki = PKI()
    root = pki.root("PSL Root")
    inter = root.intermediate("PSL Int")
    leaf = inter.leaf(dns=[pattern]) if not pattern.endswith(".") else None
    if leaf is None:
        cert = inter.issue("psl", pki.key(), dns=["*.co.ukX"])
        der = patch_tbs(cert, b"*.co.ukX", b"*.co.uk.", inter.key)
    else:
        der = leaf.der
    r = verify([der, inter.der], store=TrustStore.from_pem(root.pem),
               policy=Policy(at=T, hostname="victim.co.uk"))
    assert r.code == "nonconforming", codes(r)
    assert any("public suffix" in p.message for p in r.reasons)


# ---------------------------------------------------------------------------
# Finding 8


def test_ipv4_mapped_ipv6_san_meets_ipv4_constraints():
    """Before: SAN ::ffff:10.0.0.1 stepped round an excluded 10.0.0.0/8."""
    pki = PKI()
    root = pki.root("IP Root")
    store = TrustStore.from_pem(root.pem)
    excl = root.intermediate("IP Excl", excluded_ips=["10.0.0.0/8"])
    leaf = excl.leaf(ips=["::ffff:10.0.0.1"])
    r = verify([leaf.der, excl.der], store=store, policy=Policy(at=T, strict=False))
    assert r.code == "name_constraints", codes(r)
    other = excl.leaf(ips=["::ffff:192.0.2.1", "2001:db8::1"])
    assert verify([other.der, excl.der], store=store, policy=Policy(at=T, strict=False)).ok
    perm = root.intermediate("IP Perm", permitted_ips=["10.0.0.0/8", "2001:db8::/32"])
    inside = perm.leaf(ips=["::ffff:10.1.2.3"])
    assert verify([inside.der, perm.der], store=store, policy=Policy(at=T, strict=False)).ok
    outside = perm.leaf(ips=["::ffff:192.0.2.1"])
    r = verify([outside.der, perm.der], store=store, policy=Policy(at=T, strict=False))
    assert r.code == "name_constraints", codes(r)


@pytest.mark.parametrize("uri, ok", [
    ("https://good.com/", True),
    ("https://user@good.com:443/x", True),
    ("https://evil.com\\@good.com/", False),   # WHATWG: host evil.com
    ("https://evil.com@x@good.com/", False),   # two '@'
    ("https://evil.com good.com/", False),
])
def test_uri_constraints_refuse_ambiguous_authorities(uri, ok):
    """Before: uri_host read https://evil.com\\@good.com/ as good.com."""
    from cryptography import x509 as cx509

    pki = PKI()
    root = pki.root("URI Root")
    inter = root.intermediate("URI Int", extensions=[(cx509.NameConstraints(
        permitted_subtrees=[cx509.UniformResourceIdentifier("good.com")],
        excluded_subtrees=None), True)])
    leaf = inter.issue("uri leaf", pki.key(), extensions=[
        (cx509.SubjectAlternativeName([cx509.DNSName("www.example.com"),
                                       cx509.UniformResourceIdentifier(uri)]), False)])
    der = leaf.public_bytes(_DER)
    r = verify([der, inter.der], store=TrustStore.from_pem(root.pem),
               policy=Policy(at=T, strict=False))
    assert r.ok is ok, codes(r)
    if not ok:
        assert r.code == "name_constraints"


@pytest.mark.parametrize("host", ["127.1", "0x7f.0.0.1", "192.0.2.1.1", "www.123", "10.0.0.0x1"])
def test_numeric_host_names_are_refused(host):
    """Before: "127.1" was a DNS name that could match dNSName "127.1"."""
    with pytest.raises(ValueError):
        Policy(hostname=host)


def test_dotted_quad_with_trailing_dot_is_the_address():
    pki = PKI()
    root = pki.root("Quad Root")
    inter = root.intermediate("Quad Int")
    store = TrustStore.from_pem(root.pem)
    by_ip = inter.leaf(ips=["192.0.2.1"])
    as_dns = inter.leaf(dns=["192.0.2.1"])
    policy = Policy(at=T, hostname="192.0.2.1.", strict=False)
    assert verify([by_ip.der, inter.der], store=store, policy=policy).ok
    r = verify([as_dns.der, inter.der], store=store, policy=policy)
    assert r.code == "hostname_mismatch", codes(r)
    assert Policy(hostname="a1.b2.c3x").hostname == "a1.b2.c3x"


# ---------------------------------------------------------------------------
# Finding 7 in the Python layer: a PEM bundle is decoded only up to the limit


def test_python_pem_bundle_stops_at_the_chain_limit(crl_pki):
    """Before: verify() decoded and copied every block of a bundle (100 MB:
    0.5 s and 70 MiB) before libchain applied its limit. The byte count
    libchain reports shows where decoding stopped."""
    import re

    _, root, inter, leaf = crl_pki
    store = TrustStore.from_pem(root.pem)
    block = leaf.pem
    bundle = block * (3 * 20000 // len(leaf.der) + 2)
    limit = 2 * 20000 + 65536
    bundle = bundle[: limit - limit % len(block)]  # whole blocks, under the text bound
    policy = Policy(at=T, max_chain_bytes=20000)
    for form in (bundle, bundle.decode(), [bundle]):
        r = verify(form, store=store, policy=policy)
        assert r.code == "input_limit", codes(r)
        seen = int(re.search(r"served chain of (\d+) bytes", r.error_message).group(1))
        assert 20000 < seen <= 20000 + len(leaf.der), seen
    # a text over twice the limit plus 64 KiB is not read at all
    r = verify(b"#" * (limit + 1), store=store, policy=policy)
    assert r.code == "input_limit"
    # within the limit, a bundle verifies as before
    assert verify(leaf.pem + inter.pem, store=store, policy=policy).ok
    many = chainval.verify_many([bundle, [leaf.der, inter.der]], store=store, policy=policy)
    assert [x.code for x in many] == ["input_limit", "ok"]


def test_an_item_that_changes_the_chain_list_is_safe():
    """Review finding: reading an item (a `der` property) may run code that
    shrinks the caller's list; the loop read freed memory (segfault)."""
    pki = PKI()
    root = pki.root("Mut Root")
    inter = root.intermediate("Mut Int")
    leaf = inter.leaf(dns=["www.example.com"])
    chain: list = []

    class Shrinker:
        @property
        def der(self):
            chain.clear()
            return leaf.der

    chain += [Shrinker(), inter.der, inter.der, inter.der]
    store = TrustStore.from_pem(root.pem)
    r = verify(chain, store=store, policy=Policy(at=T))
    assert r.ok and chain == []
    chain += [Shrinker(), inter.der]
    assert chainval.verify_many([chain], store=store, policy=Policy(at=T))[0].ok


# ---------------------------------------------------------------------------
# Found by review after the fixes above; each failed before its fix


def test_pss_crl_gnutls_cannot_check_fails_closed():
    """GnuTLS fails valid RSA-PSS CRL signatures whose salt is not the hash
    length; that was read as "another key's CRL" and the revoked leaf
    verified ok. Now: revocation_unknown."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    pki = PKI(key_type="rsa2048")
    root = pki.root("PSS Root")
    inter = root.intermediate("PSS Int")
    leaf = inter.leaf(dns=["www.example.com"])
    for salt, want in ((32, "revoked"), (64, "revocation_unknown"), (0, "revocation_unknown")):
        b = (cx509.CertificateRevocationListBuilder().issuer_name(inter.name)
             .last_update(utc(2020)).next_update(utc(2099))
             .add_extension(cx509.CRLNumber(1), critical=False)
             .add_revoked_certificate(cx509.RevokedCertificateBuilder()
                                      .serial_number(leaf.cert.serial_number)
                                      .revocation_date(utc(2021)).build()))
        crl = b.sign(inter.key, hashes.SHA256(),
                     rsa_padding=padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt))
        store = TrustStore.from_pem(root.pem)
        store.add_crl(crl.public_bytes(_DER))
        r = verify([leaf.der, inter.der], store=store, policy=Policy(at=T))
        assert r.code == want, (salt, codes(r))


def test_crl_with_ber_entries_fails_closed(crl_pki):
    """A CRL GnuTLS reads but libchain's DER reader does not (a non-minimal
    length inside revokedCertificates) was refused, and inside a PEM bundle
    dropped silently: the revoked leaf verified. Now it is kept, and its
    issuer's certificates are revocation_unknown."""
    from chainval.testing import der_to_pem

    pki, root, inter, leaf = crl_pki
    good = make_crl(inter, [leaf.cert.serial_number])
    # the one entry SEQUENCE (30 len ...) re-encoded with a long-form length
    serial = leaf.cert.serial_number
    entry_body = bytes.fromhex("02") + bytes([len(serial.to_bytes(serial.bit_length() // 8 + 1,
                                                                   "big", signed=True))])
    at = good.index(entry_body)
    short_len = good[at - 1]
    assert good[at - 2] == 0x30 and short_len < 0x80
    store = TrustStore.from_pem(root.pem)
    try:
        store.add_crl(der_to_pem(_reencode_outer(good, at, short_len), "X509 CRL"))
    except chainval.ParseError:
        pytest.skip("GnuTLS refuses this BER form too")
    r = verify([leaf.der, inter.der], store=store, policy=Policy(at=T))
    assert r.code == "revocation_unknown", codes(r)


def _reencode_outer(crl: bytes, at: int, short_len: int) -> bytes:
    """``crl`` with the entry SEQUENCE at ``at - 2`` given a long-form length,
    the three enclosing lengths adjusted (revokedCertificates, TBS, CRL);
    the signature no longer verifies, which does not matter here: the CRL
    is refused or kept before any signature check."""
    from chainval.testing import _children, encode_tlv

    parts = _children(crl, 2 + (crl[1] & 0x7f if crl[1] & 0x80 else 0), len(crl))
    tbs_tag, tbs_s, tbs_cs, tbs_e = parts[0]
    fields = _children(crl, tbs_cs, tbs_e)
    out_fields = []
    for ftag, fs, fcs, fe in fields:
        if fs < at < fe and ftag == 0x30 and fcs <= at - 2:
            entries = crl[fcs:at - 1] + bytes([0x81, short_len]) + crl[at:fe]
            out_fields.append(bytes([0x30]) + _long(len(entries)) + entries)
        else:
            out_fields.append(crl[fs:fe])
    tbs = encode_tlv(0x30, b"".join(out_fields))
    rest = b"".join(crl[s:e] for _, s, _, e in parts[1:])
    return encode_tlv(0x30, tbs + rest)


def _long(n: int) -> bytes:
    raw = n.to_bytes((n.bit_length() + 7) // 8 or 1, "big")
    return bytes([0x80 | len(raw)]) + raw


def test_ipv4_san_meets_ipv4_mapped_ipv6_exclusion():
    pki = PKI()
    root = pki.root("Map Root")
    inter = root.intermediate("Map Int", excluded_ips=["::ffff:8.8.8.0/120"])
    leaf = inter.leaf(ips=["8.8.8.8"])
    r = verify([leaf.der, inter.der], store=TrustStore.from_pem(root.pem),
               policy=Policy(at=T, strict=False))
    assert r.code == "name_constraints", codes(r)


def test_c1_and_bidi_controls_in_names_are_escaped():
    from cryptography import x509 as cx509
    from cryptography.x509.oid import NameOID

    pki = PKI()
    root = pki.root("Ctl Root")
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "a\u009b31m b\u202ec\u2066d\x1be")])
    inter = root.intermediate(name)
    leaf = inter.leaf(dns=["www.example.com"])
    r = verify([leaf.der, inter.der], store=TrustStore.from_pem(root.pem), policy=Policy(at=T))
    assert r.certificates[1].subject == "CN=a\\C2\\9B31m b\\E2\\80\\AEc\\E2\\81\\A6d\\1Be"


# ---------------------------------------------------------------------------
# fuzz_x509, session 14: a subjectAltName that is not DER is read one way by
# libchain (names.c) and another by libtasn1 (GnuTLS), which passes over a
# directoryName's length. Such a certificate is malformed.


def _san_leaf(patch=None):
    from cryptography import x509 as cx509
    from cryptography.x509.oid import NameOID, ObjectIdentifier

    pki = PKI()
    root = pki.root("SAN Root")
    inter = root.intermediate("SAN Int")
    san = cx509.SubjectAlternativeName([
        cx509.DNSName("www.example.com"),
        cx509.DirectoryName(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "dir")])),
        cx509.RegisteredID(ObjectIdentifier("1.2.3.4")),
        cx509.OtherName(ObjectIdentifier("1.3.6.1.5.5.7.8.9"), b"\x0c\x03abc"),
    ])
    leaf = inter.leaf("www.example.com", extensions=[(san, False)])
    der = leaf.der if patch is None else patch_tbs(leaf, *patch, inter.key)
    return verify([der, inter.der], store=TrustStore.from_pem(root.pem),
                  policy=Policy(at=T, hostname="www.example.com"))


def test_well_formed_san_with_other_kinds_of_names_is_trusted():
    r = _san_leaf()
    assert r.ok, codes(r)


# directoryName [4] Name: 30 0e ... (16 bytes). Its length made 26 (past the
# registeredID into the otherName), 21 (the Name and the registeredID) or 9
# (inside the Name): each as many bytes as before, so the rest of the
# certificate is unchanged.
@pytest.mark.parametrize("length", [0x1a, 0x15, 0x09])
def test_san_whose_directory_name_length_is_wrong_is_malformed(length):
    r = _san_leaf((b"\xa4\x10\x30\x0e", bytes([0xa4, length]) + b"\x30\x0e"))
    assert not r.ok
    assert ("malformed", 0) in codes(r), codes(r)
    assert any("malformed subjectAltName" in p.message for p in r.reasons), r.reasons
