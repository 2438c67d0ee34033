"""The C scan engine (chainval._chainval._ScanEngine, issue 12) against the Python
path (formats.Input + scan.Scanner + json.dumps) on the same JSONL rows, in the same
run: rows per CPU-second for unique rows (first pass, empty cache) and for rows
already seen (verdict-cache hits). Until the engine is wired into `chainval scan`,
this is its measurement; the scan benchmark replaces it.

    PYTHONPATH=build/python python3 benchmarks/python/bench_scan_engine.py \\
        [samples/sample.jsonl.gz] [--roots samples/roots.pem] [--pool samples/pool.pem]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time

import chainval
from chainval import _chainval as C
from chainval.scan import Scanner, load_pool, load_store
from chainval.scan.formats import Input

AT = 1750000000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", nargs="?", default="samples/sample.jsonl.gz")
    ap.add_argument("--roots", default="samples/roots.pem")
    ap.add_argument("--pool", default="samples/pool.pem")
    ap.add_argument("--repeat", type=int, default=10)
    a = ap.parse_args()
    opener = gzip.open if a.input.endswith(".gz") else open
    with opener(a.input, "rb") as f:
        data = f.read()
    rows = data.count(b"\n")
    store, pool = load_store(a.roots), load_pool(a.pool)

    engine = C._ScanEngine([("default", store)], pool, chainval.Cache(max_bytes=64 << 20), 1,
                           AT, "jsonl", [a.input])
    t0 = time.process_time()
    engine.run_block(C._Reader(0, 16 << 20, "json"), data, True)
    unique = rows / (time.process_time() - t0)
    t0 = time.process_time()
    for _ in range(a.repeat):
        engine.run_block(C._Reader(0, 16 << 20, "json"), data, True)
    c_hits = rows * a.repeat / (time.process_time() - t0)

    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as tmp:
        tmp.write(data)
    try:
        scanner = Scanner([("default", store)], pool=pool, at=AT, threads=1)
        scanner.rows(list(Input(tmp.name).records()))  # fills the cache
        t0 = time.process_time()
        for _ in range(max(a.repeat // 3, 1)):
            out = scanner.rows(list(Input(tmp.name).records()))
            "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in out)
        py_hits = rows * max(a.repeat // 3, 1) / (time.process_time() - t0)
    finally:
        os.unlink(tmp.name)
    print(f"{rows} rows of {a.input}, 1 thread, CPU time")
    print(f"C engine, unique rows (empty cache):   {unique:10,.0f} rows/CPU-s")
    print(f"C engine, rows already seen:           {c_hits:10,.0f} rows/CPU-s")
    print(f"Python path, rows already seen:        {py_hits:10,.0f} rows/CPU-s")
    print(f"ratio C / Python on rows already seen: {c_hits / py_hits:10.2f}x")


if __name__ == "__main__":
    main()
