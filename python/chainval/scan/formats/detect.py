"""Input format detection, from an input's first bytes and its name."""

from __future__ import annotations

import ipaddress
import json
import os
import re
from typing import Optional

from .streams import _text_head

# How much of an input is looked at to detect its format.
DETECT_BYTES = 64 << 10

# Rapid7 Sonar SSL: hosts/endpoints lines "ip,sha1hex", certs lines "sha1hex,base64der".
_SONAR_HOSTS_LINE = re.compile(r"([0-9A-Fa-f:.]{2,45})\s*,\s*[0-9A-Fa-f]{40}")
_SONAR_CERTS_LINE = re.compile(r"[0-9A-Fa-f]{40}\s*,\s*[A-Za-z0-9+/]{16}")
_SONAR_HOSTS_NAME = re.compile(r"_(?:hosts|endpoints)(?:\.gz)?$", re.I)
_SONAR_CERTS_NAME = re.compile(r"_certs(?:\.gz)?$", re.I)
_SONAR_CERTS_AS_INPUT = ("a Rapid7 Sonar certs file (lines sha1hex,base64der): give it with "
                         "--sonar-certs, and the study's _hosts or _endpoints file as INPUT")


def _sonar_hosts_line(line: str) -> bool:
    m = _SONAR_HOSTS_LINE.fullmatch(line)
    if not m:
        return False
    try:
        ipaddress.ip_address(m[1])
    except ValueError:
        return False
    return True


def _sonar_certs_head(head: bytes) -> bool:
    """Whether an input's first line is a Sonar certs-file line (a mistake for an INPUT)."""
    first = next(iter(_text_head(head).lstrip().splitlines()), "")
    return bool(_SONAR_CERTS_LINE.match(first))


def detect_format(head: bytes, name: str = "") -> Optional[str]:
    """The format of an input from its first bytes (decompressed) and its name.

    Content decides first: a Sonar hosts line (``ip,sha1hex``) is ``sonar``;
    PEM armor or a DER SEQUENCE is ``pem``; a CSV header with a ``chain``
    column is ``csv``; JSON objects are ``ct`` (keys ``entries``/``leaf_input``),
    ``zgrab`` (``data``) or ``jsonl``. Failing that, the name: ``_hosts`` or
    ``_endpoints`` (before ``.gz``) is ``sonar``, then the extension (after
    ``.gz``): ``.csv``, ``.pem``/``.crt``/``.cer``, ``.jsonl``/``.ndjson``/``.json``.
    ``None`` when nothing fits, and for a Sonar certs file.
    """
    text = _text_head(head).lstrip()
    if text.startswith("-----BEGIN"):
        return "pem"
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    # Before the DER test: "0" is 0x30, and hex text may start with it.
    if _sonar_hosts_line(first):
        return "sonar"
    if _SONAR_CERTS_LINE.match(first):
        return None
    if head[:1] == b"\x30":
        return "pem"
    if first and not first.startswith("{"):
        cols = [c.strip().strip('"').lower() for c in first.split(",")]
        if "chain" in cols and len(cols) > 1:
            return "csv"
    if first.startswith("{"):
        complete = lines[:-1] if len(head) >= DETECT_BYTES else lines
        for line in complete[:50]:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                if "entries" in obj or "leaf_input" in obj:
                    return "ct"
                if "data" in obj and "chain" not in obj:
                    return "zgrab"
                if "chain" in obj:
                    return "jsonl"
        if re.search(r'"entries"\s*:\s*\[', text) or '"leaf_input"' in text:
            return "ct"
        if '"chain"' in text:
            return "jsonl"
        if '"data"' in text:
            return "zgrab"
    if _SONAR_HOSTS_NAME.search(os.path.basename(name)):
        return "sonar"
    base = name.lower()
    if base.endswith(".gz"):
        base = base[:-3]
    ext = os.path.splitext(base)[1]
    if ext == ".csv":
        return "csv"
    if ext in (".pem", ".crt", ".cer", ".der"):
        return "pem"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if first.startswith("{"):
        return "jsonl"
    return None


def _undetected(head: bytes, path: str) -> str:
    if _sonar_certs_head(head) or _SONAR_CERTS_NAME.search(os.path.basename(path)):
        return _SONAR_CERTS_AS_INPUT
    return "cannot detect the input format (use --input-format)"
