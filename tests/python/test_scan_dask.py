"""chainval scan --dask (issue 13): the same rows as the local scan, byte for byte, on a
LocalCluster of 2 worker processes (loopback only); parts cut inside long lines;
a worker killed part way; --resume; and the errors that must be one clear line."""

from __future__ import annotations

import gzip
import json
import os
import signal

import pytest

from _support import free_port
from _scan_support import (T_LATE, csv_line, jsonl_line, paths, pki,  # noqa: F401
                           run_cli, zgrab_line)

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                  "(pip install 'chainval[dask]')")

AT = "2025-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as c:
        yield c


@pytest.fixture(scope="module")
def address(cluster) -> str:
    return cluster.scheduler_address


def _rows(pki, n: int, long_every: int = 0) -> str:
    """n JSON lines of every kind: ok, expired, bad signature, other root,
    precertificate, malformed, blank, and (every ``long_every``) a line of
    ~300 KB so that parts are cut inside long lines."""
    chains = [pki.ok_chain, [pki.expired.der, pki.inter.der], [pki.bad_sig, pki.inter.der],
              [pki.other_leaf.der, pki.other_inter.der], [pki.leaf2.der],
              [pki.short.der, pki.inter.der]]
    out = []
    for i in range(n):
        if i % 97 == 5:
            out.append('{"id": "broken", "chain": [')
        elif i % 89 == 7:
            out.append("")
        elif long_every and i % long_every == 3:
            obj = json.loads(jsonl_line(pki.ok_chain, id=f"long-{i}"))
            obj["pad"] = "x" * 300_000
            out.append(json.dumps(obj))
        else:
            out.append(jsonl_line(chains[i % len(chains)], id=f"r{i}",
                                  host="api.example.com" if i % 11 == 0 else "www.example.com"))
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def inputs(pki, tmp_path_factory):
    d = tmp_path_factory.mktemp("dask-inputs")
    big = d / "big.jsonl"
    big.write_text(_rows(pki, 1200, long_every=150))  # ~2.5 MB: 3 parts of 1 MiB
    assert big.stat().st_size > 2 << 20
    gz = d / "small.jsonl.gz"
    gz.write_bytes(gzip.compress(_rows(pki, 300).encode()))
    csv = d / "rows.csv"
    csv.write_text("id,host,chain\n" + "".join(
        csv_line(f"c{i}", "www.example.com", pki.ok_chain if i % 3 else [pki.bad_sig]) + "\n"
        for i in range(50)) + 'q1,www.example.com,""\n')
    zgrab = d / "zgrab.jsonl"
    zgrab.write_text("".join(zgrab_line(pki.ok_chain, domain="www.example.com") + "\n"
                             for _ in range(40)))
    return {"big": big, "gz": gz, "csv": csv, "zgrab": zgrab, "dir": d}


def _scan(capsys, out, *args):
    return run_cli(capsys, "scan", *args, "-o", out, "--at", AT, "--progress", "never")


def _summary_without_timing(path) -> dict:
    meta = json.loads(open(str(path) + ".meta.json").read())
    s = meta["summary"]
    for k in ("elapsed_s", "rows_per_s", "cache", "output"):
        s.pop(k, None)
    return s


def _same_as_local(capsys, tmp_path, address, *args, fmt="jsonl"):
    local, dist = tmp_path / f"local.{fmt}", tmp_path / f"dask.{fmt}"
    a = _scan(capsys, local, *args, "--format", fmt)
    assert a.status == 0, a.err
    b = _scan(capsys, dist, *args, "--format", fmt, "--dask", address, "--partition-size", "1")
    assert b.status == 0, b.err
    assert "Traceback" not in b.err
    assert dist.read_bytes() == local.read_bytes()
    assert _summary_without_timing(dist) == _summary_without_timing(local)
    assert not os.path.exists(str(dist) + ".parts"), "the parts folder is removed when done"
    return local, dist


def test_partitions_never_split_lose_or_repeat_a_line(pki, inputs):
    from chainval.scan.dask_scan import count_lines, plan_partitions
    from chainval.scan.formats import Input

    big = inputs["big"]
    for size in (1 << 16, 100_000, 1 << 20, 3 << 20):
        parts = plan_partitions([Input(str(big))], size)
        data = big.read_bytes()
        assert parts[0]["start"] == 0 and parts[-1]["end"] in (None, len(data))
        if len(data) > size:
            assert len(parts) > 1
        for a, b in zip(parts, parts[1:]):
            assert a["end"] == b["start"]
            assert data[b["start"] - 1:b["start"]] == b"\n", "a part starts at a line start"
        total = sum(count_lines(str(big), p["start"], p["end"] or len(data)) for p in parts)
        assert total == data.count(b"\n")
    # gzip, CSV and zgrab-sized small files: one part each
    for name in ("gz", "csv"):
        assert len(plan_partitions([Input(str(inputs[name]))], 1)) == 1


def test_jsonl_with_long_lines_is_the_local_scan_byte_for_byte(pki, paths, inputs, tmp_path,
                                                              capsys, address):
    _same_as_local(capsys, tmp_path, address, inputs["big"], "--roots", paths["roots"])


def test_a_result_timeout_race_in_distributed_does_not_fail_a_part(pki, paths, inputs, tmp_path,
                                                                   capsys, address, monkeypatch):
    """distributed's Future.result(timeout=) can lose the result when the timeout races
    its arrival (UnboundLocalError 'result', seen with distributed 2026.8.0): the driver
    waits with done() and takes the result without a timeout, so a sound part never
    fails that way. Simulated here: result(timeout=...) always fails like that."""
    import distributed

    real = distributed.Future.result

    def racy(self, timeout=None):
        if timeout is not None:
            raise UnboundLocalError("cannot access local variable 'result' where it is not "
                                    "associated with a value")
        return real(self)

    monkeypatch.setattr(distributed.Future, "result", racy)
    _same_as_local(capsys, tmp_path, address, inputs["big"], "--roots", paths["roots"])


def test_several_inputs_multi_store_and_pool(pki, paths, inputs, tmp_path, capsys, address):
    local, _ = _same_as_local(
        capsys, tmp_path, address, inputs["big"], inputs["gz"], inputs["csv"], inputs["zgrab"],
        "--roots", paths["roots"], "--store", f"other={paths['other']}",
        "--pool", paths["pool"])
    sources = {json.loads(line)["source"] for line in local.read_text().splitlines()}
    assert len(sources) == 4


def test_distrust_after_reaches_the_workers(pki, paths, inputs, tmp_path, capsys, address):
    """The workers apply --distrust-after as the scan parsed it (RFC 3339 and
    unix seconds): the leaves issued in 2020 under the root are distrusted."""
    local, _ = _same_as_local(
        capsys, tmp_path, address, inputs["big"], "--roots", paths["roots"],
        "--store", f"other={paths['other']}",
        "--distrust-after", f"{pki.root.fingerprint}=2019-01-01T00:00:00Z",
        "--distrust-after", f"{pki.other_root.fingerprint}=1546300800")
    codes = {json.loads(line)["code"] for line in local.read_text().splitlines()}
    assert "distrusted" in codes and "ok" not in codes


def test_csv_output(pki, paths, inputs, tmp_path, capsys, address):
    _same_as_local(capsys, tmp_path, address, inputs["big"], inputs["csv"],
                   "--roots", paths["roots"], fmt="csv")


def test_local_cluster_from_the_command_line(pki, paths, inputs, tmp_path, capsys):
    local, dist = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert _scan(capsys, local, inputs["big"], "--roots", paths["roots"]).status == 0
    r = _scan(capsys, dist, inputs["big"], "--roots", paths["roots"], "--dask", "local:2",
              "--partition-size", "1")
    assert r.status == 0, r.err
    assert "on Dask tcp://127.0.0.1:" in r.err
    assert dist.read_bytes() == local.read_bytes()


def test_python_api_returns_the_summary(pki, paths, inputs, tmp_path, address):
    from chainval.scan import distributed as run_distributed

    out = tmp_path / "api.jsonl"
    summary = run_distributed([str(inputs["big"])], str(out), dask=address,
                              roots=str(paths["roots"]), at=AT, partition_size=1)
    rows = out.read_text().splitlines()
    assert summary["rows"] == len(rows) > 1000
    assert summary["verdicts"]["ok"] == sum('"ok": true' in r or '"ok":true' in r for r in rows)


class _KillOnce(distributed.WorkerPlugin):
    """Kill (SIGKILL) the worker process that starts running part ``index``,
    the first time only (a marker file remembers)."""

    def __init__(self, index: int, marker: str) -> None:
        self.index, self.marker = index, marker

    def transition(self, key, start, finish, **kwargs):
        name = key if isinstance(key, str) else str(key)
        if finish == "executing" and f"chainval-scan-part-{self.index}-" in name:
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_mid_task_loses_and_repeats_nothing(pki, paths, inputs, tmp_path,
                                                           capsys):
    local, dist = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert _scan(capsys, local, inputs["big"], inputs["gz"], "--roots",
                 paths["roots"]).status == 0
    marker = tmp_path / "killed"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as c, \
            distributed.Client(c) as client:
        client.register_plugin(_KillOnce(1, str(marker)), name="kill-once")
        r = _scan(capsys, dist, inputs["big"], inputs["gz"], "--roots", paths["roots"],
                  "--dask", c.scheduler_address, "--partition-size", "1")
    assert marker.exists(), "a worker was killed"
    assert r.status == 0, r.err
    ids = [json.loads(line)["id"] for line in dist.read_text().splitlines()]
    assert dist.read_bytes() == local.read_bytes()
    assert len(ids) == len(local.read_text().splitlines())


def test_resume_reuses_the_parts_already_done(pki, paths, inputs, tmp_path, capsys, address,
                                              monkeypatch):
    from chainval.scan import dask_scan

    local, dist = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    args = [inputs["big"], inputs["gz"], "--roots", paths["roots"], "--partition-size", "1",
            "--dask", address]
    assert _scan(capsys, local, *args[:4]).status == 0
    real_wait = dask_scan.DaskRows._wait

    def interrupted(self, part, stop):
        if part["index"] == 2:
            raise KeyboardInterrupt
        return real_wait(self, part, stop)

    monkeypatch.setattr(dask_scan.DaskRows, "_wait", interrupted)
    r = _scan(capsys, dist, *args)
    assert r.status == 130 and "--resume" in r.err
    assert not dist.exists() and os.path.exists(str(dist) + ".partial")
    parts = os.listdir(str(dist) + ".parts")
    assert {"part-000000.rows", "part-000001.rows", "part-000001.json"} <= set(parts)
    monkeypatch.setattr(dask_scan.DaskRows, "_wait", real_wait)
    submitted = []
    real_submit = distributed.Client.submit

    def spy(self, fn, *a, **kw):
        submitted.append(a[0]["part"]["index"])
        return real_submit(self, fn, *a, **kw)

    monkeypatch.setattr(distributed.Client, "submit", spy)
    r = _scan(capsys, dist, *args, "--resume")
    assert r.status == 0, r.err
    assert dist.read_bytes() == local.read_bytes()
    assert all(i >= 2 for i in submitted), f"parts 0 and 1 were done: {submitted}"


def test_resume_refuses_another_partition_size(pki, paths, inputs, tmp_path, capsys, address,
                                               monkeypatch):
    from chainval.scan import dask_scan

    dist = tmp_path / "dask.jsonl"
    monkeypatch.setattr(dask_scan.DaskRows, "_wait", lambda *a: (_ for _ in ()).throw(
        KeyboardInterrupt))
    args = [inputs["big"], "--roots", paths["roots"], "--dask", address]
    assert _scan(capsys, dist, *args, "--partition-size", "1").status == 130
    r = _scan(capsys, dist, *args, "--partition-size", "2", "--resume")
    assert r.status == 2 and "partition-size" in r.err and "Traceback" not in r.err


def test_an_unreachable_scheduler_is_one_line_not_a_hang(paths, inputs, tmp_path, capsys):
    import time

    import dask

    t0 = time.monotonic()
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        r = _scan(capsys, tmp_path / "o.jsonl", inputs["big"], "--roots", paths["roots"],
                  "--dask", f"tcp://127.0.0.1:{free_port()}")
    assert time.monotonic() - t0 < 30
    assert r.status == 1
    lines = r.err.strip().splitlines()
    assert "cannot reach the Dask scheduler" in lines[-1] and "Traceback" not in r.err
    assert not (tmp_path / "o.jsonl.partial").exists(), "nothing is written before it connects"


class _RemoveInput(distributed.WorkerPlugin):
    """The input disappears from the workers' view once a part starts."""

    def __init__(self, path: str) -> None:
        self.path = path

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and "chainval-scan-part-" in str(key) and \
                os.path.exists(self.path):
            os.rename(self.path, self.path + ".gone")


def test_an_input_missing_on_a_worker_is_one_clear_error(pki, paths, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(_rows(pki, 50))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as c, \
            distributed.Client(c) as client:
        client.register_plugin(_RemoveInput(str(src)), name="remove-input")
        r = _scan(capsys, tmp_path / "o.jsonl", src, "--roots", paths["roots"],
                  "--dask", c.scheduler_address)
    assert r.status == 1, r.err
    assert "Traceback" not in r.err
    assert f"{src}: no such file or directory on this worker" in r.err
    assert "--resume" in r.err


def test_refusals_before_anything_starts(pki, paths, inputs, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    r = _scan(capsys, tmp_path / "o.jsonl", inputs["big"], "--roots", bad, "--dask", "local:1")
    assert r.status == 2 and "trust store" in r.err and "Traceback" not in r.err
    r = run_cli(capsys, "scan", "-", "--roots", paths["roots"], "-o", tmp_path / "s.jsonl",
                "--dask", "local:1", stdin=b"")
    assert r.status == 2 and "stdin" in r.err
    r = run_cli(capsys, "scan", inputs["big"], "--roots", paths["roots"], "--dask", "local:1")
    assert r.status == 2 and "-o OUT" in r.err
    r = _scan(capsys, tmp_path / "o.jsonl", inputs["big"], "--roots", paths["roots"],
              "--dask", "local:0")
    assert r.status == 2 and "local:N" in r.err
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    r = _scan(capsys, tmp_path / "o.jsonl", inputs["big"], "--roots", paths["roots"],
              "--dask", "local:1")
    assert r.status == 2 and "pip install 'chainval[dask]'" in r.err
    assert not (tmp_path / "o.jsonl.partial").exists()


def test_a_different_chainval_on_a_worker_is_refused(pki, paths, inputs, tmp_path, capsys,
                                                     address, monkeypatch):
    import chainval

    monkeypatch.setattr(chainval, "__version__", "0.0.0-driver")  # this process only
    r = _scan(capsys, tmp_path / "o.jsonl", inputs["big"], "--roots", paths["roots"],
              "--dask", address)
    assert r.status == 1 and "every worker must run the same chainval" in r.err
    assert "0.0.0-driver" in r.err and not (tmp_path / "o.jsonl.partial").exists()


def test_sonar_inputs_read_their_certificates_from_the_shared_database(pki, paths, tmp_path,
                                                                      capsys, address):
    from test_scan_sonar import study

    hosts = [(f"192.0.2.{i}", pki.ok_chain if i % 3 else [pki.expired.der, pki.inter.der])
             for i in range(1, 40)]
    src = study(pki, tmp_path / "sonar", hosts)
    args = [src, "--roots", paths["roots"], "--host-from", "none"]
    r = _scan(capsys, tmp_path / "o.jsonl", *args, "--dask", address)
    assert r.status == 2 and "--sonar-db" in r.err
    local, dist = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert _scan(capsys, local, *args).status == 0
    r = _scan(capsys, dist, *args, "--dask", address, "--sonar-db", tmp_path / "certs.db")
    assert r.status == 0, r.err
    assert dist.read_bytes() == local.read_bytes()
    assert len(local.read_text().splitlines()) == len(hosts)


def test_inputs_given_as_urls_through_fsspec(pki, paths, inputs, tmp_path, capsys, address):
    fsspec = pytest.importorskip("fsspec")
    local = tmp_path / "local.jsonl"
    assert _scan(capsys, local, inputs["big"], "--roots", paths["roots"]).status == 0
    # file:// on the cluster (worker processes open it themselves), cut into parts
    dist = tmp_path / "dask.jsonl"
    r = _scan(capsys, dist, f"file://{inputs['big']}", "--roots", paths["roots"],
              "--dask", address, "--partition-size", "1")
    assert r.status == 0, r.err
    assert dist.read_bytes() == local.read_bytes()
    meta = json.loads((tmp_path / "dask.jsonl.meta.json").read_text())
    assert meta["parameters"]["inputs"][0]["path"] == f"file://{inputs['big']}"
    # memory:// in this process (the local scan), gzip included
    with fsspec.open("memory://scan/big.jsonl", "wb") as f:
        f.write(inputs["big"].read_bytes())
    with fsspec.open("memory://scan/small.jsonl.gz", "wb") as f:
        f.write(inputs["gz"].read_bytes())
    both = tmp_path / "both.jsonl"
    assert _scan(capsys, both, inputs["big"], inputs["gz"], "--roots", paths["roots"]).status == 0
    mem = tmp_path / "mem.jsonl"
    r = _scan(capsys, mem, "memory://scan/big.jsonl", "memory://scan/small.jsonl.gz",
              "--roots", paths["roots"])
    assert r.status == 0, r.err
    strip = [{k: v for k, v in json.loads(line).items() if k != "source"}
             for line in mem.read_text().splitlines()]
    assert strip == [{k: v for k, v in json.loads(line).items() if k != "source"}
                     for line in both.read_text().splitlines()]
    r = _scan(capsys, tmp_path / "x.jsonl", "memory://scan/missing.jsonl", "--roots",
              paths["roots"])
    assert r.status == 2 and "memory://scan/missing.jsonl: no such file" in r.err


def test_parts_are_cut_small_enough_for_every_worker(inputs):
    from chainval.scan.dask_scan import MIN_PART, part_bytes
    from chainval.scan.formats import Input

    class Sized:
        def __init__(self, size):
            self.size = size

    mib = 1 << 20
    assert part_bytes(64 * mib, [Sized(400_000_000)], 16) == 12_500_000
    assert part_bytes(64 * mib, [Sized(40 * mib), Sized(40 * mib)], 2) == 20 * mib
    assert part_bytes(64 * mib, [Sized(2 * mib)], 8) == MIN_PART  # not below 4 MiB
    assert part_bytes(1 * mib, [Sized(2 * mib)], 8) == 1 * mib    # the user's bound wins
    assert part_bytes(64 * mib, [Sized(10_000 * mib)], 4) == 64 * mib
    assert part_bytes(64 * mib, [Input(str(inputs["big"]))], 1) == MIN_PART


def test_a_cut_before_a_line_that_looks_like_gzip(pki, paths, tmp_path, capsys, address,
                                                  monkeypatch):
    from chainval.scan import dask_scan

    lines = [jsonl_line(pki.ok_chain, id=f"r{i}") for i in range(6)]
    lines[3] = "\x1f\x8b not gzip, a broken line"
    src = tmp_path / "in.jsonl"
    src.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    cut = src.read_bytes().index(b"\x1f\x8b")
    monkeypatch.setattr(dask_scan, "part_bytes", lambda limit, inputs, threads: cut)
    local, dist = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert _scan(capsys, local, src, "--roots", paths["roots"]).status == 0
    r = _scan(capsys, dist, src, "--roots", paths["roots"], "--dask", address)
    assert r.status == 0, r.err
    assert dist.read_bytes() == local.read_bytes()
    assert len(dist.read_text().splitlines()) == 6


def test_relative_inputs_and_output_are_the_local_scans(pki, paths, tmp_path, capsys, address,
                                                        monkeypatch):
    # The cluster's workers were started in another directory.
    (tmp_path / "leaf.pem").write_bytes(pki.leaf.pem + pki.inter.pem)
    (tmp_path / "rows.jsonl").write_text(_rows(pki, 20))
    monkeypatch.chdir(tmp_path)
    a = _scan(capsys, "local.jsonl", "leaf.pem", "rows.jsonl", "--roots", paths["roots"])
    b = _scan(capsys, "dask.jsonl", "leaf.pem", "rows.jsonl", "--roots", paths["roots"],
              "--dask", address)
    assert a.status == 0 and b.status == 0, b.err
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert '"id":"leaf.pem"' in (tmp_path / "dask.jsonl").read_text()


def test_interrupted_while_counting_lines_resumes(pki, paths, inputs, tmp_path, capsys,
                                                 address, monkeypatch):
    from chainval.scan import dask_scan

    local, dist = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    args = [inputs["big"], "--roots", paths["roots"], "--partition-size", "1", "--dask",
            address]
    assert _scan(capsys, local, *args[:3]).status == 0
    real = dask_scan.DaskRows._count_lines

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(dask_scan.DaskRows, "_count_lines", interrupted)
    r = _scan(capsys, dist, *args)
    assert r.status == 130, r.err
    monkeypatch.setattr(dask_scan.DaskRows, "_count_lines", real)
    r = _scan(capsys, dist, *args, "--resume")
    assert r.status == 0, r.err
    assert dist.read_bytes() == local.read_bytes()
