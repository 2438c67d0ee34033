"""Blocks of an input's bytes, decompressed, for the readers in C (jsonl, zgrab, csv).

gzip is recognised by its magic bytes and decompressed here, one member after
another, in bounded pieces (a small file that inflates to gigabytes is read a
block at a time). Each member's header is read here and its deflate data
inflated with zlib (raw), so that its CRC-32 and length are checked *after*
every byte it holds has been handed on: damage (a member cut short, a bad
CRC, bytes after the last member that are not another member) ends the
blocks with :class:`Damage` after everything that decompressed, as ``gzip
-d`` writes the data and then complains. The caller keeps every complete
record, then reports the damage as one malformed record.
"""

from __future__ import annotations

import struct
import zlib
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO, Optional, Union

from ..errors import os_reason

__all__ = ["BLOCK", "FILE_BUFFER", "GZIP_MAGIC", "BufferPool", "Blocks", "Damage", "unreadable"]

# How much is read (and, for gzip, inflated) at a time.
BLOCK = 4 << 20
# How much of a regular file the engine holds at a time (Input.file_rest): it
# reads 256 KiB pieces into it and moves the record a full buffer cuts to the
# front, so that the buffer stays in the CPU's L2 cache.
FILE_BUFFER = 512 << 10
GZIP_MAGIC = b"\x1f\x8b"
# RFC 1952 header flags.
_FHCRC, _FEXTRA, _FNAME, _FCOMMENT = 2, 4, 8, 16


class Damage(Exception):
    """The input cannot be read past this point; the message says why."""


def unreadable(e: BaseException) -> str:
    """What the damaged-input row says when reading failed with ``e`` (EIO, say)."""
    return f"cannot read the input: {os_reason(e)}"


class BufferPool:
    """Buffers for blocks of uncompressed input, reused once given back.

    ``read()`` makes a new 4 MiB ``bytes`` per block, and glibc returns
    blocks that size to the kernel when they are freed: every block came back
    as fresh pages, and page faults and page clearing were a quarter of
    ``--resume``'s time on uncompressed input. A block read through a pool is
    a memoryview of one of its buffers; the consumer gives it back with
    :meth:`give` once nothing refers to it (the reading thread takes, the
    verifying thread gives: ``deque`` appends and pops are atomic). A block
    never given back is simply not reused, and an empty pool makes a new
    buffer, so a slow consumer never blocks the reader."""

    def __init__(self, size: Optional[int] = None, keep: int = 4) -> None:
        self.size, self.keep = size or BLOCK, keep
        self._free: deque[bytearray] = deque()

    def read(self, raw: BinaryIO) -> Optional[memoryview]:
        """The next block of ``raw`` (None at its end)."""
        try:
            buf = self._free.pop()
        except IndexError:
            buf = bytearray(self.size)
        n = raw.readinto(buf)  # type: ignore[attr-defined]
        if not n:
            self._free.append(buf)
            return None
        return memoryview(buf)[:n]

    def give(self, block: Union[bytes, memoryview]) -> None:
        """``block`` is used up: its buffer may be read into again."""
        if isinstance(block, memoryview) and isinstance(block.obj, bytearray) and \
                len(block.obj) == self.size and len(self._free) < self.keep:
            buf = block.obj
            block.release()
            self._free.append(buf)


class Blocks:
    """The bytes of ``raw``, decompressed when it is gzip, ``size`` at most at
    a time. Uncompressed blocks after the first come from ``pool`` once one
    is set (:meth:`chainval.scan.formats.Input.blocks` sets it for the
    readers in C): the blocks read before, to detect the format, are
    ``bytes``."""

    def __init__(self, raw: BinaryIO, size: Optional[int] = None, plain: bool = False) -> None:
        # plain: never gzip, even if the bytes begin with its magic (a part of a
        # file cut at a line that happens to: --dask).
        self.raw, self.size, self.plain = raw, size or BLOCK, plain
        self.pool: Optional[BufferPool] = None
        self.gzip = False  # known once the first block was read
        self._it = self._blocks()

    def __iter__(self) -> Blocks:
        return self

    def __next__(self) -> Union[bytes, memoryview]:
        return next(self._it)

    def _blocks(self) -> Iterator[Union[bytes, memoryview]]:
        first = self.raw.read(self.size)
        if first[:2] == GZIP_MAGIC and not self.plain:
            self.gzip = True
            yield from _Gunzip(self.raw, first, self.size).blocks()
            return
        block: Union[bytes, memoryview, None] = first
        while block:
            yield block
            block = self.pool.read(self.raw) if self.pool else self.raw.read(self.size)


class _Gunzip:
    def __init__(self, raw: BinaryIO, data: bytes, size: int) -> None:
        self.raw, self.buf, self.size = raw, data, size

    def _need(self, n: int) -> bool:
        """At least ``n`` bytes in the buffer (False at the end of the input)."""
        while len(self.buf) < n:
            more = self.raw.read(self.size)
            if not more:
                return False
            self.buf += more
        return True

    def _take(self, n: int, what: str) -> bytes:
        if not self._need(n):
            raise Damage(f"input ends inside the compressed stream ({what})")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _header(self) -> None:
        head = self._take(10, "gzip header")
        if head[:2] != GZIP_MAGIC or head[2] != 8:
            raise Damage("bytes after the end of the gzip data that are not another gzip member")
        flags = head[3]
        if flags & _FEXTRA:
            (n,) = struct.unpack("<H", self._take(2, "gzip header"))
            self._take(n, "gzip header")
        for flag in (_FNAME, _FCOMMENT):
            if flags & flag:
                while True:
                    if not self._need(1):
                        raise Damage("input ends inside the compressed stream (gzip header)")
                    end = self.buf.find(b"\0")
                    if end >= 0:
                        self.buf = self.buf[end + 1:]
                        break
                    self.buf = b""
        if flags & _FHCRC:
            self._take(2, "gzip header")

    def blocks(self) -> Iterator[bytes]:
        while True:
            self._header()
            inflate = zlib.decompressobj(wbits=-15)
            crc, length = 0, 0
            while not inflate.eof:
                if not self.buf and not self._need(1):
                    raise Damage("input ends inside the compressed stream")
                try:
                    out = inflate.decompress(self.buf, self.size)
                except zlib.error as e:
                    raise Damage(f"corrupt gzip data ({e})") from None
                self.buf = inflate.unconsumed_tail
                if out:
                    crc, length = zlib.crc32(out, crc), length + len(out)
                    yield out
            self.buf = inflate.unused_data
            want_crc, want_len = struct.unpack("<II", self._take(8, "gzip trailer"))
            if want_crc != crc:
                raise Damage("corrupt gzip data (incorrect data check: the CRC-32 differs)")
            if want_len != length & 0xFFFFFFFF:
                raise Damage("corrupt gzip data (incorrect length)")
            if not self._need(1):
                return  # the end, after a whole member
            if self.buf[:1] != GZIP_MAGIC[:1] or (self._need(2) and self.buf[:2] != GZIP_MAGIC):
                raise Damage("bytes after the end of the gzip data that are not another "
                             "gzip member")
