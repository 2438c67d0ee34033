import datetime
import enum
import os
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Union, final

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

CertLike = Union[bytes, bytearray, memoryview, str, Any]  # Any: a cryptography.x509.Certificate
ChainLike = Union[Sequence[CertLike], bytes, str]

__version__: str
LIBCHAIN_VERSION: str
LIBCHAIN_HEADER_VERSION: str

class Error(Exception): ...

class ParseError(Error, ValueError):
    index: int

class VerificationError(Error):
    result: Result
    code: str

class BackendError(Error): ...

class Reason(enum.StrEnum):
    @property
    def number(self) -> int: ...
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
    def __init__(self) -> None: ...
    @classmethod
    def system(cls) -> TrustStore: ...
    @classmethod
    def from_pem(cls, data: CertLike) -> TrustStore: ...
    def add_pem(self, data: CertLike) -> int: ...
    def add_der(self, data: bytes) -> int: ...
    def add_cert(self, cert: Any) -> int: ...
    def add_file(self, path: Union[str, os.PathLike[str]]) -> int: ...
    def add_dir(self, path: Union[str, os.PathLike[str]]) -> int: ...
    def add_crl(self, data: CertLike) -> int: ...
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
    def __init__(self, certs: Union[CertLike, Sequence[CertLike]]) -> None: ...
    def add_pem(self, data: CertLike) -> int: ...
    def add_der(self, data: bytes) -> int: ...
    def add_cert(self, cert: Any) -> int: ...
    def add_file(self, path: Union[str, os.PathLike[str]]) -> int: ...
    def add_dir(self, path: Union[str, os.PathLike[str]]) -> int: ...
    @property
    def rejected(self) -> list[tuple[str, str]]: ...
    def __len__(self) -> int: ...

@final
class Policy:
    def __init__(
        self,
        *,
        hostname: str | None = None,
        ip: str | None = None,
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
    ) -> None: ...
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
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Cache:
    def __init__(self, *, max_bytes: int | None = None, certs: bool = True, edges: bool = True,
                 verdicts: bool = True) -> None: ...
    def stats(self) -> dict[str, int]: ...

class Problem(NamedTuple):
    code: str
    depth: int
    message: str
    input_index: int

class Certificate(NamedTuple):
    subject: str
    issuer: str
    serial: str
    not_before: datetime.datetime | None
    not_after: datetime.datetime | None
    fingerprint_sha256: str
    der: bytes
    source: str
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
    chain: ChainLike,
    /,
    *,
    store: TrustStore,
    policy: Policy | None = None,
    intermediates: Pool | Sequence[CertLike] | None = None,
    cache: Cache | None = ...,
) -> Result: ...
def verify_many(
    chains: Iterable[Union[ChainLike, tuple[ChainLike, Policy | None]]],
    /,
    *,
    store: TrustStore,
    policy: Policy | None = None,
    intermediates: Pool | Sequence[CertLike] | None = None,
    threads: int | None = None,
    cache: Cache | None = ...,
) -> list[Result]: ...
