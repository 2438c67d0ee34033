"""The trust stores and the intermediate pool of ``chainval scan``, from PEM files or
directories."""

from __future__ import annotations

import hashlib
import os
from typing import TypeVar

import chainval

__all__ = ["fingerprint_of", "load_pool", "load_store"]

# The bundle TrustStore.system() reads on Debian (GnuTLS's default trust file).
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def fingerprint_of(path: str) -> str:
    """SHA-256 over what a store or pool was loaded from: a file's bytes, or a
    directory's files (relative names and bytes, in sorted order); "system"
    is the OS bundle. --resume compares it, so that changed roots are seen."""
    h = hashlib.sha256()
    if path == "system" and not os.path.exists(path):
        path = SYSTEM_BUNDLE
    files = [path]
    if os.path.isdir(path):
        files = sorted(os.path.join(root, f) for root, _, names in os.walk(path) for f in names)
    for f in files:
        h.update(os.path.relpath(f, path).encode() + b"\0")
        try:
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            h.update(b"<unreadable>")
    return h.hexdigest()


def load_store(path: str) -> chainval.TrustStore:
    """A trust store from a PEM bundle file or a directory (``"system"``: the OS store)."""
    if path == "system" and not os.path.exists(path):
        return chainval.TrustStore.system()
    return _filled(chainval.TrustStore(), path)


def load_pool(path: str) -> chainval.Pool:
    """An intermediate pool from a PEM bundle file or a directory of PEM files."""
    return _filled(chainval.Pool([]), path)


_Certs = TypeVar("_Certs", chainval.TrustStore, chainval.Pool)


def _filled(certs: _Certs, path: str) -> _Certs:
    """``certs`` with the certificates of the file or directory ``path``
    added; ``ValueError`` if there are none."""
    if os.path.isdir(path):
        certs.add_dir(path)
    else:
        certs.add_file(path)
    if len(certs) == 0:
        raise ValueError(f"{path}: no certificates")
    return certs
