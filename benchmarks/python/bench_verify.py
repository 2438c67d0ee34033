#!/usr/bin/env python3
"""Throughput of chainval against pyca/cryptography and the C API, on one corpus.

    PYTHONPATH=build-py/python python3 benchmarks/python/bench_verify.py \\
        [--chains 1000] [--seconds 2] [--repeat 3] [--seed 1] [--c-bench PATH | --no-c]

Run by hand (not by the tests). The corpus is generated with chainval.testing
in a second or two: two roots in the store (RSA-2048 and P-256), one
intermediate under each (RSA-2048, P-256), ``--chains`` distinct leaves, about
half P-256 (fresh keys) and half RSA-2048 (keys reused from a pool of 8, as
RSA key generation would dominate otherwise), each for its own host name,
served as [leaf, intermediate] (DER), all valid at T = 1893456000
(2030-01-01T00:00:00Z).

Measured, in chains per second (median of ``--repeat`` trials; in each trial
every method runs rounds over the whole corpus for at least ``--seconds``; the
methods alternate inside a trial):

* ``chainval.verify()`` in a Python loop, one per chain, with a Policy
  (hostname, purpose server, at=T) made per chain beforehand (not timed);
* ``chainval.verify_many()`` over the whole corpus with ``threads=1`` and
  ``threads=2`` (the same per-chain policies, as (chain, Policy) items);
* pyca/cryptography's verifier: ``x509.load_der_x509_certificate()`` of every
  served certificate (timed: chainval's numbers include parsing too), then
  ``verifier.verify(leaf, intermediates)`` with a server verifier per chain
  (``PolicyBuilder().store(Store(roots)).time(T).build_server_verifier(
  DNSName(host))``) built beforehand, like chainval's policies; a second row
  also times building the verifier;
* the C API: ``build*/benchmarks/bench_verify`` (``chain_verify()`` per chain,
  policy per chain untimed) on the same corpus written in its chains.txt
  format, when that binary exists (``benchmarks/run.sh`` or ``meson setup
  build-bench -Dbenchmarks=true --buildtype=release`` builds it); else "not
  measured". It also times raw GnuTLS and raw OpenSSL (X509_verify_cert),
  shown for reference.

benchmarks/python/bench_scan.py puts chainval scan, the C bulk engine, raw
GnuTLS, raw OpenSSL, pyca/cryptography and the signature floors side by side
on one (larger, mixed-verdict) corpus.

The Python overhead per chain is chainval's µs/chain minus the C API's.
Before timing, an untimed pass checks that every method accepts every chain.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
T = 1893456000  # 2030-01-01T00:00:00Z

try:
    import chainval
except ImportError:  # convenience: the usual build directory
    sys.path.insert(0, str(REPO / "build-py" / "python"))
    import chainval
from chainval.testing import PKI, generate_key

from cryptography import __version__ as cryptography_version
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store


# ---------------------------------------------------------------------------
# Corpus


class Corpus:
    def __init__(self, n: int, seed: int) -> None:
        rng = random.Random(seed)
        rsa, ec = PKI(key_type="rsa2048"), PKI(key_type="p256")
        self.roots = [rsa.root("Bench Root RSA-2048"), ec.root("Bench Root P-256")]
        inters = [self.roots[0].intermediate("Bench Int RSA-2048", path_length=0),
                  self.roots[1].intermediate("Bench Int P-256", path_length=0)]
        rsa_keys = [generate_key("rsa2048") for _ in range(8)]
        self.hosts: list[str] = []
        self.chains: list[list[bytes]] = []
        self.mix = {"leaf P-256": 0, "leaf RSA-2048": 0, "issuer RSA-2048": 0,
                    "issuer P-256": 0}
        for i in range(n):
            host = f"www.site{i}.example"
            issuer = rng.randrange(2)
            if rng.random() < 0.5:
                key, kind = generate_key("p256"), "leaf P-256"
            else:
                key, kind = rng.choice(rsa_keys), "leaf RSA-2048"
            self.mix[kind] += 1
            self.mix["issuer " + ("RSA-2048" if issuer == 0 else "P-256")] += 1
            leaf = inters[issuer].leaf(dns=[host, host.replace("www.", "", 1)], key=key)
            self.hosts.append(host)
            self.chains.append([leaf.der, inters[issuer].der])
        self.roots_pem = b"".join(r.pem for r in self.roots)
        self.roots_der = [r.der for r in self.roots]

    def __len__(self) -> int:
        return len(self.chains)

    def write_c_corpus(self, directory: Path) -> None:
        """The layout benchmarks/c/bench_verify reads (see make-corpus.py)."""
        (directory / "roots.pem").write_bytes(self.roots_pem)
        with open(directory / "chains.txt", "w", encoding="ascii") as f:
            f.write(f"# chainval Python benchmark corpus: {len(self)} chains, T={T}\n")
            for host, chain in zip(self.hosts, self.chains):
                ders = " ".join(base64.b64encode(d).decode("ascii") for d in chain)
                f.write(f"{host}\t{ders}\tok\tok\n")


# ---------------------------------------------------------------------------
# Methods: each returns a function that verifies the whole corpus once and
# returns how many chains it accepted.


def chainval_loop(corpus: Corpus, mode: str):
    """verify() once per chain. ``mode``: "none" (cache=None, nothing reused);
    "unique" (a new Cache each round, so every chain is seen for the first
    time while its intermediate's parse and signature are reused: a stream
    of unique chains); "default" (the store's own cache, which after the
    first round answers each chain from its verdict: chains seen before)."""
    store = chainval.TrustStore.from_pem(corpus.roots_pem)
    work = [(chain, chainval.Policy(hostname=host, purpose="server", at=T))
            for host, chain in zip(corpus.hosts, corpus.chains)]
    verify = chainval.verify

    def run() -> int:
        ok = 0
        if mode == "default":
            for chain, policy in work:
                ok += verify(chain, store=store, policy=policy).ok
            return ok
        cache = chainval.Cache(max_bytes=16 << 20) if mode == "unique" else None
        for chain, policy in work:
            ok += verify(chain, store=store, policy=policy, cache=cache).ok
        return ok
    return run


def chainval_many(corpus: Corpus, threads: int):
    store = chainval.TrustStore.from_pem(corpus.roots_pem)
    items = [(chain, chainval.Policy(hostname=host, purpose="server", at=T))
             for host, chain in zip(corpus.hosts, corpus.chains)]

    def run() -> int:
        return sum(r.ok for r in chainval.verify_many(items, store=store, threads=threads,
                                                      cache=None))
    return run


def _crypto_parts(corpus: Corpus):
    roots = [x509.load_der_x509_certificate(d) for d in corpus.roots_der]
    store = Store(roots)
    when = datetime.datetime.fromtimestamp(T, tz=datetime.timezone.utc)
    return store, when


def cryptography_prebuilt(corpus: Corpus):
    store, when = _crypto_parts(corpus)
    builder = PolicyBuilder().store(store).time(when)
    work = [(builder.build_server_verifier(x509.DNSName(host)), chain)
            for host, chain in zip(corpus.hosts, corpus.chains)]
    load = x509.load_der_x509_certificate

    def run() -> int:
        ok = 0
        for verifier, chain in work:
            leaf = load(chain[0])
            inters = [load(d) for d in chain[1:]]
            try:
                verifier.verify(leaf, inters)
                ok += 1
            except Exception:  # noqa: BLE001 (a rejection)
                pass
        return ok
    return run


def cryptography_with_build(corpus: Corpus):
    store, when = _crypto_parts(corpus)
    work = list(zip(corpus.hosts, corpus.chains))
    load = x509.load_der_x509_certificate

    def run() -> int:
        ok = 0
        for host, chain in work:
            verifier = (PolicyBuilder().store(store).time(when)
                        .build_server_verifier(x509.DNSName(host)))
            leaf = load(chain[0])
            inters = [load(d) for d in chain[1:]]
            try:
                verifier.verify(leaf, inters)
                ok += 1
            except Exception:  # noqa: BLE001
                pass
        return ok
    return run


# ---------------------------------------------------------------------------
# C benchmark


def find_c_bench(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    candidates = [REPO / "build-bench" / "benchmarks" / "bench_verify"]
    candidates += sorted(REPO.glob("build*/benchmarks/bench_verify"))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def run_c_bench(binary: Path, corpus: Corpus, seconds: float, repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="chainval-bench-") as tmp:
        corpus.write_c_corpus(Path(tmp))
        proc = subprocess.run([str(binary), tmp, "--seconds", str(seconds), "--repeat",
                               str(repeat)], capture_output=True, text=True, timeout=3600)
    out = proc.stdout
    if proc.returncode != 0:
        raise RuntimeError(f"{binary} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    summary = out[out.rfind("summary"):]
    lib = re.search(r"libchain\s+([\d.]+) chains/s", summary)
    gnutls = re.search(r"GnuTLS\s+([\d.]+) chains/s", summary)
    openssl = re.search(r"OpenSSL\s+([\d.]+) chains/s", summary)
    build = re.search(r"^\s*build\s+(.*)$", out, re.M)
    accepted = re.search(r"libchain accepted (\d+), GnuTLS accepted (\d+)", out)
    if not lib:
        raise RuntimeError(f"cannot read the summary of {binary}:\n{out[-1500:]}")
    return {
        "libchain": float(lib.group(1)),
        "gnutls": float(gnutls.group(1)) if gnutls else None,
        "openssl": float(openssl.group(1)) if openssl else None,
        "build": build.group(1).strip() if build else "?",
        "accepted": (int(accepted.group(1)), int(accepted.group(2))) if accepted else None,
    }


# ---------------------------------------------------------------------------


def timed_rate(run, n: int, seconds: float) -> float:
    rounds, spent = 0, 0.0
    while spent < seconds or rounds == 0:
        t0 = time.perf_counter()
        run()
        spent += time.perf_counter() - t0
        rounds += 1
    return rounds * n / spent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chains", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=2.0,
                    help="minimum time per method and trial (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="trials; medians are reported")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--c-bench", help="path to bench_verify (default: build*/benchmarks/)")
    ap.add_argument("--no-c", action="store_true", help="do not run the C benchmark")
    args = ap.parse_args()

    t0 = time.perf_counter()
    corpus = Corpus(args.chains, args.seed)
    gen = time.perf_counter() - t0
    n = len(corpus)

    print("chainval Python benchmark: chain verification throughput")
    print(f"  Python        {platform.python_version()} ({platform.python_implementation()}), "
          f"{os.cpu_count()} CPUs online, {platform.machine()}")
    print(f"  chainval      {chainval.__version__} from {Path(chainval.__file__).parent}")
    print(f"  libchain      {chainval.LIBCHAIN_VERSION} "
          f"(headers {chainval.LIBCHAIN_HEADER_VERSION})")
    print(f"  cryptography  {cryptography_version}")
    print(f"  corpus        {n} chains [leaf, intermediate] DER, 2 roots in the store, "
          f"verified at T={T} (2030-01-01Z), purpose server, hostname per chain; "
          f"generated in {gen:.1f} s")
    print("                " + ", ".join(f"{k}: {v}" for k, v in corpus.mix.items()))

    methods = {
        "chainval.verify() loop": chainval_loop(corpus, "none"),
        "chainval.verify() loop, unique chains (cache)": chainval_loop(corpus, "unique"),
        "chainval.verify() loop, chains seen (store cache)": chainval_loop(corpus, "default"),
        "chainval.verify_many(threads=1)": chainval_many(corpus, 1),
        "chainval.verify_many(threads=2)": chainval_many(corpus, 2),
        "cryptography verify (+ DER load)": cryptography_prebuilt(corpus),
        "cryptography verify (+ DER load, + build verifier)": cryptography_with_build(corpus),
    }

    print("\nverdicts (untimed pass)")
    for name, run in methods.items():
        accepted = run()
        print(f"  {name:56s} accepted {accepted}/{n}")
        if accepted != n:
            print("  WARNING: not every chain was accepted; the methods are not comparable")

    rates: dict[str, list[float]] = {name: [] for name in methods}
    print(f"\ntiming: {args.repeat} trial(s), at least {args.seconds:g} s per method and trial")
    for trial in range(args.repeat):
        order = list(methods) if trial % 2 == 0 else list(reversed(methods))
        for name in order:
            rates[name].append(timed_rate(methods[name], n, args.seconds))
        print(f"  trial {trial + 1}: " + ", ".join(f"{rates[name][-1]:.0f}" for name in methods)
              + " chains/s (in the order of the table below)")
    med = {name: statistics.median(v) for name, v in rates.items()}

    c = None
    c_note = "not measured"
    if not args.no_c:
        binary = find_c_bench(args.c_bench)
        if binary is None:
            c_note = "not measured (no build*/benchmarks/bench_verify; see benchmarks/run.sh)"
        else:
            print(f"\nC API: {binary} on the same corpus ...", flush=True)
            try:
                c = run_c_bench(binary, corpus, args.seconds, args.repeat)
                c_note = f"{binary.relative_to(REPO) if binary.is_relative_to(REPO) else binary}"
                c_note += f", {c['build']}"
                if c["accepted"] and c["accepted"][0] != n:
                    print(f"  WARNING: libchain accepted {c['accepted'][0]}/{n} in the C bench")
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                c_note = f"not measured ({e})"

    base = med["chainval.verify() loop"]
    crypto = med["cryptography verify (+ DER load)"]
    crypto_built = med["cryptography verify (+ DER load, + build verifier)"]
    rows: list[tuple[str, float | None]] = []
    rows.append(("libchain chain_verify() (C API)", c["libchain"] if c else None))
    rows += [(name, med[name]) for name in methods]
    if c and c.get("gnutls"):
        rows.append(("raw GnuTLS trust_list_verify_crt2 + parse (C)", c["gnutls"]))
    if c and c.get("openssl"):
        rows.append(("raw OpenSSL X509_verify_cert + parse (C)", c["openssl"]))

    print(f"\nresults (median of {args.repeat}); C API: {c_note}")
    header = f"  {'method':56s} {'chains/s':>10s} {'us/chain':>9s} {'vs verify()':>12s} " \
             f"{'vs cryptography':>16s}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, rate in rows:
        if rate is None:
            print(f"  {name:56s} {'not measured':>10s}")
            continue
        print(f"  {name:56s} {rate:10.0f} {1e6 / rate:9.1f} {rate / base:11.2f}x "
              f"{rate / crypto:15.2f}x")

    unique = med["chainval.verify() loop, unique chains (cache)"]
    print(f"\none call at a time, unique chains, against pyca/cryptography building its verifier "
          f"per chain (as its docs show): {unique / crypto_built:.2f}x (target >= 1.5x); "
          f"without any cache: {base / crypto_built:.2f}x")

    print("\nPython overhead per chain vs the C API (chainval us/chain - libchain us/chain):")
    if c:
        us_c = 1e6 / c["libchain"]
        for name in ("chainval.verify() loop", "chainval.verify_many(threads=1)"):
            over = 1e6 / med[name] - us_c
            print(f"  {name:36s} {over:+7.1f} us/chain ({over / us_c * 100:+.1f} % of "
                  f"{us_c:.1f} us)")
    else:
        print(f"  not measured: the C number is {c_note}")
    per_call = 1e6 / med["chainval.verify() loop"] - 1e6 / med["chainval.verify_many(threads=1)"]
    print(f"  per-call cost of verify() over one verify_many batch (same process, interleaved): "
          f"{per_call:+.1f} us/chain")
    print("\nratios: 'vs X' = this method's chains/s / X's chains/s (above 1: faster than X)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
