"""``chainval verify``: one served chain, verified and explained to a person.

    chainval verify CHAIN.pem|DER|p7b|- [--host NAME | --ip ADDR]
                    [--roots FILE|DIR|system] [--pool FILE|DIR] [--crl FILE ...]
                    [--at TIME] [--purpose server|client|any|OID] [--explain [N]]
                    [--json] [--ascii]

Exit status: 0 trusted, 1 not trusted, 2 usage or input error, 130 interrupted
(docs/verify.md; the same table as every chainval command).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, Optional, TextIO

import chainval

from ..scan.errors import UsageError, os_reason
from ..scan.formats import parse_at
from ..scan.stores import load_pool, load_store
from .chain_input import MAX_INPUT_BYTES, read_chain
from .document import add_attempts, build
from .render import render

__all__ = ["EXIT_NOT_TRUSTED", "EXIT_TRUSTED", "add_parser", "add_verification_options", "run",
           "verify_and_show"]

EXIT_TRUSTED = 0
EXIT_NOT_TRUSTED = 1

EPILOG = """\
exit status: 0 trusted, 1 not trusted, 2 usage or input error, 130 interrupted.
Without --roots the system's trust store is used; without --host/--ip no name
is checked (and the output says so). Documentation: docs/verify.md."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("verify", help="verify one chain and show why (or why not)",
                       description="Verify a served chain (leaf first) and show the path "
                       "built, each check on each certificate, the verdict and every "
                       "reason; --explain adds every other path tried.", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("chain", metavar="CHAIN", help="PEM bundle (fullchain.pem, openssl "
                   "s_client -showcerts output), DER certificate or PKCS#7 (.p7b); - for "
                   "stdin")
    v.add_argument("--ocsp-response", metavar="FILE", help="an OCSP response for the leaf "
                   "(DER, as a server staples it; e.g. openssl s_client -status "
                   "-respout FILE): checked at the verification time")
    add_verification_options(v)
    v.set_defaults(run=run)


def add_verification_options(v: argparse.ArgumentParser, name: bool = True) -> None:
    """The options verify and probe share: the name, trust, time, output."""
    if name:
        group = v.add_mutually_exclusive_group()
        group.add_argument("--host", metavar="NAME", help="check the leaf is valid for this "
                           "DNS name")
        group.add_argument("--ip", metavar="ADDR", help="check the leaf is valid for this IP "
                           "address")
    v.add_argument("--roots", metavar="FILE|DIR|system", default="system",
                   help="trust anchors (default: system, the operating system's store)")
    v.add_argument("--pool", metavar="FILE|DIR", help="intermediate certificates that may "
                   "complete the chain")
    v.add_argument("--crl", action="append", default=[], metavar="FILE",
                   help="a CRL (PEM or DER) to check revocation against (repeatable)")
    v.add_argument("--at", metavar="TIME", help="verify at TIME (unix seconds or RFC 3339; "
                   "default now)")
    v.add_argument("--purpose", default="server", help="server (default), client, any or "
                   "a dotted extendedKeyUsage OID")
    v.add_argument("--explain", nargs="?", type=int, const=chainval.Policy(explain=True).explain,
                   default=None, metavar="N", help="also show every path tried and why it was "
                   "rejected (at most N, default 64)")
    v.add_argument("--json", action="store_true", help="print one JSON document "
                   "(docs/verify.md, \"JSON\") instead of the tree")
    v.add_argument("--ascii", action="store_true", help="[ok]/[FAIL] instead of ✔/✘")


def _load_store(spec: str) -> Any:
    try:
        return load_store(spec)
    except (chainval.Error, OSError, ValueError) as e:
        raise UsageError(f"--roots {spec}: {e}") from None


def _load_pool(spec: Optional[str]) -> Any:
    try:
        return load_pool(spec) if spec is not None else None
    except (chainval.Error, OSError, ValueError) as e:
        raise UsageError(f"--pool {spec}: {e}") from None


def _policy(args, host: Optional[str], ip: Optional[str]) -> chainval.Policy:
    at = parse_at(args.at) if args.at is not None else None
    try:
        # repair_order: a PKCS#7 bundle is a SET (no order), and people paste
        # chains in any order; the output says when the leaf was not first.
        return chainval.Policy(hostname=host, ip=ip, purpose=args.purpose, at=at,
                               explain=args.explain or False, repair_order=True)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None


def _colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _can_print_marks(stream: TextIO) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


def run(args, stdout: TextIO, stderr: TextIO, stdin) -> int:
    name = args.host or args.ip
    prepared = prepare(args, name=name, name_is_ip=args.ip is not None)  # options first
    ders = read_chain(args.chain, stdin)
    ocsp = None
    if args.ocsp_response is not None:
        try:
            with open(args.ocsp_response, "rb") as f:
                ocsp = f.read(MAX_INPUT_BYTES)
        except OSError as e:
            raise UsageError(f"--ocsp-response {args.ocsp_response}: {os_reason(e)}") \
                from None
    return verify_and_show(args, ders, stdout, prepared, name=name, ocsp=ocsp)


def prepare(args, *, name: Optional[str], name_is_ip: bool) -> tuple:
    """What the options decide (the policy, the store with its CRLs, the pool),
    each checked: a UsageError for a user's mistake, raised before any chain is
    read or connection made (probe calls this before connecting)."""
    policy = _policy(args, None if name_is_ip else name, name if name_is_ip else None)
    store = _load_store(args.roots)
    for path in args.crl:
        try:
            with open(path, "rb") as f:
                store.add_crl(f.read())
        except (chainval.Error, OSError, ValueError) as e:
            raise UsageError(f"--crl {path}: {e}") from None
    return policy, store, _load_pool(args.pool)


def verify_and_show(args, ders: list[bytes], stdout: TextIO, prepared: tuple, *,
                    name: Optional[str], connection: Optional[dict] = None,
                    ocsp: Optional[bytes] = None) -> int:
    """Verify ``ders`` under the options (``prepared``: what :func:`prepare`
    returned for them, checked before the chain was read) and print the tree
    or the JSON document; the exit status (0 trusted, 1 not)."""
    policy, store, pool = prepared
    result = chainval.verify(ders, store=store, policy=policy, intermediates=pool, cache=None,
                             ocsp=ocsp)
    doc = build(result, name=name, purpose=args.purpose, roots=args.roots,
                crls=bool(args.crl), served=ders)
    if connection is not None:
        doc["connection"] = connection
    if args.explain:
        add_attempts(doc, result)
    if args.json:
        stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        stdout.write(render(doc, colour=_colour(stdout), explain=bool(args.explain),
                            ascii_only=args.ascii or not _can_print_marks(stdout)))
    stdout.flush()
    return EXIT_TRUSTED if result.ok else EXIT_NOT_TRUSTED
