"""Memory: a long run of verify() does not grow the process.

Slow (about a minute or two): skipped unless CHAINVAL_SLOW=1. Calls verify
1,000,000 times on a small RSA chain, or, when that takes longer than
CHAINVAL_MEMCHECK_SECONDS (default 150 s), stops after that time but never
before 200,000 calls. Besides the plain successful call it regularly reads
every Result view, verifies a failing chain (problems), takes the ParseError
path, uses a Pool, and runs a small verify_many batch. RSS is read from
/proc/self/statm (resource.getrusage's peak elsewhere).
"""

from __future__ import annotations

import gc
import os
import resource
import time

import pytest

import chainval
from chainval.testing import PKI
from _support import GARBAGE_DER, T

TARGET_CALLS = 1_000_000
MIN_CALLS = 200_000
WARMUP_CALLS = 20_000
MAX_GROWTH = 10 * 1024 * 1024


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # peak, Linux KiB


@pytest.mark.slow
def test_verify_does_not_leak():
    pki = PKI(key_type="rsa2048")
    root = pki.root("Memcheck Root")
    inter = root.intermediate("Memcheck Int", path_length=0)
    leaf = inter.leaf(dns=["mem.example.com"])
    expired = inter.leaf(dns=["mem.example.com"], not_after=pki.not_before.replace(year=2021))
    store = chainval.TrustStore.from_pem(root.pem)
    pool = chainval.Pool([inter.der])
    policy = chainval.Policy(hostname="mem.example.com", at=T)
    ok_chain = [leaf.der, inter.der]
    bad_chain = [expired.der, inter.pem.decode()]
    batch = [ok_chain, bad_chain, [leaf.der, GARBAGE_DER], (ok_chain, policy)] * 4
    budget = float(os.environ.get("CHAINVAL_MEMCHECK_SECONDS", "150"))

    def step(i: int) -> None:
        r = chainval.verify(ok_chain, store=store, policy=policy)
        assert r.ok
        k = i % 64
        if k == 1:
            r.certificates, r.chain, r.reasons, repr(r), r.raise_for_status()
        elif k == 2:
            f = chainval.verify(bad_chain, store=store, policy=policy)
            [(p.code, p.message) for p in f.reasons]
            f.certificates
            try:
                f.raise_for_status()
            except chainval.VerificationError:
                pass
        elif k == 3:
            try:
                chainval.verify([leaf.der, GARBAGE_DER], store=store, policy=policy)
            except chainval.ParseError:
                pass
        elif k == 4:
            chainval.verify([leaf.der], store=store, policy=policy, intermediates=pool)
        elif k == 5:
            chainval.verify([leaf.der], store=store, policy=policy, intermediates=[inter.der])
        elif k == 6 and i % 4096 == 6:
            chainval.verify_many(batch, store=store, policy=policy, threads=2)

    for i in range(WARMUP_CALLS):
        step(i)
    gc.collect()
    before = rss_bytes()
    start = time.monotonic()
    calls = WARMUP_CALLS
    for i in range(WARMUP_CALLS, TARGET_CALLS):
        step(i)
        calls += 1
        if calls >= MIN_CALLS and i % 1000 == 0 and time.monotonic() - start > budget:
            break
    gc.collect()
    after = rss_bytes()
    growth = after - before
    print(f"\nmemcheck: {calls} verify calls (+ extras) in {time.monotonic() - start:.1f} s, "
          f"RSS {before / 2**20:.1f} -> {after / 2**20:.1f} MiB")
    assert calls >= MIN_CALLS
    assert growth < MAX_GROWTH, f"RSS grew by {growth / 2**20:.1f} MiB over {calls} calls"
