"""Explain mode from Python (issue 14): Policy(explain=...) and Result.attempts: every
path the builder tried, why each was rejected, the accepted one last; verdicts unchanged;
pickling keeps the attempts."""

from __future__ import annotations

import pickle

import pytest

import chainval
from chainval.testing import PKI, der_of, utc

T = int(utc(2030).timestamp())


@pytest.fixture(scope="module")
def world():
    pki = PKI()
    root = pki.root("Explain Root")
    inter = root.intermediate("Explain Int")
    # The same CA (name and key) certified twice: without keyCertSign (served
    # first, so tried first) and properly.
    no_sign = root.issue(inter.name, inter.key, ca=True, key_usage=["digital_signature"])
    leaf = inter.leaf(dns=["www.example.com"])
    store = chainval.TrustStore()
    store.add_der(root.der)
    return {"root": root, "inter": inter, "no_sign": der_of(no_sign), "leaf": leaf,
            "store": store}


def _verify(world, chain, **policy):
    return chainval.verify(chain, store=world["store"],
                           policy=chainval.Policy(hostname="www.example.com", at=T, **policy),
                           cache=None)


def test_the_path_rejected_first_and_the_one_accepted(world):
    chain = [world["leaf"].der, world["no_sign"], world["inter"].der]
    r = _verify(world, chain, explain=True)
    assert r.ok
    ends = [a.end for a in r.attempts]
    assert ends == ["rule_failed", "trusted"], ends
    failed, trusted = r.attempts
    assert [p.code for p in failed.reasons] == ["key_usage"]
    assert failed.reasons[0].depth == 1 and failed.reasons[0].input_index == 1
    assert [c.input_index for c in failed.certificates] == [0, 1, -1]
    assert [c.source for c in failed.certificates] == ["served", "served", "store"]
    assert [c.fingerprint_sha256 for c in trusted.certificates] == \
        [c.fingerprint_sha256 for c in r.certificates]
    assert [c.subject for c in trusted.certificates] == [c.subject for c in r.certificates]
    assert trusted.reasons == []
    assert [e.signature for e in trusted.edges] == ["good", "good"]
    assert all(e.key_id is True and e.cached is False for e in trusted.edges)
    assert r.attempts_dropped == 0


def test_off_by_default_and_verdicts_unchanged(world):
    chain = [world["leaf"].der, world["no_sign"], world["inter"].der]
    plain, explained = _verify(world, chain), _verify(world, chain, explain=5)
    assert plain.attempts == [] and plain.attempts_dropped == 0
    assert (plain.ok, plain.code, plain.reasons, plain.certificates) == \
        (explained.ok, explained.code, explained.reasons, explained.certificates)
    assert chainval.Policy(explain=True).explain == 64
    assert chainval.Policy(explain=0) == chainval.Policy() and chainval.Policy().explain is False
    with pytest.raises(ValueError):
        chainval.Policy(explain=-1)
    with pytest.raises(TypeError):
        chainval.Policy(explain="yes")


def test_a_missing_issuer_and_a_bound(world):
    r = _verify(world, [world["leaf"].der], explain=True)
    assert [a.end for a in r.attempts] == ["no_issuer"]
    assert [p.code for p in r.attempts[0].reasons] == ["missing_issuer"]
    assert r.attempts[0].edges == []
    chain = [world["leaf"].der, world["no_sign"], world["inter"].der]
    r = _verify(world, chain, explain=1)
    assert [a.end for a in r.attempts] == ["rule_failed"] and r.attempts_dropped == 1


def test_the_cache_answers_are_marked_and_verdicts_are_not_reused(world):
    chain = [world["leaf"].der, world["inter"].der]
    cache = chainval.Cache()
    policy = chainval.Policy(hostname="www.example.com", at=T)
    chainval.verify(chain, store=world["store"], policy=policy, cache=cache)
    r = chainval.verify(chain, store=world["store"], cache=cache,
                        policy=chainval.Policy(hostname="www.example.com", at=T, explain=True))
    assert r.ok and [a.end for a in r.attempts] == ["trusted"]
    assert all(e.cached for e in r.attempts[0].edges)


def test_pickling_keeps_the_attempts(world):
    chain = [world["leaf"].der, world["no_sign"], world["inter"].der]
    r = _verify(world, chain, explain=True)
    again = pickle.loads(pickle.dumps(r))
    assert again.attempts == r.attempts and again.attempts_dropped == r.attempts_dropped
    assert isinstance(again.attempts[0], chainval.Attempt)
    assert isinstance(again.attempts[0].edges[0], chainval.Edge)
    assert isinstance(again.attempts[0].certificates[0], chainval.AttemptCertificate)
