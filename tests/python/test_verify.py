"""chainval.verify(): chain forms, intermediates, parse errors, argument
checking, and everything on Result (fields, certificates, raise_for_status),
plus the module's constants, exceptions and Reason."""

from __future__ import annotations

import datetime
import gc
import hashlib
import re

import pytest
from cryptography import x509

import chainval
from chainval.testing import der_to_pem, pem_bundle
from _support import REPO, T

Policy = chainval.Policy
verify = chainval.verify

GARBAGE_DER = b"\x30\x03\x02\x01\x00"  # a DER SEQUENCE that is not a certificate

REASON_VALUES = {
    "OK": 0, "EXPIRED": 10, "NOT_YET_VALID": 11, "MISSING_ISSUER": 20, "UNTRUSTED_ROOT": 21,
    "NOT_CA": 22, "PATH_LENGTH": 23, "KEY_USAGE": 24, "NAME_CONSTRAINTS": 25,
    "BAD_SIGNATURE": 30, "INSECURE_ALGORITHM": 31, "HOSTNAME_MISMATCH": 40,
    "PURPOSE_MISMATCH": 41, "DEPTH_EXCEEDED": 50, "BUDGET_EXCEEDED": 51, "INPUT_LIMIT": 52,
    "MALFORMED": 60, "UNKNOWN_CRITICAL_EXTENSION": 61,
}


# ---------------------------------------------------------------------------
# Module surface


def test_versions():
    for v in (chainval.LIBCHAIN_VERSION, chainval.LIBCHAIN_HEADER_VERSION, chainval.__version__):
        assert isinstance(v, str)
        assert re.match(r"^\d+\.\d+\.\d+", v), v


def test_exception_hierarchy():
    assert issubclass(chainval.Error, Exception)
    assert issubclass(chainval.ParseError, chainval.Error)
    assert issubclass(chainval.ParseError, ValueError)
    assert issubclass(chainval.VerificationError, chainval.Error)
    assert issubclass(chainval.BackendError, chainval.Error)
    assert not issubclass(chainval.VerificationError, chainval.ParseError)


def _header_reasons() -> dict[str, int]:
    text = (REPO / "include" / "chain" / "error.h").read_text()
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"\bCHAIN_REASON_(\w+)\s*=\s*(\d+)", text)}


def test_reason_enum():
    import enum
    assert issubclass(chainval.Reason, enum.StrEnum)
    members = {m.name: m.number for m in chainval.Reason}
    # the documented values, and exactly the C header's chain_reason values
    assert REASON_VALUES.items() <= members.items()
    assert members == _header_reasons()
    assert all(m.value == m.name.lower() == m for m in chainval.Reason)
    assert chainval.Reason.EXPIRED == "expired" and chainval.Reason.EXPIRED.number == 10
    assert chainval.Reason["BAD_SIGNATURE"] is chainval.Reason.BAD_SIGNATURE
    assert chainval.Reason("input_limit") is chainval.Reason.INPUT_LIMIT
    assert chainval.Reason.from_number(52) is chainval.Reason.INPUT_LIMIT
    with pytest.raises(ValueError):
        chainval.Reason(52)  # 0.1's IntEnum lookup: docs/changes.md
    with pytest.raises(ValueError):
        chainval.Reason.from_number(99)


def test_result_cannot_be_instantiated():
    with pytest.raises(TypeError):
        chainval.Result()
    with pytest.raises(TypeError):
        chainval.Result.__new__(chainval.Result)


# ---------------------------------------------------------------------------
# Chain forms


def _forms(world):
    leaf, inter = world.leaf, world.inter
    return {
        "der-list": [leaf.der, inter.der],
        "pem-bytes-list": [leaf.pem, inter.pem],
        "pem-str-list": [leaf.pem.decode(), inter.pem.decode()],
        "mixed-list": [leaf.pem.decode(), inter.der],
        "bundle-bytes": pem_bundle(leaf, inter),
        "bundle-str": pem_bundle(leaf, inter).decode(),
        "bundle-crlf": pem_bundle(leaf, inter).replace(b"\n", b"\r\n"),
        "bundle-with-text": b"subject=www.example.com\n" + leaf.pem + b"\nissuer stuff\n" + inter.pem,
        "unordered": [leaf.der, world.root.der, inter.der],
        "with-root": [leaf.der, inter.der, world.root.der],
        "with-duplicates": [leaf.der, inter.der, inter.der, inter.pem],
        "with-unrelated": [leaf.der, world.other_inter.der, inter.der],
    }


@pytest.mark.parametrize("form", ["der-list", "pem-bytes-list", "pem-str-list", "mixed-list",
                                  "bundle-bytes", "bundle-str", "bundle-crlf", "bundle-with-text",
                                  "unordered", "with-root", "with-duplicates", "with-unrelated"])
def test_chain_forms(world, store, policy, form):
    r = verify(_forms(world)[form], store=store, policy=policy)
    assert r.ok, (r.code, r.reasons)
    assert r.chain == world.ok_path


def test_single_der_certificate(world, store, policy):
    r = verify(world.leaf.der, store=store, policy=policy)  # one DER value: the leaf alone
    assert r.code == "missing_issuer"
    assert r.chain == [world.leaf.der]
    r = verify(world.leaf.der, store=store, policy=policy, intermediates=[world.inter.der])
    assert r.ok and r.chain == world.ok_path


def test_single_pem_certificate(world, store, policy):
    for chain in (world.leaf.pem, world.leaf.pem.decode()):
        r = verify(chain, store=store, policy=policy, intermediates=chainval.Pool(world.inter.pem))
        assert r.ok


def test_leaf_must_be_first(world, store, policy):
    r = verify([world.inter.der, world.leaf.der], store=store, policy=policy)
    # the intermediate is taken as the leaf: not a server certificate, no SAN
    assert not r.ok
    assert r.certificates[0].der == world.inter.der


@pytest.mark.parametrize("kind", ["pool", "list", "tuple", "pem-list", "none"])
def test_intermediates_forms(world, store, policy, kind):
    inter = {
        "pool": chainval.Pool([world.inter.der]),
        "list": [world.inter.der],
        "tuple": (world.inter.der,),
        "pem-list": [world.inter.pem.decode()],
        "none": None,
    }[kind]
    r = verify([world.leaf.der], store=store, policy=policy, intermediates=inter)
    if kind == "none":
        assert r.code == "missing_issuer"
    else:
        assert r.ok and r.chain == world.ok_path
        assert r.certificates[1].source == "pool"


def test_intermediates_empty_list(world, store, policy):
    assert verify([world.leaf.der], store=store, policy=policy, intermediates=[]).code == \
        "missing_issuer"


def test_served_beats_pool(world, store, policy):
    r = verify(world.ok_chain, store=store, policy=policy,
               intermediates=chainval.Pool([world.inter.der]))
    assert r.ok
    assert [c.source for c in r.certificates] == ["served", "served", "store"]


# ---------------------------------------------------------------------------
# Parse errors


@pytest.mark.parametrize("chain, index", [
    (lambda w: [GARBAGE_DER, w.inter.der], 0),
    (lambda w: [w.leaf.der, GARBAGE_DER], 1),
    (lambda w: [w.leaf.der, w.inter.der, b"garbage"], 2),
    (lambda w: [w.leaf.der, w.inter.der, w.root.der, ""], 3),
    (lambda w: [w.leaf.der, "not a PEM certificate"], 1),
    (lambda w: [w.leaf.der, w.inter.der + b"\x00"], 1),           # trailing byte
    (lambda w: [w.leaf.der[:-1], w.inter.der], 0),                # truncated
    (lambda w: [w.leaf.der, der_to_pem(GARBAGE_DER)], 1),
    (lambda w: w.leaf.pem + der_to_pem(GARBAGE_DER) + w.inter.pem, 1),
    (lambda w: der_to_pem(b"\x00\x01") + w.inter.pem, 0),
    (lambda w: (w.leaf.pem + der_to_pem(GARBAGE_DER)).decode(), 1),
    (lambda w: GARBAGE_DER, 0),
    (lambda w: b"", 0),
    (lambda w: "", 0),
    (lambda w: b"hello", 0),
])
def test_parse_error_index(world, store, policy, chain, index):
    with pytest.raises(chainval.ParseError) as info:
        verify(chain(world), store=store, policy=policy)
    e = info.value
    assert isinstance(e, chainval.Error) and isinstance(e, ValueError)
    assert isinstance(e.index, int)
    if chain(world) in (b"", ""):
        assert e.index in (0, -1)  # nothing at all: the whole input
    else:
        assert e.index == index
    assert str(e)


def test_parse_error_caught_as_value_error(world, store):
    with pytest.raises(ValueError):
        verify([world.leaf.der, GARBAGE_DER], store=store)


def test_empty_chain(store):
    with pytest.raises(ValueError):
        verify([], store=store)


def test_malformed_extension_is_a_verdict(world, store):
    """A certificate that parses but carries a broken extension is a Result."""
    bc = x509.UnrecognizedExtension(x509.oid.ExtensionOID.BASIC_CONSTRAINTS, b"\x04\x00")
    bad = world.inter.leaf(dns=["www.example.com"], basic_constraints=False,
                           extensions=[(bc, True)])
    r = verify([bad.der, world.inter.der], store=store, policy=Policy(at=T))
    assert (r.ok, r.code) == (False, "malformed")
    assert ("malformed", 0) in {(p.code, p.depth) for p in r.reasons}


# ---------------------------------------------------------------------------
# Argument types


@pytest.mark.parametrize("chain", [None, 1, 10**100, 1.5, [1, 2], [None], [b"x", 3],
                                   {"leaf": b"x"}, object(), [[b"x"]]])
def test_verify_bad_chain_type(store, chain):
    with pytest.raises(TypeError):
        verify(chain, store=store)


def test_verify_bad_arguments(world, store, policy):
    chain = world.ok_chain
    with pytest.raises(TypeError):
        verify(chain)                                        # store is required
    with pytest.raises(TypeError):
        verify(chain, store)                                 # keyword-only
    with pytest.raises(TypeError):
        verify(store=store)                                  # chain is required
    for bad_store in (None, 1, "store", [world.root.der], chainval.Pool([world.root.der])):
        with pytest.raises(TypeError):
            verify(chain, store=bad_store)
    for bad_policy in ("www.example.com", 1, {"hostname": "x"}, store):
        with pytest.raises(TypeError):
            verify(chain, store=store, policy=bad_policy)
    for bad_inter in ("x", b"x", 1, store, {"a": 1}):
        with pytest.raises(TypeError):
            verify(chain, store=store, intermediates=bad_inter)
    for bad_inter in ([1], [None], [b"x", 2]):
        with pytest.raises(TypeError):
            verify(chain, store=store, intermediates=bad_inter)
    with pytest.raises(TypeError):
        verify(chain, store=store, hostname="www.example.com")
    with pytest.raises(TypeError):
        verify(chain, store=store, threads=2)


def test_policy_none_is_default_policy(world, store):
    a = verify(world.ok_chain, store=store, policy=None)
    b = verify(world.ok_chain, store=store)
    assert a.ok and b.ok


# ---------------------------------------------------------------------------
# Input limits are verdicts, not exceptions


def test_too_many_certificates_is_input_limit(world, store):
    extras = [world.inter.leaf(dns=[f"x{i}.example.com"]).der for i in range(33)]
    r = verify([world.leaf.der, world.inter.der] + extras, store=store, policy=Policy(at=T))
    assert (r.ok, r.code) == (False, "input_limit")
    assert isinstance(r.reasons, list)
    with pytest.raises(chainval.VerificationError):
        r.raise_for_status()
    # duplicates count once
    r = verify([world.leaf.der] + [world.inter.der] * 40, store=store, policy=Policy(at=T))
    assert r.ok


def test_max_certs_policy(world, store):
    chain = [world.leaf.der, world.inter.der, world.other_inter.der]
    r = verify(chain, store=store, policy=Policy(at=T, max_certs=2))
    assert r.code == "input_limit" and not r.ok
    assert verify(chain, store=store, policy=Policy(at=T, max_certs=3)).ok


# ---------------------------------------------------------------------------
# Result


def test_result_ok(world, store, policy):
    r = verify(world.ok_chain, store=store, policy=policy)
    assert isinstance(r, chainval.Result)
    assert r.ok is True and bool(r) is True
    assert r.code == "ok"
    assert chainval.Reason[r.code.upper()] is chainval.Reason.OK
    assert r.reasons == []
    assert r.chain == world.ok_path
    assert all(type(d) is bytes for d in r.chain)
    assert r.anchored is True
    assert r.time == T and type(r.time) is int
    assert r.raise_for_status() is None
    text = repr(r)
    assert "True" in text and "ok" in text


def test_result_failure(world, store, policy):
    r = verify([world.expired_leaf.der, world.inter.der], store=store, policy=policy)
    assert r.ok is False and bool(r) is False
    assert r.code == "expired"
    assert chainval.Reason[r.code.upper()] is chainval.Reason.EXPIRED
    assert isinstance(r.reasons, list) and r.reasons
    p = next(p for p in r.reasons if p.code == "expired")
    assert p.depth == 0 and p.input_index == 0
    assert isinstance(p.message, str) and p.message
    for p in r.reasons:
        assert isinstance(p.code, str) and isinstance(p.depth, int)
        assert isinstance(p.message, str) and isinstance(p.input_index, int)
        assert p.code.upper() in chainval.Reason.__members__
    # the most plausible failing path: complete and anchored
    assert r.chain == [world.expired_leaf.der, world.inter.der, world.root.der]
    assert r.anchored is True
    text = repr(r)
    assert "False" in text and "expired" in text


def test_result_missing_issuer(world, store, policy):
    r = verify([world.leaf.der], store=store, policy=policy)
    assert r.code == "missing_issuer"
    assert r.anchored is False
    assert r.chain == [world.leaf.der]
    assert ("missing_issuer", 0) in {(p.code, p.depth) for p in r.reasons}


def test_result_untrusted_root(world, store, policy):
    r = verify([world.other_leaf.der, world.other_inter.der, world.other_root.der],
               store=store, policy=policy)
    assert r.code == "untrusted_root"
    assert r.anchored is False
    assert r.chain == [world.other_leaf.der, world.other_inter.der, world.other_root.der]


def test_problem_input_index(world, store, policy):
    """depth is the position in the path, input_index in the served list
    (-1 for a certificate that was not served)."""
    served = [world.leaf_under_expired_inter.der, world.other_inter.der,
              world.expired_inter.der]
    r = verify(served, store=store, policy=policy)
    assert r.code == "expired"
    p = next(p for p in r.reasons if p.code == "expired")
    assert (p.depth, p.input_index) == (1, 2)
    r = verify([world.leaf_under_expired_inter.der], store=store, policy=policy,
               intermediates=[world.expired_inter.der])
    p = next(p for p in r.reasons if p.code == "expired")
    assert (p.depth, p.input_index) == (1, -1)


def test_problem_without_certificate(world, store):
    r = verify(world.ok_chain, store=store, policy=Policy(at=T, max_sig_checks=1))
    assert r.code == "budget_exceeded"
    assert any(p.depth == -1 and p.input_index == -1 for p in r.reasons)


def test_bad_signature_reported(world, store, policy):
    r = verify([world.badsig_leaf, world.inter.der], store=store, policy=policy)
    assert r.code == "bad_signature"
    assert ("bad_signature", 0) in {(p.code, p.depth) for p in r.reasons}


@pytest.mark.parametrize("which", ["ok", "expired", "named", "missing"])
def test_certificates(world, store, which):
    leaf = {"ok": world.leaf, "expired": world.expired_leaf, "named": world.named_leaf,
            "missing": world.leaf}[which]
    chain = [leaf.der] if which == "missing" else [leaf.der, world.inter.der]
    r = verify(chain, store=store, policy=Policy(at=T))
    certs = r.certificates
    assert isinstance(certs, list) and len(certs) == len(r.chain)
    assert [c.der for c in certs] == r.chain
    for c in certs:
        ref = x509.load_der_x509_certificate(c.der)
        assert type(c.der) is bytes
        assert isinstance(c.subject, str) and c.subject == ref.subject.rfc4514_string()
        assert isinstance(c.issuer, str) and c.issuer == ref.issuer.rfc4514_string()
        assert isinstance(c.serial, str)
        assert re.fullmatch(r"[0-9a-f]+", c.serial), c.serial
        assert int(c.serial, 16) == ref.serial_number
        for got, want in ((c.not_before, ref.not_valid_before_utc),
                          (c.not_after, ref.not_valid_after_utc)):
            assert isinstance(got, datetime.datetime)
            assert got.tzinfo is not None
            assert got.utcoffset() == datetime.timedelta(0)
            assert got == want
        assert c.fingerprint_sha256 == hashlib.sha256(c.der).hexdigest()
    assert certs[0].der == leaf.der
    if which == "named":
        assert certs[0].subject == "CN=named.example.com,O=Example Org,C=US"
    assert certs[0].issuer == "CN=chainval Test Int"
    if which != "missing":
        assert certs[-1].subject == certs[-1].issuer == "CN=chainval Test Root"


def test_certificate_times(world, store):
    r = verify([world.expired_leaf.der, world.inter.der], store=store, policy=Policy(at=T))
    leaf = r.certificates[0]
    utc = datetime.timezone.utc
    assert leaf.not_before == datetime.datetime(2020, 1, 1, tzinfo=utc)
    assert leaf.not_after == datetime.datetime(2025, 1, 1, tzinfo=utc)
    assert r.certificates[1].not_after == datetime.datetime(2099, 12, 31, 23, 59, 59, tzinfo=utc)


@pytest.mark.parametrize("when", [
    datetime.datetime(1950, 1, 1), datetime.datetime(1969, 12, 31, 23, 59, 59),
    datetime.datetime(1970, 1, 1), datetime.datetime(2000, 2, 29, 12, 30, 1),
    datetime.datetime(2049, 12, 31, 23, 59, 59), datetime.datetime(2050, 1, 1),
    datetime.datetime(2100, 3, 1), datetime.datetime(9999, 12, 31, 23, 59, 59)])
def test_certificate_times_across_encodings(world, store, when):
    """Validity bounds read back exactly, UTCTime and GeneralizedTime, up to the end
    of datetime's range (the datetime is built in C). A time before 1970 reads as
    1970-01-01: GnuTLS, which reads those certificates, has no earlier time."""
    utc = datetime.timezone.utc
    when = when.replace(tzinfo=utc)
    leaf = world.inter.leaf(dns=["www.example.com"], not_before=when,
                            not_after=datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=utc))
    r = verify([leaf.der, world.inter.der], store=store, policy=Policy(at=T))
    assert r.certificates[0].not_before == max(when, datetime.datetime(1970, 1, 1, tzinfo=utc))
    assert r.certificates[0].not_after == datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=utc)


def test_raise_for_status(world, store, policy):
    r = verify([world.leaf.der], store=store, policy=policy)
    with pytest.raises(chainval.VerificationError) as info:
        r.raise_for_status()
    assert info.value.result is r
    assert isinstance(info.value, chainval.Error)
    assert not isinstance(info.value, chainval.ParseError)
    assert str(info.value)
    try:
        r.raise_for_status()
    except chainval.Error as e:  # catchable as the base class
        assert e.result.code == "missing_issuer"
    assert verify(world.ok_chain, store=store, policy=policy).raise_for_status() is None


def test_result_outlives_store_and_policy(world):
    s = chainval.TrustStore.from_pem(world.root.pem)
    p = Policy(hostname="www.example.com", at=T)
    pool = chainval.Pool([world.inter.der])
    r = verify([world.leaf.der], store=s, policy=p, intermediates=pool)
    del s, p, pool
    gc.collect()
    assert r.ok and len(r.certificates) == 3 and r.chain == world.ok_path


def test_result_lists_are_stable(world, store, policy):
    r = verify([world.expired_leaf.der, world.inter.der], store=store, policy=policy)
    first = [(p.code, p.depth) for p in r.reasons]
    r.reasons.clear()
    r.chain.clear()
    assert [(p.code, p.depth) for p in r.reasons] == first
    assert len(r.chain) == 3
    assert r.certificates == r.certificates


def test_result_attributes_read_only(world, store, policy):
    r = verify(world.ok_chain, store=store, policy=policy)
    for name in ("ok", "code", "reasons", "chain", "certificates", "anchored", "time"):
        with pytest.raises(AttributeError):
            setattr(r, name, None)


def test_every_reason_code_maps_to_reason(world, store):
    """Reason[code.upper()] works for whatever code results carry."""
    results = [
        verify(world.ok_chain, store=store, policy=Policy(at=T)),
        verify([world.expired_leaf.der, world.inter.der], store=store, policy=Policy(at=T)),
        verify([world.future_leaf.der, world.inter.der], store=store, policy=Policy(at=T)),
        verify([world.leaf.der], store=store, policy=Policy(at=T)),
        verify([world.other_leaf.der, world.other_inter.der, world.other_root.der], store=store,
               policy=Policy(at=T)),
        verify(world.ok_chain, store=store, policy=Policy(at=T, hostname="nope.example.com")),
        verify([world.client_leaf.der, world.inter.der], store=store, policy=Policy(at=T)),
        verify(world.ok_chain, store=store, policy=Policy(at=T, max_depth=0)),
        verify(world.ok_chain, store=store, policy=Policy(at=T, max_sig_checks=1)),
        verify(world.ok_chain, store=store, policy=Policy(at=T, max_certs=1)),
        verify([world.badsig_leaf, world.inter.der], store=store, policy=Policy(at=T)),
    ]
    codes = [r.code for r in results]
    assert codes == ["ok", "expired", "not_yet_valid", "missing_issuer", "untrusted_root",
                     "hostname_mismatch", "purpose_mismatch", "depth_exceeded",
                     "budget_exceeded", "input_limit", "bad_signature"]
    for r in results:
        assert isinstance(chainval.Reason[r.code.upper()], chainval.Reason)
        for p in r.reasons:
            assert isinstance(chainval.Reason[p.code.upper()], chainval.Reason)


def test_problem_and_certificate_types(world, store, policy):
    r = verify([world.expired_leaf.der, world.inter.der], store=store, policy=policy)
    p = r.reasons[0]
    assert isinstance(p, chainval.Problem)
    assert tuple(p) == (p.code, p.depth, p.message, p.input_index)
    c = r.certificates[0]
    assert isinstance(c, chainval.Certificate)
    assert (c.subject, c.issuer, c.serial, c.not_before, c.not_after, c.fingerprint_sha256,
            c.der) == tuple(c)[:7]
    assert c.source in ("served", "pool", "store")
    assert [x.source for x in r.certificates] == ["served", "served", "store"]
    for obj in (p, c):
        with pytest.raises((AttributeError, TypeError)):
            obj.code = "x" if obj is p else None
        with pytest.raises((AttributeError, TypeError)):
            obj.subject = "x"


def test_verification_error_code(world, store, policy):
    r = verify([world.leaf.der], store=store, policy=policy)
    with pytest.raises(chainval.VerificationError) as info:
        r.raise_for_status()
    assert info.value.code == r.code == "missing_issuer"


def test_error_index_and_message(world, store, policy):
    """Result.error_index/error_message (stub, docs/python.md): set for
    malformed/input_limit results, None otherwise."""
    ok = verify(world.ok_chain, store=store, policy=policy)
    assert ok.error_index is None and ok.error_message is None
    failing = verify([world.leaf.der], store=store, policy=policy)
    assert failing.error_index is None and failing.error_message is None
    big = verify(world.ok_chain, store=store, policy=Policy(at=T, max_cert_bytes=100))
    assert big.code == "input_limit"
    assert isinstance(big.error_index, int) and big.error_index in (-1, 0)
    assert isinstance(big.error_message, str) and big.error_message
    [bad] = chainval.verify_many([[world.leaf.der, world.inter.der, GARBAGE_DER]], store=store,
                                 policy=policy)
    assert bad.code == "malformed"
    assert bad.error_index == 2
    assert isinstance(bad.error_message, str) and bad.error_message
