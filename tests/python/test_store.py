"""chainval.TrustStore and chainval.Pool: loading (PEM, DER, files,
directories, system), counting, duplicates, rejected entries, errors."""

from __future__ import annotations

import os

import pytest
from cryptography import x509

import chainval
from chainval.testing import der_to_pem, pem_bundle
from _support import T

TrustStore = chainval.TrustStore
Pool = chainval.Pool

GARBAGE_BLOCK = der_to_pem(b"\x30\x03\x02\x01\x00")  # a CERTIFICATE block that is not one


def certifi_style(*certs) -> bytes:
    """A bundle in certifi's cacert.pem style: comment lines before each block."""
    out = [b"\n# Bundle of CA Root Certificates\n#\n# This is a comment line.\n\n"]
    for c in certs:
        name = c.subject.rfc4514_string().encode()
        out.append(b"# Issuer: " + name + b"\n# Subject: " + name + b"\n# Label: \"x\"\n"
                   b"# Serial: 123\n# SHA256 Fingerprint: " + c.fingerprint.encode() + b"\n")
        out.append(c.pem)
        out.append(b"\n")
    return b"".join(out)


# ---------------------------------------------------------------------------
# TrustStore


def test_empty_store():
    s = TrustStore()
    assert len(s) == 0
    assert s.rejected == []


def test_store_takes_no_arguments():
    with pytest.raises(TypeError):
        TrustStore(b"")
    with pytest.raises(TypeError):
        TrustStore(pem=b"")


def test_add_pem_bytes_and_str_counts_new(world):
    s = TrustStore()
    assert s.add_pem(world.root.pem) == 1
    assert len(s) == 1
    assert s.add_pem(world.root.pem) == 0            # duplicate
    assert s.add_pem(world.root.pem.decode()) == 0   # same, as str
    assert s.add_pem(world.other_root.pem.decode()) == 1
    assert len(s) == 2
    assert s.add_pem(pem_bundle(world.root, world.other_root, world.inter)) == 1
    assert len(s) == 3
    assert s.rejected == []


def test_add_pem_certifi_style_bundle(world):
    s = TrustStore()
    assert s.add_pem(certifi_style(world.root, world.other_root)) == 2
    assert s.rejected == []
    assert chainval.verify(world.ok_chain, store=s, policy=chainval.Policy(at=T)).ok
    s2 = TrustStore()
    assert s2.add_pem(certifi_style(world.root, world.other_root).decode()) == 2


def test_add_pem_skips_bad_entries(world):
    s = TrustStore()
    bundle = world.root.pem + GARBAGE_BLOCK + world.other_root.pem
    assert s.add_pem(bundle) == 2
    assert len(s) == 2
    rejected = s.rejected
    assert isinstance(rejected, list) and len(rejected) == 1
    source, reason = rejected[0]
    assert isinstance(source, str) and isinstance(reason, str) and reason
    assert isinstance(rejected[0], tuple)


@pytest.mark.parametrize("data", [b"", "", b"no certificates here\n", "# only a comment\n",
                                  GARBAGE_BLOCK, GARBAGE_BLOCK.decode() + GARBAGE_BLOCK.decode()])
def test_add_pem_nothing_readable(data):
    s = TrustStore()
    with pytest.raises(chainval.ParseError):
        s.add_pem(data)
    assert len(s) == 0
    with pytest.raises(chainval.ParseError):
        TrustStore.from_pem(data)


@pytest.mark.parametrize("data", [None, 1, 10**100, [b"x"], 1.5, {"a": 1}])
def test_add_pem_bad_type(data):
    with pytest.raises(TypeError):
        TrustStore().add_pem(data)


def test_add_der(world):
    s = TrustStore()
    assert s.add_der(world.root.der) == 1
    assert s.add_der(world.root.der) == 0
    assert len(s) == 1
    assert s.add_pem(world.root.pem) == 0  # the same certificate through PEM
    assert len(s) == 1


@pytest.mark.parametrize("data", [b"", b"\x30\x03\x02\x01\x00", b"garbage", b"\x30"])
def test_add_der_garbage(data):
    s = TrustStore()
    with pytest.raises(chainval.ParseError):
        s.add_der(data)
    assert len(s) == 0


def test_add_der_trailing_bytes(world):
    with pytest.raises(chainval.ParseError):
        TrustStore().add_der(world.root.der + b"\x00")


@pytest.mark.parametrize("data", [None, 1, "x", [b"x"], 2**70])
def test_add_der_bad_type(data, world):
    with pytest.raises(TypeError):
        TrustStore().add_der(data)
    with pytest.raises(TypeError):
        TrustStore().add_der(world.root.der.decode("latin-1"))


def test_add_file(world, tmp_path):
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(certifi_style(world.root, world.other_root))
    der = tmp_path / "root.der"
    der.write_bytes(world.root.der)
    s = TrustStore()
    assert s.add_file(str(bundle)) == 2          # str path
    assert s.add_file(der) == 0                   # os.PathLike, DER, duplicate
    s2 = TrustStore()
    assert s2.add_file(der) == 1
    assert len(s2) == 1


def test_add_file_pathlike_protocol(world, tmp_path):
    class P:
        def __init__(self, p):
            self.p = p

        def __fspath__(self):
            return str(self.p)

    f = tmp_path / "r.pem"
    f.write_bytes(world.root.pem)
    assert TrustStore().add_file(P(f)) == 1


def test_add_file_errors(tmp_path):
    s = TrustStore()
    with pytest.raises(OSError):
        s.add_file(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"not a certificate\n")
    with pytest.raises(chainval.ParseError):
        s.add_file(junk)
    for bad in (None, 1, [str(junk)]):
        with pytest.raises(TypeError):
            s.add_file(bad)
    assert len(s) == 0


def test_add_dir(world, tmp_path):
    (tmp_path / "a.pem").write_bytes(world.root.pem)
    (tmp_path / "b.der").write_bytes(world.other_root.der)
    (tmp_path / "bundle.crt").write_bytes(certifi_style(world.root, world.inter))
    (tmp_path / "README").write_bytes(b"nothing to see here\n")
    s = TrustStore()
    assert s.add_dir(tmp_path) == 3               # root counted once
    assert len(s) == 3
    assert any("README" in src for src, _ in s.rejected)
    assert s.add_dir(str(tmp_path)) == 0          # str path, all duplicates
    assert len(s) == 3


def test_add_dir_errors(tmp_path):
    s = TrustStore()
    with pytest.raises(OSError):
        s.add_dir(tmp_path / "missing")
    for bad in (None, 1, [str(tmp_path)]):
        with pytest.raises(TypeError):
            s.add_dir(bad)


def test_from_pem(world):
    s = TrustStore.from_pem(pem_bundle(world.root, world.other_root))
    assert isinstance(s, TrustStore)
    assert len(s) == 2
    assert len(TrustStore.from_pem(world.root.pem.decode())) == 1
    with pytest.raises(TypeError):
        TrustStore.from_pem(None)


def test_system():
    s = TrustStore.system()
    assert isinstance(s, TrustStore)
    if any(os.path.exists(p) for p in ("/etc/ssl/certs/ca-certificates.crt",
                                        "/etc/pki/tls/certs/ca-bundle.crt",
                                        "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem")):
        assert len(s) > 10


def test_store_grows_between_verifications(world):
    s = TrustStore.from_pem(world.other_root.pem)
    p = chainval.Policy(at=T)
    assert not chainval.verify(world.ok_chain, store=s, policy=p).ok
    assert s.add_pem(world.root.pem) == 1
    assert chainval.verify(world.ok_chain, store=s, policy=p).ok


def test_store_repr(world):
    s = TrustStore.from_pem(world.root.pem)
    assert "TrustStore" in repr(s)


# ---------------------------------------------------------------------------
# Pool


@pytest.mark.parametrize("form", ["bundle-bytes", "bundle-str", "der-list", "pem-list",
                                  "pem-str-list", "mixed-list"])
def test_pool_forms(world, store, form):
    certs = (world.inter, world.other_inter)
    arg = {
        "bundle-bytes": pem_bundle(*certs),
        "bundle-str": pem_bundle(*certs).decode(),
        "der-list": [c.der for c in certs],
        "pem-list": [c.pem for c in certs],
        "pem-str-list": [c.pem.decode() for c in certs],
        "mixed-list": [certs[0].der, certs[1].pem.decode()],
    }[form]
    pool = Pool(arg)
    assert len(pool) == 2
    assert pool.rejected == []
    r = chainval.verify([world.leaf.der], store=store, policy=chainval.Policy(at=T),
                        intermediates=pool)
    assert r.ok
    assert r.chain == world.ok_path
    assert [c.source for c in r.certificates] == ["served", "pool", "store"]


def test_pool_duplicates_and_empty(world):
    assert len(Pool([world.inter.der, world.inter.der, world.inter.pem])) == 1
    assert len(Pool([])) == 0


def test_pool_keyword(world):
    assert len(Pool(certs=[world.inter.der])) == 1


def test_pool_rejected(world):
    pool = Pool(world.inter.pem + GARBAGE_BLOCK)
    assert len(pool) == 1
    assert len(pool.rejected) == 1
    src, why = pool.rejected[0]
    assert isinstance(src, str) and isinstance(why, str)
    pool = Pool([world.inter.der, b"\x30\x03\x02\x01\x00"])
    assert len(pool) == 1 and len(pool.rejected) == 1


@pytest.mark.parametrize("arg", [None, 1, 10**100, [1, 2], [None], {"a": 1}, 1.5])
def test_pool_bad_type(arg):
    with pytest.raises(TypeError):
        Pool(arg)


def test_pool_needs_argument():
    with pytest.raises(TypeError):
        Pool()


def test_pool_nothing_readable():
    with pytest.raises(chainval.ParseError):
        Pool(b"no certificates\n")


def test_pool_reused(world, store):
    pool = Pool([world.inter.der, world.other_inter.der])
    p = chainval.Policy(at=T)
    for _ in range(3):
        assert chainval.verify([world.leaf.der], store=store, policy=p, intermediates=pool).ok
    # the pool is not trusted: an intermediate from it is never an anchor
    s = TrustStore.from_pem(world.other_root.pem)
    r = chainval.verify([world.leaf.der], store=s, policy=p, intermediates=pool)
    assert not r.ok


def test_pool_is_not_a_store(world):
    pool = Pool([world.root.der])
    with pytest.raises(TypeError):
        chainval.verify(world.ok_chain, store=pool)


# ---------------------------------------------------------------------------
# CRLs (TrustStore.add_crl, in the stub and docs beyond the original spec)


def _crl(issuer, revoked_serials=(), *, revoked_at=None, this_update=None, next_update=None,
         number=True):
    from cryptography.hazmat.primitives import hashes, serialization
    from chainval.testing import utc

    b = (x509.CertificateRevocationListBuilder()
         .issuer_name(issuer.cert.subject)
         .last_update(this_update or utc(2020))
         .next_update(next_update or utc(2031)))
    if number:
        b = b.add_extension(x509.CRLNumber(7), critical=False)
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
        issuer.key.public_key()), critical=False)
    for serial in revoked_serials:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial)
            .revocation_date(revoked_at or utc(2029, 6, 1)).build())
    crl = b.sign(issuer.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER), crl.public_bytes(
        serialization.Encoding.PEM)



@pytest.fixture
def crl_store(world):
    s = TrustStore.from_pem(world.root.pem)
    if not hasattr(s, "add_crl"):
        pytest.skip("this build has no TrustStore.add_crl")
    return s


@pytest.mark.parametrize("form", ["der", "pem", "pem-str"])
def test_add_crl_revokes(world, crl_store, form):
    der, pem = _crl(world.inter, [world.leaf.cert.serial_number])
    data = {"der": der, "pem": pem, "pem-str": pem.decode()}[form]
    assert crl_store.add_crl(data) == 1
    policy = chainval.Policy(at=T)
    r = chainval.verify(world.ok_chain, store=crl_store, policy=policy)
    assert r.code == "revoked"
    assert ("revoked", 0) in {(p.code, p.depth) for p in r.reasons}
    # other leaves of the same issuer are not affected
    assert chainval.verify([world.named_leaf.der, world.inter.der], store=crl_store,
                           policy=policy).ok
    # before the revocation date (2029-06-01) the certificate is not revoked
    early = chainval.verify(world.ok_chain, store=crl_store,
                            policy=chainval.Policy(at=T - 365 * 86400))
    assert early.ok, early.reasons


def test_add_crl_unusable(world, crl_store):
    der, _ = _crl(world.inter, [world.leaf.cert.serial_number], number=False)
    assert crl_store.add_crl(der) == 1
    r = chainval.verify(world.ok_chain, store=crl_store, policy=chainval.Policy(at=T))
    assert r.code == "revocation_unknown"


def test_add_crl_errors(crl_store):
    with pytest.raises(chainval.ParseError):
        crl_store.add_crl(b"not a CRL")
    with pytest.raises(chainval.ParseError):
        crl_store.add_crl("")
    for bad in (None, 1, [b"x"]):
        with pytest.raises(TypeError):
            crl_store.add_crl(bad)


@pytest.mark.parametrize("this_update, next_update, at, revoked_at", [
    # issued after the wall clock (2026 when written) but before the policy time
    ((2029, 1, 1), (2031, 1, 1), (2030, 1, 1), (2029, 6, 1)),
    # superseded by the wall clock, but current at a past policy time
    ((2021, 1, 1), (2025, 1, 1), (2024, 1, 1), (2021, 6, 1)),
])
def test_crl_currency_is_judged_at_policy_time(world, crl_store, this_update, next_update, at,
                                               revoked_at):
    """store.h: CRLs are checked "at the policy time"; a CRL current at that
    time must revoke, whatever GnuTLS thinks of it at the wall clock."""
    from chainval.testing import utc

    der, _ = _crl(world.inter, [world.leaf.cert.serial_number],
                  this_update=utc(*this_update), next_update=utc(*next_update),
                  revoked_at=utc(*revoked_at))
    assert crl_store.add_crl(der) == 1
    r = chainval.verify(world.ok_chain, store=crl_store,
                        policy=chainval.Policy(at=int(utc(*at).timestamp())))
    assert r.code == "revoked", [(p.code, p.message) for p in r.reasons]


def test_pool_add_methods(world, tmp_path):
    """Pool has the loading methods of TrustStore (stub): add_pem, add_der,
    add_file, add_dir, each returning the number of new certificates."""
    pool = Pool([])
    assert pool.add_pem(world.inter.pem) == 1
    assert pool.add_pem(world.inter.pem.decode()) == 0
    assert pool.add_der(world.other_inter.der) == 1
    assert pool.add_der(world.other_inter.der) == 0
    f = tmp_path / "i.pem"
    f.write_bytes(world.expired_inter.pem)
    assert pool.add_file(f) == 1
    d = tmp_path / "dir"
    d.mkdir()
    (d / "a.pem").write_bytes(pem_bundle(world.inter, world.root))
    assert pool.add_dir(d) == 1
    assert len(pool) == 4
    with pytest.raises(chainval.ParseError):
        pool.add_pem(b"nothing")
    with pytest.raises(chainval.ParseError):
        pool.add_der(b"\x30\x00")
    with pytest.raises(TypeError):
        pool.add_der("x")
    with pytest.raises(TypeError):
        pool.add_pem(None)
    assert not hasattr(pool, "add_crl") and not hasattr(Pool, "system")
    s = TrustStore.from_pem(world.root.pem)
    assert chainval.verify([world.leaf.der], store=s, policy=chainval.Policy(at=T),
                           intermediates=pool).ok
