#!/usr/bin/env python3
"""Run the x509-limbo corpus through chainval and report pass rates.

    python3 tests/limbo/harness.py [--output results.json] [--ids PATTERN] [-v]

Each testcase becomes one chainval.verify() call: trusted_certs fill a TrustStore (every
trusted certificate is an anchor: partial_chain=True, as the corpus means it),
peer_certificate is the leaf and untrusted_intermediates the rest of the served chain,
validation_time is `at`, expected_peer_name the hostname or IP, extended_key_usage /
validation_kind the purpose, max_chain_depth the max_depth. Inputs the API cannot express
yet (RFC 822 names, leaf key_usage) are still run, without them: nothing is skipped,
and testcases that fail for that reason are listed in expected-failures.txt. Results are
written in limbo's own harness format.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import fnmatch
import gzip
import json
import pathlib
import sys
import time

import chainval

HERE = pathlib.Path(__file__).resolve().parent
EKU_PURPOSE = {
    "serverAuth": "server",
    "clientAuth": "client",
    "codeSigning": "1.3.6.1.5.5.7.3.3",
    "emailProtection": "1.3.6.1.5.5.7.3.4",
    "timeStamping": "1.3.6.1.5.5.7.3.8",
    "OCSPSigning": "1.3.6.1.5.5.7.3.9",
    "anyExtendedKeyUsage": "any",
}


def load_corpus(path: pathlib.Path = HERE / "limbo.json.gz") -> list[dict]:
    with gzip.open(path, "rt") as f:
        return json.load(f)["testcases"]


def policy_for(tc: dict) -> chainval.Policy:
    kwargs: dict = {"partial_chain": True}
    if tc["validation_time"]:
        at = datetime.datetime.fromisoformat(tc["validation_time"])
        kwargs["at"] = at.replace(microsecond=0)
    name = tc["expected_peer_name"]
    if name and name["kind"] == "DNS":
        kwargs["hostname"] = name["value"]
    elif name and name["kind"] == "IP":
        kwargs["ip"] = name["value"]
    ekus = tc["extended_key_usage"]
    if ekus:
        kwargs["purpose"] = EKU_PURPOSE[ekus[0]]
    else:
        kwargs["purpose"] = "server" if tc["validation_kind"] == "SERVER" else "client"
    if tc["max_chain_depth"] is not None:
        kwargs["max_depth"] = tc["max_chain_depth"]
    return chainval.Policy(**kwargs)


def run_one(tc: dict) -> dict:
    """One testcase, as a limbo harness result."""
    try:
        store = chainval.TrustStore()
        for pem in tc["trusted_certs"]:
            store.add_pem(pem)
        for crl in tc["crls"]:
            store.add_crl(crl)
        policy = policy_for(tc)
        result = chainval.verify([tc["peer_certificate"], *tc["untrusted_intermediates"]],
                                 store=store, policy=policy)
    except (chainval.Error, ValueError) as e:
        return {"id": tc["id"], "actual_result": "FAILURE", "context": f"{type(e).__name__}: {e}"}
    context = "ok" if result.ok else "; ".join(
        f"{p.code}@{p.depth}: {p.message}" for p in result.reasons)
    return {"id": tc["id"], "actual_result": "SUCCESS" if result.ok else "FAILURE",
            "context": context}


def family(tc_id: str) -> str:
    return tc_id.split("::", 1)[0]


def summarize(corpus: list[dict], results: list[dict], out=sys.stdout) -> dict[str, list[int]]:
    expected = {tc["id"]: tc["expected_result"] for tc in corpus}
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for r in results:
        ok = r["actual_result"] == expected[r["id"]]
        for key in ("all", family(r["id"])):
            per[key][0] += ok
            per[key][1] += 1
    peers = json.loads((HERE / "peers.json").read_text())
    names = [n for n in peers if not n.startswith("_")]
    header = f"{'family':<14} {'chainval':>16}" + "".join(f" {n[:22]:>24}" for n in names)
    print(header, file=out)
    for fam in ["all"] + sorted(k for k in per if k != "all"):
        m, n = per[fam]
        row = f"{fam:<14} {m:>4}/{n:<4} {100 * m / n:5.1f}%"
        for name in names:
            if fam == "all":
                pm = peers[name]["match"]
                row += f" {pm:>10}/{len(corpus):<4} {100 * pm / len(corpus):5.1f}%"
            else:
                pm, pn = peers[name]["families"].get(fam, [None, None])
                row += f" {'-':>24}" if pm is None else f" {pm:>10}/{pn:<4} {100 * pm / pn:5.1f}%"
        print(row, file=out)
    return per


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", "-o", type=pathlib.Path, help="write limbo results JSON here")
    ap.add_argument("--ids", default="*", help="only testcases whose id matches this glob")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = ap.parse_args(argv)
    corpus = [tc for tc in load_corpus() if fnmatch.fnmatch(tc["id"], args.ids)]
    start = time.perf_counter()
    results = [run_one(tc) for tc in corpus]
    elapsed = time.perf_counter() - start
    if args.output:
        args.output.write_text(json.dumps({"version": 1,
                                           "harness": f"chainval-{chainval.__version__}",
                                           "results": results}, indent=1))
    summarize(corpus, results)
    print(f"{len(corpus)} testcases in {elapsed:.2f} s (libchain {chainval.LIBCHAIN_VERSION})")
    if args.verbose:
        expected = {tc["id"]: tc["expected_result"] for tc in corpus}
        for r in results:
            if r["actual_result"] != expected[r["id"]]:
                print(f"MISMATCH {r['id']}: expected {expected[r['id']]}, got "
                      f"{r['actual_result']} ({r['context'][:160]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
