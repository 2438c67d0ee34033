"""The scanner application on the chainval library: served chains (TLS scans, CT logs,
PEM collections, Rapid7 Sonar) verified in bulk against one or more trust stores, one
output row per input record, a summary, and an HTML report.

The ``chainval`` command itself is :mod:`chainval.cli`. The modules of this package:

* ``command``: ``chainval scan``: its options, the checks before the first row, the run loop.
* ``pipeline``: records in, output rows out (the reading thread's units, the engine's rows).
* ``dask_scan``: ``--dask``: partitions, the workers' task, the driver merging the parts
  (dask.distributed is imported only there, and only when used).
* ``progress``: the progress line on a terminal, Ctrl-C, and the thread reading ahead.
* ``engine``: :class:`Scanner`, the C engine (scanner/ in the source tree): records in,
  verified against every trust store, output rows and the summary's counters out.
* ``output``: the output file (OUT.partial, renamed when complete), its sidecar
  OUT.meta.json with the scan's parameters and checkpoints, and --resume.
* ``rows``: output rows read back (the report).
* ``summary``: :class:`Summary`, the totals over output rows.
* ``stores``: trust stores and the intermediate pool, from PEM files or directories.
* ``report``: ``chainval report``: the HTML report of a scan's output.
* ``errors``: the exit-status table; ``UsageError`` (2) and ``RunError`` (1).
* ``formats``: the input formats, a package of its own (see its docstring).

Imports go one way: ``command`` and ``report`` use the other modules, ``dask_scan``
uses ``pipeline``, ``pipeline`` and ``engine`` use ``formats``, and no module imports
``command``, ``report`` or :mod:`chainval.cli` (:func:`distributed` imports ``command``
when called).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .engine import Scanner
    from .rows import ROW_FIELDS, read_rows
    from .stores import load_pool, load_store
    from .summary import Summary

__all__ = [
    "ROW_FIELDS",
    "Scanner",
    "Summary",
    "distributed",
    "load_pool",
    "load_store",
    "read_rows",
]

# The names above, each imported from its module on first use (PEP 562): a
# command that needs one module of this package (``chainval verify`` reads
# ``errors`` and ``stores``) does not import the others (the engine, the
# output rows' reader, and through them every input format and sqlite3).
_EXPORTS = {"Scanner": "engine", "ROW_FIELDS": "rows", "read_rows": "rows",
            "load_pool": "stores", "load_store": "stores", "Summary": "summary"}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


def distributed(inputs: Sequence[str], output: str, *, dask: str = "local",
                roots: Optional[str] = None, stores: Sequence[tuple[str, str]] = (),
                pool: Optional[str] = None, at: Optional[str] = None,
                output_format: str = "jsonl", partition_size: int = 64,
                threads: Optional[int] = None, resume: bool = False,
                options: Sequence[str] = ()) -> dict:
    """``chainval scan INPUTS -o OUTPUT --dask DASK`` from Python; returns the
    summary (what ``--summary`` writes; also in OUTPUT.meta.json).

    ``dask`` is a scheduler address (``tcp://HOST:PORT``; with a
    ``distributed.Client`` at hand, its ``client.scheduler.address``) or
    ``"local[:N]"``; ``stores`` are ``(name, path)`` pairs besides ``roots``;
    ``options`` more command-line options (``["--host-from", "ip"]``). Errors
    raise :class:`~chainval.scan.errors.UsageError` or ``RunError`` (their
    ``str`` is the message the command prints); an interrupted scan raises
    ``KeyboardInterrupt`` after keeping what is done (``resume=True`` goes on).
    """
    import argparse
    import json
    import sys

    from . import command
    from .errors import EXIT_INTERRUPTED
    from .output import sidecar_path

    argv = [*inputs, "-o", output, "--dask", dask, "--format", output_format,
            "--partition-size", str(partition_size), "-q", "--progress", "never"]
    if roots is not None:
        argv += ["--roots", roots]
    for name, path in stores:
        argv += ["--store", f"{name}={path}"]
    if pool is not None:
        argv += ["--pool", pool]
    if at is not None:
        argv += ["--at", str(at)]
    if threads is not None:
        argv += ["--threads", str(threads)]
    if resume:
        argv.append("--resume")
    argv += list(options)
    parser = argparse.ArgumentParser(prog="chainval", exit_on_error=False)
    command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["scan", *argv])
    if command.run(args, io.StringIO(), sys.stderr, None) == EXIT_INTERRUPTED:
        raise KeyboardInterrupt("chainval scan interrupted: resume=True goes on")
    with open(sidecar_path(output), "rb") as f:
        return json.load(f)["summary"]
