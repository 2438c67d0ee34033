"""The scanner application on the chainval library: served chains (TLS scans, CT logs,
PEM collections, Rapid7 Sonar) verified in bulk against one or more trust stores, one
output row per input record, a summary, and an HTML report.

The ``chainval`` command itself is :mod:`chainval.cli`. The modules of this package:

* ``command``: ``chainval scan``: its options, the checks before the first row, the run loop.
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

Imports go one way: ``command`` and ``report`` use the other modules, ``engine`` uses
``formats``, and no module imports ``command``, ``report`` or :mod:`chainval.cli`.
"""

from __future__ import annotations

from .engine import Scanner
from .rows import ROW_FIELDS, read_rows
from .stores import load_pool, load_store
from .summary import Summary

__all__ = [
    "ROW_FIELDS",
    "Scanner",
    "Summary",
    "load_pool",
    "load_store",
    "read_rows",
]
