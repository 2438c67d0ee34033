"""chainval.Policy: construction, validation, attributes, immutability,
equality/hash/repr, and what its fields do to a verification."""

from __future__ import annotations

import datetime
import time

import pytest

import chainval
from _support import T

Policy = chainval.Policy

ATTRIBUTES = ("hostname", "ip", "purpose", "at", "max_depth", "partial_chain", "cn_fallback",
              "allow_sha1", "min_rsa_bits")


# ---------------------------------------------------------------------------
# Defaults and attributes


def test_defaults():
    p = Policy()
    assert p.hostname is None
    assert p.ip is None
    assert p.purpose == "server"
    assert p.at is None
    assert p.max_depth == 8 and type(p.max_depth) is int
    assert p.partial_chain is False
    assert p.cn_fallback is False
    assert p.allow_sha1 is False
    assert p.min_rsa_bits in (None, 2048)


def test_attributes_read_back():
    p = Policy(hostname="www.example.com", purpose="client", at=T, max_depth=3,
               partial_chain=True, cn_fallback=True, allow_sha1=True, min_rsa_bits=1024,
               max_sig_checks=10, max_candidates=20, max_certs=5, max_chain_bytes=10000,
               max_cert_bytes=5000)
    assert p.hostname == "www.example.com"
    assert p.ip is None
    assert p.purpose == "client"
    assert p.at == T and type(p.at) is int
    assert p.max_depth == 3
    assert p.partial_chain is True
    assert p.cn_fallback is True
    assert p.allow_sha1 is True
    assert p.min_rsa_bits == 1024
    q = Policy(ip="2001:db8::1", purpose="1.3.6.1.5.5.7.3.3")
    assert q.ip == "2001:db8::1" and q.hostname is None
    assert q.purpose == "1.3.6.1.5.5.7.3.3"


@pytest.mark.parametrize("purpose", ["server", "client", "any", "1.3.6.1.5.5.7.3.3",
                                     "1.3.6.1.4.1.311.10.3.4"])
def test_purpose_accepted(purpose):
    assert Policy(purpose=purpose).purpose == purpose


@pytest.mark.parametrize("depth", [0, 1, 8, 64])
def test_max_depth_range(depth):
    assert Policy(max_depth=depth).max_depth == depth


@pytest.mark.parametrize("hostname", ["www.example.com", "WWW.Example.COM", "www.example.com.",
                                      "localhost", "xn--bcher-kva.example", "192.0.2.1",
                                      "2001:db8::1", "a-b.c-d.example"])
def test_hostname_accepted(hostname):
    assert Policy(hostname=hostname).hostname == hostname


@pytest.mark.parametrize("ip", ["192.0.2.1", "2001:db8::1", "2001:0db8:0:0:0:0:0:1", "::1"])
def test_ip_accepted(ip):
    assert Policy(ip=ip).ip == ip


# ---------------------------------------------------------------------------
# Time


def test_at_int_and_zero():
    assert Policy(at=0).at == 0
    assert Policy(at=T).at == T
    assert Policy(at=-86400).at == -86400
    assert Policy(at=2**62).at == 2**62  # any int64 is a time


@pytest.mark.parametrize("dt, expect", [
    (datetime.datetime(2030, 1, 1), T),  # naive means UTC
    (datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc), T),
    (datetime.datetime(2030, 1, 1, 1, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))), T),
    (datetime.datetime(2029, 12, 31, 19, 0,
                       tzinfo=datetime.timezone(datetime.timedelta(hours=-5))), T),
    (datetime.datetime(2030, 1, 1, 0, 0, 0, 999999), T),  # whole seconds
    (datetime.datetime(1970, 1, 1), 0),
    (datetime.datetime(1969, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc), -1),
])
def test_at_datetime(dt, expect):
    p = Policy(at=dt)
    assert p.at == expect and type(p.at) is int
    assert p == Policy(at=expect)


def test_at_none_means_now(world, store):
    before = int(time.time())
    r = chainval.verify(world.ok_chain, store=store, policy=Policy(hostname="www.example.com"))
    after = int(time.time())
    assert r.ok  # world certificates are valid 2020..2099
    assert before - 1 <= r.time <= after + 1
    r0 = chainval.verify(world.ok_chain, store=store)  # policy=None is Policy(): also now
    assert r0.ok and before - 1 <= r0.time <= after + 1
    # "now" is read at each verification, not when the policy was made:
    expired_now = chainval.verify([world.expired_leaf.der, world.inter.der], store=store)
    assert expired_now.code == "expired"


def test_at_zero_is_1970(world, store):
    r = chainval.verify(world.ok_chain, store=store, policy=Policy(at=0))
    assert r.time == 0
    assert r.code == "not_yet_valid"


def test_at_far_future(world, store):
    r = chainval.verify(world.ok_chain, store=store, policy=Policy(at=2**62))
    assert r.time == 2**62
    assert r.code == "expired"


def test_at_datetime_verifies_like_int(world, store):
    a = chainval.verify([world.expired_leaf.der, world.inter.der], store=store,
                        policy=Policy(at=datetime.datetime(2024, 6, 1)))
    b = chainval.verify([world.expired_leaf.der, world.inter.der], store=store,
                        policy=Policy(at=int(datetime.datetime(2024, 6, 1,
                                      tzinfo=datetime.timezone.utc).timestamp())))
    assert a.ok and b.ok and a.time == b.time


# ---------------------------------------------------------------------------
# Bad values: ValueError; wrong types: TypeError


@pytest.mark.parametrize("purpose", ["", "Server", "SERVER", "serverAuth", "tls-server", "anything",
                                     "1.2.x", "1..2", ".1.2", "1.2.", "1.2.3 ", " 1.2.3",
                                     "server\x00", "1.3.6.1.5.5.7.3.1\x00junk"])
def test_purpose_bad_value(purpose):
    with pytest.raises(ValueError):
        Policy(purpose=purpose)


@pytest.mark.parametrize("purpose", [None, 1, b"server", ["server"], 1.5])
def test_purpose_bad_type(purpose):
    with pytest.raises(TypeError):
        Policy(purpose=purpose)


@pytest.mark.parametrize("hostname", ["", " ", "www example.com", "www.example.com ", "\t",
                                      "bücher.example", "www.exämple.com", "例え.jp",
                                      "www.example.com\x00.evil.example", "\x00"])
def test_hostname_bad_value(hostname):
    with pytest.raises(ValueError):
        Policy(hostname=hostname)


@pytest.mark.parametrize("hostname", [b"www.example.com", 1, 10**100, ["www.example.com"], 1.0,
                                      True])
def test_hostname_bad_type(hostname):
    with pytest.raises(TypeError):
        Policy(hostname=hostname)


@pytest.mark.parametrize("ip", ["", "www.example.com", "300.1.2.3", "1.2.3", "1.2.3.4.5",
                                "2001:db8::1::2", "192.0.2.1 ", "192.0.2.1\x00.junk"])
def test_ip_bad_value(ip):
    with pytest.raises(ValueError):
        Policy(ip=ip)


@pytest.mark.parametrize("ip", [b"\xc0\x00\x02\x01", b"192.0.2.1", 3221225985, ["192.0.2.1"]])
def test_ip_bad_type(ip):
    with pytest.raises(TypeError):
        Policy(ip=ip)


def test_hostname_and_ip_together():
    with pytest.raises(ValueError):
        Policy(hostname="www.example.com", ip="192.0.2.1")


@pytest.mark.parametrize("at", ["2030-01-01", b"1893456000", [T], True,
                                datetime.date(2030, 1, 1), datetime.timedelta(0)])
def test_at_bad_type(at):
    with pytest.raises(TypeError):
        Policy(at=at)


@pytest.mark.parametrize("at", [2**63, -2**63 - 1, 2**64, 10**30, -10**30])
def test_at_out_of_range(at):
    with pytest.raises(ValueError):
        Policy(at=at)


@pytest.mark.parametrize("depth", [-1, 65, 1000, 2**31, 2**64, 10**30, -10**30])
def test_max_depth_bad_value(depth):
    with pytest.raises(ValueError):
        Policy(max_depth=depth)


@pytest.mark.parametrize("depth", ["3", 3.0, [3], b"3", True])
def test_max_depth_bad_type(depth):
    with pytest.raises(TypeError):
        Policy(max_depth=depth)


@pytest.mark.parametrize("name", ["min_rsa_bits", "max_sig_checks", "max_candidates", "max_certs",
                                  "max_chain_bytes", "max_cert_bytes"])
@pytest.mark.parametrize("value", [-1, 2**64, 10**30, -10**30])
def test_numeric_bad_value(name, value):
    with pytest.raises(ValueError):
        Policy(**{name: value})


@pytest.mark.parametrize("name", ["min_rsa_bits", "max_sig_checks", "max_candidates", "max_certs",
                                  "max_chain_bytes", "max_cert_bytes"])
@pytest.mark.parametrize("value", ["10", 10.0, [10], b"10"])
def test_numeric_bad_type(name, value):
    with pytest.raises(TypeError):
        Policy(**{name: value})


@pytest.mark.parametrize("name", ["partial_chain", "cn_fallback", "allow_sha1"])
@pytest.mark.parametrize("value", [None, "yes", b"", [True]])
def test_flag_bad_type(name, value):
    with pytest.raises(TypeError):
        Policy(**{name: value})


def test_positional_and_unknown_arguments():
    with pytest.raises(TypeError):
        Policy("www.example.com")
    with pytest.raises(TypeError):
        Policy(host="www.example.com")
    with pytest.raises(TypeError):
        Policy(time=T)


# ---------------------------------------------------------------------------
# Immutability, equality, hashing, repr


@pytest.mark.parametrize("name", ATTRIBUTES + ("max_sig_checks", "max_candidates", "max_certs",
                                               "max_chain_bytes", "max_cert_bytes"))
def test_immutable(name):
    p = Policy(hostname="www.example.com", at=T)
    before = getattr(p, name) if hasattr(p, name) else None
    with pytest.raises(AttributeError):
        setattr(p, name, getattr(p, name, None))
    with pytest.raises(AttributeError):
        delattr(p, name)
    assert (getattr(p, name) if hasattr(p, name) else None) == before


def test_no_new_attributes():
    p = Policy()
    with pytest.raises(AttributeError):
        p.extra = 1


def test_equality_and_hash():
    a = Policy(hostname="www.example.com", at=T)
    b = Policy(hostname="www.example.com", at=T)
    assert a == b and not (a != b)
    assert hash(a) == hash(b)
    assert a is not b
    assert Policy() == Policy(purpose="server")
    assert Policy(at=datetime.datetime(2030, 1, 1)) == Policy(at=T)
    assert hash(Policy(at=datetime.datetime(2030, 1, 1))) == hash(Policy(at=T))
    different = [
        Policy(hostname="other.example.com", at=T),
        Policy(hostname="www.example.com"),
        Policy(hostname="www.example.com", at=T + 1),
        Policy(hostname="www.example.com", at=T, purpose="client"),
        Policy(hostname="www.example.com", at=T, max_depth=3),
        Policy(hostname="www.example.com", at=T, partial_chain=True),
        Policy(hostname="www.example.com", at=T, cn_fallback=True),
        Policy(hostname="www.example.com", at=T, allow_sha1=True),
        Policy(hostname="www.example.com", at=T, min_rsa_bits=1024),
        Policy(hostname="www.example.com", at=T, max_certs=3),
        Policy(ip="192.0.2.1", at=T),
    ]
    for d in different:
        assert a != d and not (a == d), repr(d)
    assert len({a, b, *different}) == 1 + len(different)
    cache = {a: "x"}
    assert cache[b] == "x"
    assert a != "Policy()" and a != None  # noqa: E711 (no exception, just unequal)


def test_repr():
    p = Policy(hostname="www.example.com", purpose="server", at=T)
    text = repr(p)
    assert text.startswith("Policy(") and text.endswith(")")
    for part in ("hostname='www.example.com'", "purpose='server'", f"at={T}"):
        assert part in text
    # readable as the call that makes an equal policy
    for q in (p, Policy(), Policy(ip="192.0.2.1", purpose="any", max_depth=2, partial_chain=True),
              Policy(at=0, max_certs=4, min_rsa_bits=1024)):
        assert eval(repr(q), {"Policy": Policy}) == q


# ---------------------------------------------------------------------------
# What the fields do (beyond the fixture cases in test_cases.py)


def test_default_policy_is_server_purpose(world, store):
    chain = [world.client_leaf.der, world.inter.der]
    assert chainval.verify(chain, store=store).code == "purpose_mismatch"
    assert chainval.verify(chain, store=store, policy=None).code == "purpose_mismatch"
    assert chainval.verify(chain, store=store, policy=Policy(at=T)).code == "purpose_mismatch"
    assert chainval.verify(chain, store=store, policy=Policy(purpose="client", at=T)).ok
    assert chainval.verify(chain, store=store, policy=Policy(purpose="any", at=T)).ok


def test_hostname_and_ip_checks(world, store):
    def code(**kw):
        return chainval.verify(world.ok_chain, store=store, policy=Policy(at=T, **kw)).code

    assert code(hostname="www.example.com") == "ok"
    assert code(hostname="example.com") == "ok"
    assert code(hostname="other.example.com") == "hostname_mismatch"
    assert code(hostname="192.0.2.10") == "ok"     # an IP literal as hostname: an address
    assert code(ip="192.0.2.10") == "ok"
    assert code(ip="192.0.2.11") == "hostname_mismatch"
    assert code(hostname="192.0.2.11") == "hostname_mismatch"
    assert code() == "ok"  # no name, no name check


def test_max_depth_zero_needs_leaf_under_anchor(world, store):
    r = chainval.verify(world.ok_chain, store=store, policy=Policy(at=T, max_depth=0))
    assert r.code == "depth_exceeded"
    assert chainval.verify(world.ok_chain, store=store, policy=Policy(at=T, max_depth=1)).ok


def test_partial_chain(world):
    s = chainval.TrustStore.from_pem(world.inter.pem)
    chain = [world.leaf.der]
    assert chainval.verify(chain, store=s, policy=Policy(at=T)).code == "missing_issuer"
    r = chainval.verify(chain, store=s, policy=Policy(at=T, partial_chain=True))
    assert r.ok and r.chain == [world.leaf.der, world.inter.der]


def test_limits(world, store):
    chain = [world.leaf.der, world.inter.der, world.root.der]
    r = chainval.verify(chain, store=store, policy=Policy(at=T, max_certs=2))
    assert (r.ok, r.code) == (False, "input_limit")
    assert chainval.verify(chain, store=store, policy=Policy(at=T, max_certs=3)).ok
    r = chainval.verify(chain, store=store, policy=Policy(at=T, max_cert_bytes=100))
    assert r.code == "input_limit"
    r = chainval.verify(chain, store=store, policy=Policy(at=T, max_chain_bytes=100))
    assert r.code == "input_limit"
    r = chainval.verify(chain, store=store, policy=Policy(at=T, max_sig_checks=1))
    assert r.code == "budget_exceeded"
    r = chainval.verify(chain, store=store, policy=Policy(at=T, max_candidates=1))
    assert not r.ok and r.code == "budget_exceeded"


def test_policy_reused_across_stores(world, store):
    p = Policy(hostname="www.example.com", at=T)
    other = chainval.TrustStore.from_pem(world.other_root.pem)
    assert chainval.verify(world.ok_chain, store=store, policy=p).ok
    assert chainval.verify([world.other_leaf.der, world.other_inter.der], store=other, policy=p).ok
    assert not chainval.verify(world.ok_chain, store=other, policy=p).ok


def test_embedded_nul_never_truncates_the_name(world, store):
    """A NUL inside a name must not make the policy check a prefix of it: either
    the policy is refused (ValueError), or the name is compared whole."""
    for kw in ({"hostname": "www.example.com\x00.evil.example"},
               {"ip": "192.0.2.10\x00junk"}):
        try:
            p = Policy(at=T, **kw)
        except ValueError:
            continue
        r = chainval.verify(world.ok_chain, store=store, policy=p)
        assert not r.ok, f"{kw!r} was checked as its prefix before the NUL"


def test_strict_flag(world, store):
    """strict (structural RFC 5280 / CA/B Forum rules, documented in the stub):
    on by default, a bool, part of equality."""
    if not hasattr(Policy(), "strict"):
        pytest.skip("this build's Policy has no strict flag")
    assert Policy().strict is True
    assert Policy(strict=False).strict is False
    assert Policy(strict=False) != Policy()
    assert eval(repr(Policy(strict=False)), {"Policy": Policy}) == Policy(strict=False)
    with pytest.raises(TypeError):
        Policy(strict=None)
    with pytest.raises(AttributeError):
        Policy().strict = False
    # the session PKI is conforming: strict or not, the verdict is the same
    assert chainval.verify(world.ok_chain, store=store, policy=Policy(at=T, strict=False)).ok
    assert chainval.verify(world.ok_chain, store=store, policy=Policy(at=T, strict=True)).ok
