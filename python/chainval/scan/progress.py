"""The terminal side of ``chainval scan``: the progress line, Ctrl-C, and the thread
that reads the inputs ahead of verification."""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional, TextIO

__all__ = ["Interrupt", "Progress"]


class Progress:
    """A one-line progress display on a terminal: rows, rows/s, and the
    percentage and ETA when the input size is known."""

    def __init__(self, stream: TextIO, total: Optional[int]) -> None:
        self.stream = stream
        self.total = total or None
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def update(self, rows: int, position: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        text = f"{rows:,} rows  {rows / elapsed:,.0f} rows/s"
        if self.total:
            frac = min(max(position / self.total, 0.0), 1.0)
            text += f"  {100 * frac:5.1f}%"
            if frac > 0.001:
                eta = elapsed * (1 - frac) / frac
                text += f"  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
            width = 24
            done = int(width * frac)
            text = "[" + "#" * done + "." * (width - done) + "] " + text
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


class Interrupt:
    """SIGINT during a scan: the first Ctrl-C stops after the current batch
    (its rows are written); a second one stops at once, though never in the
    middle of writing a batch."""

    def __init__(self, stderr: TextIO) -> None:
        self.stderr = stderr
        self.requested = False
        self.writing = False
        self.pending = False
        self.previous: Any = None  # the SIGINT handler to put back
        self.installed = False

    def __enter__(self) -> "Interrupt":
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
            self.installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)

    def _handler(self, signum, frame) -> None:
        if not self.requested:
            self.requested = True
            try:
                self.stderr.write("\ninterrupted: finishing the current batch "
                                  "(Ctrl-C again to stop now)\n")
                self.stderr.flush()
            except (OSError, ValueError):
                pass
            return
        if self.writing:
            self.pending = True
            return
        raise KeyboardInterrupt

    def begin_write(self) -> None:
        self.writing = True

    def end_write(self) -> None:
        self.writing = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


class _Prefetch:
    """Runs ``produce`` (reading and preparing batches: Python work) in a thread,
    up to ``depth`` batches ahead, while the caller verifies (C work, GIL released)."""

    _END = object()

    def __init__(self, produce: Iterator, depth: int = 2) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self.stopped = False  # items() ended before the reader did
        self._produce = produce
        self._thread = threading.Thread(target=self._run, name="chainval-scan-reader",
                                        daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._produce:
                if not self._put((True, item)):
                    return
            self._put((True, self._END))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            self._put((False, e))

    def __iter__(self):
        return self.items()

    def items(self, stop=lambda: False):
        """The produced items, in order; ends early once ``stop()`` is true
        while waiting for the reader (a Ctrl-C while it loads a large Sonar
        certs file, say, need not wait for the load)."""
        while True:
            try:
                ok, item = self._queue.get(timeout=0.1)
            except queue.Empty:
                if stop():
                    self.stopped = True
                    return
                continue
            if not ok:
                raise item
            if item is self._END:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        # A reader blocked on a silent stdin cannot be told to stop: it is a daemon
        # thread, so leave it behind rather than wait forever.
        self._thread.join(timeout=2.0)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
