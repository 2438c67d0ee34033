"""JSON lines: records of ``jsonl`` lines (``{"id", "host", "time", "chain"}``) and of
zgrab2 output, told apart by their keys."""

from __future__ import annotations

import json
from typing import Optional

from .record import Record, _b64, _chain_item, _host, parse_time


def _jsonl_record(rec: Record, obj: dict) -> None:
    rec.id = obj.get("id")
    rec.host = _host(obj.get("host"))
    if obj.get("time") is not None:
        rec.time = parse_time(obj["time"])
    chain = obj.get("chain")
    if isinstance(chain, str):
        chain = [chain]
    if not isinstance(chain, list):
        raise ValueError("chain: expected a list of base64 DER certificates")
    if not chain:
        raise ValueError("chain: empty")
    ders: list[bytes] = []
    for i, item in enumerate(chain):
        ders.extend(_chain_item(item, f"chain[{i}]"))
    rec.chain = ders


def _zgrab_handshake(data: dict) -> tuple[Optional[dict], Optional[dict]]:
    """(module, server_certificates) of the first module with a TLS handshake."""
    names = sorted(data, key=lambda n: (n != "tls", n))
    first = None
    for name in names:
        module = data[name]
        if not isinstance(module, dict):
            continue
        first = first or module
        result = module.get("result") or {}
        if not isinstance(result, dict):
            continue
        log = result.get("handshake_log")
        if log is None:  # the http module: result.response.request.tls_log
            request = (result.get("response") or {}).get("request") or {}
            log = (request.get("tls_log") or {}).get("handshake_log") \
                if isinstance(request, dict) else None
        if isinstance(log, dict) and isinstance(log.get("server_certificates"), dict):
            return module, log["server_certificates"]
    return first, None


def _zgrab_record(rec: Record, obj: dict) -> None:
    rec.host = _host(obj.get("domain") or obj.get("ip"))
    if "id" in obj:
        rec.id = obj["id"]
    data = obj.get("data")
    if not isinstance(data, dict):
        raise ValueError("zgrab: no data object")
    module, certs = _zgrab_handshake(data)
    stamp = (module or {}).get("timestamp") or obj.get("timestamp")
    if stamp is not None:
        rec.time = parse_time(stamp)
    if certs is None:
        status = (module or {}).get("status")
        raise ValueError("zgrab: no server certificates"
                         + (f" (status {status})" if status else ""))
    leaf = certs.get("certificate") or {}
    if not isinstance(leaf, dict) or "raw" not in leaf:
        raise ValueError("zgrab: server_certificates.certificate.raw missing")
    ders = [_b64(leaf["raw"], "certificate.raw")]
    for i, c in enumerate(certs.get("chain") or []):
        if not isinstance(c, dict) or "raw" not in c:
            raise ValueError(f"zgrab: chain[{i}].raw missing")
        ders.append(_b64(c["raw"], f"chain[{i}].raw"))
    rec.chain = ders


def _json_line_record(rec: Record, text: str) -> None:
    """One line of JSONL or zgrab output (told apart by their keys)."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise ValueError(f"invalid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "chain" in obj:
        _jsonl_record(rec, obj)
    elif "data" in obj:
        _zgrab_record(rec, obj)
    else:
        rec.id = obj.get("id")
        raise ValueError("no 'chain' field (and not zgrab output)")
