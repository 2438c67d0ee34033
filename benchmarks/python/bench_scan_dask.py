#!/usr/bin/env python3
"""Issue 13's "Measured" figures for ``chainval scan --dask``, against the
local scan, every figure measured in one run.

    python3 benchmarks/python/bench_scan_dask.py [--build build-release]
        [--work BUILD/scale] [--corpus corpus-1000000-s1] [--rows 200000]
        [--small-rows 20000] [--workers 2] [--threads 2] [--repeat 3]
        [--partition-sizes 64,16] [--small-partition-sizes 1,2,4,0]
        [--only big,overhead,local-n] [--wait-idle S] [--retry-busy N]
        [--keep-outputs] [--quick] [--json FILE]

(about 10 minutes on the 2-vCPU development VM with the defaults, once the
inputs exist.)

| what | target |
|---|---|
| ``--dask`` on a cluster of 2 worker processes vs the local ``--threads 2`` scan, rows/s, the same unique rows, cluster start-up excluded | >= 0.85x (within 15 %) |

Method. The benchmark process starts a ``distributed.LocalCluster(n_workers=
--workers, threads_per_worker=1, processes=True, host="127.0.0.1",
dashboard_address=":0")`` itself and times it (``LocalCluster()`` +
``Client()`` + ``wait_for_workers``; then, apart, the workers' first import
of chainval, which ``chainval scan --dask`` triggers before its timer with
its version check; and ``close()``), ``--repeat`` times, and keeps the last
cluster for the runs. Every ``chainval scan`` then runs as a child process
(``python3 -m chainval scan INPUT --roots ROOTS --at T -o OUT --summary S``,
``-o`` to a file in both modes, on the same filesystem), either local
(``--threads N``) or ``--dask tcp://SCHEDULER``. Measured per run:

* the scan's own time, ``elapsed_s`` of its summary: from after start-up
  (imports, trust store, connecting to the scheduler and the workers'
  version check) to the end of the output; rows/s = rows / elapsed_s is the
  headline figure, for both modes;
* the child's wall clock and CPU (os.wait4: the driver alone for --dask,
  i.e. planning, the line-counting and the merging of the parts into OUT);
* for --dask, the CPU the worker processes used (``getrusage(RUSAGE_SELF)``
  in each worker, by ``client.run``, before and after) and this process's
  (the scheduler runs here);
* the CPU other processes used meanwhile (from /proc/stat, minus all the
  above), in cores: this VM is shared. ``--wait-idle S`` waits for an idle
  second before each run; ``--retry-busy N`` runs a run again when others
  used more than 0.25 cores.

Between two --dask runs, each worker's state (``chainval.scan.dask_scan``'s
per-process trust stores and verdict cache) is dropped by ``client.run``:
a long-lived worker keeps its cache across scans, so a second scan of the
same rows would measure cache hits, not unique rows. Workers stay up (their
imports are warm, as after the version check of a fresh ``--dask`` scan).

1. **big**: the first ``--rows`` (200,000) unique rows of the corpus
   (JSONL ``{"id", "host", "time", "chain"}``, ~2.1 kB a row: ~420 MB),
   verified at T = 2030-01-01Z: the local ``--threads N`` scan and
   ``--dask`` with every ``--partition-sizes`` MiB (default 64, the
   default, and 16), ``--repeat`` rounds, the order rotating each round
   (L D64 D16, D64 D16 L, D16 L D64, ...). Every summary's rows and ok count
   are checked against the corpus's expected verdicts, and the outputs of
   the first round are compared byte for byte (cmp) with the local scan's.
   The ratio is taken per round (dask rows/s / local rows/s of the same
   round); its median and range are printed. The number of partitions is
   ``plan_partitions`` of chainval itself, with that --partition-size.
2. **overhead**: the first ``--small-rows`` (20,000; ~42 MB) rows, local
   and ``--dask`` with every ``--small-partition-sizes`` MiB (0 means half
   the file: 2-3 parts, so both workers still work), ``--repeat`` rounds,
   rotating. A least-squares line through (partitions, dask elapsed_s)
   gives the fixed cost per partition (its slope: wall seconds one more
   partition adds on this cluster, workers and driver together) and the
   fixed cost per scan (its intercept minus the local scan's elapsed_s, i.e.
   what remains at "zero partitions"). With it, on the big input: overhead
   per row = (dask elapsed - local elapsed - partitions x per-partition
   cost) / rows, per --partition-sizes (medians). This is a derivation from
   medians of wall clocks, not a measurement of its own: it is as noisy as
   the differences it is made of.
3. **local-n**: ``--dask local:N`` on the small input with the default
   --partition-size, ``--repeat`` runs: the child's wall clock (cluster
   start-up included) and its elapsed_s, against the ``tcp://`` runs of 2.
   (The scan's timer starts after the LocalCluster is up; the cluster's
   close falls inside it, so its elapsed_s is expected to be larger.)

Inputs are kept in ``--work`` (default BUILD/scale), made from the corpus
(``--corpus``, a make-corpus.py directory there): the first N lines of the
largest ``CORPUS-first-M.jsonl`` already there (M >= N), else written from
its chains.txt as bench_scan_table.py does; expected ok counts come from
chains.txt. Results are also written as JSON (``--json``, default
WORK/dask-DATE-TIME.json).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import scale  # noqa: E402  (benchmarks/scale.py: corpus and process helpers, T)
from scale import med, span  # noqa: E402

T = scale.T
AT = "2030-01-01T00:00:00Z"
TARGET = 0.85
SECTIONS = ("big", "overhead", "local-n")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_build = REPO / "build-release"
    ap.add_argument("--build", type=Path, default=default_build,
                    help="release build with -Dpython=true (default build-release)")
    ap.add_argument("--work", type=Path, help="inputs and outputs (default BUILD/scale)")
    ap.add_argument("--corpus", default="corpus-1000000-s1",
                    help="make-corpus.py directory in WORK (default corpus-1000000-s1)")
    ap.add_argument("--rows", type=int, default=200000,
                    help="unique rows of the big input (default 200000)")
    ap.add_argument("--small-rows", type=int, default=20000,
                    help="unique rows of the overhead input (default 20000)")
    ap.add_argument("--workers", type=int, default=2,
                    help="worker processes of the LocalCluster (1 thread each; default 2)")
    ap.add_argument("--threads", type=int, default=2,
                    help="--threads of the local scan (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of every case (default 3)")
    ap.add_argument("--partition-sizes", default="64,16",
                    help="--partition-size values (MiB) of the big input (default 64,16)")
    ap.add_argument("--small-partition-sizes", default="1,2,4,0",
                    help="--partition-size values (MiB) of the overhead input; 0: half the "
                         "file (default 1,2,4,0)")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="sections to run (default all: " + ",".join(SECTIONS) + ")")
    scale.add_idle_options(ap, 30)
    ap.add_argument("--keep-outputs", action="store_true",
                    help="keep the outputs of the first round (default: removed)")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: --rows 20000 --small-rows 3000 --repeat 1 "
                         "--partition-sizes 64,4 --small-partition-sizes 1,0 "
                         "(numbers not meaningful)")
    ap.add_argument("--json", type=Path, help="results file (default WORK/dask-*.json)")
    a = ap.parse_args()
    if a.quick:
        a.rows, a.small_rows, a.repeat = 20000, 3000, 1
        a.partition_sizes, a.small_partition_sizes = "64,4", "1,0"
    a.partition_sizes = [int(x) for x in a.partition_sizes.split(",") if x]
    a.small_partition_sizes = [int(x) for x in a.small_partition_sizes.split(",") if x]
    a.only = [s for s in a.only.split(",") if s]
    for s in a.only:
        if s not in SECTIONS:
            ap.error(f"--only: unknown {s!r} (one of {', '.join(SECTIONS)})")
    return a


ARGS = parse_args()
BUILD = ARGS.build.resolve()
WORK = (ARGS.work or BUILD / "scale").resolve()
PYPATH = str(BUILD / "python")
# the LocalCluster's worker processes are started from this process: same path
os.environ["PYTHONPATH"] = PYPATH + (os.pathsep + os.environ["PYTHONPATH"]
                                     if os.environ.get("PYTHONPATH") else "")
sys.path.insert(0, PYPATH)
ENV = dict(os.environ)


# --------------------------------------------------------------------------- processes

def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


WAITED = {"runs": 0, "idle": 0, "seconds": 0.0}
BUSY = {"discarded": 0, "kept_busy": 0}


def _worker_cpu() -> float:
    """In a worker process: its CPU seconds so far (every thread)."""
    import resource as r
    u = r.getrusage(r.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def _worker_forget() -> int:
    """In a worker process: drop chainval's per-process stores and cache."""
    import gc

    from chainval.scan import dask_scan
    with dask_scan._STATE_LOCK:
        n = len(dask_scan._STATE)
        dask_scan._STATE.clear()
    gc.collect()
    return n


def _worker_import() -> str:
    import chainval.scan.dask_scan  # noqa: F401  (what the version check imports)
    import chainval
    return chainval.__version__


class Cluster:
    """The LocalCluster of this benchmark, its start-up timed."""

    def __init__(self) -> None:
        import distributed
        self.distributed = distributed
        self.cluster = self.client = None

    def start(self) -> dict:
        d = self.distributed
        t0 = time.perf_counter()
        self.cluster = d.LocalCluster(n_workers=ARGS.workers, threads_per_worker=1,
                                      processes=True, host="127.0.0.1",
                                      dashboard_address=":0", silence_logs=logging.ERROR)
        self.client = d.Client(self.cluster)
        self.client.wait_for_workers(ARGS.workers, timeout=120)
        t1 = time.perf_counter()
        versions = set(self.client.run(_worker_import).values())
        t2 = time.perf_counter()
        return {"start": t1 - t0, "import": t2 - t1, "versions": sorted(versions)}

    @property
    def address(self) -> str:
        return self.client.scheduler.address

    def close(self) -> float:
        t0 = time.perf_counter()
        self.client.close()
        self.cluster.close()
        self.client = self.cluster = None
        return time.perf_counter() - t0

    def cpu(self) -> dict:
        return self.client.run(_worker_cpu)

    def forget(self) -> None:
        self.client.run(_worker_forget)


CLUSTER: Cluster | None = None


def run_scan(inp: Path, exp: tuple[int, int], mode: str, out: Path,
             extra: tuple[str, ...] = ()) -> dict:
    """One ``chainval scan`` child: ``mode`` "local", "tcp" (this benchmark's
    cluster) or "local:N" (its own LocalCluster). Checked: status 0, rows
    and ok count. Retried when other processes were busy."""
    summary = out.with_name(out.name + ".summary.json")
    cmd = [sys.executable, "-m", "chainval", "scan", str(inp), "--roots", str(ROOTS),
           "--at", AT, "-o", str(out), "--summary", str(summary), "--progress", "never",
           "-q", *extra]
    if mode == "local":
        cmd += ["--threads", str(ARGS.threads)]
    elif mode == "tcp":
        cmd += ["--dask", CLUSTER.address]
    else:
        cmd += ["--dask", mode]
    for attempt in range(ARGS.retry_busy + 1):
        for f in (out, summary, Path(str(out) + ".meta.json")):
            f.unlink(missing_ok=True)
        shutil.rmtree(str(out) + ".parts", ignore_errors=True)
        if mode == "tcp":
            CLUSTER.forget()
        scale.wait_idle(ARGS.wait_idle, WAITED)
        w0 = CLUSTER.cpu() if mode == "tcp" else {}
        s0 = self_cpu()
        c = scale.run_child(cmd, env=ENV)
        mine = self_cpu() - s0  # the scheduler runs in this process
        if c["rc"] != 0:
            raise SystemExit(f"failed ({c['rc']}): {' '.join(cmd)}\n{c['stderr'][-3000:]}")
        w1 = CLUSTER.cpu() if mode == "tcp" else {}
        workers = sum(w1[k] - w0.get(k, 0.0) for k in w1)
        s = json.loads(summary.read_text())
        r = {"mode": mode, "extra": list(extra), "wall": c["wall"], "cpu": c["cpu"],
             "workers_cpu": workers, "scheduler_cpu": mine if mode == "tcp" else 0.0,
             "elapsed": s["elapsed_s"], "rows": s["rows"],
             "ok": s["verdicts"].get("ok", 0),
             "others": max(0.0, (c["busy"] - c["cpu"] - workers - mine) / c["wall"]),
             "command": " ".join(cmd)}
        if (r["rows"], r["ok"]) != exp:
            raise SystemExit(f"{' '.join(cmd)}: {r['rows']} rows, {r['ok']} ok; expected {exp}")
        if r["others"] <= 0.25:
            break
        if attempt < ARGS.retry_busy:
            BUSY["discarded"] += 1
            print(f"    (other processes used {r['others']:.2f} cores: run again)", flush=True)
    r["attempts"] = attempt + 1
    if r["others"] > 0.25:
        BUSY["kept_busy"] += 1
    summary.unlink(missing_ok=True)
    return r


def show(tag: str, r: dict) -> None:
    dask = "" if r["mode"] == "local" else (
        f", workers CPU {r['workers_cpu']:.1f} s, scheduler {r['scheduler_cpu']:.1f} s")
    print(f"  {tag:<14} elapsed {r['elapsed']:6.2f} s = {r['rows'] / r['elapsed']:8,.0f} "
          f"rows/s; child wall {r['wall']:6.2f} s, CPU {r['cpu']:5.1f} s{dask}; others "
          f"{r['others']:.2f} cores", flush=True)


def rotate(cases: list, i: int) -> list:
    k = i % len(cases)
    return cases[k:] + cases[:k]


# --------------------------------------------------------------------------- inputs

def expected_ok(n: int) -> int:
    ok = k = 0
    with open(CORPUS / "chains.txt", encoding="ascii") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            ok += line.rstrip("\n").split("\t")[2] == "ok"
            k += 1
            if k == n:
                return ok
    raise SystemExit(f"{CORPUS}: {k} chains, fewer than {n}")


def first_rows(n: int) -> tuple[Path, int]:
    """WORK/CORPUS-first-N.jsonl and its expected ok count."""
    path = WORK / f"{CORPUS.name}-first-{n}.jsonl"
    meta = path.with_name(path.name + ".meta.json")
    if path.is_file() and meta.is_file():
        return path, json.loads(meta.read_text())["expected_ok"]
    t0 = time.monotonic()
    bigger = []
    for p in WORK.glob(f"{CORPUS.name}-first-*.jsonl"):
        try:
            m = int(p.name[len(CORPUS.name) + 7:-6])
        except ValueError:
            continue
        if m >= n and p.with_name(p.name + ".meta.json").is_file():
            bigger.append((m, p))
    tmp = path.with_name(path.name + ".tmp")
    if bigger:
        src = min(bigger)[1]
        with open(src, "rb") as f, open(tmp, "wb") as o:
            for _ in range(n):
                o.write(f.readline())
        how = f"the first {n} lines of {src.name}"
    else:
        with open(tmp, "w", encoding="ascii") as o:
            for k, (host, certs, _) in enumerate(scale.load_chains(CORPUS)[:n]):
                o.write(f'{{"id": "r{k:07d}", ' + json.dumps(
                    {"host": host, "time": T, "chain": certs})[1:] + "\n")
        how = f"{CORPUS.name}/chains.txt"
    ok = expected_ok(n)
    os.replace(tmp, path)
    meta.write_text(json.dumps({"rows": n, "expected_ok": ok}))
    print(f"  wrote {path.name} from {how} in {time.monotonic() - t0:.0f} s", flush=True)
    return path, ok


def build_source() -> Path:
    """The source tree BUILD was configured from (meson-info)."""
    try:
        info = json.loads((BUILD / "meson-info" / "meson-info.json").read_text())
        return Path(info["directories"]["source"]).resolve()
    except (OSError, KeyError, ValueError):
        return REPO


def partitions(path: Path, mib: int) -> int:
    from chainval.scan.dask_scan import plan_partitions
    from chainval.scan.formats import Input
    return len(plan_partitions([Input(str(path))], mib << 20))


def warm(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(16 << 20):
            pass


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares y = a + b x: (a, b)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


# --------------------------------------------------------------------------- main

CORPUS = WORK / ARGS.corpus
ROOTS = CORPUS / "roots.pem"


def main() -> int:
    global CLUSTER
    if not (BUILD / "python" / "chainval" / "scan" / "dask_scan.py").is_file():
        raise SystemExit(f"{BUILD}/python/chainval/scan/dask_scan.py missing: build a "
                         "chainval with --dask (-Dpython=true) first")
    if not (CORPUS / "chains.txt").is_file() or not ROOTS.is_file():
        raise SystemExit(f"{CORPUS}: no chains.txt/roots.pem (benchmarks/make-corpus.py)")
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty",
                          "--abbrev=12"], capture_output=True, text=True).stdout.strip()
    source = build_source()
    if source != REPO:  # a build of another tree (e.g. a clean export of a commit)
        git = f"{git} here; build of {source}" + (
            f" ({(source / 'REVISION').read_text().strip()})"
            if (source / "REVISION").is_file() else "")
    import chainval
    import dask
    import distributed
    started = time.monotonic()
    print("bench_scan_dask: issue 13's figures for chainval scan --dask")
    print(f"  git {git}; chainval {chainval.__version__}, GnuTLS {chainval.GNUTLS_VERSION}; "
          f"dask {dask.__version__}, distributed {distributed.__version__}; Python "
          f"{platform.python_version()}; {os.cpu_count()} CPUs; build {BUILD}")
    print(f"  --rows {ARGS.rows} --small-rows {ARGS.small_rows} --workers {ARGS.workers} "
          f"--threads {ARGS.threads} --repeat {ARGS.repeat}; times are wall clock unless "
          "marked CPU", flush=True)
    res: dict = {"git": git, "argv": sys.argv[1:], "started": time.strftime("%F %T"),
                 "build": str(BUILD), "versions": {"chainval": chainval.__version__,
                                                   "gnutls": chainval.GNUTLS_VERSION,
                                                   "dask": dask.__version__,
                                                   "distributed": distributed.__version__}}
    tmpdir = Path(tempfile.mkdtemp(prefix="bench-dask-", dir=WORK))
    try:
        big, big_ok = first_rows(ARGS.rows)
        small, small_ok = first_rows(ARGS.small_rows)
        for f in (big, small):
            warm(f)
        res["inputs"] = {"big": [str(big), ARGS.rows, big_ok, big.stat().st_size],
                         "small": [str(small), ARGS.small_rows, small_ok,
                                   small.stat().st_size]}

        # ---- the cluster
        print(f"\n[cluster] LocalCluster(n_workers={ARGS.workers}, threads_per_worker=1, "
              f"processes=True): start-up, {ARGS.repeat} times", flush=True)
        starts = []
        CLUSTER = Cluster()
        for i in range(ARGS.repeat):
            scale.wait_idle(ARGS.wait_idle, WAITED)
            st = CLUSTER.start()
            if i < ARGS.repeat - 1:
                st["close"] = CLUSTER.close()
            starts.append(st)
            print(f"  start {st['start']:.2f} s (LocalCluster + Client + wait_for_workers), "
                  f"workers importing chainval {st['import']:.2f} s"
                  + (f", close {st['close']:.2f} s" if "close" in st else ""), flush=True)
        res["cluster"] = starts
        print(f"  scheduler {CLUSTER.address}", flush=True)

        # ---- 1. big
        if "big" in ARGS.only:
            sizes = {ps: partitions(big, ps) for ps in ARGS.partition_sizes}
            print(f"\n[big] {big.name} ({ARGS.rows:,} unique rows, "
                  f"{big.stat().st_size / 1e6:.0f} MB): local --threads {ARGS.threads} and "
                  f"--dask with --partition-size "
                  + ", ".join(f"{ps} ({n} parts)" for ps, n in sizes.items())
                  + f", {ARGS.repeat} rounds", flush=True)
            cases = [("local", None)] + [("tcp", ps) for ps in ARGS.partition_sizes]
            runs: dict = {c: [] for c in cases}
            same = {}
            for i in range(ARGS.repeat):
                for case in rotate(cases, i):
                    mode, ps = case
                    tag = "local" if ps is None else f"dask ps={ps}"
                    out = tmpdir / (f"big-{mode}-{ps}-{i}.jsonl")
                    r = run_scan(big, (ARGS.rows, big_ok), mode, out,
                                 () if ps is None else ("--partition-size", str(ps)))
                    r["round"] = i
                    runs[case].append(r)
                    show(tag, r)
                    if i > 0 and not ARGS.keep_outputs:
                        out.unlink(missing_ok=True)
                        Path(str(out) + ".meta.json").unlink(missing_ok=True)
                if i == 0:
                    ref = tmpdir / "big-local-None-0.jsonl"
                    for ps in ARGS.partition_sizes:
                        other = tmpdir / f"big-tcp-{ps}-0.jsonl"
                        same[ps] = filecmp.cmp(ref, other, shallow=False)
                        print(f"  cmp local vs dask ps={ps}: "
                              f"{'identical' if same[ps] else 'DIFFER'} "
                              f"({ref.stat().st_size:,} bytes)", flush=True)
                    if not ARGS.keep_outputs:
                        for f in tmpdir.glob("big-*-0.jsonl*"):
                            f.unlink()
            loc = runs[("local", None)]
            big_res = {"partitions": sizes, "identical": same, "local": loc, "dask": {}}
            for ps in ARGS.partition_sizes:
                d = runs[("tcp", ps)]
                ratios = [(b["rows"] / b["elapsed"]) / (a["rows"] / a["elapsed"])
                          for a, b in zip(loc, d)]
                wall_ratios = [a["wall"] / b["wall"] for a, b in zip(loc, d)]
                big_res["dask"][ps] = {"runs": d, "ratios": ratios, "wall_ratios": wall_ratios}
            res["big"] = big_res

        # ---- 2. overhead
        if "overhead" in ARGS.only:
            half = max(1, (small.stat().st_size >> 20) // 2)
            pss = [half if ps == 0 else ps for ps in ARGS.small_partition_sizes]
            sizes_s = {ps: partitions(small, ps) for ps in pss}
            print(f"\n[overhead] {small.name} ({ARGS.small_rows:,} rows, "
                  f"{small.stat().st_size / 1e6:.0f} MB): local --threads {ARGS.threads} and "
                  f"--dask with --partition-size "
                  + ", ".join(f"{ps} ({n} parts)" for ps, n in sizes_s.items())
                  + f", {ARGS.repeat} rounds", flush=True)
            cases = [("local", None)] + [("tcp", ps) for ps in pss]
            sruns: dict = {c: [] for c in cases}
            for i in range(ARGS.repeat):
                for case in rotate(cases, i):
                    mode, ps = case
                    tag = "local" if ps is None else f"dask ps={ps}"
                    r = run_scan(small, (ARGS.small_rows, small_ok), mode,
                                 tmpdir / f"small-{mode}-{ps}.jsonl",
                                 () if ps is None else ("--partition-size", str(ps)))
                    sruns[case].append(r)
                    show(tag, r)
            points = [(sizes_s[ps], r["elapsed"]) for ps in pss for r in sruns[("tcp", ps)]]
            a, b = fit(points)
            local_small = med(r["elapsed"] for r in sruns[("local", None)])
            ov = {"partitions": sizes_s, "local": sruns[("local", None)],
                  "dask": {ps: sruns[("tcp", ps)] for ps in pss},
                  "per_partition_s": b, "intercept_s": a, "local_elapsed": local_small,
                  "fixed_s": a - local_small}
            print(f"  least squares over {len(points)} runs: dask elapsed = {a:.3f} s + "
                  f"{b * 1000:.1f} ms x partitions; local {local_small:.3f} s: fixed cost "
                  f"{a - local_small:+.3f} s per scan, {b * 1000:.1f} ms per partition",
                  flush=True)
            if "big" in res:
                bl = med(r["elapsed"] for r in res["big"]["local"])
                ov["per_row"] = {}
                for ps, d in res["big"]["dask"].items():
                    de = med(r["elapsed"] for r in d["runs"])
                    n = res["big"]["partitions"][ps]
                    per_row = (de - bl - n * b) / ARGS.rows
                    per_row_fixed = (de - bl - (a - local_small) - n * b) / ARGS.rows
                    ov["per_row"][ps] = {"dask_elapsed": de, "local_elapsed": bl,
                                         "parts": n, "per_row_s": per_row,
                                         "per_row_net_fixed_s": per_row_fixed}
                    print(f"  big, ps={ps}: ({de:.2f} - {bl:.2f} - {n} x {b:.3f}) s / "
                          f"{ARGS.rows:,} rows = {per_row * 1e6:.1f} us per row "
                          f"({per_row / (bl / ARGS.rows):.1%} of a local row's "
                          f"{bl / ARGS.rows * 1e6:.1f} us); net of the fixed cost too: "
                          f"{per_row_fixed * 1e6:.1f} us", flush=True)
            res["overhead"] = ov

        # ---- 3. --dask local:N
        if "local-n" in ARGS.only:
            print(f"\n[local-n] --dask local:{ARGS.workers} on {small.name} (default "
                  f"--partition-size: {partitions(small, 64)} part(s)), {ARGS.repeat} runs; "
                  f"against --dask tcp:// with the same partitions", flush=True)
            lruns, truns = [], []
            for i in range(ARGS.repeat):
                for mode in (("local:%d" % ARGS.workers, "tcp") if i % 2 == 0
                             else ("tcp", "local:%d" % ARGS.workers)):
                    r = run_scan(small, (ARGS.small_rows, small_ok), mode,
                                 tmpdir / f"small-{mode.replace(':', '')}.jsonl")
                    (truns if mode == "tcp" else lruns).append(r)
                    show("dask " + mode, r)
            res["local_n"] = {"local_n": lruns, "tcp": truns, "parts": partitions(small, 64)}

        if CLUSTER.cluster is not None:
            res["cluster"][-1]["close"] = CLUSTER.close()
    finally:
        if CLUSTER is not None and CLUSTER.cluster is not None:
            CLUSTER.close()
        if not ARGS.keep_outputs:
            shutil.rmtree(tmpdir, ignore_errors=True)

    # ---- the table
    print(f"\n--wait-idle: {WAITED['idle']} of {WAITED['runs']} runs started on an idle "
          f"machine; {WAITED['seconds']:.0f} s waited; --retry-busy: {BUSY['discarded']} runs "
          f"discarded and run again, {BUSY['kept_busy']} kept with other processes busy "
          "(> 0.25 cores) after the last retry")
    res["wait_idle"], res["busy"] = WAITED, BUSY
    cl = res["cluster"]
    table = []
    table.append((
        f"cluster start-up: LocalCluster({ARGS.workers} processes) + Client + "
        "wait_for_workers (excluded from every figure below)",
        "-",
        f"{med(s['start'] for s in cl):.2f} s (runs {span(s['start'] for s in cl)}); the "
        f"workers' first import of chainval {med(s['import'] for s in cl):.2f} s more; close "
        f"{med(s['close'] for s in cl if 'close' in s):.2f} s",
        ""))
    if "big" in res:
        b = res["big"]
        loc = b["local"]
        lr = med(r["rows"] / r["elapsed"] for r in loc)
        table.append((
            f"local `--threads {ARGS.threads}`, {ARGS.rows:,} unique rows",
            "baseline",
            f"{lr:,.0f} rows/s (runs {span((r['rows'] / r['elapsed'] for r in loc), ',.0f')})"
            f"; elapsed {med(r['elapsed'] for r in loc):.2f} s, child wall "
            f"{med(r['wall'] for r in loc):.2f} s, CPU {med(r['cpu'] for r in loc):.1f} s",
            ""))
        for ps, d in b["dask"].items():
            rs = d["runs"]
            dr = med(r["rows"] / r["elapsed"] for r in rs)
            table.append((
                f"`--dask` {ARGS.workers} workers, --partition-size {ps} "
                f"({b['partitions'][ps]} partitions)"
                + (" (default)" if ps == 64 else ""),
                f">= {TARGET}x local",
                f"{dr:,.0f} rows/s (runs {span((r['rows'] / r['elapsed'] for r in rs), ',.0f')})"
                f" = {med(d['ratios']):.2f}x local (per round {span(d['ratios'])}); child wall "
                f"{med(r['wall'] for r in rs):.2f} s = {med(d['wall_ratios']):.2f}x; CPU: "
                f"workers {med(r['workers_cpu'] for r in rs):.1f} s + driver "
                f"{med(r['cpu'] for r in rs):.1f} s + scheduler "
                f"{med(r['scheduler_cpu'] for r in rs):.1f} s; output "
                + ("identical (cmp)" if b["identical"].get(ps) else "DIFFERS (cmp)"),
                ("met" if med(d["ratios"]) >= TARGET else "NOT met")))
        lc = med(r["cpu"] for r in loc)
        cpu_rows = []
        for ps, d in b["dask"].items():
            dc = med(r["workers_cpu"] + r["cpu"] + r["scheduler_cpu"] for r in d["runs"])
            cpu_rows.append(f"ps={ps}: {dc:.1f} s vs {lc:.1f} s = "
                            f"{(dc - lc) / ARGS.rows * 1e6:+.1f} us per row "
                            f"({dc / lc - 1:+.1%})")
        table.append((
            "CPU of all processes per scan, --dask (workers + driver + scheduler) vs local "
            "(both include one process's start-up: the driver's imports distributed)",
            "-", "; ".join(cpu_rows) + f"; local {lc / ARGS.rows * 1e6:.0f} us CPU per row",
            ""))
    if "overhead" in res:
        ov = res["overhead"]
        parts = ", ".join(f"{n}" for n in ov["partitions"].values())
        row = (f"fixed cost per partition (slope over {parts} partitions of "
               f"{ARGS.small_rows:,} rows); fixed cost per scan (intercept - local)",
               "-",
               f"{ov['per_partition_s'] * 1000:.0f} ms per partition; {ov['fixed_s']:+.2f} s "
               f"per scan (intercept {ov['intercept_s']:.2f} s, local "
               f"{ov['local_elapsed']:.2f} s)", "")
        table.append(row)
        for ps, p in ov.get("per_row", {}).items():
            table.append((
                f"overhead per row, {ARGS.rows:,} rows, --partition-size {ps}: (dask - local "
                "- partitions x per-partition) / rows",
                "-",
                f"{p['per_row_s'] * 1e6:.1f} us per row ({p['dask_elapsed']:.2f} - "
                f"{p['local_elapsed']:.2f} - {p['parts']} x {ov['per_partition_s']:.3f} s); "
                f"local: {p['local_elapsed'] / ARGS.rows * 1e6:.1f} us per row",
                ""))
    if "local_n" in res:
        ln, tc = res["local_n"]["local_n"], res["local_n"]["tcp"]
        table.append((
            f"`--dask local:{ARGS.workers}` vs `--dask tcp://` (cluster already up), "
            f"{ARGS.small_rows:,} rows, default --partition-size ({res['local_n']['parts']} "
            "part(s))",
            "-",
            f"local:{ARGS.workers}: child wall {med(r['wall'] for r in ln):.2f} s, elapsed_s "
            f"{med(r['elapsed'] for r in ln):.2f} s; tcp: child wall "
            f"{med(r['wall'] for r in tc):.2f} s, elapsed_s {med(r['elapsed'] for r in tc):.2f}"
            " s", ""))
    res["table"] = table
    print(f"\nissue 13's figures for --dask (git {git}; {time.monotonic() - started:.0f} s "
          "in all)\n")
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    if "big" in res:
        for r in (res["big"]["local"][0],
                  *(d["runs"][0] for d in res["big"]["dask"].values())):
            print("scan:    " + r["command"].replace(str(WORK) + "/", "WORK/")
                  .replace(sys.executable, "python3"))
    print("\n| what | target | measured (medians; runs' range) | |")
    print("|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    out = ARGS.json or WORK / time.strftime("dask-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps(res, indent=1, default=str))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
