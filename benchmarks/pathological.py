#!/usr/bin/env python3
"""Pathological inputs, timed: the big cases of the security issue's suite.

    python3 benchmarks/pathological.py [--build build-path] [--only NAME[,NAME]]
        [--quick] [--timeout 600] [--json out.json]

Every case builds its PKI with chainval.testing (untimed), loads its trust
store and pool (timed: "load"), then runs each of its probes several times
with ``chainval.verify()`` (or libchain's ``chain_verify_pem()`` through
ctypes) and prints, per probe:

- the time of one verification, median and max over the runs (wall clock,
  ``time.perf_counter()`` around the call; the GIL is released inside);
- the peak RSS growth beyond the loaded store: after the store, pool and
  input are built, the process's peak is reset (``echo 5 >
  /proc/self/clear_refs``, Linux >= 4.0, which sets VmHWM to the current
  VmRSS), then growth = VmHWM after the runs - VmRSS before them, from
  /proc/self/status. Without clear_refs the peak cannot be reset and the
  column reads "n/a";
- the verdict (and the one expected), the signature checks the search made
  (one extra, untimed ``verify_many`` with a fresh Cache: its edge hits +
  misses; CRL signature checks are not edges and are not in this count);
- PASS or FAIL against the bounds: every verification within 100 ms, peak
  growth within 64 MiB, store + pool load within 1 s.

Each case runs in a child process of its own (so that one case's peak and
leftovers do not reach the next) with a time limit (--timeout, seconds): a
case still running then is killed and its remaining probes read TIMEOUT.

Cases (--quick scales each down about tenfold, to try the script):
  decoys-same-ski   1,000 pool certificates with the leaf's issuer name and
                    SKI and other keys, the real issuer last
  decoys-own-ski    the same with each decoy's own SKI (the AKI finds the issuer)
  lattice-anchored  10 levels x 4 CAs, each CA certified by every CA of the
                    level above, the top by a stored root; also 30 served
  lattice-unanchored  the same, its root nowhere
  loops             issuer loops of length 2..50 (no anchor), all in one pool
  pool-10000        10,000 CA certificates in one pool (loaded from one PEM)
  deep              8, 9, 64 and 100 intermediates vs max_depth
  pem-100mb         100 MB of PEM (the served-chain bound is 1 MiB)
  crl-heavy         a served lattice of 30 certificates (4 levels x 3 CAs)
                    whose CAs are the issuers of 16 CRLs of 80,000 entries
                    each in the store (12 signed by them, 4 by other keys
                    under the same names); a clean leaf and a revoked one,
                    under the default signature budget and raised ones

A release build measures the library as shipped:
``meson setup build-rel --buildtype=release -Dpython=true -Dtests=false``;
the header says which build and commit were measured.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
T = 1893456000  # 2030-01-01T00:00:00Z
WWW = ["www.example.com"]
BOUND_MS = 100.0
BOUND_MIB = 64.0
BOUND_LOAD_S = 1.0

chainval = None  # imported from --build in main()


# ---------------------------------------------------------------- measuring

def _status_bytes(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak() -> bool:
    """Set VmHWM to the current VmRSS; False when the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Probe:
    """One kind of verification of a case: ``chains`` are verified in turn
    (one timed verification each) with ``policy`` and ``pool``, or ``call``
    (a function returning the code) is timed instead."""

    def __init__(self, label, expect, chains=None, policy=None, pool=None, call=None):
        self.label, self.expect = label, expect
        self.chains, self.policy, self.pool, self.call = chains, policy, pool, call


def run_probe(probe: Probe, store, max_seconds: float, max_runs: int) -> dict:
    times: list[float] = []
    codes: set[str] = set()
    gc.collect()
    can_reset = reset_peak()
    base = _status_bytes("VmRSS")
    spent = 0.0
    while True:
        for chain in (probe.chains or [None]):
            t0 = time.perf_counter()
            if probe.call:
                code = probe.call()
            else:
                # cache=None: every run does the whole work (the store's own
                # cache would answer the repeats from their verdicts)
                code = chainval.verify(chain, store=store, policy=probe.policy,
                                       intermediates=probe.pool, cache=None).code
            dt = time.perf_counter() - t0
            times.append(dt)
            codes.add(code)
            spent += dt
        rounds = len(times) // len(probe.chains or [None])
        if rounds >= max_runs or spent >= max_seconds or (rounds >= 1 and dt > 1.0):
            break
    growth = (_status_bytes("VmHWM") - base) if can_reset else None
    checks = None
    if probe.chains and max(times) < 5.0:
        cache = chainval.Cache(verdicts=False)
        chainval.verify_many(probe.chains, store=store, policy=probe.policy,
                             intermediates=probe.pool, threads=1, cache=cache)
        st = cache.stats()
        checks = (st["edge_hits"] + st["edge_misses"]) / len(probe.chains)
    return {
        "probe": probe.label, "expect": probe.expect, "verdicts": sorted(codes),
        "runs": len(times), "median_ms": statistics.median(times) * 1000,
        "max_ms": max(times) * 1000,
        "rss_growth_mib": None if growth is None else growth / 2**20,
        "sig_checks": checks,
    }


# ---------------------------------------------------------------- PKIs

def _der(cert) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding
    return cert.public_bytes(Encoding.DER)


def _policy(**kw):
    return chainval.Policy(at=T, **kw)


def case_decoys(scale: float, same_ski: bool):
    from cryptography import x509
    from chainval.testing import PKI

    n = max(10, int(1000 * scale))
    pki = PKI()
    root = pki.root("Bench Decoy Root")
    name = "Bench Decoy Int"
    real = root.intermediate(name)
    ski = x509.SubjectKeyIdentifier.from_public_key(real.key.public_key())
    extra = [(ski, False)] if same_ski else []
    pool_ders = [_der(root.issue(name, pki.key(), ca=True, ski=not same_ski, extensions=extra))
                 for _ in range(n - 1)] + [real.der]
    leaf = real.leaf(dns=WWW).der

    def load():
        return chainval.TrustStore.from_pem(root.pem), chainval.Pool(pool_ders)

    def probes(store, pool):
        if not same_ski:
            return [Probe(f"{n} decoys, own SKIs", "ok", [[leaf]], _policy(), pool)]
        return [
            Probe(f"{n} decoys with its SKI, default budget", "budget_exceeded", [[leaf]],
                  _policy(), pool),
            Probe(f"{n} decoys with its SKI, max_sig_checks={n + 1}", "ok", [[leaf]],
                  _policy(max_sig_checks=n + 1), pool),
        ]
    return load, probes


def _lattice(pki, tag: str, levels: int, width: int):
    layers = [[pki.ca(f"Bench Lattice {tag} {k}") for _ in range(width)] for k in range(levels)]
    top = pki.root(f"Bench Lattice {tag} Root")
    certs = []
    for k, layer in enumerate(layers):
        for ca in layer:
            for up in (layers[k + 1] if k + 1 < levels else [top]):
                certs.append(_der(up.issue(ca.name, ca.key, ca=True)))
    return top, layers, certs


def case_lattice(scale: float, anchored: bool):
    from chainval.testing import PKI

    pki = PKI()
    other = pki.root("Bench Unrelated Root")
    top, layers, certs = _lattice(pki, "A" if anchored else "U", 10, 4)
    leaf = layers[0][0].leaf(dns=WWW).der

    def load():
        return (chainval.TrustStore.from_pem(top.pem if anchored else other.pem),
                chainval.Pool(certs))

    def probes(store, pool):
        if not anchored:
            return [Probe("10x4 lattice, root nowhere, max_depth 16", "budget_exceeded",
                          [[leaf]], _policy(max_depth=16), pool)]
        return [
            Probe("10x4 lattice, anchored, max_depth 16", "ok", [[leaf]],
                  _policy(max_depth=16), pool),
            Probe("10x4 lattice, anchored, default max_depth 8", "budget_exceeded", [[leaf]],
                  _policy(), pool),
            Probe("10x4 lattice, 30 served + pool, max_depth 16", "ok", [[leaf, *certs[:30]]],
                  _policy(max_depth=16), chainval.Pool(certs[30:])),
        ]
    return load, probes


def case_loops(scale: float):
    from chainval.testing import PKI

    pki = PKI()
    root = pki.root("Bench Loop Root")
    top = 50 if scale >= 1 else 12
    leaves, certs = {}, []
    for n in range(2, top + 1):
        cas = [pki.ca(f"Bench Loop {n} {i}") for i in range(n)]
        certs += [_der(cas[(i + 1) % n].issue(cas[i].name, cas[i].key, ca=True))
                  for i in range(n)]
        leaves[n] = cas[0].leaf(dns=WWW).der

    def load():
        return chainval.TrustStore.from_pem(root.pem), chainval.Pool(certs)

    def probes(store, pool):
        return [
            Probe(f"loops of 2..{top}, each verified (max_depth 64)", "missing_issuer",
                  [[leaves[n]] for n in range(2, top + 1)], _policy(max_depth=64), pool),
            Probe(f"loop of {top} (max_depth 64)", "missing_issuer", [[leaves[top]]],
                  _policy(max_depth=64), pool),
            Probe(f"loop of {top} (default max_depth 8)", "depth_exceeded", [[leaves[top]]],
                  _policy(), pool),
        ]
    return load, probes


def case_pool(scale: float):
    from chainval.testing import PKI, pem_bundle

    n = max(100, int(10000 * scale))
    pki = PKI()
    root = pki.root("Bench Pool Root")
    keys = [pki.key() for _ in range(16)]
    cas = [root.intermediate(f"Bench Pool CA {i}", key=keys[i % 16]) for i in range(n)]
    bundle = pem_bundle(*cas)
    inside = cas[n // 2].leaf(dns=WWW).der
    outside = pki.ca("Bench Pool CA nowhere").leaf(dns=WWW).der

    def load():
        return chainval.TrustStore.from_pem(root.pem), chainval.Pool(bundle)

    def probes(store, pool):
        assert len(pool) == n
        return [
            Probe(f"{n}-certificate pool: issuer in it", "ok", [[inside]], _policy(), pool),
            Probe(f"{n}-certificate pool: issuer not in it", "missing_issuer", [[outside]],
                  _policy(), pool),
        ]
    return load, probes


def case_deep(scale: float):
    from chainval.testing import PKI

    pki = PKI()
    root = pki.root("Bench Deep Root")
    cas, issuer = [], root
    for i in range(100):
        issuer = issuer.intermediate(f"Bench Deep {i}")
        cas.append(issuer)
    leaf = {n: cas[n - 1].leaf(dns=WWW).der for n in (8, 9, 64, 100)}

    def load():
        return chainval.TrustStore.from_pem(root.pem), chainval.Pool([c.der for c in cas])

    def probes(store, pool):
        served100 = [leaf[100], *(c.der for c in reversed(cas))]
        return [
            Probe("8 intermediates (default max_depth 8)", "ok", [[leaf[8]]], _policy(), pool),
            Probe("9 intermediates (default max_depth 8)", "depth_exceeded", [[leaf[9]]],
                  _policy(), pool),
            Probe("64 intermediates (max_depth 64)", "ok", [[leaf[64]]],
                  _policy(max_depth=64), pool),
            Probe("100 intermediates (max_depth 64)", "depth_exceeded", [[leaf[100]]],
                  _policy(max_depth=64), pool),
            Probe("100 intermediates served (32-certificate bound)", "input_limit",
                  [served100], _policy(max_depth=64), None),
        ]
    return load, probes


class _CLib:
    """The few libchain calls the PEM case needs, through ctypes."""

    def __init__(self, path: Path) -> None:
        lib = ctypes.CDLL(str(path))
        vp = ctypes.c_void_p
        for name, args, res in [
            ("chain_store_new", [ctypes.POINTER(vp)], ctypes.c_int),
            ("chain_store_free", [vp], None),
            ("chain_store_add_der", [vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint],
             ctypes.c_int),
            ("chain_policy_new", [ctypes.POINTER(vp)], ctypes.c_int),
            ("chain_policy_free", [vp], None),
            ("chain_policy_set_time", [vp, ctypes.c_int64], ctypes.c_int),
            ("chain_verify_pem", [ctypes.POINTER(vp), vp, vp, ctypes.c_char_p, ctypes.c_size_t,
                                  vp], ctypes.c_int),
            ("chain_result_reason", [vp], ctypes.c_int),
            ("chain_result_free", [vp], None),
            ("chain_reason_str", [ctypes.c_int], ctypes.c_char_p),
        ]:
            f = getattr(lib, name)
            f.argtypes, f.restype = args, res
        self.lib = lib

    def store(self, ders):
        s = ctypes.c_void_p()
        assert self.lib.chain_store_new(ctypes.byref(s)) == 0
        for d in ders:
            assert self.lib.chain_store_add_der(s, d, len(d), 0) == 0
        return s

    def policy(self):
        p = ctypes.c_void_p()
        assert self.lib.chain_policy_new(ctypes.byref(p)) == 0
        assert self.lib.chain_policy_set_time(p, T) == 0
        return p

    def verify_pem(self, store, policy, pem: bytes) -> str:
        res = ctypes.c_void_p()
        self.lib.chain_verify_pem(ctypes.byref(res), store, policy, pem, len(pem), None)
        try:
            if not res:
                return "(no result)"
            return self.lib.chain_reason_str(self.lib.chain_result_reason(res)).decode()
        finally:
            self.lib.chain_result_free(res)


def case_pem(scale: float, libpath: Path | None):
    from chainval.testing import PKI

    size = max(2 << 20, int(100_000_000 * scale))
    pki = PKI()
    root = pki.root("Bench PEM Root")
    inter = root.intermediate("Bench PEM Int")
    head = inter.leaf(dns=WWW).pem + inter.pem
    pem = head + inter.pem * ((size - len(head)) // len(inter.pem) + 1)
    mb = len(pem) / 1e6

    def load():
        return chainval.TrustStore.from_pem(root.pem), None

    def probes(store, pool):
        out = []
        if libpath:
            lib = _CLib(libpath)
            cstore, cpolicy = lib.store([root.der]), lib.policy()
            out.append(Probe(f"{mb:.0f} MB PEM, chain_verify_pem (C, ctypes)", "input_limit",
                             call=lambda: lib.verify_pem(cstore, cpolicy, pem)))
        out.append(Probe(f"{mb:.0f} MB PEM, chainval.verify(bundle)", "input_limit",
                         call=lambda: chainval.verify(pem, store=store, policy=_policy(),
                                                      cache=None).code))
        return out
    return load, probes


# -- CRLs: encoded by hand (cryptography's builder is quadratic in entries)

def _tlv(tag: int, content: bytes) -> bytes:
    from chainval.testing import encode_tlv
    return encode_tlv(tag, content)


def _int(v: int) -> bytes:
    return _tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


def make_crl(ca, serials, number: int) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from chainval.testing import encode_oid
    from cryptography.hazmat.primitives.serialization import Encoding

    alg = _tlv(0x30, encode_oid("1.2.840.10045.4.3.2"))  # ecdsa-with-SHA256
    when = _tlv(0x17, b"250101000000Z")
    entries = b"".join(_tlv(0x30, _int(s) + when) for s in serials)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key())
    exts = _tlv(0xA0, _tlv(0x30,
        _tlv(0x30, encode_oid("2.5.29.20") + _tlv(0x04, _int(number))) +
        _tlv(0x30, encode_oid("2.5.29.35") + _tlv(0x04, _tlv(0x30,
                                                             _tlv(0x80, aki.key_identifier))))))
    tbs = _tlv(0x30, _int(1) + alg + ca.name.public_bytes(Encoding.DER) +
               _tlv(0x17, b"290101000000Z") + _tlv(0x17, b"310101000000Z") +
               _tlv(0x30, entries) + exts)
    sig = ca.key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    der = _tlv(0x30, tbs + alg + _tlv(0x03, b"\x00" + sig))
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(ca.key.public_key())
    return der


def case_crl(scale: float):
    import random
    from chainval.testing import PKI

    entries = max(1000, int(80_000 * scale))
    rng = random.Random(20300101)
    pki = PKI()
    top, layers, certs = _lattice(pki, "CRL", 4, 3)
    clean = layers[0][0].leaf(dns=WWW)
    revoked = layers[0][0].leaf(dns=WWW)
    crls = []
    issuers = [ca for layer in layers for ca in layer]
    issuers += [pki.ca(layer[0].name) for layer in layers]  # other keys, same names
    for i, ca in enumerate(issuers):
        serials = {rng.getrandbits(120) | 1 << 119 for _ in range(entries)}
        if ca is layers[0][0]:
            serials.add(revoked.cert.serial_number)
        crls.append(make_crl(ca, sorted(serials), i + 1))
    crl_mb = sum(map(len, crls)) / 1e6

    def load():
        store = chainval.TrustStore.from_pem(top.pem)
        for c in crls:
            assert store.add_crl(c) == 1, store.rejected
        return store, None

    def probes(store, pool):
        label = f"{len(certs)} served, {len(crls)}x{entries} CRLs ({crl_mb:.0f} MB)"
        # Each CRL check costs the signature budget 1 + 1 per 64 KiB of CRL
        # (libchain/crl.c): the raised budgets show what the default stops.
        return [
            Probe(f"{label}: clean leaf", "ok", [[clean.der, *certs]], _policy(), None),
            Probe(f"{label}: revoked leaf", "revoked", [[revoked.der, *certs]], _policy(), None),
            Probe(f"{label}: clean, budget 1000", "ok", [[clean.der, *certs]],
                  _policy(max_sig_checks=1000), None),
            Probe(f"{label}: revoked, budget 10000", "revoked",
                  [[revoked.der, *certs]], _policy(max_sig_checks=10000), None),
        ]
    return load, probes


CASES = {
    "decoys-same-ski": lambda s, lib: case_decoys(s, True),
    "decoys-own-ski": lambda s, lib: case_decoys(s, False),
    "lattice-anchored": lambda s, lib: case_lattice(s, True),
    "lattice-unanchored": lambda s, lib: case_lattice(s, False),
    "loops": lambda s, lib: case_loops(s),
    "pool-10000": lambda s, lib: case_pool(s),
    "deep": lambda s, lib: case_deep(s),
    "pem-100mb": lambda s, lib: case_pem(s, lib),
    "crl-heavy": lambda s, lib: case_crl(s),
}


# ---------------------------------------------------------------- running

def child(name: str, scale: float, libpath, conn, max_seconds: float, max_runs: int) -> None:
    try:
        t0 = time.perf_counter()
        load, probes = CASES[name](scale, libpath)
        built = time.perf_counter() - t0
        gc.collect()
        t0 = time.perf_counter()
        store, pool = load()
        load_s = time.perf_counter() - t0
        ps = probes(store, pool)
        conn.send(("start", {"case": name, "build_s": built, "load_s": load_s,
                             "probes": [p.label for p in ps],
                             "expects": [p.expect for p in ps]}))
        for p in ps:
            row = run_probe(p, store, max_seconds, max_runs)
            row.update(case=name, load_s=load_s)
            conn.send(("row", row))
        conn.send(("done", None))
    except BaseException as e:  # noqa: BLE001 (reported by the parent)
        conn.send(("error", f"{type(e).__name__}: {e}"))


def verdict(row: dict) -> tuple[str, list[str]]:
    why = []
    if row.get("timeout"):
        return "FAIL", ["timeout"]
    if row["max_ms"] > BOUND_MS:
        why.append(f"time > {BOUND_MS:.0f} ms")
    if row["rss_growth_mib"] is not None and row["rss_growth_mib"] > BOUND_MIB:
        why.append(f"RSS > {BOUND_MIB:.0f} MiB")
    if row["load_s"] > BOUND_LOAD_S:
        why.append(f"load > {BOUND_LOAD_S:.0f} s")
    return ("FAIL" if why else "PASS"), why


def run_case(name, scale, libpath, timeout, max_seconds, max_runs, emit) -> list[dict]:
    ctx = mp.get_context("fork")
    parent, kid = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child, args=(name, scale, libpath, kid, max_seconds, max_runs))
    proc.start()
    kid.close()
    rows, start, deadline = [], None, time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            proc.join()
            if not start:
                print(f"# {name}: nothing within {timeout:.0f} s (still building or loading)",
                      file=sys.stderr)
                break
            done = {r["probe"] for r in rows}
            for label, expect in zip(start["probes"], start["expects"]):
                if label not in done:
                    row = {"case": name, "probe": label, "expect": expect,
                           "verdicts": ["(killed)"], "runs": 0, "timeout": timeout,
                           "load_s": start["load_s"], "median_ms": None, "max_ms": None,
                           "rss_growth_mib": None, "sig_checks": None}
                    rows.append(row)
                    emit(row)
            break
        if not parent.poll(min(left, 1.0)):
            if not proc.is_alive() and not parent.poll():
                print(f"# {name}: the child died (exit {proc.exitcode})", file=sys.stderr)
                break
            continue
        try:
            kind, payload = parent.recv()
        except EOFError:
            print(f"# {name}: the child died (exit {proc.exitcode})", file=sys.stderr)
            break
        if kind == "start":
            start = payload
            print(f"# {name}: built in {payload['build_s']:.1f} s, loaded in "
                  f"{payload['load_s']:.3f} s", file=sys.stderr, flush=True)
        elif kind == "row":
            rows.append(payload)
            emit(payload)
        elif kind == "error":
            print(f"# {name}: {payload}", file=sys.stderr)
            break
        else:
            break
    proc.join()
    return rows


def describe_tree(build: Path) -> dict:
    info = {"build": str(build)}
    try:
        opts = json.loads((build / "meson-info" / "intro-buildoptions.json").read_text())
        info["buildtype"] = next(o["value"] for o in opts if o["name"] == "buildtype")
        src = json.loads((build / "meson-info" / "intro-projectinfo.json").read_text())
        info["version"] = src.get("version")
    except (OSError, StopIteration, ValueError):
        pass
    source = REPO
    try:
        info_src = json.loads((build / "meson-info" / "meson-info.json").read_text())
        source = Path(info_src["directories"]["source"])
    except (OSError, KeyError, ValueError):
        pass
    info["source"] = str(source)
    try:
        git = ["git", "-C", str(source)]
        info["commit"] = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True,
                                        text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "--", "libchain", "include",
                                      "python/chainval"], capture_output=True, text=True,
                               check=True).stdout.split("\n")
        info["uncommitted"] = [line[3:] for line in dirty if line.strip()]
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = "unknown (not a git checkout)"
    return info


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=str(REPO / "build-path"),
                    help="meson build directory with -Dpython=true (default: build-path)")
    ap.add_argument("--only", help="comma-separated case names: " + ", ".join(CASES))
    ap.add_argument("--quick", action="store_true", help="cases about 10x smaller")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per case")
    ap.add_argument("--runs", type=int, default=21, help="at most this many runs per probe")
    ap.add_argument("--seconds", type=float, default=3.0,
                    help="stop repeating a probe after this much verification time")
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args(argv)

    global chainval
    build = Path(args.build).resolve()
    sys.path.insert(0, str(build / "python"))
    import chainval as cv  # noqa: PLC0415
    chainval = cv
    libpath = build / "libchain" / "libchain.so.0"
    libpath = libpath if libpath.exists() else None
    names = args.only.split(",") if args.only else list(CASES)
    for n in names:
        if n not in CASES:
            ap.error(f"unknown case {n!r}")
    scale = 0.1 if args.quick else 1.0

    tree = describe_tree(build)
    gnutls = subprocess.run(["pkg-config", "--modversion", "gnutls"], capture_output=True,
                            text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    print(f"# chainval pathological benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(f"# commit {tree.get('commit')} ({tree.get('source')}), "
          f"uncommitted in libchain/include/python: {tree.get('uncommitted') or 'none'}")
    print(f"# build {build} ({tree.get('buildtype')}), libchain {chainval.LIBCHAIN_VERSION}, "
          f"GnuTLS {gnutls}, Python {platform.python_version()}")
    load1, load5, _ = os.getloadavg()
    print(f"# {cpu}, {os.cpu_count()} CPUs, load average {load1:.1f}/{load5:.1f} at start; bounds: {BOUND_MS:.0f} ms per verification, "
          f"{BOUND_MIB:.0f} MiB peak RSS growth, {BOUND_LOAD_S:.0f} s load")
    print("# RSS: VmHWM - VmRSS (/proc/self/status) around the runs, peak reset "
          "with /proc/self/clear_refs = 5" + (" [--quick: cases scaled down]" if args.quick else ""))
    header = (f"{'case':<19} {'probe':<60} {'runs':>4} {'median ms':>10} {'max ms':>10} "
              f"{'RSS MiB':>8} {'load s':>7} {'checks':>6}  {'verdict (expected)':<36} result")
    print(header)
    print("-" * len(header))
    all_rows = []

    def emit(row):
        res, why = verdict(row)
        got = ",".join(row["verdicts"])
        mark = "" if row["verdicts"] == [row["expect"]] or row.get("timeout") else " !"
        timeout = f"> {row['timeout']:.0f} s" if row.get("timeout") else None
        print(f"{row['case']:<19} {row['probe'][:60]:<60} {row['runs']:>4} "
              f"{fmt(row['median_ms'], '10.2f', timeout or '-'):>10} "
              f"{fmt(row['max_ms'], '10.2f', timeout or '-'):>10} "
              f"{fmt(row['rss_growth_mib'], '8.1f', 'n/a'):>8} {row['load_s']:>7.3f} "
              f"{fmt(row['sig_checks'], '6.0f'):>6}  {got + ' (' + row['expect'] + ')' + mark:<36} "
              f"{res}{' (' + ', '.join(why) + ')' if why else ''}", flush=True)
        row["result"], row["why"] = res, why
        all_rows.append(row)

    for name in names:
        run_case(name, scale, libpath, args.timeout, args.seconds, args.runs, emit)
    failed = [r for r in all_rows if r["result"] == "FAIL"]
    wrong = [r for r in all_rows if r["verdicts"] != [r["expect"]] and not r.get("timeout")]
    print(f"# {len(all_rows)} probes: {len(all_rows) - len(failed)} PASS, {len(failed)} FAIL; "
          f"{len(wrong)} with a verdict other than expected (marked !)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"tree": tree, "quick": args.quick, "rows": all_rows}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
