"""chainval.Cache: verify_many with a cache gives exactly the results without one."""

from __future__ import annotations

import pytest
from _support import result_key

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
    assert stats["bytes"] <= 256 * 1024 * 1024


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
