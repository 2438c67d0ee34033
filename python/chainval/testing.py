"""Throw-away X.509 PKIs for tests.

This module builds small certificate hierarchies with ``cryptography``: roots,
intermediates, leaves, cross-certificates and deliberately broken certificates
(tampered signatures, legacy hashes, missing or contradictory extensions). It
is the single generator behind libchain's committed test fixtures
(``tests/data/make-certs.py``) and chainval's own test suite, and users may
build their test PKIs with it too (it needs ``cryptography``: install
``chainval[testing]``). It has no global state: every default lives on a
:class:`PKI` object.

Typical use::

    pki = PKI()                                     # P-256, SHA-256, 2020..2099
    root = pki.root("Test Root")
    inter = root.intermediate("Test Int", path_length=0)
    leaf = inter.leaf(dns=["www.example.com"])
    bundle = pem_bundle(leaf, inter)                # served chain, leaf first

Conventions:

* Validity defaults to 2020-01-01T00:00:00Z .. 2099-12-31T23:59:59Z.
* Serial numbers are random positive integers (``x509.random_serial_number``).
* Every certificate gets a subjectKeyIdentifier; every certificate that is not
  self-signed gets an authorityKeyIdentifier (key identifier only) equal to
  the issuer key's SKI. Both can be switched off per certificate.
* CA certificates get a critical basicConstraints CA:TRUE and a critical
  keyUsage keyCertSign|cRLSign; leaves get a critical basicConstraints
  CA:FALSE, a critical keyUsage digitalSignature (plus keyEncipherment for
  RSA keys) and an extendedKeyUsage serverAuth. Every one of these can be
  replaced or left out.

Legacy signature hashes: ``cryptography`` refuses to *build* certificates
signed with SHA-1 or MD5 ("Hash algorithm ... not supported for signatures"),
although it will still compute such signatures over arbitrary bytes. For
``hash="sha1"`` or ``hash="md5"`` the certificate is therefore built with
SHA-256 and then re-signed here in pure Python (:func:`resign`): the two
AlgorithmIdentifiers (in the TBSCertificate and in the Certificate) are
replaced by the legacy one, the TBSCertificate is re-encoded and signed with
``private_key.sign(..., SHA1()/MD5())``, and the Certificate is re-assembled.
No external tool is needed. Only RSA (PKCS#1 v1.5) and ECDSA issuers are
supported for legacy hashes (MD5 only with RSA).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

__all__ = [
    "DEFAULT",
    "encode_oid",
    "encode_tlv",
    "DEFAULT_NOT_AFTER",
    "DEFAULT_NOT_BEFORE",
    "CA",
    "Cert",
    "PKI",
    "der_of",
    "der_to_pem",
    "generate_key",
    "key_bits",
    "make_crl",
    "make_ocsp_response",
    "pem_bundle",
    "resign",
    "set_serial",
    "patch_tbs",
    "tamper_signature",
    "utc",
]

PrivateKey = Union[
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
]
PublicKey = Union[
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
]


class _Default:
    """Sentinel: "use the documented default" (``None`` means "absent")."""

    _instance: Optional["_Default"] = None

    def __new__(cls) -> "_Default":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


def utc(year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime.datetime:
    """A timezone-aware UTC datetime."""
    return datetime.datetime(year, month, day, hour, minute, second,
                             tzinfo=datetime.timezone.utc)


DEFAULT_NOT_BEFORE = utc(2020, 1, 1)
DEFAULT_NOT_AFTER = utc(2099, 12, 31, 23, 59, 59)

# ---------------------------------------------------------------------------
# Keys and hashes

_CURVES = {
    "p256": ec.SECP256R1,
    "p384": ec.SECP384R1,
    "p521": ec.SECP521R1,
}


def generate_key(key_type: str = "p256") -> PrivateKey:
    """Generate a private key.

    ``key_type`` is ``"rsa<bits>"`` (``"rsa2048"``, ``"rsa1024"``, ...),
    ``"p256"``, ``"p384"``, ``"p521"``, ``"ed25519"`` or ``"ed448"``.
    """
    kt = key_type.lower().replace("-", "")
    if kt.startswith("rsa"):
        bits = int(kt[3:] or "2048")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kt in _CURVES:
        return ec.generate_private_key(_CURVES[kt]())  # type: ignore[abstract]
    if kt == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kt == "ed448":
        return ed448.Ed448PrivateKey.generate()
    raise ValueError(f"unknown key type {key_type!r}")


def key_bits(key: Union[PrivateKey, PublicKey]) -> int:
    """Size of a key in bits (RSA modulus, EC curve; 256/456 for EdDSA)."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return key.key_size
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return key.curve.key_size
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return 256
    if isinstance(key, (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)):
        return 456
    raise TypeError(f"unsupported key {type(key).__name__}")


_HASHES = {
    "sha1": hashes.SHA1,
    "md5": hashes.MD5,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# Hashes cryptography's CertificateBuilder refuses; handled by resign().
_LEGACY_HASHES = {"sha1", "md5"}


def _hash_name(h: Union[str, hashes.HashAlgorithm, None]) -> Optional[str]:
    if h is None:
        return None
    if isinstance(h, hashes.HashAlgorithm):
        return h.name.replace("-", "")
    name = h.lower().replace("-", "")
    if name not in _HASHES:
        raise ValueError(f"unknown hash {h!r}")
    return name


def _is_eddsa(key: Any) -> bool:
    return isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey))


# ---------------------------------------------------------------------------
# Minimal DER reading/writing (enough to edit a Certificate's outer layers)


def _read_tlv(buf: bytes, pos: int, end: Optional[int] = None) -> tuple[int, int, int]:
    """Read one DER TLV at ``pos``: return (tag, content_start, content_end)."""
    if end is None:
        end = len(buf)
    if pos + 2 > end:
        raise ValueError("truncated DER header")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("high-tag-number form not supported")
    first = buf[pos + 1]
    if first < 0x80:
        length, hdr = first, 2
    elif first == 0x80:
        raise ValueError("indefinite length is not DER")
    else:
        n = first & 0x7F
        if pos + 2 + n > end:
            raise ValueError("truncated DER length")
        length = int.from_bytes(buf[pos + 2:pos + 2 + n], "big")
        hdr = 2 + n
    start = pos + hdr
    if start + length > end:
        raise ValueError("DER content runs past its container")
    return tag, start, start + length


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The TLVs inside [start, end): list of (tag, tlv_start, content_start, end)."""
    out = []
    pos = start
    while pos < end:
        tag, cstart, cend = _read_tlv(buf, pos, end)
        out.append((tag, pos, cstart, cend))
        pos = cend
    return out


def encode_tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content (for hand-built extensions)."""
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def encode_oid(dotted: str) -> bytes:
    """A DER OBJECT IDENTIFIER from its dotted form."""
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return encode_tlv(0x06, bytes(body))


def _cert_parts(der: bytes) -> tuple[list[tuple[int, int, int, int]], int]:
    """Split a Certificate into [tbs, signatureAlgorithm, signatureValue]."""
    tag, start, end = _read_tlv(der, 0)
    if tag != 0x30 or end != len(der):
        raise ValueError("not a single DER SEQUENCE")
    parts = _children(der, start, end)
    if len(parts) != 3 or parts[0][0] != 0x30 or parts[1][0] != 0x30 or parts[2][0] != 0x03:
        raise ValueError("not a Certificate (SEQUENCE { tbs, alg, BIT STRING })")
    return parts, start


def der_of(obj: Union["Cert", x509.Certificate, bytes]) -> bytes:
    """DER bytes of a :class:`Cert`, a ``cryptography`` certificate or DER bytes."""
    if isinstance(obj, Cert):
        return obj.der
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.DER)
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    raise TypeError(f"not a certificate: {type(obj).__name__}")


def tamper_signature(cert: Union["Cert", x509.Certificate, bytes], offset: int = -1,
                     xor: int = 0x01) -> Any:
    """Flip bits in the signature of a certificate, keeping the DER valid.

    The Certificate is parsed just far enough to find its signatureValue BIT
    STRING; the byte at ``offset`` within the signature bytes (after the
    unused-bits octet; negative counts from the end) is XORed with ``xor``.
    No length changes, so the outer encoding stays intact. The default (last
    byte) lies inside ``s`` of an ECDSA signature, so an ECDSA signature
    still parses as a DER ``SEQUENCE {r, s}`` and merely fails to verify.

    Returns the same kind of object it was given: DER bytes for bytes, a
    ``cryptography`` certificate otherwise.
    """
    der = bytearray(der_of(cert))
    parts, _ = _cert_parts(bytes(der))
    _, _, cstart, cend = parts[2]
    sig_start = cstart + 1  # skip the unused-bits octet
    nbytes = cend - sig_start
    if nbytes <= 0 or not xor & 0xFF:
        raise ValueError("empty signature or no-op xor")
    index = offset if offset >= 0 else nbytes + offset
    if not 0 <= index < nbytes:
        raise ValueError("offset outside the signature")
    der[sig_start + index] ^= xor & 0xFF
    out = bytes(der)
    if isinstance(cert, (bytes, bytearray)):
        return out
    return x509.load_der_x509_certificate(out)


def _legacy_algorithm_identifier(issuer_key: PrivateKey, hash_name: str) -> bytes:
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        oid = {"sha1": "1.2.840.113549.1.1.5", "md5": "1.2.840.113549.1.1.4"}.get(hash_name)
        if oid:
            return encode_tlv(0x30, encode_oid(oid) + b"\x05\x00")  # params NULL
    elif isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        if hash_name == "sha1":
            return encode_tlv(0x30, encode_oid("1.2.840.10045.4.1"))  # no params
    raise ValueError(f"cannot sign with {hash_name} using a {type(issuer_key).__name__}")


def resign(cert: Union["Cert", x509.Certificate, bytes], issuer_key: PrivateKey,
           hash: Union[str, hashes.HashAlgorithm]) -> x509.Certificate:
    """Re-sign a certificate with ``issuer_key`` using a legacy hash.

    Used for SHA-1 (RSA or ECDSA) and MD5 (RSA), which ``cryptography``'s
    CertificateBuilder refuses. Both signature AlgorithmIdentifiers are
    replaced, the TBSCertificate is re-encoded and signed, and the
    Certificate is re-assembled; everything else is kept byte for byte.
    """
    name = _hash_name(hash)
    if name is None:
        raise ValueError("resign needs a hash")
    der = der_of(cert)
    parts, _ = _cert_parts(der)
    _, tbs_start, tbs_cstart, tbs_end = parts[0]
    fields = _children(der, tbs_cstart, tbs_end)
    idx = 0
    if fields and fields[0][0] == 0xA0:  # [0] EXPLICIT version
        idx += 1
    if len(fields) < idx + 2 or fields[idx][0] != 0x02 or fields[idx + 1][0] != 0x30:
        raise ValueError("unexpected TBSCertificate layout")
    alg = _legacy_algorithm_identifier(issuer_key, name)
    new_fields = [der[f[1]:f[3]] for f in fields]
    new_fields[idx + 1] = alg
    tbs = encode_tlv(0x30, b"".join(new_fields))
    hash_alg = _HASHES[name]()  # type: ignore[abstract]
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        sig = issuer_key.sign(tbs, padding.PKCS1v15(), hash_alg)
    else:
        assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
        sig = issuer_key.sign(tbs, ec.ECDSA(hash_alg))
    out = encode_tlv(0x30, tbs + alg + encode_tlv(0x03, b"\x00" + sig))
    return x509.load_der_x509_certificate(out)


def _der_time(when: datetime.datetime) -> bytes:
    """RFC 5280 Time: UTCTime through 2049, GeneralizedTime after."""
    when = when.astimezone(datetime.timezone.utc)
    if when.year < 2050:
        return encode_tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode())
    return encode_tlv(0x18, when.strftime("%Y%m%d%H%M%SZ").encode())


def _der_integer(value: Union[int, bytes]) -> bytes:
    """An INTEGER from an int (two's complement) or from its raw content octets."""
    if isinstance(value, int):
        value = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return encode_tlv(0x02, bytes(value))


def _sign_sha256(key: PrivateKey, tbs: bytes) -> tuple[bytes, bytes]:
    """(AlgorithmIdentifier, signature) of ``tbs`` with SHA-256 (or EdDSA)."""
    if isinstance(key, rsa.RSAPrivateKey):
        alg = encode_tlv(0x30, encode_oid("1.2.840.113549.1.1.11") + b"\x05\x00")
        return alg, key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return encode_tlv(0x30, encode_oid("1.2.840.10045.4.3.2")), key.sign(
            tbs, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return encode_tlv(0x30, encode_oid("1.3.101.112")), key.sign(tbs)
    raise ValueError(f"cannot sign with a {type(key).__name__}")


def make_crl(issuer: "CA", revoked: Iterable[Union[int, bytes, tuple]] = (), *,
             this_update: Optional[datetime.datetime] = None,
             next_update: Optional[datetime.datetime] = None,
             number: Optional[int] = 1, key: Optional[PrivateKey] = None,
             empty_list: bool = False) -> bytes:
    """A DER CRL of ``issuer``, built by hand so that it can hold what
    ``cryptography``'s builder refuses (serials of any length, tens of
    thousands of entries quickly).

    ``revoked`` holds serials (an int, or the INTEGER's raw content octets)
    or ``(serial, revocation datetime)`` pairs; the default date is 2021-01-01.
    ``number`` is the cRLNumber (``None``: no extension). ``key`` signs
    instead of the issuer's key (a same-name CRL of another CA).
    ``empty_list`` writes revokedCertificates even when it is empty (``30 00``,
    which encoders usually leave out). Validity
    defaults to 2020-01-01 .. 2099-12-31, as certificates.
    """
    signer = key or issuer.key
    entry_date = _der_time(utc(2021))
    entries = []
    for item in revoked:
        serial, when = item if isinstance(item, tuple) else (item, None)
        date = _der_time(when) if when is not None else entry_date
        entries.append(encode_tlv(0x30, _der_integer(serial) + date))
    alg, _ = _sign_sha256(signer, b"")
    fields = [
        _der_integer(1),  # v2
        alg,
        issuer.name.public_bytes(),
        _der_time(this_update or DEFAULT_NOT_BEFORE),
        _der_time(next_update or DEFAULT_NOT_AFTER),
    ]
    if entries or empty_list:
        fields.append(encode_tlv(0x30, b"".join(entries)))
    if number is not None:
        ext = encode_tlv(0x30, encode_oid("2.5.29.20") + encode_tlv(0x04, _der_integer(number)))
        fields.append(encode_tlv(0xA0, encode_tlv(0x30, ext)))
    tbs = encode_tlv(0x30, b"".join(fields))
    alg, sig = _sign_sha256(signer, tbs)
    return encode_tlv(0x30, tbs + alg + encode_tlv(0x03, b"\x00" + sig))


def make_ocsp_response(issuer: "CA", cert: Union["Cert", x509.Certificate], *,
                       revoked_at: Optional[datetime.datetime] = None,
                       reason: Optional[x509.ReasonFlags] = None,
                       this_update: datetime.datetime,
                       next_update: Optional[datetime.datetime] = None,
                       signer: Optional[Union["Cert", "CA"]] = None,
                       include: Optional[Union["Cert", "CA"]] = None,
                       unknown: bool = False) -> bytes:
    """A DER OCSPResponse (what a server staples) about ``cert`` of ``issuer``:
    good, revoked at ``revoked_at`` (with ``reason``), or ``unknown``; current from
    ``this_update`` to ``next_update`` (None: no nextUpdate). Signed by
    ``issuer``, or by ``signer`` (a delegated responder, or a stranger),
    named by key hash; ``include`` adds a certificate to the response.
    Built with cryptography's OCSP builder (SHA-1 CertID, SHA-256 signature).
    """
    from cryptography.x509 import ocsp

    who = signer or issuer
    target = cert.cert if isinstance(cert, Cert) else cert
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=target, issuer=issuer.cert, algorithm=hashes.SHA1(),
        cert_status=(ocsp.OCSPCertStatus.UNKNOWN if unknown else ocsp.OCSPCertStatus.GOOD
                     if revoked_at is None else ocsp.OCSPCertStatus.REVOKED),
        this_update=this_update, next_update=next_update, revocation_time=revoked_at,
        revocation_reason=reason if revoked_at is not None else None)
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, who.cert)
    if include is not None:
        builder = builder.certificates([include.cert])
    assert who.key is not None, "the signer needs a private key"
    return builder.sign(who.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _resign_tbs(der: bytes, tbs: bytes, issuer_key: PrivateKey) -> bytes:
    parts, _ = _cert_parts(der)
    alg, sig = _sign_sha256(issuer_key, tbs)
    if der[parts[1][1]:parts[1][3]] != alg:
        raise ValueError("only certificates signed with SHA-256 (or EdDSA) are re-signed")
    return encode_tlv(0x30, tbs + alg + encode_tlv(0x03, b"\x00" + sig))


def set_serial(cert: Union["Cert", x509.Certificate, bytes], serial: Union[int, bytes],
               issuer_key: PrivateKey) -> bytes:
    """DER of ``cert`` with another serialNumber (an int, or the INTEGER's
    raw content octets: any length, which ``cryptography`` refuses past
    159 bits), re-signed with SHA-256 (or EdDSA) by ``issuer_key``."""
    der = der_of(cert)
    parts, _ = _cert_parts(der)
    _, _, tbs_cstart, tbs_end = parts[0]
    fields = _children(der, tbs_cstart, tbs_end)
    idx = 1 if fields and fields[0][0] == 0xA0 else 0
    new_fields = [der[f[1]:f[3]] for f in fields]
    new_fields[idx] = _der_integer(serial)
    return _resign_tbs(der, encode_tlv(0x30, b"".join(new_fields)), issuer_key)


def patch_tbs(cert: Union["Cert", x509.Certificate, bytes], old: bytes, new: bytes,
              issuer_key: PrivateKey) -> bytes:
    """DER of ``cert`` with every ``old`` in its TBSCertificate replaced by
    ``new`` (the same length, so no DER length changes), re-signed by
    ``issuer_key``: bytes ``cryptography`` will not write, such as invalid
    UTF-8 inside a UTF8String."""
    if len(old) != len(new) or not old:
        raise ValueError("patch_tbs replaces bytes by as many bytes")
    der = der_of(cert)
    parts, _ = _cert_parts(der)
    _, tbs_start, _, tbs_end = parts[0]
    tbs = der[tbs_start:tbs_end]
    if old not in tbs:
        raise ValueError("the bytes to replace are not in the TBSCertificate")
    return _resign_tbs(der, tbs.replace(old, new), issuer_key)


def der_to_pem(der: bytes, label: str = "CERTIFICATE") -> bytes:
    """PEM-armor arbitrary bytes (also garbage, for malformed-input tests)."""
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines)
            + f"\n-----END {label}-----\n").encode("ascii")


def pem_bundle(*certs: Union["Cert", x509.Certificate, bytes]) -> bytes:
    """Concatenate certificates as PEM, in the given order."""
    return b"".join(der_to_pem(der_of(c)) for c in certs)


# ---------------------------------------------------------------------------
# Names and extensions

_EKU_ALIASES = {
    "server": ExtendedKeyUsageOID.SERVER_AUTH,
    "client": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "time_stamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "any": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}

_KEY_USAGES = (
    "digital_signature", "content_commitment", "key_encipherment",
    "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
    "encipher_only", "decipher_only",
)


def _name(subject: Union[str, x509.Name]) -> x509.Name:
    if isinstance(subject, x509.Name):
        return subject
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])


def _eku_oid(purpose: Union[str, ObjectIdentifier]) -> ObjectIdentifier:
    if isinstance(purpose, ObjectIdentifier):
        return purpose
    if purpose in _EKU_ALIASES:
        return _EKU_ALIASES[purpose]
    return ObjectIdentifier(purpose)


def _key_usage(names: Iterable[str]) -> x509.KeyUsage:
    wanted = set(names)
    unknown = wanted.difference(_KEY_USAGES)
    if unknown:
        raise ValueError(f"unknown key usages {sorted(unknown)}")
    return x509.KeyUsage(**{n: n in wanted for n in _KEY_USAGES})


def _ip(value: Union[str, ipaddress.IPv4Address, ipaddress.IPv6Address]) -> x509.IPAddress:
    return x509.IPAddress(ipaddress.ip_address(value))


def _subtrees(dns: Sequence[str], ips: Sequence[str]) -> Optional[list[x509.GeneralName]]:
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    names += [x509.IPAddress(ipaddress.ip_network(n, strict=False)) for n in ips]
    return names or None


def _public_key(key: Union[PrivateKey, PublicKey]) -> PublicKey:
    return key.public_key() if hasattr(key, "public_key") else key  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# Certificates


class Cert:
    """A certificate and, when known, its private key."""

    def __init__(self, cert: x509.Certificate, key: Optional[PrivateKey] = None) -> None:
        self.cert = cert
        self.key = key

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return der_to_pem(self.der)

    @property
    def subject(self) -> x509.Name:
        return self.cert.subject

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER, lower-case hex."""
        return self.cert.fingerprint(hashes.SHA256()).hex()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.cert.subject.rfc4514_string()}>"


class CA(Cert):
    """An issuer: a subject name and a private key, usually with a certificate.

    The identity of a CA is its name and key; it may hold any number of
    certificates (self-signed, cross-signed, ...). ``cert`` is the one used
    when the CA is bundled; it may be ``None`` for a CA whose own certificate
    does not matter (for instance one half of a certificate loop).
    """

    def __init__(self, pki: "PKI", name: Union[str, x509.Name], key: PrivateKey,
                 cert: Optional[x509.Certificate] = None) -> None:
        super().__init__(cert, key)  # type: ignore[arg-type]
        self.pki = pki
        self.name = _name(name)
        self.key: PrivateKey = key

    @property
    def der(self) -> bytes:
        if self.cert is None:
            raise ValueError(f"CA {self.name.rfc4514_string()} has no certificate")
        return super().der

    @property
    def subject(self) -> x509.Name:
        return self.name

    def __repr__(self) -> str:
        return f"<CA {self.name.rfc4514_string()}>"

    # -- the general primitive ---------------------------------------------

    def issue(self, subject: Union[str, x509.Name],
              public_key: Union[PrivateKey, PublicKey], *,
              ca: bool = False,
              not_before: Optional[datetime.datetime] = None,
              not_after: Optional[datetime.datetime] = None,
              basic_constraints: bool = True,
              path_length: Optional[int] = None,
              bc_critical: bool = True,
              key_usage: Any = DEFAULT,
              key_usage_critical: bool = True,
              eku: Any = DEFAULT,
              eku_critical: bool = False,
              dns: Sequence[str] = (),
              ips: Sequence[str] = (),
              san_critical: bool = False,
              permitted_dns: Sequence[str] = (),
              excluded_dns: Sequence[str] = (),
              permitted_ips: Sequence[str] = (),
              excluded_ips: Sequence[str] = (),
              extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
              ski: bool = True,
              aki: Any = DEFAULT,
              hash: Union[str, hashes.HashAlgorithm, None, _Default] = DEFAULT,
              serial: Optional[int] = None) -> x509.Certificate:
        """Sign a certificate for ``subject``/``public_key`` with this CA's key.

        ``ca`` selects the CA or leaf defaults. Extensions:

        * basicConstraints: present unless ``basic_constraints=False``;
          ``cA`` = ``ca``; ``path_length`` only with ``ca``; critical unless
          ``bc_critical=False``.
        * keyUsage: ``DEFAULT`` (see the module docstring), ``None`` (absent)
          or an iterable of names (``"digital_signature"``, ``"key_cert_sign"``,
          ``"crl_sign"``, ...; the ``x509.KeyUsage`` field names).
        * extendedKeyUsage: ``DEFAULT`` (leaves: serverAuth; CAs: absent),
          ``None`` (absent) or a list of OIDs, dotted strings or aliases
          (``"server"``, ``"client"``, ``"code_signing"``, ``"any"``, ...).
        * subjectAltName from ``dns`` and ``ips`` (absent when both empty).
        * nameConstraints (critical) from ``permitted_dns``/``excluded_dns``
          and ``permitted_ips``/``excluded_ips`` (CIDR strings).
        * ``extensions``: extra ``(ExtensionType, critical)`` pairs, e.g.
          ``(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"),
          b"\\x05\\x00"), True)``.
        * subjectKeyIdentifier unless ``ski=False``; authorityKeyIdentifier
          (this CA's key id) unless ``aki=False`` (``DEFAULT``: present unless
          the certificate is self-signed with the same name and key).

        ``hash`` is the signature hash (default: the PKI's, SHA-256; ignored
        and must be DEFAULT/None for EdDSA issuers). ``"sha1"`` and ``"md5"``
        go through :func:`resign`.
        """
        pki = self.pki
        pub = _public_key(public_key)
        subject_name = _name(subject)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject_name)
            .issuer_name(self.name)
            .public_key(pub)
            .serial_number(serial if serial is not None else x509.random_serial_number())
            .not_valid_before(not_before or pki.not_before)
            .not_valid_after(not_after or pki.not_after)
        )

        if basic_constraints:
            builder = builder.add_extension(
                x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
                critical=bc_critical)
        elif path_length is not None:
            raise ValueError("path_length needs basicConstraints")

        if key_usage is DEFAULT:
            if ca:
                ku: Optional[Iterable[str]] = ("key_cert_sign", "crl_sign")
            elif isinstance(pub, rsa.RSAPublicKey):
                ku = ("digital_signature", "key_encipherment")
            else:
                ku = ("digital_signature",)
        else:
            ku = key_usage
        if ku is not None:
            builder = builder.add_extension(_key_usage(ku), critical=key_usage_critical)

        if eku is DEFAULT:
            eku = None if ca else ["server"]
        if eku is not None:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([_eku_oid(p) for p in eku]), critical=eku_critical)

        san: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        san += [_ip(a) for a in ips]
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san),
                                            critical=san_critical)

        permitted = _subtrees(permitted_dns, permitted_ips)
        excluded = _subtrees(excluded_dns, excluded_ips)
        if permitted or excluded:
            builder = builder.add_extension(
                x509.NameConstraints(permitted_subtrees=permitted,
                                     excluded_subtrees=excluded), critical=True)

        if ski:
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(pub),
                                            critical=False)
        if aki is DEFAULT:
            aki = not (subject_name == self.name
                       and pub.public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
                       == self.key.public_key().public_bytes(
                           serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo))
        if aki:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.key.public_key()),  # type: ignore[arg-type]
                critical=False)

        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)

        hash_name = _hash_name(pki.hash if hash is DEFAULT else hash)  # type: ignore[arg-type]
        if _is_eddsa(self.key):
            if hash is not DEFAULT and hash is not None:
                raise ValueError("EdDSA signatures take no separate hash")
            return builder.sign(self.key, None)
        if hash_name is None:
            raise ValueError("RSA/ECDSA signatures need a hash")
        if hash_name in _LEGACY_HASHES:
            interim = builder.sign(self.key, hashes.SHA256())  # type: ignore[arg-type]
            return resign(interim, self.key, hash_name)
        return builder.sign(self.key, _HASHES[hash_name]())  # type: ignore[arg-type,abstract]

    # -- conveniences -------------------------------------------------------

    def intermediate(self, name: Union[str, x509.Name], *,
                     key: Union[PrivateKey, str, None] = None, **options: Any) -> "CA":
        """A subordinate CA certified by this CA.

        ``key`` is a private key to reuse or a key type for a new one
        (default: the PKI's key type). ``options`` are those of :meth:`issue`
        (``ca`` defaults to True; pass ``ca=False`` or
        ``basic_constraints=False`` for broken "CAs").
        """
        priv = self.pki.key(key)
        options.setdefault("ca", True)
        cert = self.issue(name, priv, **options)
        return CA(self.pki, name, priv, cert)

    def leaf(self, cn: Optional[str] = None, *, dns: Sequence[str] = (),
             ips: Sequence[str] = (), key: Union[PrivateKey, str, None] = None,
             subject: Optional[x509.Name] = None, **options: Any) -> Cert:
        """An end-entity certificate.

        The subject is ``subject`` if given, else CN=``cn``, else CN=the
        first DNS name (or IP address, or "Test Leaf"). SANs come from ``dns``
        and ``ips`` only: a CN is never copied into the SAN.
        """
        priv = self.pki.key(key)
        if subject is None:
            subject = _name(cn or (dns[0] if dns else ips[0] if ips else "Test Leaf"))
        cert = self.issue(subject, priv, dns=dns, ips=ips, **options)
        return Cert(cert, priv)

    def cross_sign(self, other: "CA", **options: Any) -> "CA":
        """Certify ``other``'s subject and key with this CA (a cross-certificate).

        Returns a new :class:`CA` with ``other``'s name and key whose
        ``cert`` is the cross-certificate, so it can issue and be bundled.
        """
        options.setdefault("ca", True)
        cert = self.issue(other.name, other.key, **options)
        return CA(self.pki, other.name, other.key, cert)


class PKI:
    """Defaults and a factory for roots.

    ``key_type`` is the default for new keys (see :func:`generate_key`),
    ``hash`` the default signature hash, ``not_before``/``not_after`` the
    default validity (timezone-aware datetimes).
    """

    def __init__(self, *, key_type: str = "p256",
                 hash: Union[str, hashes.HashAlgorithm] = "sha256",
                 not_before: datetime.datetime = DEFAULT_NOT_BEFORE,
                 not_after: datetime.datetime = DEFAULT_NOT_AFTER) -> None:
        self.key_type = key_type
        self.hash = hash
        self.not_before = not_before
        self.not_after = not_after

    def key(self, key: Union[PrivateKey, str, None] = None) -> PrivateKey:
        """``key`` itself if it is a private key, else a new key of that type
        (default: the PKI's key type)."""
        if key is None:
            return generate_key(self.key_type)
        if isinstance(key, str):
            return generate_key(key)
        return key

    def ca(self, name: Union[str, x509.Name],
           key: Union[PrivateKey, str, None] = None) -> CA:
        """A CA identity (name + key) without a certificate of its own."""
        return CA(self, name, self.key(key))

    def root(self, name: Union[str, x509.Name], *,
             key: Union[PrivateKey, str, None] = None, **options: Any) -> CA:
        """A self-signed CA. ``options`` are those of :meth:`CA.issue`;
        the root has no AKI unless ``aki=True``."""
        ident = self.ca(name, key)
        options.setdefault("ca", True)
        ident.cert = ident.issue(ident.name, ident.key, **options)
        return ident

    def self_signed(self, cn: Optional[str] = None, *, dns: Sequence[str] = (),
                    ips: Sequence[str] = (), key: Union[PrivateKey, str, None] = None,
                    **options: Any) -> Cert:
        """A self-signed end-entity certificate (CA:FALSE by default)."""
        ident = self.ca(cn or (dns[0] if dns else ips[0] if ips else "Test Leaf"), key)
        cert = ident.issue(ident.name, ident.key, dns=dns, ips=ips, **options)
        return Cert(cert, ident.key)
