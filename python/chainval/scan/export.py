"""``chainval report --export DIR``: the report's aggregates as files for a notebook or
a spreadsheet: ``report.json`` (the summary, every table, the examples) and one CSV per
table (``issuer_code.csv``, ``anchor_code.csv``, ``store_differences.csv``,
``expiring.csv``, ``malformed.csv``) plus ``examples.csv``. Written with the csv and
json modules, each file replaced atomically."""

from __future__ import annotations

import csv
import io
import json
import os

from .errors import RunError, UsageError, os_reason
from .output import write_atomically

__all__ = ["check_export_dir", "write_export"]


def check_export_dir(folder: str) -> None:
    """Before any row is read: the folder can be made or written."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--export {folder}: not a directory")
    parent = os.path.dirname(os.path.abspath(folder))
    if not os.path.isdir(parent):
        raise UsageError(f"--export {folder}: the directory {parent} does not exist")


def _csv(columns: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return out.getvalue().encode()


def write_export(folder: str, data: dict) -> None:
    try:
        _write(folder, data)
    except OSError as e:
        raise RunError(f"--export {folder}: cannot write {e.filename or folder}: "
                       f"{os_reason(e)}") from None


def _write(folder: str, data: dict) -> None:
    os.makedirs(folder, exist_ok=True)
    write_atomically(os.path.join(folder, "report.json"),
                     (json.dumps(data, indent=1, default=str) + "\n").encode())
    for name, table in data["tables"].items():
        write_atomically(os.path.join(folder, f"{name}.csv"),
                         _csv(table["columns"], table["rows"]))
    columns = ["bucket", "id", "line", "source", "host", "time", "reasons", "leaf_sha256"]
    write_atomically(os.path.join(folder, "examples.csv"), _csv(columns, [
        [ex.get(c) if c != "reasons" else ";".join(ex["reasons"]) for c in columns]
        for ex in data["examples"]]))
