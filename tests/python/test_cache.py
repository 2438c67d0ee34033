"""chainval.Cache: verify_many with a cache gives exactly the results without one."""

from __future__ import annotations

import pytest
from _support import T, result_key

import chainval


@pytest.fixture(scope="module")
def uncached(corpus, corpus_store):
    return [result_key(r) for r in chainval.verify_many(corpus.items, store=corpus_store,
                                                         policy=corpus.policy)]


def test_cache_changes_no_result(corpus, corpus_store, uncached):
    cache = chainval.Cache()
    expected = uncached
    for threads in (1, 2):  # the second run starts with a warm cache
        got = chainval.verify_many(corpus.items, store=corpus_store, policy=corpus.policy,
                                   threads=threads, cache=cache)
        assert [result_key(r) for r in got] == expected
    stats = cache.stats()
    assert stats["edge_hits"] > 0 and stats["cert_hits"] > 0 and stats["entries"] > 0
    # The second run is answered by cached verdicts, row for row (input errors,
    # found before any work worth saving, are not cached).
    verified = sum(1 for r in got if r.error_message is None)
    assert 0 < verified < len(got) and stats["verdict_hits"] >= verified
    assert stats["bytes"] <= 256 * 1024 * 1024


def test_cached_verdicts_hold_across_times(corpus, corpus_store):
    """One cache, the corpus at several times (expiry boundaries in between):
    every result equals the uncached one at its own time."""
    import itertools

    cache = chainval.Cache()
    items = corpus.items[:400]
    times = [T - 400 * 86400, T - 86400, T, T + 86400, T + 200 * 86400, T + 2000 * 86400]
    for t in itertools.chain(times, reversed(times)):
        policy = chainval.Policy(at=t)
        want = [result_key(r) for r in chainval.verify_many(items, store=corpus_store,
                                                            policy=policy)]
        got = chainval.verify_many(items, store=corpus_store, policy=policy, cache=cache)
        assert [result_key(r) for r in got] == want
    assert cache.stats()["verdict_hits"] > len(items)


def test_cache_kinds(corpus, corpus_store, uncached):
    items = corpus.items[:200]
    for kinds in ({"verdicts": False}, {"certs": False, "edges": False}, {"certs": False,
                  "edges": False, "verdicts": False}):
        cache = chainval.Cache(**kinds)
        for _ in range(2):
            got = chainval.verify_many(items, store=corpus_store, policy=corpus.policy,
                                       cache=cache)
            assert [result_key(r) for r in got] == uncached[:200]
        stats = cache.stats()
        assert (stats["verdict_hits"] > 0) == kinds.get("verdicts", True)
        assert (stats["edge_hits"] > 0) == kinds.get("edges", True)


def test_full_cache_changes_no_result(corpus, corpus_store, uncached):
    cache = chainval.Cache(max_bytes=1)
    got = chainval.verify_many(corpus.items, store=corpus_store, policy=corpus.policy,
                               cache=cache)
    assert [result_key(r) for r in got] == uncached
    assert cache.stats()["entries"] == 0


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-1, ValueError), ("1", TypeError),
                                      (True, TypeError), (2**70, ValueError)])
def test_cache_bad_size(bad, exc):
    with pytest.raises(exc):
        chainval.Cache(max_bytes=bad)


def test_cache_wrong_type(world, store):
    with pytest.raises(TypeError):
        chainval.verify_many([world.ok_chain], store=store, cache=object())
