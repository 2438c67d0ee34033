#!/usr/bin/env python3
"""chainval report at scale (issue 15): rows per second and peak RSS of the report
over generated scan output, to show time linear in rows and memory bounded by the
distinct issuers, anchors and reasons (not by the rows).

    python3 benchmarks/python/bench_report.py [--build build-release] [--rows 100000,1000000]
        [--issuers 5000] [--anchors 60] [--work DIR]

Each size is a JSONL file of output rows shaped as chainval scan writes them (two
stores, ~15 % failing over ten codes, 1 % malformed, issuers and anchors drawn from a
fixed set with a long tail, leaves expiring over three years), generated once into
--work (default BUILD/scale) and reused. ``chainval report`` runs as a child under
/usr/bin/time (peak RSS) with ``--export`` (every aggregate computed and written).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
CODES = ["expired", "hostname_mismatch", "untrusted_root", "not_yet_valid", "missing_issuer",
         "bad_signature", "key_usage", "name_constraints", "revoked", "path_length"]


def generate(path: Path, rows: int, issuers: int, anchors: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    t0 = 1735689600  # 2025-01-01
    issuer_names = [f"CN=Generated Issuing CA {i:05d},O=Bench Trust Services,C=US"
                    for i in range(issuers)]
    anchor_names = [f"CN=Generated Root {i:03d},O=Bench Roots,C=US" for i in range(anchors)]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        for i in range(rows):
            issuer = issuer_names[min(int(rnd.paretovariate(1.2)) - 1, issuers - 1)]
            anchor = anchor_names[min(int(rnd.paretovariate(1.5)) - 1, anchors - 1)]
            r = rnd.random()
            if r < 0.01:
                row = {"id": f"r{i}", "line": i + 1, "host": None, "time": t0, "ok": False,
                       "code": "malformed", "reasons": [], "path": [], "anchor": None,
                       "issuer": None, "not_after": None, "stores": {},
                       "flags": [], "error": rnd.choice(["invalid JSON: x", "chain[0]: bad"])}
            else:
                ok = r > 0.16
                code = "ok" if ok else rnd.choice(CODES)
                other_ok = ok and rnd.random() > 0.02
                end = t0 + rnd.randrange(-30, 3 * 365) * 86400
                row = {"id": f"r{i}", "line": i + 1, "host": f"h{i}.example.com", "time": t0,
                       "ok": ok, "code": code, "reasons": [] if ok else [{"code": code, "depth": 0, "message": code}],
                       "path": [f"{rnd.getrandbits(256):064x}"], "anchor": anchor if ok else None,
                       "issuer": issuer,
                       "not_after": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end)),
                       "stores": {"default": {"ok": ok, "code": code, "anchor": anchor},
                                  "other": {"ok": other_ok,
                                            "code": "ok" if other_ok else "untrusted_root",
                                            "anchor": anchor if other_ok else None}},
                       "flags": [], "error": None}
            f.write(json.dumps(row, separators=(",", ":")) + "\n")
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=REPO / "build-release")
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--issuers", type=int, default=5000)
    ap.add_argument("--anchors", type=int, default=60)
    ap.add_argument("--work", type=Path)
    a = ap.parse_args()
    work = (a.work or a.build / "scale").resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(a.build.resolve() / "python"))
    print(f"bench_report: chainval report over generated scan output ({a.issuers} issuers, "
          f"{a.anchors} anchors); build {a.build}")
    print("| rows | file | wall | CPU | rows/s | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in [int(x) for x in a.rows.split(",")]:
        src = work / f"report-rows-{n}.jsonl"
        if not src.exists():
            generate(src, n, a.issuers, a.anchors)
        out = work / f"report-rows-{n}.html"
        timing = work / "report-time.txt"
        t = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(timing), sys.executable,
                        "-m", "chainval", "report", str(src), "-o", str(out), "-q",
                        "--export", str(work / f"report-export-{n}")], env=env, check=True)
        wall = time.perf_counter() - t
        e, u, s_, m = timing.read_text().split()[-4:]
        cpu = float(u) + float(s_)
        print(f"| {n:,} | {src.stat().st_size / 1e6:,.0f} MB | {wall:.1f} s | {cpu:.1f} s | "
              f"{n / wall:,.0f} | {int(m) / 1024:,.0f} MiB |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
