"""The served chain from what people have: a PEM bundle (certbot's fullchain.pem),
``openssl s_client -showcerts`` output (text around the PEM blocks is ignored), a
DER certificate, or a PKCS#7 bundle (``.p7b``, PEM or DER); a path or ``-`` for
stdin. Order is kept: the first certificate is the leaf."""

from __future__ import annotations

import re
import sys
from typing import BinaryIO, Optional

from ..scan.errors import UsageError, os_reason

__all__ = ["MAX_INPUT_BYTES", "read_chain"]

MAX_INPUT_BYTES = 16 << 20
_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.S)


def _read(path: str, stdin: Optional[BinaryIO]) -> bytes:
    try:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(MAX_INPUT_BYTES + 1)
        else:
            with open(path, "rb") as f:
                data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise UsageError(f"{path}: {os_reason(e)}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{path}: larger than {MAX_INPUT_BYTES >> 20} MiB: not a chain")
    return data


def _pkcs7(data: bytes, pem: bool, where: str) -> list[bytes]:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    try:
        certs = (pkcs7.load_pem_pkcs7_certificates if pem
                 else pkcs7.load_der_pkcs7_certificates)(data)
    except ValueError as e:
        raise UsageError(f"{where}: not a readable PKCS#7 bundle ({e})") from None
    return [c.public_bytes(Encoding.DER) for c in certs]


def read_chain(path: str, stdin: Optional[BinaryIO] = None) -> list[bytes]:
    """The DER of each certificate, in the order given. Raises UsageError when
    there is none or the input cannot be read."""
    import base64
    import binascii

    data = _read(path, stdin)
    where = "stdin" if path == "-" else path
    blocks = _BLOCK.findall(data)
    if blocks:
        ders: list[bytes] = []
        for label, body in blocks:
            if label == b"CERTIFICATE":
                try:
                    ders.append(base64.b64decode(b"".join(body.split()), validate=True))
                except binascii.Error:
                    raise UsageError(f"{where}: certificate {len(ders)} is not valid "
                                     "base64") from None
            elif label == b"PKCS7":
                ders += _pkcs7(b"-----BEGIN PKCS7-----\n" + body + b"-----END PKCS7-----\n",
                               True, where)
        if not ders:
            raise UsageError(f"{where}: no CERTIFICATE block")
        return ders
    if data[:1] == b"\x30":  # DER: one certificate, or a PKCS#7 ContentInfo
        if b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in data[:32]:  # signedData
            return _pkcs7(data, False, where)
        return [data]
    raise UsageError(f"{where}: no certificate found (expected PEM, DER or PKCS#7)")
