#!/usr/bin/env python3
"""Regenerate the name-constraint fixtures.

    python3 tests/data/make-nc-certs.py

rewrites every PEM file under tests/data/nc/ and the index tests/data/nc/cases.tsv
(same columns as tests/data/cases.tsv, paths relative to tests/data), built with
python/chainval/testing.py. The nameConstraints and subjectAltName values are
encoded here, byte by byte, because cryptography refuses the invalid forms the
cases need (wildcard or leading-period dNSName subtrees, broken masks, mailboxes
with two '@'). Keys are random: every run changes every file.

Every case is verified at T = 1893456000 (2030-01-01T00:00:00Z).
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _factory import factory  # noqa: E402  (chainval.testing, by path)

from cryptography import x509  # noqa: E402
from cryptography.x509.oid import NameOID, ObjectIdentifier  # noqa: E402

NC_DIR = HERE / "nc"
NC_OID = ObjectIdentifier("2.5.29.30")
SAN_OID = ObjectIdentifier("2.5.29.17")

# ---------------------------------------------------------------- DER encoding


tlv, oid = factory.encode_tlv, factory.encode_oid


def name(*attrs: tuple[Any, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(a, v) for a, v in attrs])


def gn(kind: str, value: Any) -> bytes:
    """A GeneralName. ip: "addr" for a SAN, "net/len" for a subtree, or raw bytes."""
    if kind == "email":
        return tlv(0x81, value.encode())
    if kind == "dns":
        return tlv(0x82, value.encode())
    if kind == "uri":
        return tlv(0x86, value.encode())
    if kind == "ip":
        if isinstance(value, bytes):
            return tlv(0x87, value)
        if "/" in value:
            net = ipaddress.ip_network(value, strict=False)
            return tlv(0x87, net.network_address.packed + net.netmask.packed)
        return tlv(0x87, ipaddress.ip_address(value).packed)
    if kind == "dir":
        return tlv(0xA4, value.public_bytes())
    if kind == "other":  # (type-id, DER value)
        return tlv(0xA0, oid(value[0]) + tlv(0xA0, value[1]))
    if kind == "rid":
        return tlv(0x88, oid(value)[2:])
    raise ValueError(kind)


def subtree(kind: str, value: Any, minimum: Optional[int] = None,
            maximum: Optional[int] = None) -> bytes:
    body = gn(kind, value)
    if minimum is not None:
        body += tlv(0x80, minimum.to_bytes(1, "big"))
    if maximum is not None:
        body += tlv(0x81, maximum.to_bytes(1, "big"))
    return tlv(0x30, body)


def nc_value(permitted: list[bytes] | None = None, excluded: list[bytes] | None = None) -> bytes:
    body = b""
    if permitted is not None:
        body += tlv(0xA0, b"".join(permitted))
    if excluded is not None:
        body += tlv(0xA1, b"".join(excluded))
    return tlv(0x30, body)


def nc_ext(value: bytes, critical: bool = True) -> tuple[x509.ExtensionType, bool]:
    return x509.UnrecognizedExtension(NC_OID, value), critical


def permit(*subtrees: tuple) -> list:
    return [nc_ext(nc_value(permitted=[subtree(*s) for s in subtrees]))]


def exclude(*subtrees: tuple) -> list:
    return [nc_ext(nc_value(excluded=[subtree(*s) for s in subtrees]))]


def san(*names: tuple[str, Any]) -> list:
    der = tlv(0x30, b"".join(gn(k, v) for k, v in names))
    return [(x509.UnrecognizedExtension(SAN_OID, der), False)]


# ---------------------------------------------------------------- the cases


class Fixtures:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.lines: list[str] = []

    def write(self, filename: str, *certs: Any) -> str:
        assert filename not in self.files, filename
        self.files[filename] = factory.pem_bundle(*certs)
        return f"{NC_DIR.name}/{filename}"

    def case(self, case: str, store: str, chain: str, ok: bool, code: str = "ok",
             reasons: str = "-", path_len: Optional[int] = None, policy: str = "-") -> None:
        assert all(not line.startswith(case + "\t") for line in self.lines), case
        assert ok == (code == "ok") and (path_len is not None) == ok, case
        self.lines.append("\t".join((case, store, chain, "-", policy, "1" if ok else "0", code,
                                     reasons, "-" if path_len is None else str(path_len))))

    def flush(self) -> None:
        NC_DIR.mkdir(exist_ok=True)
        for old in NC_DIR.glob("*.pem"):
            old.unlink()
        for filename, data in self.files.items():
            (NC_DIR / filename).write_bytes(data)
        header = "name\tstore\tchain\tpool\tpolicy\tok\tcode\treasons\tpath_len"
        (NC_DIR / "cases.tsv").write_text("\n".join([header, *self.lines]) + "\n",
                                          encoding="ascii")


def build(fx: Fixtures) -> None:
    pki = factory.PKI()
    root = pki.root("NC Test Root")
    ROOT = fx.write("root.pem", root)

    def leaf(ca: Any, names: tuple = (), cn: str = "Test Leaf", subject: Any = None,
             extensions: list | None = None) -> Any:
        ext = (san(*names) if names else []) + (extensions or [])
        return ca.leaf(subject=subject or name((NameOID.COMMON_NAME, cn)), extensions=ext)

    def ok(case: str, ca: Any, *args: Any, policy: str = "-", **kw: Any) -> None:
        cas = ca if isinstance(ca, tuple) else (ca,)
        fx.case(case, ROOT, fx.write(f"{case}.pem", leaf(cas[0], *args, **kw), *cas), True,
                path_len=len(cas) + 2, policy=policy)

    def nc_fail(case: str, ca: Any, *args: Any, policy: str = "-", **kw: Any) -> None:
        cas = ca if isinstance(ca, tuple) else (ca,)
        fx.case(case, ROOT, fx.write(f"{case}.pem", leaf(cas[0], *args, **kw), *cas), False,
                "name_constraints", "name_constraints@0", policy=policy)

    def invalid(case: str, value: bytes, critical: bool = True) -> None:
        ca = root.intermediate(f"Int {case}", extensions=[nc_ext(value, critical)])
        fx.case(case, ROOT, fx.write(f"{case}.pem", leaf(ca, (("dns", "www.example.com"),)), ca),
                False, "malformed", "malformed@1")

    # ------------------------------------------------------------- dNSName
    dns = root.intermediate("Int Permit example.com", extensions=permit(("dns", "example.com")))
    ok("dns_permitted", dns, (("dns", "www.example.com"),))
    ok("dns_permitted_apex", dns, (("dns", "example.com"),))
    ok("dns_permitted_deep", dns, (("dns", "a.b.c.example.com"),))
    ok("dns_permitted_case", dns, (("dns", "WWW.Example.COM"),), policy="strict=0")
    nc_fail("dns_permitted_violation", dns, (("dns", "evil.test"),))
    nc_fail("dns_permitted_label_boundary", dns, (("dns", "notexample.com"),))
    nc_fail("dns_permitted_second_san", dns, (("dns", "www.example.com"), ("dns", "evil.test")))
    ex = root.intermediate("Int Exclude bad.example.com",
                           extensions=exclude(("dns", "bad.example.com")))
    nc_fail("dns_excluded", ex, (("dns", "bad.example.com"),))
    nc_fail("dns_excluded_subdomain", ex, (("dns", "x.bad.example.com"),))
    ok("dns_excluded_sibling", ex, (("dns", "good.example.com"),))
    ok("dns_excluded_label_boundary", ex, (("dns", "notbad.example.com"),))
    both = root.intermediate("Int Permit and Exclude", extensions=[nc_ext(nc_value(
        permitted=[subtree("dns", "example.com")], excluded=[subtree("dns", "bad.example.com")]))])
    nc_fail("dns_excluded_wins", both, (("dns", "bad.example.com"),))
    ok("dns_permitted_not_excluded", both, (("dns", "good.example.com"),))
    ex_all = root.intermediate("Int Exclude all DNS", extensions=exclude(("dns", "")))
    nc_fail("dns_excluded_empty_base", ex_all, (("dns", "www.example.com"),))
    ok("dns_excluded_empty_base_ip_only", ex_all, (("ip", "192.0.2.1"),))

    # Wildcard SANs are checked as the set of names they cover.
    ok("wildcard_permitted", dns, (("dns", "*.example.com"),))
    narrow = root.intermediate("Int Permit a.example.com",
                               extensions=permit(("dns", "a.example.com")))
    nc_fail("wildcard_wider_than_permitted", narrow, (("dns", "*.example.com"),))
    ok("wildcard_inside_narrow_permitted", narrow, (("dns", "*.a.example.com"),))
    nc_fail("wildcard_meets_excluded", ex, (("dns", "*.example.com"),))  # CVE-2025-61727
    nc_fail("wildcard_inside_excluded", ex, (("dns", "*.bad.example.com"),))
    ok("wildcard_beside_excluded", ex, (("dns", "*.good.example.com"),))
    ex_apex = root.intermediate("Int Exclude example.com", extensions=exclude(("dns", "example.com")))
    nc_fail("wildcard_under_excluded_apex", ex_apex, (("dns", "*.example.com"),))

    # Broken dNSName SANs cannot be placed inside a subtree (strict=0: the
    # conformance rules would refuse them on their own).
    for case, bad in (("dot", ".example.com"), ("empty_label", "a..example.com"),
                      ("char", "a!b.example.com"), ("partial_wildcard", "f*.example.com")):
        nc_fail(f"invalid_dns_san_{case}", dns, (("dns", bad), ("dns", "www.example.com")),
                policy="strict=0")

    # An intermediate's CN is never a DNS name (GnuTLS 3.7.9 takes it for one).
    sub = dns.intermediate("Sub CA Without SAN")
    ok("intermediate_without_san", (sub, dns), (("dns", "www.example.com"),))
    sub_dnsish = dns.intermediate("ca.evil.test")
    ok("intermediate_dns_like_cn", (sub_dnsish, dns), (("dns", "www.example.com"),))
    # Constraints narrow down the path: both must hold.
    nested = dns.intermediate("Int Permit a.example.com below", extensions=permit(("dns", "a.example.com")))
    ok("nested_permitted", (nested, dns), (("dns", "x.a.example.com"),))
    nc_fail("nested_narrowed", (nested, dns), (("dns", "b.example.com"),))
    # A self-issued intermediate (key rollover) is not subject to constraints.
    rollover_key = pki.key()
    rollover = factory.CA(pki, dns.name, rollover_key,
                          dns.issue(dns.name, rollover_key, ca=True, dns=["evil.test"]))
    ok("self_issued_intermediate", (rollover, dns), (("dns", "www.example.com"),))

    # The leaf's CN counts as a DNS name only without dNSName SAN.
    nc_fail("leaf_cn_outside", dns, cn="www.evil.test")
    ok("leaf_cn_inside", dns, cn="www.example.com")
    ok("leaf_cn_not_dns_like", dns, cn="Test Leaf")
    ok("leaf_cn_with_dns_san", dns, (("dns", "www.example.com"),), cn="other.evil.test")

    # Constraints on the anchor itself.
    root_nc = pki.root("NC Test Root Constrained", extensions=permit(("dns", "example.com")))
    ROOT_NC = fx.write("root-nc.pem", root_nc)
    fx.case("anchor_permitted", ROOT_NC, fx.write("anchor_permitted.pem",
            leaf(root_nc, (("dns", "www.example.com"),))), True, path_len=2)
    fx.case("anchor_violation", ROOT_NC, fx.write("anchor_violation.pem",
            leaf(root_nc, (("dns", "evil.test"),))), False, "name_constraints",
            "name_constraints@0")

    # ------------------------------------------------------------- iPAddress
    ips = root.intermediate("Int Permit IPs", extensions=permit(
        ("ip", "192.0.2.0/24"), ("ip", "2001:db8::/32")))
    ok("ipv4_permitted", ips, (("ip", "192.0.2.10"),))
    nc_fail("ipv4_permitted_violation", ips, (("ip", "198.51.100.1"),))
    ok("ipv6_permitted", ips, (("ip", "2001:db8::1"),))
    nc_fail("ipv6_permitted_violation", ips, (("ip", "2001:db9::1"),))
    ok("ip_constraint_dns_name", ips, (("dns", "www.example.com"),))
    nc_fail("invalid_ip_san", ips, (("ip", bytes([192, 0, 2, 0, 255, 255, 255, 0])),
                                    ("ip", "192.0.2.1")))
    ex_ips = root.intermediate("Int Exclude IPs", extensions=exclude(
        ("ip", "10.0.0.0/8"), ("ip", "2001:db8:bad::/48")))
    nc_fail("ipv4_excluded", ex_ips, (("ip", "10.1.2.3"),))
    ok("ipv4_not_excluded", ex_ips, (("ip", "192.0.2.1"),))
    nc_fail("ipv6_excluded", ex_ips, (("ip", "2001:db8:bad::1"),))
    ok("ipv6_not_excluded", ex_ips, (("ip", "2001:db8:1::1"),))
    v6_only = root.intermediate("Int Permit IPv6 only", extensions=permit(("ip", "2001:db8::/32")))
    nc_fail("ip_family_mismatch", v6_only, (("ip", "192.0.2.1"),))

    # ------------------------------------------------------------- rfc822Name
    mailbox = root.intermediate("Int Permit mailbox", extensions=permit(("email", "user@example.com")))
    ok("email_mailbox", mailbox, (("email", "user@example.com"),))
    ok("email_mailbox_domain_case", mailbox, (("email", "user@EXAMPLE.com"),))
    nc_fail("email_mailbox_local_case", mailbox, (("email", "USER@example.com"),))
    nc_fail("email_mailbox_other", mailbox, (("email", "other@example.com"),))
    host = root.intermediate("Int Permit mail host", extensions=permit(("email", "example.com")))
    ok("email_host", host, (("email", "anyone@example.com"),))
    nc_fail("email_host_subdomain", host, (("email", "anyone@sub.example.com"),))
    nc_fail("email_invalid_san", host, (("email", "a@b@example.com"),))
    nc_fail("email_subject_attribute", host,
            subject=name((NameOID.COMMON_NAME, "Test Leaf"), (NameOID.EMAIL_ADDRESS, "a@evil.test")))
    ok("email_subject_attribute_inside", host,
       subject=name((NameOID.COMMON_NAME, "Test Leaf"), (NameOID.EMAIL_ADDRESS, "a@example.com")))
    domain = root.intermediate("Int Permit mail domain", extensions=permit(("email", ".example.com")))
    ok("email_domain", domain, (("email", "anyone@sub.example.com"),))
    nc_fail("email_domain_apex", domain, (("email", "anyone@example.com"),))

    # ------------------------------------------------------------- URI
    uri = root.intermediate("Int Permit URI domain", extensions=permit(("uri", ".example.com")))
    ok("uri_domain", uri, (("uri", "https://www.example.com/path"),))
    ok("uri_domain_userinfo_port", uri, (("uri", "https://user@www.example.com:8443/p?q"),))
    nc_fail("uri_domain_apex", uri, (("uri", "https://example.com/"),))
    nc_fail("uri_no_host", uri, (("uri", "urn:example:www.example.com"),))
    nc_fail("uri_ip_literal", uri, (("uri", "https://[2001:db8::1]/"),))
    uri_host = root.intermediate("Int Permit URI host", extensions=permit(("uri", "host.example.com")))
    ok("uri_host", uri_host, (("uri", "https://HOST.example.com/"),))
    nc_fail("uri_host_subdomain", uri_host, (("uri", "https://www.host.example.com/"),))

    # ------------------------------------------------------------- directoryName
    acme = name((NameOID.ORGANIZATION_NAME, "Acme"))
    dir_ok = root.intermediate("Int Permit O=Acme", extensions=permit(("dir", acme)))
    ok("dir_permitted", dir_ok,
       subject=name((NameOID.ORGANIZATION_NAME, "Acme"), (NameOID.COMMON_NAME, "Test Leaf")))
    nc_fail("dir_permitted_violation", dir_ok,
            subject=name((NameOID.ORGANIZATION_NAME, "Other"), (NameOID.COMMON_NAME, "Test Leaf")))
    nc_fail("dir_permitted_san_violation", dir_ok,
            (("dir", name((NameOID.ORGANIZATION_NAME, "Other"))),),
            subject=name((NameOID.ORGANIZATION_NAME, "Acme"), (NameOID.COMMON_NAME, "Test Leaf")))
    evil = name((NameOID.ORGANIZATION_NAME, "Evil"))
    dir_ex = root.intermediate("Int Exclude O=Evil", extensions=exclude(("dir", evil)))
    nc_fail("dir_excluded", dir_ex,
            subject=name((NameOID.ORGANIZATION_NAME, "Evil"), (NameOID.COMMON_NAME, "Test Leaf")))
    nc_fail("dir_excluded_san", dir_ex, (("dir", name((NameOID.ORGANIZATION_NAME, "Evil"),
                                                      (NameOID.COMMON_NAME, "x"))),))
    ok("dir_not_excluded", dir_ex,
       subject=name((NameOID.ORGANIZATION_NAME, "Good"), (NameOID.COMMON_NAME, "Test Leaf")))

    # ------------------------------------------------------------- types not processed
    other = ("other", ("1.3.6.1.4.1.55555.1", b"\x05\x00"))
    forbid_other = root.intermediate("Int Exclude otherName", extensions=[nc_ext(nc_value(
        permitted=[subtree("dns", "example.com")], excluded=[subtree(*other)]))])
    ok("othername_constraint_noop", forbid_other, (("dns", "www.example.com"),))
    nc_fail("othername_constraint_applies", forbid_other, (("dns", "www.example.com"), other))
    rid = root.intermediate("Int Exclude registeredID", extensions=exclude(("rid", "1.2.3.4")))
    ok("rid_constraint_noop", rid, (("dns", "www.example.com"),))
    nc_fail("rid_constraint_applies", rid, (("rid", "1.2.3.4"),))

    # ------------------------------------------------------------- invalid extensions
    good = [subtree("dns", "example.com")]
    invalid("nc_noncritical", nc_value(permitted=good), critical=False)
    invalid("nc_empty", nc_value())
    invalid("nc_empty_lists", nc_value(permitted=[], excluded=[]))
    invalid("nc_minimum_nonzero", nc_value(permitted=[subtree("dns", "example.com", minimum=1)]))
    invalid("nc_maximum_present", nc_value(permitted=[subtree("dns", "example.com", maximum=2)]))
    invalid("nc_dns_leading_period", nc_value(permitted=[subtree("dns", ".example.com")]))
    invalid("nc_dns_wildcard", nc_value(permitted=[subtree("dns", "*.example.com")]))
    invalid("nc_ip_without_mask", nc_value(permitted=[subtree("ip", bytes([192, 0, 2, 0]))]))
    invalid("nc_ip_noncontiguous_mask", nc_value(
        permitted=[subtree("ip", bytes([192, 0, 2, 0, 255, 0, 255, 0]))]))
    invalid("nc_email_two_at", nc_value(permitted=[subtree("email", "a@b@example.com")]))
    invalid("nc_truncated", nc_value(permitted=good)[:-3])
    invalid("nc_lists_swapped", tlv(0x30, tlv(0xA1, good[0]) + tlv(0xA0, good[0])))
    invalid("nc_unknown_type", tlv(0x30, tlv(0xA0, tlv(0x30, tlv(0x89, b"x")))))
    # One empty list beside a non-empty one counts as absent.
    half = root.intermediate("Int Empty permitted", extensions=[nc_ext(nc_value(
        permitted=[], excluded=[subtree("dns", "bad.example.com")]))])
    ok("nc_one_list_empty", half, (("dns", "good.example.com"),))

    # RFC 5280 4.2.1.10: only CA certificates carry name constraints.
    fx.case("nc_in_end_entity", ROOT, fx.write("nc_in_end_entity.pem", leaf(
        dns, (("dns", "www.example.com"),), extensions=permit(("dns", "example.com"))), dns),
        False, "name_constraints", "name_constraints@0")


def main() -> int:
    fx = Fixtures()
    build(fx)
    fx.flush()
    print(f"{len(fx.lines)} cases, {len(fx.files)} files in {NC_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
