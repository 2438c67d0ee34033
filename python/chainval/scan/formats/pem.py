"""PEM input: a PEM (or DER) file is one chain; a directory of them, one per file."""

from __future__ import annotations

from .record import Record, pem_certificates


def _pem_record(rec: Record, data: bytes) -> None:
    ders = pem_certificates(data)
    if not ders:
        if data[:1] == b"\x30":  # one DER certificate
            ders = [data]
        else:
            raise ValueError("no PEM CERTIFICATE block")
    rec.chain = ders
