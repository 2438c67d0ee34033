"""``chainval probe HOST[:PORT]``: connect, capture the chain exactly as the server
sends it (a GnuTLS client handshake that trusts and verifies nothing), then verify
it with chainval and show it as ``chainval verify`` does.

    chainval probe HOST[:PORT] [--sni NAME] [--starttls smtp|imap] [--priority STRING]
                   [--timeout SECONDS] [--roots ...] [--pool ...] [--at TIME]
                   [--explain [N]] [--json] [--ascii]

Exit status: 0 trusted, 1 not trusted, 2 usage error, 3 connection or handshake
failure, 130 interrupted. A stapled OCSP response is checked as chainval verify
--ocsp-response checks one.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
from typing import Optional, TextIO

from .. import _chainval  # type: ignore[attr-defined]  # private, no stub
from ..scan.errors import UsageError, os_reason
from . import verify

__all__ = ["EXIT_CONNECTION", "add_parser", "run"]

EXIT_CONNECTION = 3
DEFAULT_PORTS = {None: 443, "smtp": 25, "imap": 143}
_MAX_LINE = 4096


class ConnectionFailed(Exception):
    """The server could not be reached, or the handshake failed (exit status 3)."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probe", help="fetch a server's chain over TLS and verify it",
                       description="Connect to HOST (TCP, then a TLS 1.2/1.3 handshake), "
                       "capture the certificates exactly as the server sends them, and "
                       "verify them as chainval verify does. The handshake trusts nothing: "
                       "the verdict is chainval's.",
                       epilog="exit status: 0 trusted, 1 not trusted, 2 usage error, 3 "
                       "connection or handshake failure, 130 interrupted. Documentation: "
                       "docs/verify.md.", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="HOST[:PORT]", help="a DNS name or IP address ([::1]:443 "
                   "for IPv6), port 443 by default (25 with --starttls smtp, 143 with imap)")
    p.add_argument("--sni", metavar="NAME", help="the server name sent in the handshake "
                   "(default: HOST when it is a name; none for an IP address)")
    p.add_argument("--starttls", choices=("smtp", "imap"), help="upgrade a plain SMTP or IMAP "
                   "connection first")
    p.add_argument("--priority", metavar="STRING", help="a GnuTLS priority string (e.g. "
                   "NORMAL:-VERS-TLS1.3 or NORMAL:+VERS-TLS1.0 for legacy servers)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="for connecting, STARTTLS and the handshake each (default 10)")
    p.add_argument("--host", metavar="NAME", help="the name checked on the leaf (default: "
                   "HOST, or --sni)")
    verify.add_verification_options(p, name=False)
    p.set_defaults(run=run)


def _target(text: str, starttls: Optional[str]) -> tuple[str, int]:
    host, port = text, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        number = int(port) if port is not None else DEFAULT_PORTS[starttls]
    except ValueError:
        raise UsageError(f"{text}: the port must be a number") from None
    if not host or not 0 < number < 65536:
        raise UsageError(f"{text}: expected HOST[:PORT]")
    return host, number


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror as e:
        raise ConnectionFailed(f"cannot resolve {host}: {os_reason(e)}") from None
    except ConnectionRefusedError:
        raise ConnectionFailed(f"{host} port {port}: connection refused") from None
    except TimeoutError:
        raise ConnectionFailed(f"{host} port {port}: no answer within {timeout:g} s") from None
    except OSError as e:
        raise ConnectionFailed(f"{host} port {port}: {os_reason(e)}") from None


def _lines(sock: socket.socket):
    buf = b""
    while True:
        while b"\n" not in buf:
            data = sock.recv(_MAX_LINE)
            if not data:
                raise ConnectionFailed("the server closed the connection during STARTTLS")
            buf += data
            if len(buf) > _MAX_LINE * 4:
                raise ConnectionFailed("STARTTLS: the server's line is too long")
        line, buf = buf.split(b"\n", 1)
        yield line.rstrip(b"\r").decode("latin-1")


def _starttls(sock: socket.socket, kind: str) -> None:
    """The plain-text part before the handshake (RFC 3207, RFC 3501)."""
    lines = _lines(sock)
    try:
        if kind == "smtp":
            greeting = next(lines)
            if not greeting.startswith("220"):
                raise ConnectionFailed(f"STARTTLS: not an SMTP greeting: {greeting[:80]!r}")
            while greeting.startswith("220-"):
                greeting = next(lines)
            sock.sendall(b"EHLO chainval.invalid\r\n")
            reply = next(lines)
            while reply.startswith("250-"):
                reply = next(lines)
            if not reply.startswith("250"):
                raise ConnectionFailed(f"STARTTLS: EHLO refused: {reply[:80]!r}")
            sock.sendall(b"STARTTLS\r\n")
            reply = next(lines)
            if not reply.startswith("220"):
                raise ConnectionFailed(f"STARTTLS refused by the server: {reply[:80]!r}")
        else:
            greeting = next(lines)
            if not greeting.startswith("* OK"):
                raise ConnectionFailed(f"STARTTLS: not an IMAP greeting: {greeting[:80]!r}")
            sock.sendall(b"a1 STARTTLS\r\n")
            for reply in lines:
                if reply.startswith("a1 "):
                    if not reply.startswith("a1 OK"):
                        raise ConnectionFailed(f"STARTTLS refused by the server: "
                                               f"{reply[:80]!r}")
                    break
    except TimeoutError:
        raise ConnectionFailed("STARTTLS: the server did not answer in time") from None
    except OSError as e:
        raise ConnectionFailed(f"STARTTLS: {os_reason(e)}") from None


def capture(host: str, port: int, *, sni: Optional[str], starttls: Optional[str],
            priority: Optional[str], timeout: float) -> dict:
    """Connect and handshake; what the server sent and what was negotiated."""
    sock = _connect(host, port, timeout)
    try:
        if starttls:
            _starttls(sock, starttls)
        sock.setblocking(True)  # the handshake has its own timeout
        try:
            chain, version, description, ocsp = _chainval._tls_handshake(
                sock.fileno(), server_name=sni, priority=priority,
                timeout_ms=int(timeout * 1000))
        except ValueError as e:
            raise UsageError(f"--priority: {e}") from None
        except (ConnectionError, TimeoutError, OSError) as e:
            raise ConnectionFailed(f"{host} port {port}: {e}") from None
    finally:
        sock.close()
    if not chain:
        raise ConnectionFailed(f"{host} port {port}: the server sent no certificate")
    return {"host": host, "port": port, "sni": sni, "starttls": starttls,
            "version": version, "session": description, "chain": chain,
            "ocsp_stapled": ocsp is not None, "ocsp_bytes": len(ocsp) if ocsp else 0,
            "ocsp": ocsp}


def run(args, stdout: TextIO, stderr: TextIO, stdin) -> int:
    host, port = _target(args.target, args.starttls)
    if args.timeout <= 0 or args.timeout > 3600:
        raise UsageError("--timeout must be between 0 and 3600 seconds")
    sni = args.sni if args.sni is not None else (None if _is_ip(host) else host)
    name = args.host or sni or host
    # The options are checked before connecting: a mistake costs no connection.
    prepared = verify.prepare(args, name=name, name_is_ip=_is_ip(name))
    try:
        got = capture(host, port, sni=sni, starttls=args.starttls, priority=args.priority,
                      timeout=args.timeout)
    except ConnectionFailed as e:
        stderr.write(f"chainval probe: {e}\n")
        return EXIT_CONNECTION
    connection = {k: v for k, v in got.items() if k not in ("chain", "ocsp")}
    return verify.verify_and_show(args, got["chain"], stdout, prepared, name=name,
                                  connection=connection, ocsp=got["ocsp"])
