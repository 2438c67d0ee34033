"""A verification as one document: what ``chainval verify --json`` prints and what the
tree shows (docs/verify.md, "JSON", documents every field). ``SCHEMA`` changes when a
field changes meaning or goes away; new fields may be added within a version."""

from __future__ import annotations

import datetime
from typing import Any, Optional

import chainval

__all__ = ["CHECKS", "SCHEMA", "build"]

SCHEMA = 1

# Which check a reason code belongs to (the tree's ✔/✘ lines); codes not listed
# are shown as checks of their own name.
CHECKS = {
    "bad_signature": "signature", "insecure_algorithm": "signature",
    "expired": "validity", "not_yet_valid": "validity",
    "not_ca": "basic_constraints", "path_length": "path_length", "key_usage": "key_usage",
    "purpose_mismatch": "purpose", "name_constraints": "name_constraints",
    "hostname_mismatch": "hostname", "revoked": "revocation",
    "revocation_unknown": "revocation", "missing_issuer": "issuer",
    "untrusted_root": "issuer", "distrusted": "anchor", "depth_exceeded": "depth",
}

_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def _rfc3339(t: Optional[datetime.datetime]) -> Optional[str]:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else None


def _details(der: bytes) -> dict:
    """Key, signature algorithm, SANs and AIA caIssuers URLs, read with
    pyca/cryptography (None where it cannot read the certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    out: dict[str, Any] = {"key": None, "signature_algorithm": None, "sans": [],
                           "ca_issuers": []}
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return out
    try:
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            out["key"] = f"RSA {key.key_size}"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            out["key"] = f"EC {_CURVES.get(key.curve.name, key.curve.name)}"
        elif isinstance(key, ed25519.Ed25519PublicKey):
            out["key"] = "Ed25519"
        elif isinstance(key, ed448.Ed448PublicKey):
            out["key"] = "Ed448"
        elif isinstance(key, dsa.DSAPublicKey):
            out["key"] = f"DSA {key.key_size}"
    except (ValueError, TypeError, NotImplementedError):
        pass
    try:
        oid = cert.signature_algorithm_oid
        out["signature_algorithm"] = getattr(oid, "_name", None) or oid.dotted_string
    except ValueError:
        pass
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        out["sans"] = [str(n) for n in san.get_values_for_type(x509.DNSName)] + \
            [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    except (x509.ExtensionNotFound, ValueError):
        pass
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        out["ca_issuers"] = [d.access_location.value for d in aia
                             if d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS
                             and isinstance(d.access_location,
                                            x509.UniformResourceIdentifier)]
    except (x509.ExtensionNotFound, ValueError):
        pass
    return out


def _checks(i: int, n: int, result: chainval.Result, name: Optional[str], when: str,
            crls: bool) -> list[dict]:
    """The checks of path certificate i (0 = leaf) of n, passed or failed."""
    here = [p for p in result.reasons if p.depth == i]
    failed: dict[str, list] = {}
    for p in here:
        failed.setdefault(CHECKS.get(p.code, p.code), []).append(p)

    def check(key: str, what: str) -> dict:
        problems = failed.pop(key, [])
        return {"check": key, "ok": not problems, "what": what,
                "reasons": [{"code": p.code, "message": p.message} for p in problems]}

    top = i == n - 1
    out = []
    if not top:
        out.append(check("signature", f"signature verifies with #{i + 1}'s key"))
    elif result.anchored:
        out.append(check("issuer", "a trust anchor of the store"))
        failed.pop("signature", None)
    else:
        out.append(check("issuer", "an issuer in the chain, pool or store"))
    out.append(check("validity", f"valid at {when}"))
    if i > 0 and not (top and result.anchored):
        out.append(check("basic_constraints", "a CA (basicConstraints)"))
        out.append(check("path_length", "path length constraint"))
        out.append(check("key_usage", "keyCertSign in keyUsage"))
        out.append(check("name_constraints", "name constraints"))
    if i == 0:
        out.append(check("key_usage", "keyUsage allows the purpose"))
        out.append(check("purpose", "extendedKeyUsage allows the purpose"))
        out.append(check("name_constraints", "within its issuers' name constraints"))
        if name is not None:
            out.append(check("hostname", f"valid for {name}"))
    if crls and not (top and result.anchored):
        out.append(check("revocation", "not revoked (store CRLs)"))
    if i == 0 and result.ocsp is not None:
        stapled = check("ocsp", "the stapled OCSP response")
        stapled["ok"] = result.ocsp == "good"
        stapled["status"] = result.ocsp
        stapled["reasons"] = [{"code": result.ocsp, "message": result.ocsp_message}] \
            if result.ocsp != "good" else []
        stapled["what"] = result.ocsp_message or stapled["what"]
        if result.ocsp == "revoked":
            failed.pop("revocation", None)  # the response's reason: shown by this check
        out.append(stapled)
    for key, problems in failed.items():  # anything else found on this certificate
        out.append({"check": key, "ok": False, "what": key.replace("_", " "),
                    "reasons": [{"code": p.code, "message": p.message} for p in problems]})
    return out


def build(result: chainval.Result, *, name: Optional[str], purpose: str, roots: str,
          crls: bool, served: list[bytes]) -> dict:
    """The document of ``result``: verdict, path with details and checks, the
    reasons, every attempt (when explained), and hints."""
    at = datetime.datetime.fromtimestamp(result.time, datetime.timezone.utc)
    when = _rfc3339(at) or str(result.time)
    certs = result.certificates
    path = []
    hints = []
    for i, c in enumerate(certs):
        d = _details(c.der)
        left = None
        if c.not_after is not None:
            left = (c.not_after - at).days if c.not_after >= at else -((at - c.not_after).days + 1)
        entry = {
            "position": i, "subject": c.subject, "issuer": c.issuer, "serial": c.serial,
            "not_before": _rfc3339(c.not_before), "not_after": _rfc3339(c.not_after),
            "days_left": left, "fingerprint_sha256": c.fingerprint_sha256, "source": c.source,
            "input_index": served.index(c.der) if c.source == "served" and c.der in served
            else None,
            "key": d["key"], "signature_algorithm": d["signature_algorithm"],
            "checks": _checks(i, len(certs), result, name, when, crls),
        }
        if i == 0:
            entry["sans"] = d["sans"]
        path.append(entry)
        if result.code == "missing_issuer" and i == len(certs) - 1:
            for url in d["ca_issuers"]:
                hints.append(f"the issuer of #{i} may be at {url} (its AIA caIssuers; not "
                             "fetched): add it with --pool")
    doc: dict[str, Any] = {
        "schema": SCHEMA, "chainval": chainval.__version__, "time": when,
        "name": name, "purpose": purpose, "roots": roots, "served": len(served),
        "trusted": result.ok, "code": result.code,
        "reasons": [{"code": p.code, "depth": p.depth, "message": p.message,
                     "input_index": p.input_index} for p in result.reasons],
        "path": path, "anchored": result.anchored, "order_repaired": result.order_repaired,
        "ocsp": None if result.ocsp is None else {"status": result.ocsp,
                                                  "message": result.ocsp_message},
        "hints": hints,
    }
    if result.error_message is not None:
        doc["input_error"] = {"index": result.error_index, "message": result.error_message}
    return doc


def add_attempts(doc: dict, result: chainval.Result) -> None:
    """--explain: every path tried, in order, with how each ended."""
    doc["attempts"] = [{
        "end": a.end,
        "certificates": [{"subject": c.subject, "fingerprint_sha256": c.fingerprint_sha256,
                          "source": c.source, "input_index": c.input_index}
                         for c in a.certificates],
        "edges": [{"signature": e.signature, "key_id": e.key_id, "cached": e.cached}
                  for e in a.edges],
        "reasons": [{"code": p.code, "depth": p.depth, "message": p.message}
                    for p in a.reasons],
    } for a in result.attempts]
    doc["attempts_dropped"] = result.attempts_dropped
