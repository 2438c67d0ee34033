"""Golden files: `chainval scan` over every input format writes the rows the
Python scanner wrote before the C engine replaced it (tests/data/scan-golden,
made by tests/python/_golden.py from a deterministic PKI), except for the
changes issue 12 lists, each documented in docs/scan.md ("What changed in 0.2"):

* an id that cannot be read is null (it was the line number);
* each `stores` entry carries its own `anchor` (new field);
* the message of a malformed row read in C may be worded differently;
* a zgrab2 connection that served no certificate has code ``no_chain`` (it was
  ``malformed``); the golden zgrab2 run passes ``--host-from ip``, 0.1's rule.

Everything else (row order, line numbers, verdicts, reasons and their messages,
paths, anchors, issuers, dates, flags, times) must be identical."""

from __future__ import annotations

import csv
import io
import json

import pytest

from chainval.cli import main as cli_main
from _golden import GOLDEN, RUNS, GoldenPKI, scan_args, write_inputs


@pytest.fixture(scope="module")
def golden_env(tmp_path_factory):
    d = tmp_path_factory.mktemp("golden")
    pki = GoldenPKI()
    return write_inputs(pki, d / "inputs"), pki.stores(d / "stores"), d


def _normalise(old: dict, new: dict) -> tuple[dict, dict]:
    old, new = dict(old), dict(new)
    if new.get("id") is None and old.get("id") == old.get("line"):
        old["id"] = None
    stores = {}
    for name, entry in new.get("stores", {}).items():
        assert set(entry) <= {"ok", "code", "anchor"}, entry
        stores[name] = {"ok": entry["ok"], "code": entry["code"]}
    new["stores"] = stores
    if old.get("code") == "malformed" and new.get("code") == "no_chain":
        # A zgrab2 connection that served nothing: "no_chain" since 0.2.
        assert old["error"].startswith("zgrab: no server certificates"), old
        old["code"] = "no_chain"
        old["stores"] = {k: {"ok": False, "code": "no_chain"} for k in old["stores"]}
    if old.get("code") in ("malformed", "no_chain"):
        assert bool(new.get("error")) == bool(old.get("error")), (old, new)
        old["error"] = new["error"] = bool(old.get("error"))
    return old, new


@pytest.mark.parametrize("name,key,extra", RUNS, ids=[r[0] for r in RUNS])
def test_rows_equal_the_golden_rows(golden_env, name, key, extra):
    inputs, stores, d = golden_env
    as_csv = "--format" in extra and "csv" in extra
    golden = GOLDEN / (name + (".csv" if as_csv else ".jsonl"))
    out = d / golden.name
    assert cli_main(scan_args(inputs, stores, key, extra, out)) == 0
    if as_csv:
        want = list(csv.DictReader(io.StringIO(golden.read_text())))
        got = list(csv.DictReader(io.StringIO(out.read_text())))
        assert len(got) == len(want)
        for old, new in zip(want, got):
            if old["code"] == "malformed":
                old["error"] = new["error"] = str(bool(old["error"]))
                if new["id"] == "" and old["id"] == old["line"]:
                    old["id"] = ""
            assert new == old
        return
    want = [json.loads(x) for x in golden.read_text().splitlines()]
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["line"] for r in got] == [r["line"] for r in want]
    for old, new in zip(want, got):
        if "anchor" in next(iter(new["stores"].values())):
            # The new per-store anchor: the first store's is the row's.
            assert next(iter(new["stores"].values()))["anchor"] == new["anchor"]
        old, new = _normalise(old, new)
        assert new == old, (name, old["line"])
