"""Concurrent use from Python threads: one store, pool and policy shared by 8
threads gives the same results as sequential calls; a store may grow while
other threads verify with it; verify_many releases the GIL."""

from __future__ import annotations

import threading
import time

import chainval
from _support import T, result_key, verify_or_malformed

N_THREADS = 8


def _run_threads(target, n=N_THREADS):
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def wrapper(k):
        try:
            barrier.wait()
            target(k)
        except BaseException as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=wrapper, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a verifying thread hung"
    if errors:
        raise errors[0]


def _work(world):
    """(chain, intermediates?) pairs: a mix of verdicts, some through the pool."""
    return [
        (world.ok_chain, False),
        ([world.leaf.der], True),
        ([world.leaf.der], False),
        ([world.expired_leaf.der, world.inter.der], False),
        ([world.future_leaf.der], True),
        ([world.badsig_leaf, world.inter.der], False),
        ([world.client_leaf.der, world.inter.der], False),
        (world.ok_bundle, False),
        ([world.other_leaf.der, world.other_inter.der, world.other_root.der], False),
        ([world.named_leaf.pem.decode()], True),
    ]


def test_shared_store_pool_policy(world):
    store = chainval.TrustStore.from_pem(world.root.pem)
    pool = chainval.Pool([world.inter.der])
    policy = chainval.Policy(hostname="www.example.com", at=T)
    work = _work(world)

    def one(chain, use_pool):
        return result_key(chainval.verify(chain, store=store, policy=policy,
                                          intermediates=pool if use_pool else None))

    expected = [one(c, p) for c, p in work]
    assert sum(k[0] for k in expected) >= 2 and not all(k[0] for k in expected)
    rounds = 25
    got: dict[int, list] = {}

    def target(k):
        out = []
        for r in range(rounds):
            order = work[k % len(work):] + work[:k % len(work)]  # threads out of phase
            out.append([one(c, p) for c, p in order])
        got[k] = out

    _run_threads(target)
    for k in range(N_THREADS):
        shift = k % len(work)
        want = expected[shift:] + expected[:shift]
        for r in range(rounds):
            assert got[k][r] == want, (k, r)


def test_shared_objects_with_verify_many(world):
    """Python threads each calling verify_many (itself threaded) on shared objects."""
    store = chainval.TrustStore.from_pem(world.root.pem)
    pool = chainval.Pool([world.inter.der])
    policy = chainval.Policy(hostname="www.example.com", at=T)
    items = [c for c, _ in _work(world)] * 5
    expected = [result_key(r) for r in
                chainval.verify_many(items, store=store, policy=policy, intermediates=pool,
                                     threads=1)]
    sequential = [verify_or_malformed(c, store=store, policy=policy, intermediates=pool)
                  for c in items]
    assert expected == [result_key(r) for r in sequential]
    got = {}

    def target(k):
        got[k] = [[result_key(r) for r in
                   chainval.verify_many(items, store=store, policy=policy, intermediates=pool,
                                        threads=2)]
                  for _ in range(3)]

    _run_threads(target)
    for k in range(N_THREADS):
        assert all(run == expected for run in got[k]), k


def test_store_grows_while_threads_verify(world):
    """Adding to a store that other threads are verifying with is allowed:
    every result is a normal verdict, and once the root is in, chains pass."""
    store = chainval.TrustStore.from_pem(world.other_root.pem)
    policy = chainval.Policy(hostname="www.example.com", at=T)
    added = threading.Event()
    seen: dict[int, set] = {}
    fillers = [world.pki.root(f"chainval Filler Root {i}") for i in range(6)]

    def target(k):
        if k == 0:  # the writer
            for f in fillers[:3]:
                assert store.add_pem(f.pem) == 1
                time.sleep(0.005)
            assert store.add_pem(world.root.pem) == 1
            added.set()
            for f in fillers[3:]:
                assert store.add_der(f.der) == 1
            return
        codes = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = added.is_set()
            r = chainval.verify(world.ok_chain, store=store, policy=policy)
            codes.add(r.code)
            if done:
                assert r.ok, r.code  # started after the add: sees the root
                break
        seen[k] = codes

    _run_threads(target)
    assert len(store) == 2 + len(fillers)
    for k, codes in seen.items():
        assert "ok" in codes, (k, codes)
        assert codes <= {"ok", "missing_issuer", "untrusted_root"}, (k, codes)
    assert chainval.verify(world.ok_chain, store=store, policy=policy).ok


def test_verify_many_releases_the_gil(corpus, corpus_store):
    """While verify_many runs in one thread, another Python thread keeps running."""
    items = corpus.items[:1500]
    t0 = time.perf_counter()
    # cache=None: a warm store cache would answer the second batch at once
    chainval.verify_many(items, store=corpus_store, policy=corpus.policy, threads=1, cache=None)
    duration = time.perf_counter() - t0
    assert duration > 0.05

    running = threading.Event()
    finished = threading.Event()

    def worker():
        running.set()
        chainval.verify_many(items, store=corpus_store, policy=corpus.policy, threads=1,
                             cache=None)
        finished.set()

    t = threading.Thread(target=worker)
    t.start()
    running.wait()
    ticks = []
    while not finished.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    t.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # Holding the GIL for the whole batch would freeze this loop for ~duration.
    assert len(ticks) > 10
    assert max(gaps) < max(0.5 * duration, 0.05), (max(gaps), duration)


def test_verify_releases_the_gil(world):
    """verify() runs without the GIL: with a long switch interval, a thread
    holding the GIL through each call would starve this one for ~50 ms at a
    time; released, this loop keeps its ~1 ms rhythm."""
    import statistics
    import sys

    store = chainval.TrustStore.from_pem(world.root.pem)
    policy = chainval.Policy(hostname="www.example.com", at=T)
    chain = world.ok_chain
    finished = threading.Event()

    def worker():
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            for _ in range(20):
                chainval.verify(chain, store=store, policy=policy)
        finished.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.05)
    try:
        t = threading.Thread(target=worker)
        t.start()
        ticks = []
        while not finished.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)
        t.join()
    finally:
        sys.setswitchinterval(old)
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(gaps) > 20, len(gaps)
    assert statistics.median(gaps) < 0.02, statistics.median(gaps)


def test_one_result_read_by_many_threads(world):
    """A Result builds .reasons, .chain and .certificates on first use; read
    from 8 threads at once, every thread sees the same lists as a sequential
    read (none sees a half-built or freed list). Under a free-threaded CPython
    this is the race the compare-and-swap in _result.c resolves."""
    store = chainval.TrustStore.from_pem(world.root.pem)
    policy = chainval.Policy(hostname="www.example.com", at=T)
    chain = [world.expired_leaf.der, world.inter.der]
    reference = chainval.verify(chain, store=store, policy=policy)
    want = (reference.reasons, reference.chain, reference.certificates)
    assert want[0] and want[1] and want[2]
    for _ in range(50):
        fresh = chainval.verify(chain, store=store, policy=policy)
        seen: list[tuple] = []
        _run_threads(lambda _k, r=fresh: seen.append((r.reasons, r.chain, r.certificates)))
        assert seen == [want] * N_THREADS


def test_free_threaded_interpreter_keeps_the_gil_off():
    """chainval declares Py_mod_gil = Py_MOD_GIL_NOT_USED, so importing it
    under a free-threaded CPython (3.13t+) must not turn the GIL back on. Where
    no such interpreter runs these tests, say so plainly."""
    import shutil
    import sys

    import pytest

    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_gil_enabled is not None and not is_gil_enabled():
        assert chainval.verify is not None  # imported above, under this interpreter
        return
    found = [name for name in ("python3.13t", "python3.14t") if shutil.which(name)]
    if not found:
        pytest.skip("no free-threaded CPython (python3.13t/3.14t) is installed on this machine "
                    f"(Python {sys.version.split()[0]} here); the threaded tests run with the GIL")
    pytest.skip(f"{found[0]} is installed, but chainval is built for {sys.executable} only: "
                "run the suite with it to check that the GIL stays off")
