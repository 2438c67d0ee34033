"""The x509-limbo conformance suite: no regression, and an honest list of differences.

Every testcase runs (none is skipped). Those whose result differs from the corpus are
listed, with a reason, in tests/limbo/expected-failures.txt.
"""

from __future__ import annotations

import pathlib
import sys
import time

import pytest

LIMBO = pathlib.Path(__file__).resolve().parents[1] / "limbo"
sys.path.insert(0, str(LIMBO))

import harness  # noqa: E402


def expected_failures() -> dict[str, str]:
    out = {}
    for line in (LIMBO / "expected-failures.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            tc_id, reason = line.split("\t", 1)
            out[tc_id] = reason
    return out


@pytest.fixture(scope="module")
def outcome():
    corpus = harness.load_corpus()
    start = time.perf_counter()
    results = {r["id"]: r for r in map(harness.run_one, corpus)}
    return corpus, results, time.perf_counter() - start


def test_every_testcase_runs(outcome):
    corpus, results, _ = outcome
    assert len(corpus) == 208
    assert set(results) == {tc["id"] for tc in corpus}
    assert all(r["actual_result"] in ("SUCCESS", "FAILURE") for r in results.values())


def test_no_unexpected_mismatch(outcome):
    corpus, results, _ = outcome
    listed = expected_failures()
    mismatches = {tc["id"] for tc in corpus
                  if results[tc["id"]]["actual_result"] != tc["expected_result"]}
    regressions = sorted(mismatches - set(listed))
    fixed = sorted(set(listed) - mismatches)
    assert not regressions, "new mismatches: " + "; ".join(
        f"{i}: {results[i]['context'][:120]}" for i in regressions)
    assert not fixed, f"now passing, remove from expected-failures.txt: {fixed}"


def test_pass_rate_at_least_95_percent(outcome):
    corpus, results, _ = outcome
    passed = sum(results[tc["id"]]["actual_result"] == tc["expected_result"] for tc in corpus)
    assert passed / len(corpus) >= 0.95, f"{passed}/{len(corpus)}"


def test_expected_failures_have_reasons():
    for tc_id, reason in expected_failures().items():
        assert "::" in tc_id and len(reason) > 20, tc_id


def test_suite_is_fast(outcome):
    # Hostile testcases (pathological::) must end in bounded time.
    assert outcome[2] < 30
