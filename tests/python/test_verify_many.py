"""chainval.verify_many(): identical to verify() one by one, in input order,
on a few thousand generated chains, with threads=1, 2 and None; malformed
items become "malformed" results; argument checking."""

from __future__ import annotations

import pytest

import chainval
from _support import CORPUS_CODES, GARBAGE_DER, T, result_key, verify_or_malformed

verify_many = chainval.verify_many


def _key(r):
    return "malformed" if isinstance(r, str) else result_key(r)


def _assert_same(results, expected, labels=None):
    assert isinstance(results, list)
    assert len(results) == len(expected)
    for i, (got, want) in enumerate(zip(results, expected)):
        assert isinstance(got, chainval.Result), i
        if want == "malformed":
            assert (got.ok, bool(got), got.code) == (False, False, "malformed"), \
                (i, labels and labels[i], got)
        else:
            assert result_key(got) == result_key(want), (i, labels and labels[i])


def test_corpus_is_what_it_says(corpus, corpus_expected):
    """The generated corpus has every kind, and verify() gives each kind its code."""
    assert len(corpus.items) >= 2000
    assert set(corpus.labels) == set(CORPUS_CODES)
    assert sum(isinstance(i, tuple) for i in corpus.items) > len(corpus.items) // 3
    for i, (label, r) in enumerate(zip(corpus.labels, corpus_expected)):
        code = r if isinstance(r, str) else r.code
        assert code == CORPUS_CODES[label], (i, label, code)


@pytest.mark.parametrize("threads", [1, 2, None])
def test_verify_many_equals_verify(corpus, corpus_store, corpus_expected, threads):
    results = verify_many(corpus.items, store=corpus_store, policy=corpus.policy,
                          threads=threads)
    _assert_same(results, corpus_expected, corpus.labels)


def test_verify_many_certificates_match(corpus, corpus_store, corpus_expected):
    """Beyond the verdicts: the certificate views agree too (a sample)."""
    results = verify_many(corpus.items[:300], store=corpus_store, policy=corpus.policy, threads=2)
    for got, want in zip(results, corpus_expected[:300]):
        if not isinstance(want, str):
            assert got.certificates == want.certificates


@pytest.mark.parametrize("kind", ["pool", "list"])
def test_verify_many_with_intermediates(corpus, corpus_store, kind):
    items = corpus.items[:600]
    inter = chainval.Pool(corpus.pool_ders) if kind == "pool" else list(corpus.pool_ders)
    expected = []
    for item in items:
        chain, policy = corpus.split(item)
        expected.append(verify_or_malformed(chain, store=corpus_store, policy=policy,
                                            intermediates=inter))
    results = verify_many(items, store=corpus_store, policy=corpus.policy, intermediates=inter,
                          threads=2)
    _assert_same(results, expected)
    # served without their intermediate, they now pass through the pool
    labels = corpus.labels[:600]
    missing = [r for r, lab in zip(results, labels) if lab == "missing_intermediate"]
    assert missing and all(r.ok for r in missing)


def test_verify_many_default_policy(world, store):
    """policy=None means Policy(): server purpose, no name, the clock now."""
    items = [world.ok_chain, [world.client_leaf.der, world.inter.der],
             [world.expired_leaf.der, world.inter.der]]
    results = verify_many(items, store=store)
    assert [r.code for r in results] == ["ok", "purpose_mismatch", "expired"]
    assert [r.code for r in verify_many(items, store=store, policy=None)] == \
        [verify_or_malformed(i, store=store).code for i in items]


def test_verify_many_item_policies(world, store):
    ok, client = world.ok_chain, [world.client_leaf.der, world.inter.der]
    items = [
        ok,
        (ok, chainval.Policy(hostname="www.example.com", at=T)),
        (ok, chainval.Policy(hostname="nope.example.com", at=T)),
        (client, chainval.Policy(purpose="client", at=T)),
        client,
        (world.ok_bundle, chainval.Policy(at=0)),
    ]
    results = verify_many(items, store=store, policy=chainval.Policy(at=T), threads=2)
    assert [r.code for r in results] == ["ok", "ok", "hostname_mismatch", "ok",
                                         "purpose_mismatch", "not_yet_valid"]
    assert [r.time for r in results] == [T, T, T, T, T, 0]


def test_verify_many_malformed_items(world, store):
    items = [
        world.ok_chain,
        [world.leaf.der, GARBAGE_DER],
        b"",
        "",
        b"not PEM",
        "not PEM either",
        GARBAGE_DER,
        [GARBAGE_DER],
        [world.leaf.der, world.inter.der + b"\x00"],
        world.leaf.pem + b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        (b"junk", chainval.Policy(at=T)),
        world.ok_chain,
    ]
    results = verify_many(items, store=store, policy=chainval.Policy(at=T))
    assert len(results) == len(items)
    assert results[0].ok and results[-1].ok
    for r in results[1:-1]:
        assert (r.ok, r.code) == (False, "malformed"), r
        with pytest.raises(chainval.VerificationError):
            r.raise_for_status()
    for item in items[1:-1]:
        chain = item[0] if isinstance(item, tuple) else item
        with pytest.raises(chainval.ParseError):
            chainval.verify(chain, store=store, policy=chainval.Policy(at=T))


def test_verify_many_input_limit_is_a_result(world, store):
    extras = [world.inter.leaf(dns=[f"m{i}.example.com"]).der for i in range(33)]
    results = verify_many([world.ok_chain + extras, world.ok_chain], store=store,
                          policy=chainval.Policy(at=T))
    assert [r.code for r in results] == ["input_limit", "ok"]


def test_verify_many_iterables(corpus, corpus_store, corpus_expected):
    items, expected = corpus.items[:50], corpus_expected[:50]
    kw = dict(store=corpus_store, policy=corpus.policy)
    _assert_same(verify_many(iter(items), **kw), expected)
    _assert_same(verify_many((i for i in items), **kw), expected)
    _assert_same(verify_many(tuple(items), **kw), expected)
    assert verify_many([], **kw) == []
    assert verify_many(iter(()), **kw) == []


def test_verify_many_results_are_independent(corpus, corpus_store):
    results = verify_many(corpus.items[:20], store=corpus_store, policy=corpus.policy)
    codes = [r.code for r in results]
    del results[::2]
    assert [r.code for r in results] == codes[1::2]


@pytest.mark.parametrize("threads", [0, -1, -(2**70), 2**64, 10**30])
def test_verify_many_threads_bad_value(world, store, threads):
    with pytest.raises(ValueError):
        verify_many([world.ok_chain], store=store, threads=threads)


@pytest.mark.parametrize("threads", ["2", 2.0, [2], b"2"])
def test_verify_many_threads_bad_type(world, store, threads):
    with pytest.raises(TypeError):
        verify_many([world.ok_chain], store=store, threads=threads)


@pytest.mark.parametrize("threads", [1, 3, 16])
def test_verify_many_more_threads_than_items(world, store, threads):
    results = verify_many([world.ok_chain] * 2, store=store, policy=chainval.Policy(at=T),
                          threads=threads)
    assert [r.ok for r in results] == [True, True]


def test_verify_many_bad_arguments(world, store):
    chain = world.ok_chain
    for bad in (None, 1, 1.5, object()):
        with pytest.raises(TypeError):
            verify_many(bad, store=store)
    with pytest.raises(TypeError):
        verify_many([chain])                                   # store is required
    with pytest.raises(TypeError):
        verify_many([chain], store)                            # keyword-only
    for bad_store in (None, "x", chainval.Pool([world.root.der])):
        with pytest.raises(TypeError):
            verify_many([chain], store=bad_store)
    for bad_policy in ("x", 1, {"at": T}):
        with pytest.raises(TypeError):
            verify_many([chain], store=store, policy=bad_policy)
    for bad_inter in ("x", 1, store, [1]):
        with pytest.raises(TypeError):
            verify_many([chain], store=store, intermediates=bad_inter)
    for bad_item in (1, None, [1, 2], 2.5):
        with pytest.raises(TypeError):
            verify_many([chain, bad_item], store=store)
    with pytest.raises(TypeError):
        verify_many([chain], store=store, hostname="www.example.com")


def test_row_fields_match_certificates(corpus, corpus_store, world, store):
    """Result._row_fields() (what a scan row reports, read in C) says what the
    Certificate objects say."""
    pool = chainval.Pool([world.inter.der])
    results = chainval.verify_many(corpus.items, store=corpus_store, policy=corpus.policy)
    results += chainval.verify_many([[world.leaf.der]], store=store, intermediates=pool)
    for r in results:
        certs = r.certificates
        want = ([c.fingerprint_sha256 for c in certs],
                certs[-1].subject if (r.anchored and certs) else None,
                certs[0].issuer if certs else None,
                certs[0].not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
                if certs and certs[0].not_after else None,
                any(c.source == "pool" for c in certs))
        assert r._row_fields() == want
    assert results[-1]._row_fields()[4] is True  # the pool supplied the intermediate


def test_ctrl_c_stops_a_long_verify_many(world, store):
    """Issue 12 item 14: SIGINT during verify_many on many chains raises
    KeyboardInterrupt between chains, long before the batch would end (it
    was ignored until the end: 48 s for 109,000 chains); the store is usable
    afterwards. 60,000 uncached verifications take ~10 s on one thread."""
    import os
    import signal
    import threading
    import time

    chains = [world.ok_chain] * 60000
    policy = chainval.Policy(hostname="www.example.com", at=T)

    def interrupt():
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        chainval.verify_many(chains, store=store, policy=policy, threads=1, cache=None)
    elapsed = time.monotonic() - start
    # A bound far below the uninterrupted run, not a speed claim.
    assert elapsed < 3.0, elapsed
    assert chainval.verify(world.ok_chain, store=store, policy=policy).ok
    assert len(chainval.verify_many(chains[:100], store=store, policy=policy, cache=None)) == 100


def _workers() -> set[str]:
    """The ids of this process's threads named chainval-worker."""
    import os
    found = set()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                if f.read().strip() == "chainval-worker":
                    found.add(tid)
        except OSError:
            pass  # a thread that ended meanwhile
    return found


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/task"), reason="needs /proc")
def test_calls_reuse_their_worker_thread(world, store):
    """verify_many (and each batch of a scan) runs on a worker thread so that
    Ctrl-C can stop it. A thread started and joined per call gave every batch
    a fresh malloc thread cache and arena state; the worker now waits for the
    next call: after a call it is there, and later calls start no other."""
    policy = chainval.Policy(hostname="www.example.com", at=T)
    chains = [world.ok_chain] * 100  # at least _verify.c's INTERRUPTIBLE_ITEMS
    assert all(r.ok for r in chainval.verify_many(chains, store=store, policy=policy, threads=1))
    waiting = _workers()
    assert waiting, "no worker left waiting after the call"
    for _ in range(30):
        chainval.verify_many(chains, store=store, policy=policy, threads=1)
    assert _workers() == waiting


def test_verify_many_in_a_child_after_fork(tmp_path, world):
    """A forked child has none of its parent's threads, the waiting workers
    included: its calls start workers of their own instead of handing the
    call to a thread that does not exist there (which would wait for ever)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "fork_worker.py"
    script.write_text(f"""
import os, sys, time
import chainval
store = chainval.TrustStore()
store.add_der({world.root.der!r})
chain = [{world.leaf.der!r}, {world.inter.der!r}]
policy = chainval.Policy(hostname="www.example.com", at={T})
assert chainval.verify_many([chain] * 100, store=store, policy=policy, threads=1)[0].ok
pid = os.fork()
if pid == 0:
    rs = chainval.verify_many([chain] * 100, store=store, policy=policy, threads=1)
    os._exit(0 if all(r.ok for r in rs) else 3)
for _ in range(1000):  # 20 s
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        sys.exit(os.waitstatus_to_exitcode(status))
    time.sleep(0.02)
os.kill(pid, 9)
os.waitpid(pid, 0)
print("the child hung")
sys.exit(4)
""")
    out = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", str(script)],
                         capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, out.stdout + out.stderr
