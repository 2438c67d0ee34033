"""The Rapid7 Sonar SSL input of ``chainval scan`` (input format ``sonar``).

A Sonar SSL study is two files (https://github.com/rapid7/sonar/wiki/SSL-Certificates):
``${date}_hosts.gz`` (``${date}_${ssl|starttls}_${port}_endpoints.gz`` in the "More SSL"
studies), lines ``ip,sha1hex``, the certificates each host served in the order seen
(leaf first), and ``${date}_certs.gz``, lines ``sha1hex,base64der``. No header lines.

The hosts file is the input; consecutive lines with the same IP are one record. The
certificates come from certs files, which are loaded into an SQLite database on disk
(:class:`SonarCerts`) and looked up by hash while the hosts file streams: memory stays
the same however large the certs files are. Studies are incremental (a hosts file may
name certificates that only earlier studies' certs files hold), so several certs files
may be loaded; a reused database (``--sonar-db``) keeps what it has loaded.
"""

from __future__ import annotations

import ipaddress
import os
import re
import threading
import weakref
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Optional, TextIO

# calendar, hashlib (OpenSSL's libcrypto), shutil, sqlite3 and tempfile are
# imported where a Sonar input needs them: every scan imports this module
# (the command makes a SonarCerts), and they were ~5 ms of each scan's
# start-up (docs/performance.md, session 18).
if TYPE_CHECKING:
    import sqlite3

from ..errors import RunError, os_reason
from .record import Record, _b64, _fill, _line_problem
from .streams import _iter_lines, _open_binary

__all__ = ["MAX_CERTS", "SonarCerts", "certs_siblings", "records", "study_time"]

# A host with more lines than this is one malformed record (its hashes are not kept).
MAX_CERTS = 64

_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
# 20170904, or 2020-08-17-1597624101 (the study's unix time after the date).
_STUDY = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?:-(\d{9,11}))?(?!\d)")
_HOSTS_NAME = re.compile(r"(.*)_(?:hosts|endpoints)(\.gz)?", re.I)
_SCHEMA = 1
_INSERT_ROWS = 1000
_CACHE_KIB = 16 << 10  # SQLite's page cache: the memory the database may use


def study_time(path: str) -> Optional[int]:
    """The study time in a Sonar file name, unix seconds, or None.

    ``2020-08-17-1597624101_hosts.gz`` gives 1597624101 (the unix seconds);
    ``20170904_hosts.gz`` gives 2017-09-04T00:00:00Z.
    """
    import calendar

    for m in _STUDY.finditer(os.path.basename(path)):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if not (1990 <= year <= 2200 and 1 <= month <= 12
                and 1 <= day <= calendar.monthrange(year, month)[1]):
            continue
        if m[4]:
            return int(m[4])
        return calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0))
    return None


def certs_siblings(path: str) -> list[str]:
    """The certs files that go with a hosts or endpoints file, most likely first.

    ``X_hosts.gz`` and ``X_endpoints.gz`` go with ``X_certs.gz``, then ``X_certs``;
    ``X_hosts`` with ``X_certs``, then ``X_certs.gz``. Empty for other names.
    """
    head, base = os.path.split(path)
    m = _HOSTS_NAME.fullmatch(base)
    if not m:
        return []
    gz = bool(m[2])
    stem = os.path.join(head, m[1] + "_certs")
    return [stem + ".gz", stem] if gz else [stem, stem + ".gz"]


class _Handle:
    """The connection and the temporary directory, closed by close() or at collection."""

    def __init__(self) -> None:
        self.db: Optional[sqlite3.Connection] = None
        self.tmpdir: Optional[str] = None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.tmpdir is not None:
            import shutil

            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


def _storage_failed(e: BaseException) -> RunError:
    """The certificate database cannot be made or written (a full disk): the
    scan stops (no row could be right without it); --resume goes on later."""
    return RunError(f"cannot store the Sonar certificates: {os_reason(e)}",
                    "rows up to the last checkpoint are kept: make room (the database is in "
                    "TMPDIR unless --sonar-db names it) and run the same command with --resume")


class _Closed(ValueError):
    def __init__(self) -> None:
        super().__init__("the Sonar certificate database is closed")


class SonarCerts:
    """Sonar certificates by SHA-1, in an SQLite database on disk.

    ``db_path`` keeps the database there (created if missing, reused if it
    exists: a certs file already loaded into it, same path, size and mtime, is
    not read again); without it the database lives in a temporary directory
    removed by :meth:`close`. Certs files given with :meth:`add` (and
    :meth:`add_sibling`) are loaded on the first lookup. ``log`` receives one
    line per certs file loaded (only those with bad lines when ``quiet``).
    Loading and lookups hold a lock: any thread may call them (the scanner
    reads its inputs in a thread of its own).
    """

    def __init__(self, db_path: Optional[str] = None, *, log: Optional[TextIO] = None,
                 quiet: bool = False) -> None:
        self.db_path = db_path
        self.log = log
        self.quiet = quiet
        self.loaded = 0  # certificates read from certs files by this object
        self.skipped = 0  # bad certs-file lines skipped
        self._pending: list[str] = []
        self._given: list[str] = []
        self._absent: list[str] = []  # siblings looked for and not found
        self._closing = False
        self._lock = threading.Lock()
        self._handle = _Handle()
        self._finalize = weakref.finalize(self, _Handle.close, self._handle)
        if db_path is not None:
            self._open()  # a bad --sonar-db is a usage error, before the scan starts

    # -- the database ---------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self._handle.db is not None:
            return self._handle.db
        import sqlite3
        import tempfile

        path = self.db_path
        try:
            if path is None:
                self._handle.tmpdir = tempfile.mkdtemp(prefix="chainval-sonar-")
                path = os.path.join(self._handle.tmpdir, "certs.sqlite")
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            if self.db_path is None:  # no fault of the input: the scan cannot go on
                raise _storage_failed(e) from None
            raise ValueError(f"Sonar database {path}: {e}") from None
        try:
            self._setup(db)
        except (sqlite3.Error, ValueError) as e:
            db.close()
            if self.db_path is None and isinstance(e, sqlite3.Error):
                raise _storage_failed(e) from None
            raise ValueError(f"Sonar database {path}: {e}") from None
        self._handle.db = db
        return db

    def _setup(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version != _SCHEMA and (version or tables):
            raise ValueError("not a chainval Sonar certificate database")
        db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        if version == _SCHEMA:
            return  # made before: opened without writing (--dask workers share it)
        kept = self.db_path is not None
        # A temporary database needs no crash safety; a kept one survives Ctrl-C.
        db.execute(f"PRAGMA journal_mode = {'DELETE' if kept else 'OFF'}")
        db.execute(f"PRAGMA synchronous = {'NORMAL' if kept else 'OFF'}")
        db.executescript(f"""
            CREATE TABLE IF NOT EXISTS certs (sha1 BLOB PRIMARY KEY, der BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS rejected (sha1 BLOB PRIMARY KEY, why TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER,
                mtime_ns INTEGER, certs INTEGER, skipped INTEGER);
            PRAGMA user_version = {_SCHEMA};
        """)

    def close(self) -> None:
        """Close the database; a temporary one is deleted. A load in progress
        in another thread stops at its next batch."""
        self._closing = True
        with self._lock:
            self._finalize()

    # -- certs files ----------------------------------------------------------

    def add(self, path: str) -> None:
        """Load the certs file ``path`` (plain or gzip) before the next lookup.

        Raises ``ValueError`` when there is no such file.
        """
        if not os.path.isfile(path):
            raise ValueError(f"Sonar certs file {path}: no such file")
        with self._lock:
            if path not in self._given:
                self._given.append(path)
                self._pending.append(path)

    def add_sibling(self, hosts_path: str) -> None:
        """Add the certs file beside a ``_hosts``/``_endpoints`` file, when there is one."""
        names = certs_siblings(hosts_path)
        for name in names:
            if os.path.isfile(name):
                self.add(name)
                return
        if names and names[0] not in self._absent:
            self._absent.append(names[0])

    def _say(self, text: str, always: bool = False) -> None:
        if self.log is not None and (always or not self.quiet):
            self.log.write(f"chainval scan: sonar certs {text}\n")
            self.log.flush()

    def _load_pending(self, db: sqlite3.Connection) -> None:
        import sqlite3

        while self._pending:
            path = self._pending.pop(0)
            try:
                self._load(db, path)
            except _Closed:
                db.execute("ROLLBACK")
                raise
            except OSError as e:
                self._say(f"{path}: cannot read it ({os_reason(e)})", always=True)
            except sqlite3.Error as e:  # the database's disk is full, say
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # no transaction left to roll back
                raise _storage_failed(e) from None

    def _load(self, db: sqlite3.Connection, path: str) -> None:
        st = os.stat(path)
        key = os.path.realpath(path)
        done = db.execute("SELECT certs FROM files WHERE path = ? AND size = ? AND "
                          "mtime_ns = ?", (key, st.st_size, st.st_mtime_ns)).fetchone()
        if done is not None:
            self._say(f"{path}: already in {self.db_path} ({done[0]:,} certificates)")
            return
        stats = _LoadStats()
        stream, raw = _open_binary(path, None)
        db.execute("BEGIN")
        try:
            try:
                self._insert_lines(db, stream, stats)
            except (OSError, EOFError, zlib.error) as e:
                why = "it ends inside the compressed stream" if isinstance(e, EOFError) \
                    else f"cannot read it: {os_reason(e)}"
                stats.cut = f"after line {stats.lines}: {why}"
        finally:
            if raw is not None:
                raw.close()
        if stats.cut is None:  # a file read to its end is not read again
            db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                       (key, st.st_size, st.st_mtime_ns, stats.certs, stats.skipped))
        db.execute("COMMIT")
        self.loaded += stats.certs
        self.skipped += stats.skipped
        text = f"{path}: {stats.certs:,} certificates loaded"
        if stats.skipped:
            lines = "line" if stats.skipped == 1 else "lines"
            text += f", {stats.skipped:,} bad {lines} skipped (first: {stats.first})"
        if stats.cut is not None:
            text += f"; stopped {stats.cut}"
        self._say(text, always=bool(stats.skipped) or stats.cut is not None)

    def _insert_lines(self, db: sqlite3.Connection, stream, stats: "_LoadStats") -> None:
        import hashlib  # not at the top: see the imports

        good: list[tuple[bytes, bytes]] = []
        bad: list[tuple[bytes, str]] = []
        try:
            for n, text in _iter_lines(stream):
                stats.lines = n
                sha1, der, why = _certs_line(text, hashlib.sha1)
                if why is None:
                    good.append((sha1, der))  # type: ignore[arg-type]  # both set when why is None
                    stats.certs += 1
                else:
                    stats.skipped += 1
                    stats.note(f"line {n}: {why}")
                    if sha1 is not None:
                        bad.append((sha1, why))
                if len(good) + len(bad) >= _INSERT_ROWS:
                    self._insert(db, good, bad)
        finally:  # the lines read before a damaged end are kept
            self._insert(db, good, bad)

    def _insert(self, db: sqlite3.Connection, good: list, bad: list) -> None:
        if self._closing:
            raise _Closed()
        db.executemany("INSERT OR IGNORE INTO certs VALUES (?, ?)", good)
        db.executemany("INSERT OR IGNORE INTO rejected VALUES (?, ?)", bad)
        good.clear()
        bad.clear()

    def load(self) -> None:
        """Load the certs files added so far now (the first lookup would)."""
        with self._lock:
            self._load_pending(self._open())

    # -- lookups --------------------------------------------------------------

    def chain(self, hashes: list[str]) -> list[bytes]:
        """The DER of each certificate (lower-case hex SHA-1s), in order.

        Raises ``ValueError`` naming the first one not in the certs files.
        """
        with self._lock:
            if self._closing:
                raise _Closed()
            db = self._open()
            self._load_pending(db)
            ders = []
            for h in hashes:
                key = bytes.fromhex(h)
                row = db.execute("SELECT der FROM certs WHERE sha1 = ?", (key,)).fetchone()
                if row is None:
                    raise ValueError(self._missing(db, h, key))
                ders.append(row[0])
            return ders

    def _missing(self, db: sqlite3.Connection, h: str, key: bytes) -> str:
        row = db.execute("SELECT why FROM rejected WHERE sha1 = ?", (key,)).fetchone()
        if row is not None:
            return f"certificate {h}: its certs-file line was skipped ({row[0]})"
        text = f"certificate {h} not in the certs files"
        if not self._given and db.execute("SELECT 1 FROM certs LIMIT 1").fetchone() is None:
            beside = f"no {', '.join(self._absent)}; " if self._absent else ""
            text += f" (none was loaded: {beside}give them with --sonar-certs FILE)"
        return text


class _LoadStats:
    def __init__(self) -> None:
        self.lines = 0
        self.certs = 0
        self.skipped = 0
        self.first: Optional[str] = None  # the first bad line
        self.cut: Optional[str] = None  # why the file could not be read to its end

    def note(self, why: str) -> None:
        if self.first is None:
            self.first = why


def _certs_line(text: Optional[str], sha1_of: Callable[[bytes], Any]
                ) -> tuple[Optional[bytes], Optional[bytes], Optional[str]]:
    """(sha1, der, None) for a good ``sha1hex,base64der`` line, else (sha1 or None, None, why)."""
    problem = _line_problem(text)
    if problem is not None:
        return None, None, problem
    assert text is not None
    h, sep, data = text.strip().partition(",")
    h = h.strip()
    if not sep or not _HEX40.fullmatch(h):
        return None, None, "expected sha1hex,base64der"
    sha1 = bytes.fromhex(h)
    try:
        der = _b64(data, "certificate")
    except ValueError as e:
        return sha1, None, str(e)
    actual = sha1_of(der).digest()
    if actual != sha1:
        return sha1, None, f"SHA-1 mismatch: the DER hashes to {actual.hex()}"
    return sha1, der, None


# ---------------------------------------------------------------------------
# The hosts file


def _hosts_line(text: str) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(ip, sha1, problem) of a hosts line; ip is None when the line has none."""
    fields = text.strip().split(",")
    ip = fields[0].strip()
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        why = "not a Sonar hosts line (expected ip,sha1hex)"
        if _HEX40.fullmatch(ip):
            why += "; a certs-file line? give that file with --sonar-certs"
        return None, None, why
    if len(fields) != 2:
        return ip, None, f"expected 2 fields (ip,sha1hex), got {len(fields)}"
    h = fields[1].strip()
    if not _HEX40.fullmatch(h):
        return ip, None, f"invalid SHA-1 {h[:48]!r} (expected 40 hex digits)"
    return ip, h.lower(), None


class _Host:
    """The lines of one host so far: at most MAX_CERTS hashes are kept."""

    def __init__(self, ip: str, line: int) -> None:
        self.ip = ip
        self.line = line
        self.hashes: list[str] = []
        self.count = 0
        self.error: Optional[str] = None

    def add(self, n: int, sha1: Optional[str], problem: Optional[str]) -> None:
        self.count += 1
        if problem is not None and self.error is None:
            self.error = f"line {n}: {problem}"
        if sha1 is not None and len(self.hashes) < MAX_CERTS:
            self.hashes.append(sha1)

    def record(self, source: str, certs: SonarCerts, time: Optional[int]) -> Record:
        rec = Record(source, self.line, id=self.ip, time=time)
        if self.count > MAX_CERTS:
            rec.error = f"{self.count} certificates for {self.ip}, over the limit of {MAX_CERTS}"
        elif self.error is not None:
            rec.error = self.error
        else:
            _fill(rec, _resolve, (certs, self.hashes))
        return rec


def _resolve(rec: Record, arg: tuple[SonarCerts, list[str]]) -> None:
    certs, hashes = arg
    rec.chain = certs.chain(hashes)


def records(lines: Iterator[tuple[int, Optional[str]]], source: str, certs: SonarCerts,
            time: Optional[int] = None) -> Iterator[Record]:
    """Records of a hosts file's lines (``streams._iter_lines``): one per run of
    consecutive lines with the same IP, and one per line without an IP.

    ``id`` is the IP, ``line`` the run's first line, ``time`` the study time given.
    """
    host: Optional[_Host] = None
    for n, text in lines:
        problem = _line_problem(text)
        ip = sha1 = None
        if problem is None:
            assert text is not None
            ip, sha1, problem = _hosts_line(text)
        if host is not None and ip != host.ip:
            yield host.record(source, certs, time)
            host = None
        if ip is None:
            yield Record(source, n, time=time, error=problem)
            continue
        if host is None:
            host = _Host(ip, n)
        host.add(n, sha1, problem)
    if host is not None:
        yield host.record(source, certs, time)
