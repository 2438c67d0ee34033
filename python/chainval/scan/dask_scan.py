"""``chainval scan --dask``: the same scan, the same rows, on a Dask cluster.

The driver (the ``chainval scan`` process) plans the partitions: one per
input file, except uncompressed JSON lines files, which are cut into parts of
about ``--partition-size`` MiB at line ends (a part never splits a line). The
lines of those parts are counted first, by tasks, so that every part knows the
number of its first line and the rows say what a local scan says. Each part
is then a task: a worker verifies it with the C engine exactly as the local
scan does (:class:`.pipeline.Rows`, the same readers and batches), with the
trust stores, pool and cache it keeps per process (keyed by the stores'
content hashes), and writes its rows to ``OUT.parts/part-NNNNNN.rows``
(a temporary name, then a rename: a task killed part way leaves no half
file) and its summary counters to ``part-NNNNNN.json``. The driver takes the
parts in order, appends their rows to ``OUT.partial``, merges their full
counters, checkpoints between parts, and renames ``OUT.partial`` to ``OUT``
at the end, as the local scan does; ``OUT.parts`` is removed once ``OUT`` is
complete. ``--resume`` reuses every part already complete.

A worker that dies is Dask's to handle: its task runs again elsewhere and
writes the same part (rows are a function of the input, the stores and the
options). dask.distributed is an optional dependency (``pip install
'chainval[dask]'``); nothing here imports it until ``--dask`` is used.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Callable, Optional, TextIO

import chainval

from .engine import Scanner
from .errors import RunError, UsageError, os_reason
from .formats import Input
from .formats.blocks import GZIP_MAGIC, BufferPool
from .formats.streams import absolute, input_exists, open_input
from .output import replaced_atomically, write_atomically
from .pipeline import Rows, units
from .stores import fingerprint_of, load_pool, load_store
from .summary import Summary

__all__ = ["DaskRows", "count_lines", "part_bytes", "parts_dir", "plan_partitions", "scan_part",
           "sets_of"]

INSTALL = "pip install 'chainval[dask]'"
MAX_LOCAL_WORKERS = 1024
PLAN_SCHEMA = 1
_PIECE = 4 << 20  # rows of a part are appended to OUT a piece at a time
MIN_PART = 4 << 20


# --------------------------------------------------------------------------- planning

def plan_partitions(inputs: list[Input], part_bytes: int) -> list[dict]:
    """The partitions of ``inputs``, in output order: a dict per part with
    ``input`` (its number), ``path``, ``format``, ``start`` and ``end``
    (a byte range; ``end`` None for a whole input), ``size`` (bytes, for
    progress) and ``first_line`` (None until the lines before it are
    counted). Only uncompressed ``jsonl``/``zgrab`` files larger than
    ``part_bytes`` are cut, each cut moved to the next line start."""
    parts: list[dict] = []
    for k, inp in enumerate(inputs):
        inp.open()  # detects the format
        inp.close()
        path = absolute(inp.path)
        size = inp.size or 0
        whole = {"input": k, "path": path, "shown": inp.path, "format": inp.format, "start": 0,
                 "end": None, "size": size, "first_line": 1}
        if inp.format not in ("jsonl", "zgrab") or inp.c_reader is None or size <= part_bytes:
            parts.append(whole)
            continue
        with open_input(path) as f:
            if f.read(2) == GZIP_MAGIC:
                parts.append(whole)
                continue
            cuts = [0]
            for at in range(part_bytes, size, part_bytes):
                if at <= cuts[-1]:
                    continue  # a line longer than a part: the cut moves past it
                end = _line_end(f, at - 1)
                if end >= size:
                    break
                cuts.append(end)
        for a, b in zip(cuts, cuts[1:] + [size]):
            parts.append({"input": k, "path": path, "shown": inp.path, "format": inp.format,
                          "start": a, "end": b, "size": b - a,
                          "first_line": 1 if a == 0 else None})
    for i, p in enumerate(parts):
        p["index"] = i
    return parts


def _line_end(f, at: int) -> int:
    """The offset just past the newline at or after ``at`` (the file's end
    when there is none), read in bounded blocks: a stretch of gigabytes
    without a newline is never held in memory."""
    f.seek(at)
    while True:
        block = f.read(1 << 20)
        if not block:
            return f.tell()
        nl = block.find(b"\n")
        if nl >= 0:
            return f.tell() - len(block) + nl + 1


def part_bytes(limit: int, inputs: list[Input], threads: int) -> int:
    """The size parts are cut to: --partition-size, or less, so that the
    inputs make at least two parts per worker thread (a 40 MB file on a
    16-thread cluster is not one task); never under MIN_PART (a part costs
    ~9 ms of scheduling: benchmarks/python/bench_scan_dask.py)."""
    total = sum(inp.size or 0 for inp in inputs)
    return max(min(limit, -(-total // (2 * threads))), min(limit, MIN_PART))


def count_lines(path: str, start: int, end: int) -> int:
    """Newlines in bytes start..end of ``path`` (a worker's task)."""
    n = 0
    with open_input(path) as f:
        f.seek(start)
        left = end - start
        while left > 0:
            block = f.read(min(left, 16 << 20))
            if not block:
                break
            n += block.count(b"\n")
            left -= len(block)
    return n


# --------------------------------------------------------------------------- workers

_STATE_LOCK = threading.Lock()
_STATE: dict[str, tuple] = {}  # per worker process: the sets' key -> (stores, pool, cache)
_STATE_KEEP = 4


def _worker_sets(sets: dict) -> tuple:
    """The trust stores, pool and cache of ``sets``, loaded once per worker
    process and shared by the tasks it runs (the cache is thread-safe)."""
    key = json.dumps(sets, sort_keys=True)
    with _STATE_LOCK:
        state = _STATE.get(key)
        if state is not None:
            return state
        stores = []
        for s in sets["stores"]:
            _same_content(s["path"], s["sha256"], f"trust store {s['name']}")
            store = load_store(s["path"])
            for fingerprint, when in sets["distrust_after"]:
                store.distrust_after(fingerprint, when)
            stores.append((s["name"], store))
        pool = None
        if sets["pool"] is not None:
            _same_content(sets["pool"]["path"], sets["pool"]["sha256"], "--pool")
            pool = load_pool(sets["pool"]["path"])
        cache = chainval.Cache(max_bytes=sets["cache_bytes"]) if sets["cache_bytes"] else None
        if len(_STATE) >= _STATE_KEEP:
            _STATE.clear()
        state = _STATE[key] = (stores, pool, cache)
        return state


def _task_sonar(job: dict) -> Any:
    """The Sonar certificates database the driver filled, opened for this
    task (cheap; a database rebuilt at the same path between scans is then
    never the old one), knowing the certs files the driver was given and the
    siblings it looked for in vain, so that messages are the local scan's."""
    from .formats.sonar import SonarCerts

    certs = SonarCerts(job["sonar_db"])
    certs._given, certs._absent = list(job["sonar_given"]), list(job["sonar_absent"])
    return certs


def _same_content(path: str, sha256: Optional[str], what: str) -> None:
    if sha256 is None:
        return
    if path != "system" and not os.path.exists(path):
        raise RuntimeError(f"{what}: {path}: no such file or directory on this worker "
                           "(stores must be on a path every worker reads)")
    here = fingerprint_of(path)  # "system": the OS bundle, which may differ per machine
    if here != sha256:
        raise RuntimeError(f"{what}: {path} on this worker is not the file the scan was "
                           "started with (its SHA-256 differs)")


def _versions() -> tuple[str, str]:
    return chainval.__version__, chainval.GNUTLS_VERSION


def scan_part(job: dict) -> dict:
    """Verify one partition and write its part files (a worker's task).
    Returns what ``part-NNNNNN.json`` holds: rows, counters, warnings."""
    if _versions() != tuple(job["versions"]):
        raise RuntimeError(f"this worker runs chainval {chainval.__version__} with GnuTLS "
                           f"{chainval.GNUTLS_VERSION}; the scan was started with chainval "
                           f"{job['versions'][0]} with GnuTLS {job['versions'][1]}")
    stores, pool, cache = _worker_sets(job["sets"])
    scanner = Scanner(stores, pool=pool, at=job["at"], threads=job["threads"],
                      with_source=job["with_source"], output=job["output"],
                      sources=job["sources"], cache=cache,
                      cache_bytes=job["sets"]["cache_bytes"])
    part = job["part"]
    k = part["input"]
    byte_range = None if part["end"] is None else (part["start"], part["end"])
    sonar = _task_sonar(job) if part["format"] == "sonar" else None
    inp = Input(part["path"], part["format"], host_from=job["host_from"],
                byte_range=byte_range, first_line=part["first_line"], sonar_certs=sonar,
                shown=part["shown"])
    if not input_exists(part["path"]):
        raise RuntimeError(f"{part['path']}: no such file or directory on this worker "
                           "(inputs must be on a path every worker reads)")
    messages = io.StringIO()
    buffers = BufferPool()
    engine = Rows(scanner, {k: inp}, 0, job["batch"], messages, buffers)
    rows = 0
    try:
        # A task killed part way leaves no part file; one run twice writes the same bytes.
        with replaced_atomically(_part_path(job["dir"], part["index"], ".rows")) as f:
            for unit in units([(k, inp)], job["batch"], buffers):
                for data in engine.rows(unit):
                    f.write(data)
                    rows += data.count(b"\n")
    finally:
        inp.close()
        if sonar is not None:
            sonar.close()
    done = {"index": part["index"], "rows": rows, "counts": scanner.counts(),
            "warnings": messages.getvalue()}
    write_atomically(_part_path(job["dir"], part["index"], ".json"),
                     (json.dumps(done) + "\n").encode())
    return done


def _part_path(folder: str, index: int, suffix: str) -> str:
    return os.path.join(folder, f"part-{index:06d}{suffix}")


def parts_dir(output: str) -> str:
    """The folder of the part files beside ``output``."""
    return output + ".parts"


# --------------------------------------------------------------------------- the driver

def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(f"--dask needs dask.distributed, which is not installed: {INSTALL}") \
            from None
    return distributed


def _connect(distributed: Any, spec: str, stderr: TextIO, quiet: bool) -> tuple[Any, Any]:
    """A client of the cluster ``spec`` names (and the LocalCluster started
    for ``local[:N]``). The connect timeout is Dask's own setting
    (``distributed.comm.timeouts.connect``), as are its TLS settings."""
    cluster, dashboard = None, False
    if spec == "local" or spec.startswith("local:"):
        n = spec.partition(":")[2]
        try:
            workers = int(n) if n else (os.cpu_count() or 1)
        except ValueError:
            workers = 0
        if not 1 <= workers <= MAX_LOCAL_WORKERS:
            raise UsageError(f"--dask {spec}: local:N needs N between 1 and "
                             f"{MAX_LOCAL_WORKERS}")
        import importlib.util
        import logging
        dashboard = importlib.util.find_spec("bokeh") is not None
        try:
            # a free port: 8787 may be another cluster's
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=":0", silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        except Exception as e:  # noqa: BLE001 - any failure to start is one message
            if cluster is not None:
                cluster.close()
            raise RunError(f"--dask {spec}: cannot start a local cluster: {e}") from None
    else:
        import logging
        # Its own tracebacks (a lost scheduler, say) would bury the one line
        # the command prints; the cluster's logs stay on the cluster.
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        try:
            client = distributed.Client(spec)
        except (OSError, TimeoutError, ValueError) as e:
            raise RunError(f"--dask: cannot reach the Dask scheduler at {spec}: {e}",
                           "check the address (tcp://HOST:PORT or tls://HOST:PORT) and that "
                           "the scheduler runs") from None
    if not quiet:
        link = dashboard_link(client) if cluster is None or dashboard else None
        stderr.write(f"chainval scan: on Dask {client.scheduler.address}"
                     + (f", dashboard {link}" if link else "") + "\n")
    return client, cluster


def dashboard_link(client: Any) -> Optional[str]:
    """The scheduler's dashboard, when it runs one (it needs bokeh)."""
    try:
        port = client.scheduler_info().get("services", {}).get("dashboard")
        host = client.scheduler.address.split("://", 1)[-1].rsplit(":", 1)[0]
    except Exception:  # noqa: BLE001 - only decides whether a link is printed
        return None
    return f"http://{host}:{port}/status" if port else None


class DaskRows:
    """The rows of a ``--dask`` scan, for command.py's loop (as
    :class:`.pipeline.LocalRows`): ``batches()`` yields ``(input index,
    rows, position)`` part by part, in order; ``at_boundary`` is true
    between parts only, where ``counts()`` covers every row yielded."""

    def __init__(self, args: Any, inputs: list[Input], params: dict, sets: dict,
                 sonar: Any, stderr: TextIO) -> None:
        if any(inp.path == "-" for inp in inputs):
            raise UsageError("--dask cannot read stdin (-): give input files every worker "
                             "can read")
        if args.output == "-" or (os.path.exists(args.output)
                                  and not os.path.isfile(args.output)):
            raise UsageError("--dask needs -o OUT, a regular file on a filesystem every "
                             "worker can write (the parts are written beside it)")
        distributed = _import_distributed()
        self._distributed = distributed
        self.args, self.stderr = args, stderr
        self.names = [s["name"] for s in sets["stores"]]
        self.parts = plan_partitions(inputs, args.partition_size << 20)
        self.sonar_db = None
        if any(p["format"] == "sonar" for p in self.parts):
            if not args.sonar_db:
                raise UsageError("--dask with Sonar inputs needs --sonar-db PATH, on a "
                                 "filesystem every worker reads: the certificates are loaded "
                                 "into it once, here, and read by the workers")
            self.sonar_db = os.path.abspath(args.sonar_db)
            sonar.load()
        # Every worker must find the parts where the driver does.
        self.dir = parts_dir(os.path.abspath(args.output))
        self.params = params
        self.client, self.cluster = _connect(distributed, args.dask, stderr, args.quiet)
        self.job = {"versions": list(_versions()), "sets": sets, "at": params["at"],
                    "threads": args.threads or 1, "with_source": len(inputs) > 1,
                    "output": args.format, "sources": [inp.name for inp in inputs],
                    "host_from": args.host_from, "batch": args.batch, "dir": self.dir,
                    "sonar_db": self.sonar_db,
                    "sonar_given": list(getattr(sonar, "_given", [])),
                    "sonar_absent": list(getattr(sonar, "_absent", []))}
        self.futures: dict[int, Any] = {}
        self.done: dict[int, dict] = {}
        self.skip_parts = 0
        self.stopped = False
        self.at_boundary = True
        self._summary = Summary(self.names)
        try:
            self._check_workers()
            threads = sum(self.client.nthreads().values()) or 1
            self.parts = plan_partitions(inputs, part_bytes(args.partition_size << 20,
                                                            inputs, threads))
        except BaseException:
            self.close()
            raise

    def _check_workers(self) -> None:
        try:
            self.client.wait_for_workers(1, timeout=_timeout())
            versions = self.client.run(_versions)
        except (OSError, TimeoutError) as e:
            raise RunError(f"--dask: no worker answered: {_reason(e)}") from None
        except Exception as e:  # noqa: BLE001 - e.g. a worker without chainval
            raise RunError(f"--dask: cannot ask the workers which chainval they run: "
                           f"{_reason(e)} (every worker needs chainval installed)") from None
        mine = _versions()
        other = {w: v for w, v in versions.items() if tuple(v) != mine}
        if other:
            w, v = next(iter(other.items()))
            raise RunError(f"--dask: worker {w} runs chainval {v[0]} with GnuTLS {v[1]}, "
                           f"this process chainval {mine[0]} with GnuTLS {mine[1]}: every "
                           "worker must run the same chainval")

    def start(self, resumed: int, resume: bool) -> None:
        """After OUT.partial is open: reuse or start the parts folder, count
        the lines before each cut, and submit the parts not yet complete."""
        plan_file = os.path.join(self.dir, "plan.json")
        if resume and os.path.exists(plan_file):
            with open(plan_file, "rb") as f:
                old = json.load(f)
            if (old.get("schema"), old.get("parameters"), old.get("partition_size")) != \
                    (PLAN_SCHEMA, self.params, self.args.partition_size):
                raise UsageError(f"--resume: {plan_file} is another scan's plan (other inputs, "
                                 "options or --partition-size): start again without --resume")
            self.parts = old["parts"]  # as cut then, whatever the cluster's size is now
            self._load_done()
        else:
            if os.path.isdir(self.dir) and os.listdir(self.dir):
                if not _ours(self.dir, plan_file):
                    raise UsageError(f"{self.dir} exists and is not chainval's: remove it or "
                                     "choose another -o")
                shutil.rmtree(self.dir)  # an earlier scan's parts: OUT.partial is gone
            os.makedirs(self.dir, exist_ok=True)
        if resumed:
            self._skip(resumed)
        # The plan before the counting (which may be interrupted), and after it.
        self._write_plan(plan_file)
        if any(p["first_line"] is None for p in self.parts):
            self._count_lines()
            self._write_plan(plan_file)
        for p in self.parts[self.skip_parts:]:
            if p["index"] not in self.done:
                self.futures[p["index"]] = self.client.submit(
                    scan_part, {**self.job, "part": p}, pure=False,
                    key=f"chainval-scan-part-{p['index']}-{uuid.uuid4().hex[:8]}")

    def _write_plan(self, plan_file: str) -> None:
        write_atomically(plan_file, (json.dumps(
            {"schema": PLAN_SCHEMA, "parameters": self.params,
             "partition_size": self.args.partition_size, "parts": self.parts}, indent=1)
            + "\n").encode())

    def _load_done(self) -> None:
        for p in self.parts:
            meta = _part_path(self.dir, p["index"], ".json")
            if os.path.exists(meta) and os.path.exists(_part_path(self.dir, p["index"], ".rows")):
                with open(meta, "rb") as f:
                    self.done[p["index"]] = json.load(f)

    def _skip(self, resumed: int) -> None:
        """--resume: the parts whose rows OUT.partial already holds (its
        checkpoints fall between parts)."""
        rows = 0
        while rows < resumed and self.skip_parts < len(self.parts):
            d = self.done.get(self.parts[self.skip_parts]["index"])
            if d is None:
                break
            rows += d["rows"]
            self.skip_parts += 1
        if rows != resumed:
            raise UsageError(f"--resume: {self.dir} does not match the {resumed:,} rows already "
                             "written: start again without --resume")

    def _count_lines(self) -> None:
        """first_line of every part cut from the middle of a file: 1 + the
        newlines of the parts before it, counted by tasks."""
        todo = [p for p in self.parts if p["first_line"] is None]
        if not todo:
            return
        before = [p for p in self.parts if p["end"] is not None and
                  any(q["input"] == p["input"] and q["start"] > p["start"] for q in todo)]
        futures = self.client.map(count_lines, [p["path"] for p in before],
                                  [p["start"] for p in before], [p["end"] for p in before],
                                  pure=False)
        counts = self._gather(futures, "counting lines")
        lines: dict[int, int] = {}
        for p, n in zip(before, counts):
            lines[p["index"]] = n
        for p in todo:
            p["first_line"] = 1 + sum(n for i, n in lines.items()
                                      if self.parts[i]["input"] == p["input"]
                                      and self.parts[i]["start"] < p["start"])

    def _gather(self, futures: list, what: str) -> list:
        try:
            return self.client.gather(futures)
        except Exception as e:  # noqa: BLE001 - a task's error, whatever its type
            raise RunError(f"--dask: {what} failed on a worker: {_reason(e)}") from None

    def _wait(self, part: dict, stop: Callable[[], bool]) -> Optional[dict]:
        i = part["index"]
        if i in self.done:
            return self.done[i]
        future = self.futures[i]
        # Polled with done(), a local look at the future's state: result(timeout=)
        # goes through distributed.utils.sync(), where a timeout racing the
        # result's arrival can leave it with neither (UnboundLocalError 'result',
        # seen with distributed 2026.8.0), which would fail a sound part.
        while not future.done():
            if stop():
                return None
            time.sleep(0.05)
        # Done: result() returns at once. (Should the worker holding it die just
        # now, Dask recomputes the part and result() waits for that without
        # looking at stop(): a narrow window, taken over a lost part.)
        try:
            self.done[i] = future.result()
        except Exception as e:  # noqa: BLE001 - a task's error, whatever its type
            end = "end" if part["end"] is None else part["end"]
            raise RunError(f"--dask: part {i} ({part['path']}, bytes {part['start']} to "
                           f"{end}) failed: {_reason(e)}",
                           "rows of the parts before it are kept: fix the cause, then "
                           "run the same command with --resume") from None
        # Let go of it: Dask would recompute a finished part it still holds
        # when the worker that holds it dies.
        self.futures.pop(i, None)
        return self.done[i]

    def batches(self, stop: Callable[[], bool]) -> Iterator[tuple[int, bytes, int, int]]:
        """(input index, rows, number of rows, position) as LocalRows.batches."""
        pos = sum(p["size"] for p in self.parts[:self.skip_parts])
        for part in self.parts[self.skip_parts:]:
            done = self._wait(part, stop)
            if done is None:
                self.stopped = True
                return
            if done["warnings"]:
                self.stderr.write(done["warnings"])
            k = part["input"]
            rows_file = _part_path(self.dir, part["index"], ".rows")
            try:
                f = open(rows_file, "rb")
            except OSError as e:
                raise RunError(f"--dask: cannot read {rows_file}, which a worker wrote: "
                               f"{os_reason(e)} (-o must be on a filesystem the workers "
                               "and this machine share)") from None
            with f:
                carry = b""
                while True:
                    data = f.read(_PIECE)
                    if not data:
                        break
                    data = carry + data
                    cut = data.rfind(b"\n") + 1
                    carry = data[cut:]
                    if cut:
                        self.at_boundary = False
                        yield k, data[:cut], data.count(b"\n", 0, cut), pos
            if carry:
                raise RunError(f"--dask: {_part_path(self.dir, part['index'], '.rows')} ends "
                               "inside a row: it was changed; start again without --resume")
            pos += part["size"]
            self._summary.merge(done["counts"])
            self.at_boundary = True
            yield k, b"", 0, pos  # between parts: a checkpoint may follow
            if stop():
                self.stopped = True
                return

    def take_interrupt(self) -> bool:
        return False

    def counts(self) -> dict:
        return self._summary.counters()

    def cache_stats(self) -> Optional[dict]:
        return None  # the workers' caches: their own, not summed here

    def finish(self, complete: bool) -> None:
        if complete:
            shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        """Cancel what is left and let go of the cluster (twice is harmless)."""
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        futures, self.futures = [f for f in self.futures.values() if not f.done()], {}
        if client is not None and futures:
            try:
                client.cancel(futures)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        for thing in (client, cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass


def _ours(folder: str, plan_file: str) -> bool:
    """A parts folder this code wrote: its plan and part files only."""
    try:
        with open(plan_file, "rb") as f:
            if json.load(f).get("schema") != PLAN_SCHEMA:
                return False
    except (OSError, ValueError):
        return False
    return all(n == "plan.json" or n.startswith(("part-", ".tmp-")) for n in os.listdir(folder))


def _timeout() -> float:
    import dask
    return float(dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"),
                                            default="s"))


def _reason(e: BaseException) -> str:
    name = type(e).__name__
    if name == "KilledWorker":
        return "the workers running it died again and again (Dask's allowed-failures)"
    return " ".join(str(e).split()) or name  # one line


def sets_of(stores_info: list[dict], pool_info: Optional[dict],
            distrust_after: list[tuple[str, int]], cache_bytes: int) -> dict:
    """What a worker loads (by path, checked by SHA-256): the trust stores,
    the pool, --distrust-after (its (fingerprint, unix seconds) pairs, as the
    scan parsed and checked them), the cache's bound."""
    distrust = [[fingerprint, when] for fingerprint, when in distrust_after]
    return {"stores": [{"name": s["name"], "path": s["path"], "sha256": s["sha256"]}
                       for s in stores_info],
            "pool": None if pool_info is None else {"path": pool_info["path"],
                                                    "sha256": pool_info["sha256"]},
            "distrust_after": distrust, "cache_bytes": cache_bytes}

