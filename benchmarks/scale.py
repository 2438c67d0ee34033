#!/usr/bin/env python3
"""Scale benchmark of ``chainval scan``: rows/s and peak RSS from 10k to 1M rows.

    python3 benchmarks/scale.py [--build build-rel] [--sizes 10000,100000,1000000]
        [--threads 1,2] [--distinct 20000] [--unique N] [--gzip] [--pin-single CPU]

Generating a million distinct certificates in Python takes too long, so the
big inputs repeat chains: ``--distinct`` chains (default 20,000) are generated
once with benchmarks/make-corpus.py (same shape as the bench_verify corpus:
3 roots, 6 intermediates, 10 % failing chains, verified at T = 2030-01-01Z),
and a JSONL input of N rows cycles through them (row k serves chain
k mod distinct, with that chain's host, time T and its own id ``r0000042``).
Every row's verdict is therefore known; each run's summary is checked against
the expected ok count. Because rows repeat, the scanner's cache holds every
leaf edge after the first ``--distinct`` rows: these inputs measure streaming
and rows already seen, not unique chains. ``--unique N`` adds one input of N
rows that are all distinct chains (make-corpus.py with --chains N; about
4,000 chains/s on the development machine, so N = 500,000 takes ~2 minutes).

Each input is scanned, one run at a time, as

    /usr/bin/time -v env PYTHONPATH=BUILD/python python3 -m chainval scan FILE \\
        --roots ROOTS --threads N -o - --summary S.json --progress never -q >/dev/null

for every N of ``--threads``: rows/s comes from the summary (rows over the
scan's own elapsed time, start-up excluded), peak RSS from time's "Maximum
resident set size", and CPU seconds (user + sys) from time as well. With
``--pin-single CPU`` the 1-thread runs are pinned to that CPU (taskset); by
default nothing is pinned (the scanner reads the next batch in a Python
thread while libchain verifies the current one, so even ``--threads 1`` uses
more than one core at times).

Inputs are kept in WORK (default BUILD/scale) and reused; delete them to
regenerate. A release build is expected:
``meson setup build-rel --buildtype=release -Dpython=true -Dtests=false``.
Results are printed and written to WORK/results-DATE-TIME.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
T = 1893456000  # 2030-01-01T00:00:00Z, as make-corpus.py


def load_chains(corpus: Path) -> list[tuple[str, list[str], bool]]:
    chains = []
    with open(corpus / "chains.txt", encoding="ascii") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            host, certs, expect, *_ = line.rstrip("\n").split("\t")
            chains.append((host, certs.split(" "), expect == "ok"))
    return chains


def make_corpus(path: Path, n: int, seed: int) -> float:
    if (path / "chains.txt").is_file() and (path / "roots.pem").is_file():
        return 0.0
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.monotonic()
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make-corpus.py"), str(tmp),
                    "--chains", str(n), "--seed", str(seed)], check=True,
                   stdout=subprocess.DEVNULL)
    took = time.monotonic() - t0
    tmp.rename(path)
    print(f"  generated {path} ({n} chains) in {took:.1f} s", flush=True)
    return took


def write_rows(path: Path, chains, rows: int, use_gzip: bool) -> int:
    """Write ``rows`` JSONL rows cycling through ``chains``; returns the expected ok count."""
    meta = path.with_name(path.name + ".meta.json")
    if path.is_file() and meta.is_file():
        m = json.loads(meta.read_text())
        if m.get("rows") == rows and m.get("distinct") == len(chains):
            return m["expected_ok"]
    # The part of each row after its id, per distinct chain, built once.
    tails = [", " + json.dumps({"host": h, "time": T, "chain": c})[1:] + "\n"
             for h, c, _ in chains]
    oks = [ok for _, _, ok in chains]
    n = len(chains)
    full, part = divmod(rows, n)
    expected_ok = full * sum(oks) + sum(oks[:part])
    t0 = time.monotonic()
    tmp = path.with_name(path.name + ".tmp")
    opener = (lambda p: gzip.open(p, "wt", encoding="ascii", compresslevel=1)) if use_gzip \
        else (lambda p: open(p, "w", encoding="ascii", buffering=1 << 20))
    with opener(tmp) as f:
        buf = []
        for k in range(rows):
            buf.append(f'{{"id": "r{k:07d}"' + tails[k % n])
            if len(buf) == 4096:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    tmp.rename(path)
    meta.write_text(json.dumps({"rows": rows, "distinct": n, "expected_ok": expected_ok}))
    print(f"  wrote {path} ({rows} rows, {path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.monotonic() - t0:.1f} s", flush=True)
    return expected_ok


# --------------------------------------------------------------------------- processes
# The children of the benchmarks (bench_scan_dask.py, bench_scan_table.py): their
# wall clock and CPU, and the CPU other processes used meanwhile (a shared VM).

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_busy() -> float:
    """CPU-seconds the whole machine has been busy (every core), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / CLK_TCK


def add_idle_options(ap, wait_default: float) -> None:
    """--wait-idle and --retry-busy, for :func:`wait_idle` and a caller's
    retry loop (a child run again when others used the machine meanwhile)."""
    ap.add_argument("--wait-idle", type=float, default=wait_default, metavar="SECONDS",
                    help="before each timed run, wait up to SECONDS for a second in which "
                         "other processes used less than 0.2 cores (a shared VM; default "
                         f"{wait_default:g}; 0: do not wait)")
    ap.add_argument("--retry-busy", type=int, default=2, metavar="N",
                    help="run a timed child again, at most N times, when other processes "
                         "used more than 0.25 cores meanwhile (default 2)")


def wait_idle(limit: float, waited: dict) -> None:
    """--wait-idle: wait (at most ``limit`` seconds; 0: not at all) for a second
    in which other processes used less than 0.2 cores. ``waited`` counts the
    waits: {"runs", "idle" (those that found an idle second), "seconds"}."""
    if limit <= 0:
        return
    t0 = time.monotonic()
    waited["runs"] += 1
    while True:
        b0 = cpu_busy()
        time.sleep(1.0)
        if cpu_busy() - b0 < 0.2:
            waited["idle"] += 1
            break
        if time.monotonic() - t0 > limit:
            break
    waited["seconds"] += time.monotonic() - t0


def wait_child(p: subprocess.Popen, t0: float, busy0: float) -> dict:
    """Wait for ``p`` (started at perf_counter ``t0``, cpu_busy ``busy0``): its
    status, wall clock, CPU and peak RSS (os.wait4), the machine's busy
    CPU-seconds meanwhile (``busy``) and what other processes used of it, in
    cores (``others``)."""
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    cpu = ru.ru_utime + ru.ru_stime
    busy = cpu_busy() - busy0
    return {"rc": p.returncode, "wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
            "cpu": cpu, "maxrss_mib": ru.ru_maxrss / 1024, "busy": busy,
            "others": max(0.0, (busy - cpu) / wall) if wall > 0 else 0.0}


def run_child(cmd, *, env: dict, stdout=subprocess.DEVNULL, shell: bool = False) -> dict:
    """Run ``cmd`` and wait for it: :func:`wait_child`'s figures and its stderr
    (``stderr``, text). The status is not checked."""
    with tempfile.TemporaryFile() as err:
        busy0, t0 = cpu_busy(), time.perf_counter()
        p = subprocess.Popen(cmd, stdout=stdout, stderr=err, env=env, shell=shell)
        r = wait_child(p, t0, busy0)
        err.seek(0)
        r["stderr"] = err.read().decode("utf-8", "replace")
    return r


def med(values) -> float:
    return statistics.median(list(values))


def span(values, fmt: str = ".2f") -> str:
    """The range of ``values``: "min .. max"."""
    v = list(values)
    return f"{min(v):{fmt}} .. {max(v):{fmt}}"


def parse_time_v(text: str) -> dict:
    def grab(label: str) -> str | None:
        m = re.search(r"^\s*" + re.escape(label) + r":\s*(.+)$", text, re.M)
        return m.group(1).strip() if m else None

    wall = grab("Elapsed (wall clock) time (h:mm:ss or m:ss)") or "0:0"
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    return {
        "max_rss_kb": int(grab("Maximum resident set size (kbytes)") or 0),
        "user_s": float(grab("User time (seconds)") or 0),
        "sys_s": float(grab("System time (seconds)") or 0),
        "wall_s": secs,
        "cpu_percent": grab("Percent of CPU this job got"),
    }


def scan(build: Path, inp: Path, roots: Path, threads: int, summary: Path,
         pin: int | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(build / "python"))
    cmd = ["/usr/bin/time", "-v"]
    if pin is not None:
        cmd += ["taskset", "-c", str(pin)]
    cmd += [sys.executable, "-m", "chainval", "scan", str(inp), "--roots", str(roots),
            "--threads", str(threads), "-o", "-", "--summary", str(summary),
            "--progress", "never", "-q"]
    # Rows to stdout, discarded: -o /dev/null would write /dev/null.partial and
    # rename it over /dev/null (chainval scan's OUT.partial), which as root
    # replaces the device with a regular file.
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(f"scan failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    res = parse_time_v(proc.stderr)
    s = json.loads(summary.read_text())
    res.update(rows=s["rows"], rows_per_s=s["rows_per_s"], elapsed_s=s["elapsed_s"],
               ok=s["verdicts"].get("ok", 0), failed=s["verdicts"].get("failed", 0),
               malformed=s["verdicts"].get("malformed", 0), command=" ".join(cmd))
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=REPO / "build-rel",
                    help="release build with -Dpython=true (default build-rel)")
    ap.add_argument("--work", type=Path, help="inputs and results (default BUILD/scale)")
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="rows per input, comma-separated (default 10000,100000,1000000)")
    ap.add_argument("--threads", default="1,2", help="--threads values (default 1,2)")
    ap.add_argument("--distinct", type=int, default=20000,
                    help="distinct chains the inputs cycle through (default 20000)")
    ap.add_argument("--unique", type=int, default=0,
                    help="also scan an input of N distinct chains (default 0: no)")
    ap.add_argument("--gzip", action="store_true", help="write the inputs gzip-compressed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pin-single", type=int, metavar="CPU",
                    help="pin the 1-thread runs to this CPU (default: not pinned)")
    args = ap.parse_args()

    build = args.build.resolve()
    if not (build / "python" / "chainval").is_dir():
        ap.error(f"{build}/python/chainval missing: build with -Dpython=true")
    if not Path("/usr/bin/time").exists():
        ap.error("/usr/bin/time missing (apt-get install -y time)")
    work = (args.work or build / "scale").resolve()
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    threads = [int(x) for x in args.threads.split(",") if x]
    ext = ".jsonl.gz" if args.gzip else ".jsonl"
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty",
                          "--abbrev=12"], capture_output=True, text=True).stdout.strip()

    print("chainval scan scale benchmark")
    print(f"  git {git}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"build {build}")
    inputs = []  # (label, path, roots, expected_ok, rows)
    corpus = work / f"corpus-{args.distinct}-s{args.seed}"
    make_corpus(corpus, args.distinct, args.seed)
    chains = load_chains(corpus)
    for n in sizes:
        path = work / f"rows-{n}-of-{args.distinct}{ext}"
        exp = write_rows(path, chains, n, args.gzip)
        inputs.append((f"{n} rows ({args.distinct} distinct chains, cycled)", path,
                       corpus / "roots.pem", exp, n))
    del chains
    if args.unique:
        ucorpus = work / f"corpus-{args.unique}-s{args.seed}"
        gen = make_corpus(ucorpus, args.unique, args.seed)
        uchains = load_chains(ucorpus)
        path = work / f"rows-{args.unique}-unique{ext}"
        exp = write_rows(path, uchains, args.unique, args.gzip)
        del uchains
        inputs.append((f"{args.unique} rows (all distinct chains)", path,
                       ucorpus / "roots.pem", exp, args.unique))
        if gen:
            print(f"  (unique corpus: {args.unique / gen:.0f} chains/s generated)")

    results = []
    for label, path, roots, exp, n in inputs:
        for t in threads:
            pin = args.pin_single if t == 1 else None
            r = scan(build, path, roots, t, work / f"summary-{path.stem}-t{t}.json", pin)
            r.update(input=label, path=str(path), threads=t, expected_ok=exp,
                     size_mb=round(path.stat().st_size / 1e6, 1))
            bad = "" if (r["rows"] == n and r["ok"] == exp and not r["malformed"]) else \
                f"  MISMATCH: rows {r['rows']}/{n}, ok {r['ok']}/{exp}, malformed {r['malformed']}"
            cpu = r["user_s"] + r["sys_s"]
            print(f"  {label:46s} threads {t}: {r['rows_per_s']:9.0f} rows/s "
                  f"({r['elapsed_s']:.1f} s), {r['rows'] / cpu:8.0f} rows/CPU-s, "
                  f"CPU {r['cpu_percent']}, peak RSS {r['max_rss_kb'] / 1024:6.1f} MiB{bad}",
                  flush=True)
            results.append(r)
    out = work / time.strftime("results-%Y%m%d-%H%M%S.json")
    out.write_text(json.dumps({"git": git, "argv": sys.argv[1:], "results": results}, indent=1))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
