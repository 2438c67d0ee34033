"""Blocks of an input's bytes, decompressed, for the readers in C (jsonl, zgrab, csv).

gzip is recognised by its magic bytes and decompressed here with zlib, one
member after another, in bounded pieces (a small file that inflates to
gigabytes is read a block at a time). Damage (a member cut short, a bad CRC,
bytes after the last member that are not another member) ends the blocks
with :class:`Damage`, after every byte that decompressed cleanly: the caller
keeps every complete record before it, then reports the damage as one
malformed record, as ``gzip -d`` keeps the data and warns.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["BLOCK", "Damage", "read_blocks"]

# How much is read (and, for gzip, inflated) at a time.
BLOCK = 4 << 20
_GZIP = b"\x1f\x8b"


class Damage(Exception):
    """The input cannot be read past this point; the message says why."""


def read_blocks(raw: BinaryIO, size: int = BLOCK) -> Iterator[bytes]:
    """The bytes of ``raw``, decompressed when it is gzip, ``size`` at most at a time."""
    first = raw.read(size)
    if first[:2] != _GZIP:
        while first:
            yield first
            first = raw.read(size)
        return
    yield from _gunzip(first, raw, size)


def _gunzip(data: bytes, raw: BinaryIO, size: int) -> Iterator[bytes]:
    inflate = zlib.decompressobj(wbits=31)
    while True:
        try:
            out = inflate.decompress(data, size)
            while out:
                yield out
                out = inflate.decompress(inflate.unconsumed_tail, size) \
                    if inflate.unconsumed_tail else b""
        except zlib.error as e:
            raise Damage(f"corrupt gzip data ({e})") from None
        if inflate.eof:
            rest = inflate.unused_data
            if not rest:
                rest = raw.read(size)
                if not rest:
                    return  # the end, after a whole member
            if rest[:2] != _GZIP and not (len(rest) == 1 and rest == _GZIP[:1]):
                raise Damage("bytes after the end of the gzip data that are not another gzip member")
            inflate = zlib.decompressobj(wbits=31)  # the next member
            data = rest
            continue
        data = raw.read(size)
        if not data:
            raise Damage("input ends inside the compressed stream")
