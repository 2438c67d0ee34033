"""chainval: X.509 certificate chain building and validation, in C (libchain on GnuTLS).

    import chainval
    store = chainval.TrustStore.system()
    result = chainval.verify(pem_chain, store=store,
                             policy=chainval.Policy(hostname="www.example.com"))
    print(result.ok, result.code, [c.subject for c in result.certificates])

Everything that decides a verdict is in C; this package only converts arguments
and results. See docs/python.md.
"""

import copyreg as _copyreg
import enum as _enum

from ._chainval import (
    GNUTLS_VERSION,
    LIBCHAIN_HEADER_VERSION,
    LIBCHAIN_VERSION,
    Attempt,
    AttemptCertificate,
    BackendError,
    Cache,
    Certificate,
    Edge,
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


class Reason(_enum.StrEnum):
    """libchain's reason codes: strings equal to the codes results carry
    (``result.code == Reason.EXPIRED``), each with its C value
    (``Reason.EXPIRED.number == 10``, ``Reason.from_number(10)``)."""

    number: int

    def __new__(cls, code: str, number: int) -> "Reason":
        member = str.__new__(cls, code)
        member._value_ = code
        member.number = number
        return member

    @classmethod
    def from_number(cls, number: int) -> "Reason":
        """The member whose C value (chain_reason) is ``number``."""
        for member in cls:
            if member.number == number:
                return member
        raise ValueError(f"{number!r} is not a chainval reason number")

    OK = "ok", 0
    EXPIRED = "expired", 10
    NOT_YET_VALID = "not_yet_valid", 11
    MISSING_ISSUER = "missing_issuer", 20
    UNTRUSTED_ROOT = "untrusted_root", 21
    NOT_CA = "not_ca", 22
    PATH_LENGTH = "path_length", 23
    KEY_USAGE = "key_usage", 24
    NAME_CONSTRAINTS = "name_constraints", 25
    DISTRUSTED = "distrusted", 26
    BAD_SIGNATURE = "bad_signature", 30
    INSECURE_ALGORITHM = "insecure_algorithm", 31
    REVOKED = "revoked", 32
    REVOCATION_UNKNOWN = "revocation_unknown", 33
    HOSTNAME_MISMATCH = "hostname_mismatch", 40
    PURPOSE_MISMATCH = "purpose_mismatch", 41
    DEPTH_EXCEEDED = "depth_exceeded", 50
    BUDGET_EXCEEDED = "budget_exceeded", 51
    INPUT_LIMIT = "input_limit", 52
    MALFORMED = "malformed", 60
    UNKNOWN_CRITICAL_EXTENSION = "unknown_critical_extension", 61
    NONCONFORMING = "nonconforming", 62


# Pickling: a Policy is made again from the keyword arguments it was given.
def _policy_from_fields(fields: dict) -> Policy:
    return Policy(**fields)


def _reduce_policy(policy: Policy) -> tuple:
    return _policy_from_fields, (policy._given,)  # type: ignore[attr-defined]


_copyreg.pickle(Policy, _reduce_policy)


def _certificate_repr(cert: Certificate) -> str:
    return (f"chainval.Certificate(subject={cert.subject!r}, serial={cert.serial!r}, "
            f"fingerprint_sha256={cert.fingerprint_sha256!r}, source={cert.source!r})")


Certificate.__repr__ = _certificate_repr  # type: ignore[method-assign]


def _to_cryptography(self: Certificate):  # -> cryptography.x509.Certificate
    """This certificate as a ``cryptography.x509.Certificate`` (imports cryptography)."""
    from cryptography import x509

    return x509.load_der_x509_certificate(self.der)


Certificate.to_cryptography = _to_cryptography  # type: ignore[attr-defined]


__all__ = [
    "LIBCHAIN_HEADER_VERSION",
    "GNUTLS_VERSION",
    "LIBCHAIN_VERSION",
    "Attempt",
    "AttemptCertificate",
    "BackendError",
    "Cache",
    "Certificate",
    "Edge",
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
