#!/usr/bin/env python3
"""Generate the chain-verification benchmark corpus.

    python3 benchmarks/make-corpus.py OUT_DIR [--chains N] [--seed S] [--jobs J]

writes, with the test-PKI factory (python/chainval/testing.py, i.e. chainval.testing):

OUT_DIR/roots.pem
    the trust store: 3 roots (RSA-2048, RSA-4096, P-384).
OUT_DIR/chains.txt
    one served chain per line, tab-separated:
        hostname  base64(DER) base64(DER) ...  ok|fail  label
    the certificates separated by single spaces, leaf first. ``ok``/``fail``
    is the expected verdict at T = 1893456000 (2030-01-01T00:00:00Z) for a
    TLS server (serverAuth) connection to ``hostname``; ``label`` says what
    kind of chain it is (``ok``, ``expired``, ``hostname_mismatch``,
    ``missing_issuer``; ``+root`` / ``+extra`` when the root or an unrelated
    intermediate is also served). Lines starting with '#' are comments.
OUT_DIR/intermediates.pem
    the 6 intermediates, for reference (not used by the benchmark).

Shape (web-PKI-like): 6 intermediates (RSA-2048, P-256, P-384) spread over the
roots with uneven popularity; N unique leaves, ~60% P-256 and ~40% RSA-2048,
each for its own domain (SAN styles: apex+www, a single subdomain, or a
wildcard plus the apex). Served as [leaf, intermediate]; 10% also serve the
root, 5% also serve an unrelated intermediate (after the leaf, anywhere).
Defects, mutually exclusive and exact shares: 5% expired leaves, 3% served to
a host their SAN does not cover, 2% served without their intermediate.

Keys: CA keys are generated once. P-256 leaf keys are fresh per leaf; RSA
leaf keys come from a small pool (RSA key generation dominates otherwise).
Every leaf certificate is still distinct (own serial, name and signature).
The layout is reproducible from --seed; keys and signatures are random.

--jobs J signs the leaves in J processes (forked once the CAs and the RSA
pool exist; default 1). The layout does not depend on J (every random choice
is made in the parent, in the order of the serial version), and chains.txt
is written as the leaves come back, in order, so memory stays flat. Signing
dominates (the P-384 and RSA-2048 intermediates' signatures), so J above the
number of idle cores does not help.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import multiprocessing
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python" / "chainval"))

from testing import PKI, generate_key, pem_bundle, utc  # noqa: E402  (chainval.testing, by path)

T = 1893456000  # 2030-01-01T00:00:00Z, the benchmark's verification time
assert utc(2030).timestamp() == T

RSA_LEAF_KEY_POOL = 24

SHARE_EXPIRED = 0.05
SHARE_MISMATCH = 0.03
SHARE_MISSING = 0.02
SHARE_WITH_ROOT = 0.10
SHARE_WITH_EXTRA = 0.05
SHARE_P256 = 0.60

WORDS = (
    "acme", "atlas", "bakery", "beacon", "blue", "bright", "cargo", "cedar", "cloud",
    "coral", "delta", "ember", "falcon", "forest", "garden", "harbor", "helix", "indigo",
    "jade", "kite", "lumen", "maple", "meadow", "nimbus", "north", "orbit", "pixel",
    "quartz", "river", "saffron", "summit", "tango", "tidal", "umber", "vector", "willow",
    "yonder", "zephyr",
)
TLDS = ("com", "com", "com", "net", "org", "io", "de", "co.uk", "fr", "app", "dev")
SUBS = ("api", "app", "shop", "mail", "cdn", "static", "login", "portal", "m", "blog")


def b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


def exact_pick(rng: random.Random, population: list[int], share: float, n_total: int) -> set[int]:
    """round(share * n_total) distinct members of population."""
    k = min(len(population), round(share * n_total))
    return set(rng.sample(population, k))


# The CAs and the RSA leaf-key pool, set by main() before the workers fork.
_WORK: tuple = ()


def make_lines(chunk: list) -> str:
    """The chains.txt lines of a chunk of specs (in a worker with --jobs)."""
    ints, roots, rsa_pool = _WORK
    lines = []
    for host, dns, key, not_before, not_after, k, plan, label in chunk:
        leaf = ints[k].leaf(dns=dns, key=key if key == "p256" else rsa_pool[key],
                            not_before=not_before, not_after=not_after)
        served = [leaf.der if p == "leaf" else ints[p[1]].der if p[0] == "int"
                  else roots[p[1]].der for p in plan]
        expect = "ok" if label.split("+")[0] == "ok" else "fail"
        lines.append(f"{host}\t{' '.join(b64(d) for d in served)}\t{expect}\t{label}\n")
    return "".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--chains", type=int, default=2000, help="number of chains (default 2000)")
    ap.add_argument("--seed", type=int, default=1, help="layout seed (default 1)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="processes signing leaves (default 1; the layout does not depend on it)")
    args = ap.parse_args()
    if args.chains < 1:
        ap.error("--chains must be at least 1")
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    n = args.chains
    rng = random.Random(args.seed)
    started = time.monotonic()

    pki = PKI(key_type="p256")
    roots = [
        pki.root("Bench Root R1 RSA-2048", key="rsa2048"),
        pki.root("Bench Root R2 RSA-4096", key="rsa4096"),
        pki.root("Bench Root E1 P-384", key="p384"),
    ]
    # (root index, name, key type, popularity weight)
    int_specs = [
        (0, "Bench Int R1-A RSA-2048", "rsa2048", 28),
        (0, "Bench Int R1-B P-256", "p256", 12),
        (1, "Bench Int R2-A RSA-2048", "rsa2048", 20),
        (1, "Bench Int R2-B P-384", "p384", 10),
        (2, "Bench Int E1-A P-256", "p256", 20),
        (2, "Bench Int E1-B P-384", "p384", 10),
    ]
    ints = [roots[r].intermediate(name, key=kt, path_length=0)
            for r, name, kt, _ in int_specs]
    int_root = [r for r, _, _, _ in int_specs]
    weights = [w for _, _, _, w in int_specs]
    rsa_pool = [generate_key("rsa2048") for _ in range(RSA_LEAF_KEY_POOL)]
    keys_done = time.monotonic()

    # Exact shares, mutually exclusive defects; the chains without a defect
    # other than "missing intermediate" get the served-shape variations.
    everyone = list(range(n))
    expired = exact_pick(rng, everyone, SHARE_EXPIRED, n)
    rest = [i for i in everyone if i not in expired]
    mismatch = exact_pick(rng, rest, SHARE_MISMATCH, n)
    rest = [i for i in rest if i not in mismatch]
    missing = exact_pick(rng, rest, SHARE_MISSING, n)
    servable = [i for i in everyone if i not in missing]
    with_root = exact_pick(rng, servable, SHARE_WITH_ROOT, n)
    servable = [i for i in servable if i not in with_root]
    with_extra = exact_pick(rng, servable, SHARE_WITH_EXTRA, n)

    header = [
        f"# libchain benchmark corpus: {n} chains, seed {args.seed}, verify at T={T} "
        "(2030-01-01T00:00:00Z), purpose serverAuth",
        "# hostname<TAB>base64(DER) ... (leaf first)<TAB>ok|fail<TAB>label",
    ]
    stats: dict[str, int] = {}
    n_p256 = 0

    def specs():
        """Every random choice, in the order of the serial version: per chain
        (host, dns, key, not_before, not_after, intermediate, served plan, label)."""
        nonlocal n_p256
        for i in range(n):
            word = rng.choice(WORDS)
            domain = f"{word}{i}.{rng.choice(TLDS)}"
            style = rng.random()
            if style < 0.50:
                dns = [domain, "www." + domain]
                host = rng.choice(dns)
                bad_host = "mail." + domain
            elif style < 0.85:
                dns = [f"{rng.choice(SUBS)}.{domain}"]
                host = dns[0]
                bad_host = "www." + domain
            else:
                dns = ["*." + domain, domain]
                host = f"{rng.choice(SUBS)}.{domain}"
                bad_host = f"eu.{rng.choice(SUBS)}.{domain}"  # a wildcard covers one label

            if rng.random() < SHARE_P256:
                key: object = "p256"
                n_p256 += 1
            else:
                key = rng.choice(range(len(rsa_pool)))  # the draw of rng.choice(rsa_pool)

            # Realistic lifetimes around T: 90 days to 13 months.
            lifetime = datetime.timedelta(days=rng.choice((90, 90, 90, 180, 365, 397)))
            if i in expired:
                not_after = utc(2030) - datetime.timedelta(days=rng.randint(1, 200),
                                                           seconds=rng.randint(0, 86399))
            else:
                not_after = utc(2030) + datetime.timedelta(days=rng.randint(1, 80),
                                                           seconds=rng.randint(0, 86399))
            not_before = not_after - lifetime
            if not_before >= utc(2030):
                not_before = utc(2030) - datetime.timedelta(days=1)

            k = rng.choices(range(len(ints)), weights=weights)[0]
            # What is served, in order: "leaf", ("int", j), ("root", r).
            plan: list = ["leaf"]
            label = "ok"
            if i in expired:
                label = "expired"
            elif i in mismatch:
                label = "hostname_mismatch"
                host = bad_host
            elif i in missing:
                label = "missing_issuer"
            if i not in missing:
                plan.append(("int", k))
            if i in with_root:
                plan.append(("root", int_root[k]))
                label += "+root"
            elif i in with_extra:
                other = rng.choice([j for j in range(len(ints)) if j != k])
                plan.insert(rng.randint(1, len(plan)), ("int", other))
                label += "+extra"
            assert len(plan) <= 16  # GnuTLS 3.7.9 verify_crt2 limit
            stats[label] = stats.get(label, 0) + 1
            yield (host, dns, key, not_before, not_after, k, plan, label)

    def chunks(size: int = 500):
        chunk = []
        for spec in specs():
            chunk.append(spec)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    global _WORK
    _WORK = (ints, roots, rsa_pool)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "roots.pem").write_bytes(pem_bundle(*roots))
    (out / "intermediates.pem").write_bytes(pem_bundle(*ints))
    with open(out / "chains.txt", "w", encoding="ascii", buffering=1 << 20) as f:
        f.write("\n".join(header) + "\n")
        if args.jobs == 1:
            for chunk in chunks():
                f.write(make_lines(chunk))
        else:
            # fork: the workers inherit _WORK (the CAs and the RSA pool).
            with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
                for text in pool.imap(make_lines, chunks()):
                    f.write(text)

    done = time.monotonic()
    n_ok = sum(v for kk, v in stats.items() if kk.split("+")[0] == "ok")
    print(f"wrote {out}/roots.pem (3 roots), {out}/chains.txt ({n} chains: "
          f"{n_ok} ok, {n - n_ok} fail; {n_p256} P-256 / {n - n_p256} RSA-2048 leaves)")
    for kk in sorted(stats):
        print(f"  {kk:24} {stats[kk]:6}")
    print(f"generated in {done - started:.1f} s (CA and RSA pool keys {keys_done - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
