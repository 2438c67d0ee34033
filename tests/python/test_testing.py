"""chainval.testing, lightly: it builds what it says, as chainval sees it."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from cryptography import x509

import chainval
from chainval import testing
from chainval.testing import (PKI, der_of, der_to_pem, generate_key, key_bits, pem_bundle,
                              tamper_signature, utc)
from _support import T, pem_ders


def _verify(chain, root, **kw):
    kw.setdefault("at", T)
    kw.setdefault("purpose", "any")
    return chainval.verify(chain, store=chainval.TrustStore.from_pem(root.pem),
                           policy=chainval.Policy(**kw))


def test_utc():
    d = utc(2030)
    assert d.tzinfo is not None and d.utcoffset() == datetime.timedelta(0)
    assert d.timestamp() == T
    assert utc(2030, 1, 1, 0, 0, 1).timestamp() == T + 1


def test_public_names():
    for name in testing.__all__:
        assert hasattr(testing, name), name


def test_hierarchy(world):
    assert world.root.cert.subject == world.root.cert.issuer
    assert world.inter.cert.issuer == world.root.cert.subject
    bc = world.inter.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.value.ca and bc.value.path_length == 0 and bc.critical
    san = world.leaf.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "www.example.com" in san.value.get_values_for_type(x509.DNSName)
    r = _verify(world.ok_chain, world.root, hostname="www.example.com", purpose="server")
    assert r.ok and r.chain == world.ok_path


def test_der_and_pem_helpers(world):
    assert der_of(world.leaf) == world.leaf.der
    assert der_of(world.leaf.cert) == world.leaf.der
    assert der_of(world.leaf.der) == world.leaf.der
    with pytest.raises(TypeError):
        der_of(1)
    assert pem_ders(world.leaf.pem) == [world.leaf.der]
    assert pem_ders(der_to_pem(world.leaf.der)) == [world.leaf.der]
    assert pem_ders(pem_bundle(world.leaf, world.inter.cert, world.root.der)) == \
        world.ok_path
    assert world.leaf.fingerprint == hashlib.sha256(world.leaf.der).hexdigest()


def test_tamper_signature(world):
    bad = tamper_signature(world.leaf.der)
    assert isinstance(bad, bytes) and len(bad) == len(world.leaf.der)
    assert sum(a != b for a, b in zip(bad, world.leaf.der)) == 1
    x509.load_der_x509_certificate(bad)  # still parses
    r = _verify([bad, world.inter.der], world.root)
    assert r.code == "bad_signature"
    assert ("bad_signature", 0) in {(p.code, p.depth) for p in r.reasons}
    as_cert = tamper_signature(world.inter)
    assert isinstance(as_cert, x509.Certificate)
    r = _verify([world.leaf.der, der_of(as_cert)], world.root)
    assert r.code == "bad_signature"


def test_validity_options(world):
    leaf = world.inter.leaf(dns=["v.example.com"], not_before=utc(2029), not_after=utc(2030))
    assert _verify([leaf.der, world.inter.der], world.root).ok            # notAfter inclusive
    assert _verify([leaf.der, world.inter.der], world.root, at=T + 1).code == "expired"
    assert _verify([leaf.der, world.inter.der], world.root,
                   at=int(utc(2028).timestamp())).code == "not_yet_valid"


def test_pki_defaults():
    pki = PKI(not_before=utc(2025), not_after=utc(2026))
    root = pki.root("Short Root")
    assert root.cert.not_valid_before_utc == utc(2025)
    assert root.cert.not_valid_after_utc == utc(2026)
    assert _verify([root.der], root, at=T).code == "expired"


def test_cross_sign(world):
    """A cross-certificate lets the other hierarchy chain to world.root."""
    cross = world.root.cross_sign(world.other_root)
    assert cross.cert.subject == world.other_root.cert.subject
    assert cross.cert.issuer == world.root.cert.subject
    chain = [world.other_leaf.der, world.other_inter.der, cross.der]
    r = _verify(chain, world.root, hostname="www.example.com")
    assert r.ok and len(r.chain) == 4
    assert r.chain[-1] == world.root.der


def test_legacy_hash(world):
    leaf = world.inter.leaf(dns=["sha1.example.com"], hash="sha1")
    assert leaf.cert.signature_hash_algorithm.name == "sha1"
    assert _verify([leaf.der, world.inter.der], world.root).code == "insecure_algorithm"
    assert _verify([leaf.der, world.inter.der], world.root, allow_sha1=True).ok


def test_keys():
    assert key_bits(generate_key("p384")) == 384
    assert key_bits(generate_key("ed25519")) == 256
    with pytest.raises(ValueError):
        generate_key("dsa1024")
    pki = PKI(key_type="ed25519")
    root = pki.root("Ed Root")
    inter = root.intermediate("Ed Int")
    leaf = inter.leaf(dns=["ed.example.com"])
    assert _verify([leaf.der, inter.der], root, hostname="ed.example.com").ok


def test_name_constraints_option(world):
    nc = world.root.intermediate("NC Int", permitted_dns=["example.com"])
    good = nc.leaf(dns=["a.example.com"])
    bad = nc.leaf(dns=["a.example.org"])
    assert _verify([good.der, nc.der], world.root).ok
    assert _verify([bad.der, nc.der], world.root).code == "name_constraints"


def test_unknown_critical_extension_option(world):
    ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
    leaf = world.inter.leaf(dns=["u.example.com"], extensions=[(ext, True)])
    assert _verify([leaf.der, world.inter.der], world.root).code == \
        "unknown_critical_extension"
