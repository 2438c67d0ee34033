"""chainval: X.509 certificate chain building and validation, in C (libchain on GnuTLS).

    import chainval
    store = chainval.TrustStore.system()
    result = chainval.verify(pem_chain, store=store,
                             policy=chainval.Policy(hostname="www.example.com"))
    print(result.ok, result.code, [c.subject for c in result.certificates])

Everything that decides a verdict is in C; this package only converts arguments
and results. See docs/python.md.
"""

from __future__ import annotations

import enum

from ._chainval import (
    LIBCHAIN_HEADER_VERSION,
    LIBCHAIN_VERSION,
    BackendError,
    Cache,
    Certificate,
    Error,
    ParseError,
    Policy,
    Pool,
    Problem,
    Result,
    TrustStore,
    VerificationError,
    verify,
    verify_many,
)

__version__ = "0.2.0"


class Reason(enum.IntEnum):
    """libchain's reason codes (chain_reason); ``Reason[result.code.upper()]``."""

    OK = 0
    EXPIRED = 10
    NOT_YET_VALID = 11
    MISSING_ISSUER = 20
    UNTRUSTED_ROOT = 21
    NOT_CA = 22
    PATH_LENGTH = 23
    KEY_USAGE = 24
    NAME_CONSTRAINTS = 25
    DISTRUSTED = 26
    BAD_SIGNATURE = 30
    INSECURE_ALGORITHM = 31
    REVOKED = 32
    REVOCATION_UNKNOWN = 33
    HOSTNAME_MISMATCH = 40
    PURPOSE_MISMATCH = 41
    DEPTH_EXCEEDED = 50
    BUDGET_EXCEEDED = 51
    INPUT_LIMIT = 52
    MALFORMED = 60
    UNKNOWN_CRITICAL_EXTENSION = 61
    NONCONFORMING = 62


__all__ = [
    "LIBCHAIN_HEADER_VERSION",
    "LIBCHAIN_VERSION",
    "BackendError",
    "Cache",
    "Certificate",
    "Error",
    "ParseError",
    "Policy",
    "Pool",
    "Problem",
    "Reason",
    "Result",
    "TrustStore",
    "VerificationError",
    "verify",
    "verify_many",
]
