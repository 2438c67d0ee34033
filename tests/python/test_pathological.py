"""Pathological inputs for the path search (the security issue's suite).

Same-name issuer decoys, cross-sign lattices (anchored and not), issuer loops
of length 2..50, a 2,000-certificate pool, deep chains against max_depth, an
oversized PEM input and a small CRL-laden lattice, all built at test time with
chainval.testing.

What is asserted is the verdict and the WORK, not the time. Each case is
verified with ``verify()`` and again through ``verify_many(threads=1)`` with a
fresh ``Cache(verdicts=False)``: the cache's edge counters are the signature
checks the search made (misses were computed; hits + misses is what the
budget counts, ``max_sig_checks``, 100 by default), and the two results must
be identical. Time appears only as a hang detector: a verification taking
more than HANG_SECONDS fails, and a test still running after HARD_SECONDS
dumps every thread's traceback and exits (faulthandler).

The big cases (1,000 decoys, a 10,000-certificate pool, 100 MB of PEM,
CRL-heavy stores) and the 100 ms / 64 MiB bounds are benchmarks/pathological.py.
"""

from __future__ import annotations

import faulthandler
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

import chainval
from _support import T, result_key
from chainval.testing import PKI, pem_bundle, utc

HANG_SECONDS = 5.0    # one verification; they take milliseconds
HARD_SECONDS = 120.0  # one test, including building its PKI
WWW = ["www.example.com"]
DEFAULT_BUDGET = 100  # CHAIN_LIMIT_SIG_CHECKS's default
_DER = Encoding.DER


@pytest.fixture(autouse=True)
def hang_detector():
    faulthandler.dump_traceback_later(HARD_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


class Outcome:
    def __init__(self, result: chainval.Result, checks: int, computed: int,
                 seconds: float) -> None:
        self.result, self.checks, self.computed, self.seconds = result, checks, computed, seconds
        self.code = result.code

    def __repr__(self) -> str:
        return (f"<{self.code}, {len(self.result.chain)} certs, {self.checks} signature checks "
                f"({self.computed} computed), {self.seconds * 1000:.1f} ms: "
                f"{[(p.code, p.depth, p.message) for p in self.result.reasons]}>")


def run(chain, *, store, policy, pool=None) -> Outcome:
    """Verify twice (plainly, then with a fresh cache to count signature
    checks); the results must agree and neither may hang."""
    t0 = time.monotonic()
    result = chainval.verify(chain, store=store, policy=policy, intermediates=pool)
    seconds = time.monotonic() - t0
    assert seconds < HANG_SECONDS, f"hang detector: one verification took {seconds:.1f} s"
    cache = chainval.Cache(verdicts=False)
    t0 = time.monotonic()
    (again,) = chainval.verify_many([chain], store=store, policy=policy, intermediates=pool,
                                    threads=1, cache=cache)
    assert time.monotonic() - t0 < HANG_SECONDS, "hang detector (cached run)"
    assert result_key(again) == result_key(result), "the cache changed the result"
    stats = cache.stats()
    return Outcome(result, stats["edge_hits"] + stats["edge_misses"], stats["edge_misses"],
                   seconds)


def policy(**kw) -> chainval.Policy:
    return chainval.Policy(at=T, **kw)


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI()


@pytest.fixture(scope="module")
def root(pki):
    return pki.root("Patho Py Root")


@pytest.fixture(scope="module")
def store(root) -> chainval.TrustStore:
    return chainval.TrustStore.from_pem(root.pem)


# ---------------------------------------------------------------- decoys

def _ski(ca) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key()).digest


def decoy_pki(pki, root, n: int, same_ski: bool):
    """n-1 decoys named like the leaf's issuer, each with its own key, then
    the real issuer last; with same_ski the decoys also carry its SKI."""
    name = f"Patho Py Decoy {n} {same_ski}"
    real = root.intermediate(name)
    extra = [(x509.SubjectKeyIdentifier(_ski(real)), False)] if same_ski else []
    decoys = [root.issue(name, pki.key(), ca=True, ski=not same_ski, extensions=extra)
              for _ in range(n - 1)]
    return real.leaf(dns=WWW), chainval.Pool([*(d.public_bytes(_DER) for d in decoys),
                                               real.der])


@pytest.mark.parametrize("same_ski", [False, True])
def test_eight_decoys(pki, root, store, same_ski):
    leaf, pool = decoy_pki(pki, root, 8, same_ski)
    out = run([leaf.der], store=store, policy=policy(), pool=pool)
    assert out.code == "ok", out
    assert len(out.result.chain) == 3
    # With distinct SKIs the AKI points at the real issuer first; with copied
    # SKIs each decoy costs one check, never more.
    assert out.checks <= (2 if not same_ski else 9), out


def test_decoys_over_the_budget(pki, root, store):
    leaf, pool = decoy_pki(pki, root, 150, True)
    out = run([leaf.der], store=store, policy=policy(), pool=pool)
    assert out.code == "budget_exceeded", out
    assert out.checks <= DEFAULT_BUDGET, out
    more = run([leaf.der], store=store, policy=policy(max_sig_checks=200), pool=pool)
    assert more.code == "ok" and more.checks <= 151, more


# ---------------------------------------------------------------- lattices

def lattice(pki, tag: str, levels: int = 10, width: int = 4):
    """levels x width CAs, a layer's CAs sharing one name; each CA of layer k
    certified by every CA of layer k+1, the top layer by a root."""
    layers = [[pki.ca(f"Patho Py Lattice {tag} {k}") for _ in range(width)]
              for k in range(levels)]
    top = pki.root(f"Patho Py Lattice {tag} Root")
    certs = []
    for k, layer in enumerate(layers):
        issuers = layers[k + 1] if k + 1 < levels else [top]
        for ca in layer:
            for up in issuers:
                certs.append(up.issue(ca.name, ca.key, ca=True).public_bytes(_DER))
    return top, layers[0][0].leaf(dns=WWW), certs


@pytest.fixture(scope="module")
def lattices(pki):
    return {"anchored": lattice(pki, "A"), "unanchored": lattice(pki, "U")}


def test_unanchored_lattice(root, lattices):
    top, leaf, certs = lattices["unanchored"]
    st = chainval.TrustStore.from_pem(root.pem)   # the lattice's root is nowhere
    out = run([leaf.der], store=st, policy=policy(max_depth=16), pool=chainval.Pool(certs))
    assert out.code == "budget_exceeded", out
    assert out.checks <= DEFAULT_BUDGET, out


def test_anchored_lattice(lattices):
    top, leaf, certs = lattices["anchored"]
    st = chainval.TrustStore.from_pem(top.pem)
    pool = chainval.Pool(certs)
    out = run([leaf.der], store=st, policy=policy(max_depth=16), pool=pool)
    assert out.code == "ok" and len(out.result.chain) == 12, out
    assert out.checks <= 11, out  # the AKIs lead straight up
    # 10 intermediates under the default max_depth of 8: no path; the search
    # wanders the lattice below the cap until the budget ends it.
    capped = run([leaf.der], store=st, policy=policy(), pool=pool)
    assert capped.code == "budget_exceeded", capped
    assert capped.checks <= DEFAULT_BUDGET, capped


def test_served_lattice(lattices):
    """A lattice served in the chain (the 31-certificate input bound)."""
    top, leaf, certs = lattices["anchored"]
    st = chainval.TrustStore.from_pem(top.pem)
    # The first 30 lattice certificates (layer 0's 16, 14 of layer 1's) are
    # served, the rest pooled.
    served = [leaf.der, *certs[:30]]
    out = run(served, store=st, policy=policy(max_depth=16), pool=chainval.Pool(certs[30:]))
    assert out.code == "ok", out
    assert out.checks <= DEFAULT_BUDGET, out


# ---------------------------------------------------------------- loops

def loop(pki, n: int, tag: str = ""):
    """L0 <- L1 <- ... <- L(n-1) <- L0; the leaf is issued by L0."""
    cas = [pki.ca(f"Patho Py Loop {n}{tag} {i}") for i in range(n)]
    certs = [cas[(i + 1) % n].issue(cas[i].name, cas[i].key, ca=True).public_bytes(_DER)
             for i in range(n)]
    return cas[0].leaf(dns=WWW), certs


def test_loops_2_to_50(pki, store):
    """No anchor is reachable: the loop closes (missing_issuer) after one
    check per member, at any length up to the depth cap."""
    failures = []
    for n in range(2, 51):
        leaf, certs = loop(pki, n)
        out = run([leaf.der], store=store, policy=policy(max_depth=64),
                  pool=chainval.Pool(certs))
        if out.code != "missing_issuer" or out.checks > n or len(out.result.chain) != n + 1:
            failures.append((n, out))
    assert not failures, failures


@pytest.mark.parametrize("n,want", [(8, "missing_issuer"), (9, "depth_exceeded")])
def test_loop_against_default_depth(pki, store, n, want):
    leaf, certs = loop(pki, n, "d")
    out = run([leaf.der], store=store, policy=policy(), pool=chainval.Pool(certs))
    assert out.code == want and out.checks <= n, out


def test_served_loop(pki, store):
    leaf, certs = loop(pki, 30, "s")
    out = run([leaf.der, *certs], store=store, policy=policy(max_depth=64))
    assert out.code == "missing_issuer" and out.checks <= 30, out


# ---------------------------------------------------------------- a big pool

def test_pool_of_2000(pki, root, store):
    key = pki.key()  # one key for all: this is about indexing, not signatures
    cas = [root.intermediate(f"Patho Py Pool CA {i}", key=key) for i in range(2000)]
    t0 = time.monotonic()
    pool = chainval.Pool([c.der for c in cas])
    load = time.monotonic() - t0
    assert len(pool) == 2000
    assert load < HANG_SECONDS, f"hang detector: loading 2,000 certificates took {load:.1f} s"
    for i in (0, 999, 1999):
        out = run([cas[i].leaf(dns=WWW).der], store=store, policy=policy(), pool=pool)
        assert out.code == "ok" and out.checks <= 2, out
    stranger = pki.ca("Patho Py Pool CA missing").leaf(dns=WWW)
    out = run([stranger.der], store=store, policy=policy(), pool=pool)
    assert out.code == "missing_issuer" and out.checks == 0, out


# ---------------------------------------------------------------- deep chains

@pytest.fixture(scope="module")
def deep(root):
    cas, issuer = [], root
    for i in range(100):
        issuer = issuer.intermediate(f"Patho Py Deep {i}")
        cas.append(issuer)
    return cas


@pytest.mark.parametrize("n,max_depth,served,want", [
    (8, None, True, "ok"),
    (9, None, True, "depth_exceeded"),
    (9, None, False, "depth_exceeded"),
    (64, 64, False, "ok"),
    (64, 64, True, "input_limit"),   # 65 served certificates, over max_certs (32)
    (100, 64, False, "depth_exceeded"),
    (100, 64, True, "input_limit"),
])
def test_deep_chain(deep, store, n, max_depth, served, want):
    inters = [c.der for c in reversed(deep[:n])]
    leaf = deep[n - 1].leaf(dns=WWW).der
    kw = {"max_depth": max_depth} if max_depth is not None else {}
    if served:
        out = run([leaf, *inters], store=store, policy=policy(**kw))
    else:
        out = run([leaf], store=store, policy=policy(**kw), pool=chainval.Pool(inters))
    assert out.code == want, out
    assert out.checks <= min(n + 1, DEFAULT_BUDGET), out
    if want == "ok":
        assert len(out.result.chain) == n + 2
    if want == "input_limit":
        assert out.checks == 0


def test_deep_served_with_raised_bound(deep, store):
    inters = [c.der for c in reversed(deep[:64])]
    out = run([deep[63].leaf(dns=WWW).der, *inters], store=store,
              policy=policy(max_depth=64, max_certs=100))
    assert out.code == "ok" and out.checks <= 65 and len(out.result.chain) == 66, out


# ---------------------------------------------------------------- big input

def test_big_pem_bundle(pki, root, store):
    """4 MiB of PEM (the served-chain bound is 1 MiB): input_limit, no search."""
    inter = root.intermediate("Patho Py Big PEM Int")
    block = inter.pem
    bundle = inter.leaf(dns=WWW).pem + block * ((4 << 20) // len(block) + 1)
    out = run(bundle, store=store, policy=policy())
    assert out.code == "input_limit" and out.checks == 0, out
    assert not out.result.chain


# ---------------------------------------------------------------- CRLs

def crl(ca, serials, number: int) -> bytes:
    b = (x509.CertificateRevocationListBuilder()
         .issuer_name(ca.name)
         .last_update(utc(2029))
         .next_update(utc(2031))
         .add_extension(x509.CRLNumber(number), critical=False))
    for s in serials:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(s).revocation_date(utc(2025)).build())
    return b.sign(ca.key, hashes.SHA256()).public_bytes(_DER)


def test_crl_lattice(pki):
    """A small served lattice whose CAs all publish CRLs (500 entries each)
    and whose leaf is revoked: every path fails, the search ends, and the
    verdict says why."""
    levels, width = 3, 2
    layers = [[pki.ca(f"Patho Py CRL {k}") for _ in range(width)] for k in range(levels)]
    top = pki.root("Patho Py CRL Root")
    served = []
    for k, layer in enumerate(layers):
        for ca in layer:
            for up in (layers[k + 1] if k + 1 < levels else [top]):
                served.append(up.issue(ca.name, ca.key, ca=True).public_bytes(_DER))
    leaf = layers[0][0].leaf(dns=WWW)
    st = chainval.TrustStore.from_pem(top.pem)
    for k, layer in enumerate(layers):
        for j, ca in enumerate(layer):
            serials = list(range(1000 * (k * width + j) + 1, 1000 * (k * width + j) + 501))
            if ca is layers[0][0]:
                serials.append(leaf.cert.serial_number)
            assert st.add_crl(crl(ca, serials, k * width + j + 1)) == 1
    out = run([leaf.der, *served], store=st, policy=policy())
    assert out.code == "revoked", out
    assert ("revoked", 0) in [(p.code, p.depth) for p in out.result.reasons]
    assert out.checks <= DEFAULT_BUDGET, out
