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
