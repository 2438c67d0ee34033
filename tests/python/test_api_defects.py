"""Regression tests for the Python API defects of issue 11, each failing
before its fix (the deadlock stress test is test_locking.py)."""

from __future__ import annotations

import pytest

import chainval
from chainval import Policy, TrustStore, verify
from chainval.testing import PKI, utc

from _support import T


@pytest.fixture(scope="module")
def expired_wrong_purpose():
    """A leaf that is both expired (2025-01-01) and client-only: its problems
    list purpose_mismatch first, while the primary reason is expired."""
    pki = PKI()
    root = pki.root("Defect Root")
    inter = root.intermediate("Defect Int")
    leaf = inter.leaf(dns=["www.example.com"], eku=["client"], not_after=utc(2025))
    r = verify([leaf.der, inter.der], store=TrustStore.from_pem(root.pem), policy=Policy(at=T))
    assert [p.code for p in r.reasons][0] != r.code == "expired"
    return r


def test_raise_for_status_message_is_the_primary_reason(expired_wrong_purpose):
    """Defect 3: the message came from reasons[0] (the EKU), the code said expired."""
    with pytest.raises(chainval.VerificationError) as e:
        expired_wrong_purpose.raise_for_status()
    assert e.value.code == "expired"
    assert str(e.value) == "certificate expired at 2025-01-01T00:00:00Z"


def test_messages_show_iso_8601_times(expired_wrong_purpose):
    """Messages gave unix seconds ("expired at 1735689600")."""
    assert "certificate expired at 2025-01-01T00:00:00Z" in [
        p.message for p in expired_wrong_purpose.reasons]
    pki = PKI()
    root = pki.root("Future Root")
    inter = root.intermediate("Future Int")
    leaf = inter.leaf(dns=["www.example.com"], not_before=utc(2031, 2, 3, 4, 5, 6))
    r = verify([leaf.der, inter.der], store=TrustStore.from_pem(root.pem), policy=Policy(at=T))
    assert r.code == "not_yet_valid"
    assert r.reasons[0].message == "certificate not valid before 2031-02-03T04:05:06Z"
    store = TrustStore.from_pem(root.pem)
    store.distrust_after(root.fingerprint, utc(2024, 6, 1))
    other = inter.leaf(dns=["www.example.com"], not_before=utc(2025, 1, 2))
    r = verify([other.der, inter.der], store=store, policy=Policy(at=T))
    assert r.code == "distrusted"
    assert r.reasons[-1].message == ("anchor distrusted for certificates issued from "
                                     "2024-06-01T00:00:00Z (leaf notBefore 2025-01-02T00:00:00Z)")


@pytest.fixture(scope="module")
def world2():
    pki = PKI()
    root = pki.root("Items Root")
    inter = root.intermediate("Items Int")
    leaf = inter.leaf(dns=["www.example.com"])
    return TrustStore.from_pem(root.pem), leaf, inter


def test_unconvertible_item_makes_the_whole_chain_malformed(world2):
    """Defect 2: [leaf, inter, "\\udc80"] came back ok from verify_many (the
    items after the bad one were dropped and a shorter chain verified)."""
    store, leaf, inter = world2
    policy = Policy(at=T)
    for bad in ("\udc80", "not pem", b"", b"hello"):
        [r] = chainval.verify_many([[leaf.der, inter.der, bad]], store=store, policy=policy)
        assert not r.ok and r.code == "malformed", bad
        assert r.error_index == 2 and "item 2" in r.error_message
        with pytest.raises(chainval.ParseError) as e:
            verify([leaf.der, inter.der, bad], store=store, policy=policy)
        assert e.value.index == 2
        assert not isinstance(e.value, UnicodeError)
    # the bad item first: the rest is never verified as a chain
    [r] = chainval.verify_many([["\udc80", leaf.der, inter.der]], store=store, policy=policy)
    assert r.code == "malformed" and r.error_index == 0


@pytest.mark.parametrize("chain, says", [
    (b"hello world", "item 0 is not DER (first byte 0x68) and has no PEM CERTIFICATE block"),
    ("not a pem", "item 0: no PEM CERTIFICATE block in the text"),
    (b"", "item 0 is empty"),
    ([], "chain is empty: it needs at least the leaf"),
])
def test_parse_errors_say_what_was_seen(world2, chain, says):
    """Defect 4: all of these said "empty or oversized certificate"."""
    store, _, _ = world2
    with pytest.raises(chainval.ParseError, match="^" + says.replace("(", r"\(").replace(")", r"\)")):
        verify(chain, store=store)


def test_base64_items_are_named(world2):
    import base64

    store, leaf, inter = world2
    items = [base64.b64encode(leaf.der).decode(), base64.b64encode(inter.der).decode()]
    with pytest.raises(chainval.ParseError, match="item 0 looks like base64 text: decode it"):
        verify(items, store=store)
    with pytest.raises(chainval.ParseError, match="item 1 looks like base64"):
        verify([leaf.der, base64.b64encode(inter.der)], store=store)


def test_bad_pem_block_is_named(world2):
    store, leaf, _ = world2
    pem = leaf.pem + b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
    with pytest.raises(chainval.ParseError, match="item 0: PEM block 1 does not decode") as e:
        verify(pem, store=store)
    assert e.value.index == 1


@pytest.mark.parametrize("arg", ["-----BEGIN CERTIFICATE-----", b"0\x82", bytearray(b"0")])
def test_verify_many_refuses_one_chain(world2, arg):
    """Defect 6: verify_many(pem_str) iterated characters; bytes said "not int"."""
    store, _, _ = world2
    with pytest.raises(TypeError, match="verify_many\\(\\) takes a list of chains"):
        chainval.verify_many(arg, store=store)


def test_verify_many_policy_none_and_bad_items(world2):
    store, leaf, inter = world2
    chain = [leaf.der, inter.der]
    # (chain, None) is the call's policy (said "must be bytes ... not list")
    r = chainval.verify_many([(chain, None), (chain, Policy(at=T, hostname="x.example.org"))],
                             store=store, policy=Policy(at=T))
    assert [x.code for x in r] == ["ok", "hostname_mismatch"]
    # a None item is a TypeError that names its index (said nothing of where)
    with pytest.raises(TypeError, match="verify_many\\(\\) chain 1: "):
        chainval.verify_many([chain, None], store=store)
    with pytest.raises(TypeError, match="verify_many\\(\\) chain 0: item 1: "):
        chainval.verify_many([[leaf.der, 5]], store=store)


def test_buffer_items(world2):
    """bytearray and memoryview are bytes (the buffer protocol), copied."""
    store, leaf, inter = world2
    r = verify([bytearray(leaf.der), memoryview(inter.der)], store=store, policy=Policy(at=T))
    assert r.ok, r.code
    assert verify(bytearray(leaf.pem + inter.pem), store=store, policy=Policy(at=T)).ok


@pytest.mark.parametrize("kind", [TrustStore, lambda: chainval.Pool([])])
def test_unreadable_paths_raise_the_os_error(tmp_path, kind):
    """Defect 5: a bare OSError with errno and filename None."""
    s = kind()
    missing = tmp_path / "missing.pem"
    with pytest.raises(FileNotFoundError) as e:
        s.add_file(str(missing))
    assert e.value.filename == str(missing) and e.value.errno == 2
    with pytest.raises(FileNotFoundError) as e:
        s.add_dir(missing)  # PathLike: the filename is the object given
    assert e.value.filename == missing
    with pytest.raises(IsADirectoryError):
        s.add_file(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(NotADirectoryError):
        s.add_dir(tmp_path / "f")


def test_files_without_certificates_say_why(tmp_path):
    """Defect 5: add_file on a non-certificate file said only that it failed."""
    s = TrustStore()
    cases = {"notes.txt": (b"hello", "neither PEM nor DER"),
             "bad.der": (b"\x30\x03\x02\x01\x01", "not a DER certificate"),
             "bad.pem": (b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
                         "base64 does not decode")}
    for name, (data, why) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(chainval.ParseError, match=f"{name}: {why}"):
            s.add_file(tmp_path / name)
    with pytest.raises(chainval.ParseError, match=r"bad\.der: not a DER certificate.* \(and more"):
        s.add_dir(tmp_path)


def test_tzinfo_without_offset_is_naive():
    """Defect 7: a tzinfo whose utcoffset() is None raised a confusing TypeError."""
    import datetime

    class Floating(datetime.tzinfo):
        def utcoffset(self, dt):
            return None

        def dst(self, dt):
            return None

    at = datetime.datetime(2030, 1, 1, tzinfo=Floating())
    assert Policy(at=at).at == T
    assert Policy(at=datetime.datetime(2030, 1, 1)).at == T
    assert Policy(at=datetime.datetime(2030, 1, 1, 1, tzinfo=datetime.timezone(
        datetime.timedelta(hours=1)))).at == T


def test_at_accepts_float_seconds():
    assert Policy(at=T + 0.9).at == T
    assert Policy(at=-1.5).at == -1
    for bad in (float("nan"), float("inf"), 1e30):
        with pytest.raises(ValueError):
            Policy(at=bad)


# ---------------------------------------------------------------------------
# One call at a time reuses the intermediate's parse and signature


def test_verify_reuses_through_a_cache_without_changing_results():
    pki = PKI()
    root = pki.root("Reuse Root")
    inter = root.intermediate("Reuse Int")
    leaves = [inter.leaf(dns=["www.example.com"]) for _ in range(5)]
    expired = inter.leaf(dns=["www.example.com"], not_after=utc(2025))
    store = TrustStore.from_pem(root.pem)
    chains = [[leaf.der, inter.der] for leaf in leaves] + [[expired.der, inter.der]]
    policy = Policy(at=T, hostname="www.example.com")

    def digest(r):
        return (r.ok, r.code, [tuple(p) for p in r.reasons], r.chain, r.time)

    plain = [digest(verify(c, store=store, policy=policy, cache=None)) for c in chains]
    cache = chainval.Cache()
    for _ in range(2):
        assert [digest(verify(c, store=store, policy=policy, cache=cache))
                for c in chains] == plain
        assert [digest(verify(c, store=store, policy=policy)) for c in chains] == plain
    stats = cache.stats()
    # the intermediate was parsed once and its signature checked once; the
    # second round was answered from verdicts
    assert stats["cert_misses"] == 1 and stats["cert_hits"] >= 5
    assert stats["edge_misses"] == 1 + len(chains)
    assert stats["verdict_hits"] == len(chains)
    store.set_cache_size(0)  # the store's own cache off: the same results
    assert [digest(verify(c, store=store, policy=policy)) for c in chains] == plain
    store.set_cache_size(1 << 20)
    assert [digest(verify(c, store=store, policy=policy)) for c in chains] == plain
    with pytest.raises(TypeError, match="cache must be a chainval.Cache or None"):
        verify(chains[0], store=store, cache="yes")


def test_codes_compare_with_the_reason_enum(expired_wrong_purpose):
    """pyca users' expectation: result.code == Reason.EXPIRED (was False:
    Reason was an IntEnum)."""
    r = expired_wrong_purpose
    assert r.code == chainval.Reason.EXPIRED
    assert chainval.Reason(r.code) is chainval.Reason.EXPIRED
    assert {p.code for p in r.reasons} == {chainval.Reason.EXPIRED,
                                           chainval.Reason.PURPOSE_MISMATCH}
    assert chainval.Reason.EXPIRED.number == 10


def test_policy_pickles_with_every_field():
    """Policy pickles (multiprocessing, Dask); before: "cannot pickle"."""
    import ast
    import pathlib
    import pickle

    stub = ast.parse(pathlib.Path(chainval.__file__).with_name("__init__.pyi").read_text())
    init = next(n for c in stub.body if isinstance(c, ast.ClassDef) and c.name == "Policy"
                for n in c.body if isinstance(n, ast.FunctionDef) and n.name == "__new__")
    p = Policy(hostname="www.example.com", purpose="client", at=T, max_depth=3,
               partial_chain=True, cn_fallback=True, allow_sha1=True, strict=False,
               repair_order=True, precertificate=True, min_rsa_bits=1024, max_sig_checks=7,
               max_candidates=9, max_certs=5, max_chain_bytes=5000, max_cert_bytes=4000)
    # every keyword of the stub but ip (which excludes hostname) is carried
    assert set(p._given) | {"ip"} == {a.arg for a in init.args.kwonlyargs}
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        q = pickle.loads(pickle.dumps(p, protocol))
        assert q == p and repr(q) == repr(p) and hash(q) == hash(p)
    assert pickle.loads(pickle.dumps(Policy(ip="192.0.2.1"))) == Policy(ip="192.0.2.1")


def test_certificate_repr_is_short(world2):
    store, leaf, inter = world2
    cert = verify([leaf.der, inter.der], store=store, policy=Policy(at=T)).certificates[0]
    text = repr(cert)
    assert len(text) < 300 and "der=" not in text
    assert cert.fingerprint_sha256 in text and cert.serial in text and "CN=www.example.com" in text


def test_cryptography_objects_are_certificates(world2):
    """pyca users pass cryptography.x509.Certificate objects (and
    chainval.testing's Cert) wherever a certificate goes."""
    from cryptography import x509

    store, leaf, inter = world2
    policy = Policy(at=T)
    objs = [x509.load_der_x509_certificate(leaf.der), x509.load_der_x509_certificate(inter.der)]
    assert verify(objs, store=store, policy=policy).ok
    assert verify([leaf, inter], store=store, policy=policy).ok          # testing.Cert
    assert verify([leaf.cert, inter.der], store=store, policy=policy).ok  # mixed
    [r] = chainval.verify_many([objs], store=store, policy=policy)
    assert r.ok
    # intermediates from objects, in a Pool or a list
    assert verify([objs[0]], store=store, policy=policy, intermediates=[objs[1]]).ok
    assert verify(objs[0], store=store, policy=policy, intermediates=chainval.Pool([inter])).ok
    s = TrustStore()
    assert s.add_cert(x509.load_der_x509_certificate(inter.der)) == 1
    assert s.add_cert(inter) == 0 and s.add_cert(inter.der) == 0 and len(s) == 1
    with pytest.raises(TypeError, match="add_cert"):
        s.add_cert(42)
    back = verify(objs, store=store, policy=policy).certificates[0].to_cryptography()
    assert isinstance(back, x509.Certificate) and back == objs[0]


def test_importing_chainval_does_not_import_cryptography():
    import subprocess
    import sys

    code = ("import sys, chainval; chainval.verify; "
            "assert 'cryptography' not in sys.modules, 'imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_functions_have_text_signatures():
    """inspect.signature(chainval.verify) raised ValueError (no signature)."""
    import inspect

    for fn, first, kw in ((chainval.verify, "chain", ["store", "policy", "intermediates", "cache",
                                                          "ocsp"]),
                          (chainval.verify_many, "chains",
                           ["store", "policy", "intermediates", "threads", "cache"])):
        params = inspect.signature(fn).parameters
        assert list(params) == [first, *kw]
        assert params[first].kind is inspect.Parameter.POSITIONAL_ONLY
        assert all(params[k].kind is inspect.Parameter.KEYWORD_ONLY for k in kw)
        assert params["store"].default is inspect.Parameter.empty
        assert params["policy"].default is None


def test_results_compare_by_content(world2):
    """Result.__eq__ was identity."""
    store, leaf, inter = world2
    policy = Policy(at=T)
    a = verify([leaf.der, inter.der], store=store, policy=policy, cache=None)
    b = verify([leaf.der, inter.der], store=store, policy=policy)
    c = verify([leaf.der, inter.der], store=store, policy=Policy(at=T + 1))
    d = verify([leaf.der], store=store, policy=policy)
    assert a == b and not (a != b) and a is not b
    assert a != c  # the time differs
    assert a != d and a != "ok" and a != None  # noqa: E711
    with pytest.raises(TypeError):
        hash(a)


def test_results_pickle(world2):
    """Result pickles (multiprocessing, Dask): before, "cannot pickle"."""
    import pickle

    store, leaf, inter = world2
    expired = PKI().root("Pickle Root")  # an untrusted root: a failing result too
    results = [verify([leaf.der, inter.der], store=store, policy=Policy(at=T)),
               verify([expired.der], store=store, policy=Policy(at=T)),
               chainval.verify_many([[b"not a cert"]], store=store)[0]]
    for r in results:
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            q = pickle.loads(pickle.dumps(r, protocol))
            assert type(q) is chainval.Result and q == r and r == q
            assert (q.ok, q.code, q.reasons, q.chain, q.certificates, q.anchored,
                    q.order_repaired, q.time, q.error_index, q.error_message) == (
                r.ok, r.code, r.reasons, r.chain, r.certificates, r.anchored,
                r.order_repaired, r.time, r.error_index, r.error_message)
            assert bool(q) == bool(r) and repr(q) == repr(r)
            assert pickle.loads(pickle.dumps(q)) == r  # and again
        if not r.ok:
            with pytest.raises(chainval.VerificationError) as a:
                r.raise_for_status()
            with pytest.raises(chainval.VerificationError) as b:
                pickle.loads(pickle.dumps(r)).raise_for_status()
            assert str(a.value) == str(b.value) and a.value.code == b.value.code
    with pytest.raises(TypeError, match="not a chainval.Result state"):
        chainval._chainval._result_from_state((1, 2))


def test_ip_accepts_ipaddress_objects(world2):
    import ipaddress

    pki = PKI()
    root = pki.root("Addr Root")
    inter = root.intermediate("Addr Int")
    leaf = inter.leaf(ips=["192.0.2.7", "2001:db8::7"])
    store = TrustStore.from_pem(root.pem)
    for addr in (ipaddress.IPv4Address("192.0.2.7"), ipaddress.ip_address("2001:db8::7")):
        for kw in ("ip", "hostname"):
            p = Policy(at=T, **{kw: addr})
            assert getattr(p, kw) == str(addr)
            assert verify([leaf.der, inter.der], store=store, policy=p).ok
    r = verify([leaf.der, inter.der], store=store,
               policy=Policy(at=T, ip=ipaddress.IPv4Address("192.0.2.8")))
    assert r.code == "hostname_mismatch"
    with pytest.raises(ValueError, match="invalid IP address"):
        Policy(ip=ipaddress.ip_network("192.0.2.0/24"))
