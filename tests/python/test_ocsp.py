"""A stapled OCSP response (issue 14): verify(..., ocsp=DER) and chain_verify_stapled().
Responses are built here with pyca/cryptography: good, revoked (before and after the
verification time), signed by the issuer, by a delegated responder with and without the
OCSPSigning purpose, by a stranger, stale, early, for another certificate, garbage;
"revoked" fails the chain, anything unusable is reported and ignored."""

from __future__ import annotations

import datetime
import pickle

import pytest
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

import chainval
from chainval.testing import PKI, make_ocsp_response, utc

T = utc(2030)


@pytest.fixture(scope="module")
def w():
    pki = PKI()
    root = pki.root("OCSP Root")
    inter = root.intermediate("OCSP Int")
    leaf = inter.leaf(dns=["www.example.com"])
    other = inter.leaf(dns=["other.example.com"])
    responder = inter.leaf(cn="OCSP Responder", eku=[ExtendedKeyUsageOID.OCSP_SIGNING])
    no_eku = inter.leaf(cn="Not A Responder")
    stranger = pki.root("Stranger")
    store = chainval.TrustStore()
    store.add_der(root.der)
    return {"root": root, "inter": inter, "leaf": leaf, "other": other, "responder": responder,
            "no_eku": no_eku, "stranger": stranger, "store": store}


def response(w, *, status=ocsp.OCSPCertStatus.GOOD, cert=None, signer=None,
             this_update=T - datetime.timedelta(days=1), next_update=T + datetime.timedelta(days=3),
             revoked_at=None, reason=None, include=None) -> bytes:
    if status == ocsp.OCSPCertStatus.REVOKED:
        assert revoked_at is not None
    return make_ocsp_response(w["inter"], cert or w["leaf"], revoked_at=revoked_at, reason=reason,
                              this_update=this_update, next_update=next_update, signer=signer,
                              include=include, unknown=status == ocsp.OCSPCertStatus.UNKNOWN)


def verify(w, staple, cache=None):
    return chainval.verify([w["leaf"].der, w["inter"].der], store=w["store"], cache=cache,
                           policy=chainval.Policy(hostname="www.example.com", at=int(T.timestamp())),
                           ocsp=staple)


def test_no_response(w):
    r = verify(w, None)
    assert r.ok and r.ocsp is None and r.ocsp_message is None


def test_good(w):
    r = verify(w, response(w))
    assert r.ok and r.ocsp == "good" and "good at 2030-01-01T00:00:00Z" in r.ocsp_message


def test_revoked_fails_the_chain_with_date_and_reason(w):
    staple = response(w, status=ocsp.OCSPCertStatus.REVOKED, revoked_at=utc(2029, 6, 1),
                      reason=x509.ReasonFlags.key_compromise)
    r = verify(w, staple)
    assert not r.ok and r.code == "revoked" and r.ocsp == "revoked"
    assert [(p.code, p.depth) for p in r.reasons] == [("revoked", 0)]
    assert "2029-06-01T00:00:00Z" in r.reasons[0].message
    assert "keyCompromise" in r.reasons[0].message


def test_revoked_after_the_verification_time_is_good_then(w):
    staple = response(w, status=ocsp.OCSPCertStatus.REVOKED, revoked_at=T + datetime.timedelta(hours=1),
                      reason=x509.ReasonFlags.superseded)
    r = verify(w, staple)
    assert r.ok and r.ocsp == "good" and "not yet revoked" in r.ocsp_message


def test_a_delegated_responder(w):
    revoked = dict(status=ocsp.OCSPCertStatus.REVOKED, revoked_at=utc(2029), reason=None)
    r = verify(w, response(w, signer=w["responder"], include=w["responder"], **revoked))
    assert r.ocsp == "revoked" and r.code == "revoked"
    # without OCSPSigning, or not included: not the issuer's word
    for signer, include in ((w["no_eku"], w["no_eku"]), (w["responder"], None)):
        r = verify(w, response(w, signer=signer, include=include, **revoked))
        assert r.ok and r.ocsp == "unusable" and "signature" in r.ocsp_message


@pytest.mark.parametrize("case, words", [
    ("stranger", "signature"),
    ("stale", "out of date"),
    ("early", "after the verification time"),
    ("other", "not about this certificate"),
    ("garbage", "cannot be parsed"),
    ("unknown", "does not know"),
])
def test_unusable_responses_are_reported_and_ignored(w, case, words):
    staple = {
        "stranger": lambda: response(w, signer=w["stranger"]),
        "stale": lambda: response(w, this_update=utc(2029), next_update=utc(2029, 2)),
        "early": lambda: response(w, this_update=T + datetime.timedelta(days=1),
                                  next_update=T + datetime.timedelta(days=5)),
        "other": lambda: response(w, cert=w["other"]),
        "garbage": lambda: b"\x30\x03\x0a\x01\x00" + b"junk",
        "unknown": lambda: response(w, status=ocsp.OCSPCertStatus.UNKNOWN),
    }[case]()
    r = verify(w, staple)
    assert r.ok and r.code == "ok" and r.ocsp == "unusable", r.ocsp_message
    assert words in r.ocsp_message


def test_a_cached_verdict_is_not_reused_for_a_stapled_call(w):
    cache = chainval.Cache()
    assert verify(w, None, cache).ok and verify(w, None, cache).ok  # cached now
    staple = response(w, status=ocsp.OCSPCertStatus.REVOKED, revoked_at=utc(2029))
    assert verify(w, staple, cache).code == "revoked"
    assert verify(w, None, cache).ok


def test_limits_and_types(w):
    big = b"\x30" + b"\x00" * (2 << 20)
    r = verify(w, big)
    assert r.code == "input_limit"
    with pytest.raises(TypeError):
        verify(w, "not bytes")
    with pytest.raises(TypeError):
        chainval.verify_many([[w["leaf"].der]], store=w["store"], ocsp=b"")


def test_pickling_keeps_the_ocsp_verdict_and_0_2_pickles_load(w):
    r = verify(w, response(w, status=ocsp.OCSPCertStatus.REVOKED, revoked_at=utc(2029)))
    again = pickle.loads(pickle.dumps(r))
    assert (again.ocsp, again.ocsp_message, again.code) == (r.ocsp, r.ocsp_message, r.code)
    state = r.__reduce__()[1][0]
    old = chainval._chainval._result_from_state(state[:9])  # a 0.2 pickle's state
    assert old.code == "revoked" and old.ocsp is None and old.attempts == []
