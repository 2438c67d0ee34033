"""Where the rows of ``chainval scan`` go, and the sidecar beside them.

``-o OUT`` is written as ``OUT.partial`` and renamed to ``OUT`` only when the
scan is complete, so an existing ``OUT`` is never truncated by a scan that
does not finish, and a reader of ``OUT`` never sees half a scan. Beside it, the
sidecar (``OUT.partial.meta.json`` while the scan runs, ``OUT.meta.json`` once
it is complete; docs/scan.md, "The sidecar") records the scan's parameters
(inputs with their sizes, formats, stores and pool with fingerprints and
counts, ``--at``, options, chainval and GnuTLS versions, start time) and a
checkpoint: how many rows and bytes of ``OUT.partial`` are complete, and the
summary's counters over them. It is replaced atomically (a temporary file,
fsync, rename) every few seconds, after the rows it counts are on disk.

``--resume`` reads the checkpoint: it refuses a scan whose parameters differ
(naming what differs), cuts ``OUT.partial`` back to the checkpoint (rows after
it are verified again), and the scan passes over as many input records
unread. Nothing is re-parsed: resuming costs about what counting lines does.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any, BinaryIO, Callable, Optional

from .errors import UsageError, os_reason

__all__ = ["Output", "replaced_atomically", "sidecar_path", "write_atomically"]

CHECKPOINT_SECONDS = 2.0
SCHEMA = 1


def sidecar_path(out: str) -> str:
    """The sidecar of a complete output ``out``."""
    return out + ".meta.json"


@contextlib.contextmanager
def replaced_atomically(path: str) -> Iterator[BinaryIO]:
    """A file to write that replaces ``path`` when the block ends without an
    exception: a temporary file beside it, fsync, rename; on an exception it
    is removed and ``path`` is untouched."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_atomically(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` (:func:`replaced_atomically`)."""
    with replaced_atomically(path) as f:
        f.write(data)


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {json.dumps(a)} then, {json.dumps(b)} now")
    return out


class Output:
    """The output file of a scan (or stdout), its sidecar and checkpoints."""

    def __init__(self, path: str, stdout: Any, params: dict, resume: bool,
                 fmt: str) -> None:
        self.path = path
        self.params = params
        self.format = fmt
        self.rows = 0          # complete rows in the file (resumed ones included)
        self.resumed = 0
        self.counts: Optional[dict] = None  # the resumed rows' summary counters
        self.last_row: Optional[dict] = None  # the last resumed row: line, source
        self.started = time.time()
        self._last_checkpoint = 0.0
        self.file: Any = None
        # OUT.partial and its sidecar; None when the rows go to stdout.
        self.partial: Optional[str] = None
        if path == "-":
            stdout.flush()  # text written before goes first
            self.file = getattr(stdout, "buffer", None) or _TextBytes(stdout)
            return
        if os.path.exists(path) and not os.path.isfile(path):
            # A device or FIFO (-o /dev/null): written to directly, never
            # renamed over (as root that would replace the device).
            if resume:
                raise UsageError(f"--resume: {path} is not a regular file")
            self.file = open(path, "wb")
            return
        self.partial = self._partial = path + ".partial"
        self.meta = self._partial + ".meta.json"
        if resume:
            self._resume()
        else:
            if os.path.exists(self._partial):
                raise UsageError(f"{self._partial} holds an interrupted scan: continue it with "
                                 f"--resume, or remove it to start again")
            try:
                self.file = open(self._partial, "xb")
            except OSError as e:
                raise UsageError(f"-o {path}: cannot write {self._partial}: "
                                 f"{os_reason(e)}") from None
            self._checkpoint_now(0, None)

    # ------------------------------------------------------------------ resume

    def _resume(self) -> None:
        if not os.path.exists(self._partial):
            done = os.path.exists(self.path) and os.path.exists(sidecar_path(self.path))
            raise UsageError(f"--resume: no interrupted scan to continue ({self._partial} does "
                             "not exist" + (f"; {self.path} is complete)" if done else ")"))
        try:
            with open(self.meta, "rb") as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"--resume: cannot read {self.meta} ({e}): the scan cannot be "
                             "checked, so it is not continued") from None
        if meta.get("schema") != SCHEMA:
            raise UsageError(f"--resume: {self.meta} is from another chainval version")
        diffs = _differences(meta.get("parameters", {}), self.params)
        if diffs:
            raise UsageError("--resume: this is not the interrupted scan: "
                             + "; ".join(diffs[:3]) + (" ..." if len(diffs) > 3 else ""))
        point = meta.get("checkpoint") or {}
        rows, nbytes = int(point.get("rows", 0)), int(point.get("bytes", 0))
        size = os.path.getsize(self._partial)
        if size < nbytes:
            raise UsageError(f"--resume: {self._partial} is shorter ({size} bytes) than its "
                             f"checkpoint ({nbytes}): it was changed; start again")
        self.file = open(self._partial, "r+b")
        self.file.truncate(nbytes)  # rows after the checkpoint are verified again
        self.file.seek(nbytes)
        self.rows = self.resumed = rows
        self.counts = point.get("summary")
        self.started = meta.get("started", self.started)
        if rows:
            self.last_row = self._read_last_row(nbytes)

    def _read_last_row(self, end: int) -> dict:
        """The line and source of the row that ends at ``end``."""
        start = max(0, end - (1 << 20))
        self.file.seek(start)
        tail = self.file.read(end - start)
        self.file.seek(end)
        line = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
        if self.format == "csv":
            import csv  # only here: not part of every scan's start-up

            self.file.seek(0)
            header = next(csv.reader([self.file.readline().decode("utf-8", "replace")]))
            self.file.seek(end)
            row = dict(zip(header, next(csv.reader([line]))))
            return {"line": int(row["line"]), "source": row.get("source")}
        row = json.loads(line)
        return {"line": row["line"], "source": row.get("source")}

    # ------------------------------------------------------------------ writing

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()

    def checkpoint(self, rows: int, counts: Callable[[], dict]) -> None:
        """Record, every few seconds, that ``rows`` rows are complete, with the
        summary's counters over them (``counts()``, asked only then)."""
        self.rows = rows
        if self.partial is None:
            return
        if time.monotonic() - self._last_checkpoint < CHECKPOINT_SECONDS:
            return
        self._checkpoint_now(rows, counts())

    def _checkpoint_now(self, rows: int, counts: Optional[dict]) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())  # the checkpoint never counts rows not on disk
        write_atomically(self.meta, self._meta({"rows": rows, "bytes": self.file.tell(),
                                                "summary": counts}))
        self._last_checkpoint = time.monotonic()

    def _meta(self, checkpoint: dict, **extra: Any) -> bytes:
        doc = {"schema": SCHEMA, "parameters": self.params, "started": self.started,
               "checkpoint": checkpoint, **extra}
        return (json.dumps(doc, indent=1) + "\n").encode()

    def finish(self, complete: bool, rows: int, counts: dict, report: dict,
               checkpoint: bool = True) -> None:
        """End the scan: a complete one becomes ``OUT`` (and its sidecar
        ``OUT.meta.json``, with the summary); an interrupted one keeps
        ``OUT.partial`` and a last checkpoint for --resume (with ``checkpoint``
        false, the one before: ``counts`` do not cover every row written)."""
        if self.partial is None:
            try:
                self.file.flush()
            except (OSError, ValueError):
                pass
            return
        if complete or checkpoint:
            self._checkpoint_now(rows, counts)
        self.file.close()
        if not complete:
            return
        final = self._meta({"rows": rows, "bytes": os.path.getsize(self._partial),
                            "summary": counts}, summary=report)
        write_atomically(sidecar_path(self.path), final)
        os.replace(self._partial, self.path)
        os.unlink(self.meta)


class _TextBytes:
    """Bytes written to a text stream (a stdout replaced by a StringIO)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data.decode("utf-8"))

    def flush(self) -> None:
        self.stream.flush()
