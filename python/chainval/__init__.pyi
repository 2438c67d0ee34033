import datetime
import enum
import os
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Union

CertLike = Union[bytes, str]
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

class Reason(enum.IntEnum):
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

class TrustStore:
    def __init__(self) -> None: ...
    @classmethod
    def system(cls) -> TrustStore: ...
    @classmethod
    def from_pem(cls, data: CertLike) -> TrustStore: ...
    def add_pem(self, data: CertLike) -> int: ...
    def add_der(self, data: bytes) -> int: ...
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

class Pool:
    def __init__(self, certs: Union[CertLike, Sequence[CertLike]]) -> None: ...
    def add_pem(self, data: CertLike) -> int: ...
    def add_der(self, data: bytes) -> int: ...
    def add_file(self, path: Union[str, os.PathLike[str]]) -> int: ...
    def add_dir(self, path: Union[str, os.PathLike[str]]) -> int: ...
    @property
    def rejected(self) -> list[tuple[str, str]]: ...
    def __len__(self) -> int: ...

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
    *,
    store: TrustStore,
    policy: Policy | None = None,
    intermediates: Pool | Sequence[CertLike] | None = None,
    cache: Cache | None = ...,
) -> Result: ...
def verify_many(
    chains: Iterable[Union[ChainLike, tuple[ChainLike, Policy | None]]],
    *,
    store: TrustStore,
    policy: Policy | None = None,
    intermediates: Pool | Sequence[CertLike] | None = None,
    threads: int | None = None,
    cache: Cache | None = ...,
) -> list[Result]: ...
