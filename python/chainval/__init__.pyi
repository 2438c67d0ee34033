import datetime
import enum
import ipaddress
import os
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal, Union, final

from _typeshed import structseq

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

_CertLike = Union[bytes, bytearray, memoryview, str, Any]  # Any: a cryptography.x509.Certificate
_ChainLike = Union[Sequence[_CertLike], bytes, str]

__version__: str
LIBCHAIN_VERSION: str
GNUTLS_VERSION: str
LIBCHAIN_HEADER_VERSION: str

class Error(Exception): ...

class ParseError(Error, ValueError):
    index: int

class VerificationError(Error):
    result: Result
    code: str

class BackendError(Error): ...

class Reason(enum.StrEnum):
    number: int  # the C value (chain_reason)
    @classmethod
    def from_number(cls, number: int) -> Reason: ...
    OK = "ok"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    MISSING_ISSUER = "missing_issuer"
    UNTRUSTED_ROOT = "untrusted_root"
    NOT_CA = "not_ca"
    PATH_LENGTH = "path_length"
    KEY_USAGE = "key_usage"
    NAME_CONSTRAINTS = "name_constraints"
    DISTRUSTED = "distrusted"
    BAD_SIGNATURE = "bad_signature"
    INSECURE_ALGORITHM = "insecure_algorithm"
    REVOKED = "revoked"
    REVOCATION_UNKNOWN = "revocation_unknown"
    HOSTNAME_MISMATCH = "hostname_mismatch"
    PURPOSE_MISMATCH = "purpose_mismatch"
    DEPTH_EXCEEDED = "depth_exceeded"
    BUDGET_EXCEEDED = "budget_exceeded"
    INPUT_LIMIT = "input_limit"
    MALFORMED = "malformed"
    UNKNOWN_CRITICAL_EXTENSION = "unknown_critical_extension"
    NONCONFORMING = "nonconforming"

@final
class TrustStore:
    def __new__(cls) -> TrustStore: ...
    @classmethod
    def system(cls) -> TrustStore: ...
    @classmethod
    def from_pem(cls, data: _CertLike) -> TrustStore: ...
    def add_pem(self, data: _CertLike) -> int: ...
    def add_der(self, data: bytes) -> int: ...
    def add_cert(self, cert: Any) -> int: ...
    def add_file(self, path: Union[str, os.PathLike[str]]) -> int: ...
    def add_dir(self, path: Union[str, os.PathLike[str]]) -> int: ...
    def add_crl(self, data: _CertLike) -> int: ...
    def distrust_after(self, fingerprint: str | bytes, at: int | datetime.datetime) -> None: ...
    def set_crl_limit(self, nbytes: int) -> None: ...
    def set_cache_size(self, nbytes: int) -> None: ...
    @property
    def crl_bytes(self) -> int: ...
    @property
    def rejected(self) -> list[tuple[str, str]]: ...
    def __len__(self) -> int: ...

@final
class Pool:
    def __new__(cls, certs: Union[_CertLike, Sequence[_CertLike]]) -> Pool: ...
    def add_pem(self, data: _CertLike) -> int: ...
    def add_der(self, data: bytes) -> int: ...
    def add_cert(self, cert: Any) -> int: ...
    def add_file(self, path: Union[str, os.PathLike[str]]) -> int: ...
    def add_dir(self, path: Union[str, os.PathLike[str]]) -> int: ...
    @property
    def rejected(self) -> list[tuple[str, str]]: ...
    def __len__(self) -> int: ...

@final
class Policy:
    def __new__(
        cls,
        *,
        hostname: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
        ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None = None,
        purpose: str = "server",
        at: int | float | datetime.datetime | None = None,
        max_depth: int | None = None,
        partial_chain: bool = False,
        cn_fallback: bool = False,
        allow_sha1: bool = False,
        strict: bool = True,
        repair_order: bool = False,
        precertificate: bool = False,
        min_rsa_bits: int | None = None,
        max_sig_checks: int | None = None,
        max_candidates: int | None = None,
        max_certs: int | None = None,
        max_chain_bytes: int | None = None,
        max_cert_bytes: int | None = None,
        explain: bool | int = False,
    ) -> Policy: ...
    @property
    def hostname(self) -> str | None: ...
    @property
    def ip(self) -> str | None: ...
    @property
    def purpose(self) -> str: ...
    @property
    def at(self) -> int | None: ...
    @property
    def max_depth(self) -> int: ...
    @property
    def partial_chain(self) -> bool: ...
    @property
    def cn_fallback(self) -> bool: ...
    @property
    def allow_sha1(self) -> bool: ...
    @property
    def strict(self) -> bool: ...
    @property
    def repair_order(self) -> bool: ...
    @property
    def precertificate(self) -> bool: ...
    @property
    def min_rsa_bits(self) -> int | None: ...
    @property
    def max_sig_checks(self) -> int | None: ...
    @property
    def max_candidates(self) -> int | None: ...
    @property
    def max_certs(self) -> int | None: ...
    @property
    def max_chain_bytes(self) -> int | None: ...
    @property
    def max_cert_bytes(self) -> int | None: ...
    @property
    def explain(self) -> Literal[False] | int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Cache:
    def __new__(cls, *, max_bytes: int | None = None, certs: bool = True, edges: bool = True,
                verdicts: bool = True) -> Cache: ...
    def stats(self) -> dict[str, int]: ...

# Struct sequences at runtime (tuples with named fields, like os.stat_result).
@final
class AttemptCertificate(structseq[Any], tuple[str, str, str, str, int]):
    __match_args__: Final = ("subject", "issuer", "fingerprint_sha256", "source", "input_index")
    @property
    def subject(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def fingerprint_sha256(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def input_index(self) -> int: ...

@final
class Edge(structseq[Any], tuple[str, bool | None, bool]):
    __match_args__: Final = ("signature", "key_id", "cached")
    @property
    def signature(self) -> str: ...
    @property
    def key_id(self) -> bool | None: ...
    @property
    def cached(self) -> bool: ...

@final
class Attempt(
    structseq[Any],
    tuple[str, list[AttemptCertificate], list[Edge], list[Problem]],
):
    __match_args__: Final = ("end", "certificates", "edges", "reasons")
    @property
    def end(self) -> str: ...
    @property
    def certificates(self) -> list[AttemptCertificate]: ...
    @property
    def edges(self) -> list[Edge]: ...
    @property
    def reasons(self) -> list[Problem]: ...

@final
class Problem(structseq[Any], tuple[str, int, str, int]):
    __match_args__: Final = ("code", "depth", "message", "input_index")
    @property
    def code(self) -> str: ...
    @property
    def depth(self) -> int: ...
    @property
    def message(self) -> str: ...
    @property
    def input_index(self) -> int: ...

@final
class Certificate(
    structseq[Any],
    tuple[str, str, str, datetime.datetime | None, datetime.datetime | None, str, bytes, str],
):
    __match_args__: Final = ("subject", "issuer", "serial", "not_before", "not_after",
                             "fingerprint_sha256", "der", "source")
    @property
    def subject(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def serial(self) -> str: ...
    @property
    def not_before(self) -> datetime.datetime | None: ...
    @property
    def not_after(self) -> datetime.datetime | None: ...
    @property
    def fingerprint_sha256(self) -> str: ...
    @property
    def der(self) -> bytes: ...
    @property
    def source(self) -> str: ...
    def to_cryptography(self) -> Any: ...

@final
class Result:
    @property
    def ok(self) -> bool: ...
    @property
    def code(self) -> str: ...
    @property
    def reasons(self) -> list[Problem]: ...
    @property
    def chain(self) -> list[bytes]: ...
    @property
    def certificates(self) -> list[Certificate]: ...
    @property
    def anchored(self) -> bool: ...
    @property
    def attempts(self) -> list[Attempt]: ...
    @property
    def attempts_dropped(self) -> int: ...
    @property
    def ocsp(self) -> Literal["good", "revoked", "unusable"] | None: ...
    @property
    def ocsp_message(self) -> str | None: ...
    @property
    def order_repaired(self) -> bool: ...
    @property
    def time(self) -> int: ...
    @property
    def error_index(self) -> int | None: ...
    @property
    def error_message(self) -> str | None: ...
    def raise_for_status(self) -> None: ...
    def __bool__(self) -> bool: ...

def verify(
    chain: _ChainLike,
    /,
    *,
    store: TrustStore,
    policy: Policy | None = None,
    intermediates: Pool | Sequence[_CertLike] | None = None,
    cache: Cache | None = ...,
    ocsp: bytes | bytearray | memoryview | None = None,
) -> Result: ...
def verify_many(
    chains: Iterable[Union[_ChainLike, tuple[_ChainLike, Policy | None]]],
    /,
    *,
    store: TrustStore,
    policy: Policy | None = None,
    intermediates: Pool | Sequence[_CertLike] | None = None,
    threads: int | None = None,
    cache: Cache | None = ...,
) -> list[Result]: ...
