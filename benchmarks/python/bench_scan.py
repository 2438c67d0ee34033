#!/usr/bin/env python3
"""Every verifier on the same unique chains, in one run: chainval scan, the C bulk
engine, raw GnuTLS, raw OpenSSL, pyca/cryptography and the signature floors.

    python3 benchmarks/python/bench_scan.py [--build build-rel] [--chains 20000]
        [--seconds 1] [--repeat 3] [--pin 1] [--seed 1]

The corpus is benchmarks/make-corpus.py's (3 roots, 6 intermediates, RSA-2048 /
P-256 / P-384 keys, 10 % failing chains, verified at T = 2030-01-01Z for the
row's host, purpose TLS server), ``--chains`` chains, each served once: these
are unique chains (only intermediates and roots repeat). It is generated once
into BUILD/scale/corpus-N-sS (shared with benchmarks/scale.py). Measured:

* ``chainval scan`` on a JSONL file of the corpus (one row per chain, time T),
  ``--threads 1`` and ``--threads 2``, ``-o -`` to /dev/null: rows/s from the
  summary (the scan's own elapsed time; start-up excluded), and the CPU
  seconds the process used (getrusage of the child): rows per CPU-second;
* ``chainval.verify_many(items, threads=1|2, cache=Cache())`` in this process,
  a fresh Cache per round (what the scanner calls, without reading and
  writing rows);
* pyca/cryptography: ``load_der_x509_certificate`` of every served
  certificate, then ``verify(leaf, intermediates)`` with a server verifier per
  host built beforehand (untimed);
* floor, pyca/cryptography: parse every served certificate and check only the
  leaf's signature (``leaf.verify_directly_issued_by(issuer)``, the issuer
  being the served certificate whose subject is the leaf's issuer);
* from ``BUILD/benchmarks/bench_verify CORPUS --seconds S --repeat R --pin P
  --threads 2`` (C, same corpus): libchain ``chain_verify()``, raw GnuTLS,
  raw OpenSSL, the bulk engine (``chain_batch`` + ``chain_cache``) on 1 and 2
  threads for unique chains and for rows already seen, and the floors "parse
  the served chain + check only the leaf's signature" with GnuTLS/nettle and
  OpenSSL 3.0.

Per core: chains/s divided by the threads used (2-thread rows); for the scans
also rows per CPU-second actually used (the reader thread, the writer and
start-up included). Ratios are against raw GnuTLS and raw OpenSSL (C, one
core) and pyca/cryptography (one core).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
T = 1893456000  # 2030-01-01T00:00:00Z


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=REPO / "build-rel",
                    help="release build with -Dpython=true -Dbenchmarks=true (default build-rel)")
    ap.add_argument("--chains", type=int, default=20000, help="unique chains (default 20000)")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="minimum time per method and trial (default 1; at least one round)")
    ap.add_argument("--repeat", type=int, default=3, help="trials; medians (default 3)")
    ap.add_argument("--pin", type=int, default=1,
                    help="CPU for bench_verify's single-thread parts (default 1; -1: none)")
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


ARGS = parse_args()
BUILD = ARGS.build.resolve()
sys.path.insert(0, str(BUILD / "python"))
import chainval  # noqa: E402

from cryptography import __version__ as cryptography_version  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.backends.openssl import backend as crypto_backend  # noqa: E402
from cryptography.x509.verification import PolicyBuilder, Store  # noqa: E402


def load_corpus(path: Path):
    chains = []
    for line in (path / "chains.txt").read_text(encoding="ascii").splitlines():
        if not line or line.startswith("#"):
            continue
        host, certs, expect, *_ = line.split("\t")
        ders = [base64.b64decode(c) for c in certs.split(" ")]
        chains.append((host, ders, certs.split(" "), expect == "ok"))
    return chains


def timed(run, n: int, seconds: float) -> float:
    rounds, spent = 0, 0.0
    while spent < seconds or rounds == 0:
        t0 = time.perf_counter()
        run()
        spent += time.perf_counter() - t0
        rounds += 1
    return rounds * n / spent


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_scan(inp: Path, roots: Path, threads: int, summary: Path) -> tuple[float, float, int]:
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    cmd = [sys.executable, "-m", "chainval", "scan", str(inp), "--roots", str(roots),
           "--threads", str(threads), "-o", "-", "--summary", str(summary),
           "--progress", "never", "-q"]
    c0 = child_cpu()
    # not -o /dev/null: chainval scan writes OUT.partial and renames it to OUT
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    cpu = child_cpu() - c0
    s = json.loads(summary.read_text())
    return s["rows_per_s"], s["rows"] / cpu, s["verdicts"].get("ok", 0)


def run_bench_verify(corpus: Path) -> tuple[dict, str]:
    binary = BUILD / "benchmarks" / "bench_verify"
    if not binary.is_file():
        raise SystemExit(f"{binary} missing: configure {BUILD} with -Dbenchmarks=true")
    cmd = [str(binary), str(corpus), "--seconds", str(ARGS.seconds), "--repeat",
           str(ARGS.repeat), "--threads", "2"]
    if ARGS.pin >= 0:
        cmd += ["--pin", str(ARGS.pin)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    s = out[out.rfind("\nsummary"):]

    def num(pattern: str, text: str = s, group: int = 1) -> float:
        m = re.search(pattern, text)
        if not m:
            raise SystemExit(f"cannot find /{pattern}/ in bench_verify's output:\n{out[-3000:]}")
        return float(m.group(group))

    cold = re.findall(r"unique chains \(fresh cache per round\)\s+([\d.]+) chains/s", s)
    warm = re.findall(r"rows already seen \(warm cache\)\s+([\d.]+) chains/s", s)
    r = {
        "libchain": num(r"libchain\s+([\d.]+) chains/s"),
        "gnutls": num(r"GnuTLS\s+([\d.]+) chains/s"),
        "openssl": num(r"OpenSSL\s+([\d.]+) chains/s"),
        "floor_gnutls": num(r"GnuTLS/nettle ([\d.]+) chains/s"),
        "floor_openssl": num(r"leaf signature only:.*OpenSSL ([\d.]+) chains/s"),
        "sig_alone_us": num(r"signature checks alone: ([\d.]+) us/chain"),
        "leaf_edge_us": num(r"leaf edge ([\d.]+) us", out),
        "parse_gnutls_us": num(r"gnutls_x509_crt_init \+ import\s+([\d.]+) us/certificate", out),
        "parse_openssl_us": num(r"OpenSSL d2i_X509\s+([\d.]+) us/certificate", out),
        "bulk_cold_1": float(cold[0]), "bulk_warm_1": float(warm[0]),
        "bulk_cold_2": float(cold[1]), "bulk_warm_2": float(warm[1]),
        "disagree_gnutls": num(r"verdict disagreements: (\d+) of"),
        "disagree_openssl": num(r"verdict disagreements libchain/OpenSSL: (\d+) of"),
        "accepted": re.search(r"libchain accepted (\d+), GnuTLS accepted (\d+)", out).groups(),
        "openssl_accepted": num(r"OpenSSL accepted (\d+)", out),
        "commit": re.search(r"git (\S+)", out).group(1),
        "openssl_version": re.search(r"OpenSSL\s+(OpenSSL [\d.]+)", out).group(1),
    }
    return r, " ".join(cmd)


def main() -> int:
    work = BUILD / "scale"
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / f"corpus-{ARGS.chains}-s{ARGS.seed}"
    if not (corpus / "chains.txt").is_file():
        tmp = corpus.with_name(corpus.name + ".tmp")
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "make-corpus.py"), str(tmp),
                        "--chains", str(ARGS.chains), "--seed", str(ARGS.seed)], check=True,
                       stdout=subprocess.DEVNULL)
        tmp.rename(corpus)
    chains = load_corpus(corpus)
    n = len(chains)
    n_ok = sum(ok for *_, ok in chains)
    roots_pem = (corpus / "roots.pem").read_bytes()

    inp = work / f"bench-scan-{ARGS.chains}-s{ARGS.seed}.jsonl"
    if not inp.is_file():
        with open(inp, "w", encoding="ascii") as f:
            for i, (host, _, b64, _) in enumerate(chains):
                f.write(json.dumps({"id": i, "host": host, "time": T, "chain": b64}) + "\n")

    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty",
                          "--abbrev=12"], capture_output=True, text=True).stdout.strip()
    print("bench_scan: every verifier on the same unique chains")
    print(f"  git {git}; Python {platform.python_version()}; {os.cpu_count()} CPUs; "
          f"build {BUILD}")
    print(f"  chainval {chainval.__version__} (libchain {chainval.LIBCHAIN_VERSION}); "
          f"cryptography {cryptography_version} ({crypto_backend.openssl_version_text()})")
    print(f"  corpus {corpus}: {n} chains ({n_ok} expected ok), verified at T={T}")

    # --- in-process methods ------------------------------------------------
    store = chainval.TrustStore.from_pem(roots_pem)
    items = [(ders, chainval.Policy(hostname=host, purpose="server", at=T))
             for host, ders, _, _ in chains]

    def many(threads: int):
        def run() -> int:
            res = chainval.verify_many(items, store=store, threads=threads,
                                       cache=chainval.Cache())
            return sum(r.ok for r in res)
        return run

    croots = [x509.load_der_x509_certificate(base64.b64decode(b)) for b in
              re.findall(rb"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----",
                         roots_pem, re.S)]
    builder = PolicyBuilder().store(Store(croots)).time(
        datetime.datetime.fromtimestamp(T, tz=datetime.timezone.utc))
    work_c = [(builder.build_server_verifier(x509.DNSName(host)), ders)
              for host, ders, _, _ in chains]
    load = x509.load_der_x509_certificate

    def crypto_verify() -> int:
        ok = 0
        for verifier, ders in work_c:
            leaf = load(ders[0])
            rest = [load(d) for d in ders[1:]]
            try:
                verifier.verify(leaf, rest)
                ok += 1
            except Exception:  # noqa: BLE001 (a rejection)
                pass
        return ok

    # the leaf's issuer among the served certificates (by name), found once
    issuer_at = []
    for _, ders, _, _ in chains:
        leaf = load(ders[0])
        idx = next((j for j in range(1, len(ders))
                    if load(ders[j]).subject == leaf.issuer), -1)
        issuer_at.append(idx)
    floor_work = [(ders, k) for (_, ders, _, _), k in zip(chains, issuer_at)]

    def crypto_floor() -> int:
        good = 0
        for ders, k in floor_work:
            certs = [load(d) for d in ders]
            if k > 0:
                try:
                    certs[0].verify_directly_issued_by(certs[k])
                    good += 1
                except Exception:  # noqa: BLE001
                    pass
        return good

    methods = {
        "verify_many(threads=1, fresh Cache)": (many(1), 1),
        "verify_many(threads=2, fresh Cache)": (many(2), 2),
        "pyca/cryptography verify (+ DER load)": (crypto_verify, 1),
        "floor pyca/cryptography: parse + leaf sig": (crypto_floor, 1),
    }
    print("\nverdicts (untimed pass)")
    accepted = {}
    for name, (run, _) in methods.items():
        accepted[name] = run()
        print(f"  {name:44s} accepted {accepted[name]}/{n}"
              + ("" if name.startswith("floor") else f" (expected {n_ok})"))

    rates: dict[str, list[float]] = {k: [] for k in methods}
    scan_rates: dict[int, list[tuple[float, float, int]]] = {1: [], 2: []}
    print(f"\ntiming: {ARGS.repeat} trial(s), at least {ARGS.seconds:g} s or one round per "
          "method, scans one after the other", flush=True)
    for trial in range(ARGS.repeat):
        for t in (1, 2) if trial % 2 == 0 else (2, 1):
            scan_rates[t].append(run_scan(inp, corpus / "roots.pem", t,
                                          work / f"bench-scan-summary-t{t}.json"))
        order = list(methods) if trial % 2 == 0 else list(reversed(methods))
        for name in order:
            rates[name].append(timed(methods[name][0], n, ARGS.seconds))
        print(f"  trial {trial + 1}: scan t1 {scan_rates[1][-1][0]:.0f}, scan t2 "
              f"{scan_rates[2][-1][0]:.0f} rows/s; "
              + ", ".join(f"{rates[k][-1]:.0f}" for k in methods) + " chains/s", flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    scan_med = {t: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v),
                    v[-1][2]) for t, v in scan_rates.items()}

    print("\nC: bench_verify on the same corpus ...", flush=True)
    c, c_cmd = run_bench_verify(corpus)
    print(f"  {c_cmd}")
    print(f"  libchain/GnuTLS/OpenSSL accepted {c['accepted'][0]}/{c['accepted'][1]}/"
          f"{int(c['openssl_accepted'])} of {n}; disagreements libchain-GnuTLS "
          f"{int(c['disagree_gnutls'])}, libchain-OpenSSL {int(c['disagree_openssl'])}")

    # (name, chains/s, threads, rows per CPU-second or None)
    rows = [
        ("chainval scan --threads 1", scan_med[1][0], 1, scan_med[1][1]),
        ("chainval scan --threads 2", scan_med[2][0], 2, scan_med[2][1]),
        ("verify_many(threads=1, fresh Cache)", med["verify_many(threads=1, fresh Cache)"], 1, None),
        ("verify_many(threads=2, fresh Cache)", med["verify_many(threads=2, fresh Cache)"], 2, None),
        ("C bulk engine, 1 thread (unique)", c["bulk_cold_1"], 1, None),
        ("C bulk engine, 2 threads (unique)", c["bulk_cold_2"], 2, None),
        ("C bulk engine, 1 thread (rows already seen)", c["bulk_warm_1"], 1, None),
        ("C bulk engine, 2 threads (rows already seen)", c["bulk_warm_2"], 2, None),
        ("C libchain chain_verify() (no cache)", c["libchain"], 1, None),
        ("raw GnuTLS verify_crt2 + parse (C)", c["gnutls"], 1, None),
        (f"raw {c['openssl_version']} X509_verify_cert + parse (C)", c["openssl"], 1, None),
        ("pyca/cryptography verify (+ DER load)", med["pyca/cryptography verify (+ DER load)"], 1,
         None),
        ("floor GnuTLS/nettle: parse + leaf sig (C)", c["floor_gnutls"], 1, None),
        (f"floor {c['openssl_version']}: parse + leaf sig (C)", c["floor_openssl"], 1, None),
        ("floor pyca/cryptography: parse + leaf sig", med["floor pyca/cryptography: parse + leaf sig"],
         1, None),
        ("floor: leaf signature alone (nettle, key ready)", 1e6 / c["leaf_edge_us"], 1, None),
    ]
    g, o = c["gnutls"], c["openssl"]
    p = med["pyca/cryptography verify (+ DER load)"]
    print(f"\nresults (medians of {ARGS.repeat}); per core = chains/s / threads; "
          "ratios per core")
    head = (f"  {'method':50s} {'chains/s':>9s} {'per core':>9s} {'us/chain':>9s} "
            f"{'xGnuTLS':>8s} {'xOpenSSL':>8s} {'xpyca':>7s}  rows/CPU-s")
    print(head)
    print("  " + "-" * (len(head) - 2))
    for name, rate, th, per_cpu in rows:
        pc = rate / th
        print(f"  {name:50s} {rate:9.0f} {pc:9.0f} {1e6 / pc:9.1f} {pc / g:8.2f} {pc / o:8.2f} "
              f"{pc / p:7.2f}  " + (f"{per_cpu:.0f}" if per_cpu else ""))
    print(f"\n  scan 2 threads / 1 thread: {scan_med[2][0] / scan_med[1][0]:.2f}x; "
          f"C bulk engine 2 threads / 1 thread: {c['bulk_cold_2'] / c['bulk_cold_1']:.2f}x "
          f"(unique), {c['bulk_warm_2'] / c['bulk_warm_1']:.2f}x (seen)")
    print(f"  scan ok rows: {scan_med[1][2]} (t1), {scan_med[2][2]} (t2) of {n_ok} expected")
    print(f"  signature checks alone (path, keys pre-imported, nettle): {c['sig_alone_us']:.1f} "
          f"us/chain, of which the leaf's {c['leaf_edge_us']:.1f} us")
    print(f"  parse only, per certificate: GnuTLS {c['parse_gnutls_us']:.1f} us, "
          f"{c['openssl_version']} d2i_X509 {c['parse_openssl_us']:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
