"""Names of a package imported from their modules on first use (PEP 562).

A package's ``__init__`` that imports every module to re-export a name from
each makes any use of the package pay for all of them: ``chainval verify``
reads two small modules of :mod:`chainval.scan`, and importing the package
eagerly brought in the scan engine, every input format and sqlite3 (19 ms
of ``chainval --version``'s start-up, 7 ms of ``chainval verify``'s). With
``__getattr__, __dir__ = lazy_exports(__name__, {...})`` a name is imported
when first asked for (``from chainval.scan import Scanner`` included), then
kept in the package's namespace.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, where
    ``exports`` maps each name to the module (relative to ``package``)
    that defines it."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)  # the next use does not come here
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
