"""The trust stores and the intermediate pool of ``chainval scan``, from PEM files or
directories."""

from __future__ import annotations

import os

import chainval

__all__ = ["load_pool", "load_store"]


def load_store(path: str) -> chainval.TrustStore:
    """A trust store from a PEM bundle file or a directory (``"system"``: the OS store)."""
    if path == "system" and not os.path.exists(path):
        return chainval.TrustStore.system()
    store = chainval.TrustStore()
    if os.path.isdir(path):
        store.add_dir(path)
    else:
        store.add_file(path)
    if len(store) == 0:
        raise ValueError(f"{path}: no certificates")
    return store


def load_pool(path: str) -> chainval.Pool:
    """An intermediate pool from a PEM bundle file or a directory of PEM files."""
    pool = chainval.Pool([])
    if os.path.isdir(path):
        pool.add_dir(path)
    else:
        pool.add_file(path)
    if len(pool) == 0:
        raise ValueError(f"{path}: no certificates")
    return pool
