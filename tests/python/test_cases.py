"""The committed C fixtures (tests/data/expected.json) through chainval.verify
and chainval.verify_many: same verdicts, primary reasons, required problems
and path lengths as libchain's own tests/c/test_cases.c."""

from __future__ import annotations

import functools
from collections import defaultdict

import pytest
from cryptography import x509

import chainval
from _support import (DATA_DIR, T, load_expected, pem_ders, policy_from_case,
                      policy_kwargs_from_case, read_data)

EXPECTED = load_expected()
CASES = EXPECTED["cases"]
CASE_IDS = [c["name"] for c in CASES]


def test_expected_json_time_is_T():
    assert EXPECTED["time"] == T


def test_every_reason_code_is_exercised():
    """Every chainval.Reason (each C reason code) is the expected primary code
    of at least one fixture case."""
    codes = {c["code"] for c in CASES}
    assert codes == {r.name.lower() for r in chainval.Reason}


@functools.lru_cache(maxsize=None)
def _store(files: tuple[str, ...]) -> chainval.TrustStore:
    s = chainval.TrustStore()
    for f in files:
        s.add_file(DATA_DIR / f)
    return s


@functools.lru_cache(maxsize=None)
def _pool(files: tuple[str, ...]) -> chainval.Pool | None:
    if not files:
        return None
    return chainval.Pool(b"".join(read_data(f) for f in files))


def _first_unparsable_block(chain_pem: bytes) -> int | None:
    """Index of the first CERTIFICATE block that is not a certificate at all
    (cryptography cannot load it), or None. Those cases are ParseErrors in
    Python; a certificate that parses but has a bad extension is a verdict."""
    for i, der in enumerate(pem_ders(chain_pem)):
        try:
            x509.load_der_x509_certificate(der)
        except ValueError:
            return i
    return None


def _check_result(case: dict, r) -> None:
    got = {(p.code, p.depth) for p in r.reasons}
    detail = (f"{case['name']}: got ok={r.ok} code={r.code} path={len(r.chain)} "
              f"reasons={[(p.code, p.depth, p.message) for p in r.reasons]}")
    assert r.ok is case["ok"], detail
    assert bool(r) is case["ok"], detail
    assert r.code == case["code"], detail
    for code, depth in case["reasons"]:
        assert (code, depth) in got, detail
    if case["path_len"] is not None:
        assert len(r.chain) == case["path_len"], detail
        assert len(r.certificates) == case["path_len"], detail
    if r.ok:
        assert r.reasons == [], detail
        assert r.anchored is True, detail
    else:
        assert r.reasons, detail  # a failure always says why
    assert r.time == case["policy"].get("time", T)


def _store_for(case: dict) -> chainval.TrustStore:
    """The case's store; a fresh one with its CRL when the case has crl=<file>."""
    crl = case["policy"].get("crl")
    distrust = case["policy"].get("distrust")
    if crl is None and distrust is None:
        return _store(tuple(case["store"]))
    store = chainval.TrustStore()
    for f in case["store"]:
        store.add_file(DATA_DIR / f)
    if crl is not None:
        assert store.add_crl(read_data(crl)) >= 1
    if distrust is not None:
        sha, at = distrust.split("@")
        store.distrust_after(sha, int(at))
    return store


def _inputs(case: dict):
    store = _store_for(case)
    pool = _pool(tuple(case["pool"]))
    policy = policy_from_case(case["policy"])
    chain_pem = read_data(case["chain"])
    return store, pool, policy, chain_pem


CHAIN_FORMS = {
    "bundle-bytes": lambda pem: pem,
    "bundle-str": lambda pem: pem.decode("ascii"),
    "der-list": lambda pem: pem_ders(pem),
}


@pytest.mark.parametrize("form", sorted(CHAIN_FORMS))
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_case_verify(case, form):
    store, pool, policy, chain_pem = _inputs(case)
    chain = CHAIN_FORMS[form](chain_pem)
    bad = _first_unparsable_block(chain_pem)
    if bad is not None:
        assert case["code"] == "malformed" and not case["ok"]
        with pytest.raises(chainval.ParseError) as info:
            chainval.verify(chain, store=store, policy=policy, intermediates=pool)
        assert info.value.index == bad
        assert isinstance(info.value, ValueError)
        return
    r = chainval.verify(chain, store=store, policy=policy, intermediates=pool)
    _check_result(case, r)


@pytest.mark.parametrize("case", [c for c in CASES if c["pool"]], ids=lambda c: c["name"])
def test_case_pool_as_list(case):
    """The same verdict with the pool given as a list of DER certificates."""
    store, _, policy, chain_pem = _inputs(case)
    inter = [d for f in case["pool"] for d in pem_ders(read_data(f))]
    r = chainval.verify(chain_pem, store=store, policy=policy, intermediates=inter)
    _check_result(case, r)


def test_cases_verify_many():
    """All cases through verify_many, one batch per (store, pool), each item a
    (chain, Policy) tuple: the same verdicts, and unparsable chains as
    "malformed" results instead of exceptions."""
    groups = defaultdict(list)
    for case in CASES:
        groups[(tuple(case["store"]), tuple(case["pool"]), case["policy"].get("crl"),
                case["policy"].get("distrust"))].append(case)
    seen = 0
    for (store_files, pool_files, _, _), cases in groups.items():
        items = [(read_data(c["chain"]), policy_from_case(c["policy"])) for c in cases]
        store = _store_for(cases[0])
        for threads in (1, 2):
            results = chainval.verify_many(items, store=store,
                                           intermediates=_pool(pool_files), threads=threads)
            assert isinstance(results, list) and len(results) == len(cases)
            for case, r in zip(cases, results):
                if _first_unparsable_block(read_data(case["chain"])) is not None:
                    assert (r.ok, r.code) == (False, "malformed"), case["name"]
                else:
                    _check_result(case, r)
        seen += len(cases)
    assert seen == len(CASES)


def test_policy_mapping_helper():
    """The mapping used above (documents it, and guards against drift)."""
    kw = policy_kwargs_from_case({"limit_certs": 2, "time": 5, "hostname": "a.example"})
    assert kw == {"purpose": "any", "at": 5, "max_certs": 2, "hostname": "a.example"}
    assert policy_kwargs_from_case({}) == {"purpose": "any", "at": T}
    assert policy_kwargs_from_case({"crl": "pki/x.crl", "strict": False}) == {
        "purpose": "any", "at": T, "strict": False}


KNOWN_POLICY_KEYS = {
    "time", "crl", "distrust", "hostname", "ip", "purpose", "max_depth", "partial_chain", "cn_fallback",
    "allow_sha1", "strict", "repair_order", "precertificate", "min_rsa_bits", "limit_certs",
    "limit_sig_checks",
    "limit_candidates", "limit_chain_bytes", "limit_cert_bytes",
}


def test_case_policy_keys_are_known():
    """Every policy key the fixtures use is one this mapping knows (a new key in
    tests/data must be mapped here deliberately)."""
    for case in CASES:
        assert set(case["policy"]) <= KNOWN_POLICY_KEYS, case["name"]
