"""chainval probe (issue 14) against real servers on loopback only: gnutls-serv with
test PKIs (a good chain, a missing intermediate, a wrong name, an IP literal), small
STARTTLS servers written here (SMTP, IMAP; TLS by Python's ssl), and the failures that
must be one line with exit status 3 in bounded time (refused, closed, silent)."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
from cryptography.hazmat.primitives import serialization

from chainval.testing import PKI, make_ocsp_response, pem_bundle

from _support import free_port
from _scan_support import run_cli

pytestmark = pytest.mark.skipif(shutil.which("gnutls-serv") is None,
                                reason="gnutls-serv is not installed (apt install gnutls-bin)")


def _wait_listening(port: int, proc=None, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stdout.read()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def pki_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    pki = PKI()
    root = pki.root("Probe Root")
    inter = root.intermediate("Probe Int")
    leaf = inter.leaf(dns=["localhost"])
    files = {"roots": d / "roots.pem", "chain": d / "chain.pem", "leaf": d / "leaf.pem",
             "key": d / "key.pem", "inter": d / "inter.pem", "revoked": d / "revoked.der",
             "good": d / "good.der"}
    files["roots"].write_bytes(root.pem)
    files["chain"].write_bytes(pem_bundle(leaf, inter))
    files["leaf"].write_bytes(leaf.pem)
    files["inter"].write_bytes(inter.pem)
    files["revoked"].write_bytes(_response(leaf, inter, revoked=True))
    files["good"].write_bytes(_response(leaf, inter, revoked=False))
    files["key"].write_bytes(leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return files


def _response(leaf, inter, revoked: bool) -> bytes:
    """A current OCSP response (around now: servers staple only those) saying
    ``leaf`` is good, or was revoked a month ago."""
    import datetime

    from cryptography import x509

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    day = datetime.timedelta(days=1)
    return make_ocsp_response(inter, leaf, this_update=now - day, next_update=now + 7 * day,
                              revoked_at=now - 30 * day if revoked else None,
                              reason=x509.ReasonFlags.key_compromise if revoked else None)


def _gnutls_serv(cert, key, *extra):
    port = free_port()
    proc = subprocess.Popen(["gnutls-serv", "--port", str(port), "--x509certfile", str(cert),
                             "--x509keyfile", str(key), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        _wait_listening(port, proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc, port


@pytest.fixture(scope="module")
def good_server(pki_files):
    proc, port = _gnutls_serv(pki_files["chain"], pki_files["key"])
    yield port
    proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def leaf_only_server(pki_files):
    proc, port = _gnutls_serv(pki_files["leaf"], pki_files["key"])
    yield port
    proc.kill()
    proc.wait()


def probe(capsys, pki_files, target, *args):
    return run_cli(capsys, "probe", target, "--roots", pki_files["roots"], "--timeout", "5",
                   *args)


def test_a_good_server(capsys, pki_files, good_server):
    r = probe(capsys, pki_files, f"localhost:{good_server}")
    assert r.status == 0, r.out + r.err
    assert f"connected to localhost port {good_server}, SNI localhost: TLS1." in r.out
    assert "stapled OCSP response: none" in r.out and "verdict: TRUSTED" in r.out
    doc = json.loads(probe(capsys, pki_files, f"localhost:{good_server}", "--json").out)
    conn = doc["connection"]
    assert conn["sni"] == "localhost" and conn["version"] in ("TLS1.2", "TLS1.3")
    assert doc["served"] == 2 and doc["trusted"] and doc["name"] == "localhost"


def test_tls12_through_a_priority_string(capsys, pki_files, good_server):
    r = probe(capsys, pki_files, f"localhost:{good_server}", "--priority",
              "NORMAL:-VERS-TLS1.3", "--json")
    assert r.status == 0 and json.loads(r.out)["connection"]["version"] == "TLS1.2"
    r = probe(capsys, pki_files, f"localhost:{good_server}", "--priority", "NONSENSE:%%")
    assert r.status == 2 and "--priority" in r.err


def test_a_missing_intermediate_and_a_wrong_name(capsys, pki_files, leaf_only_server,
                                                 good_server):
    r = probe(capsys, pki_files, f"localhost:{leaf_only_server}", "--json")
    assert r.status == 1 and json.loads(r.out)["code"] == "missing_issuer"
    r = probe(capsys, pki_files, f"localhost:{good_server}", "--host", "www.example.com")
    assert r.status == 1 and "hostname_mismatch" in r.out


def test_an_ip_literal_sends_no_sni_and_checks_the_address(capsys, pki_files, good_server):
    doc = json.loads(probe(capsys, pki_files, f"127.0.0.1:{good_server}", "--json").out)
    assert doc["connection"]["sni"] is None and doc["name"] == "127.0.0.1"
    assert doc["code"] == "hostname_mismatch"  # the leaf has no IP address SAN


def test_connection_failures_are_exit_3_and_one_line(capsys, pki_files):
    port = free_port()
    r = probe(capsys, pki_files, f"127.0.0.1:{port}")
    assert r.status == 3 and "connection refused" in r.err and r.err.count("\n") == 1
    # A server that closes at once, and one that never answers.
    for behaviour, text in (("close", "TLS"), ("silent", "timed out")):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        held = []

        def serve():
            conn, _ = srv.accept()
            if behaviour == "close":
                conn.close()
            else:
                held.append(conn)

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        t0 = time.monotonic()
        r = run_cli(capsys, "probe", f"127.0.0.1:{port}", "--roots", pki_files["roots"],
                    "--timeout", "1")
        assert time.monotonic() - t0 < 10
        assert r.status == 3, (behaviour, r.err)
        assert text in r.err and "Traceback" not in r.err and r.err.count("\n") == 1
        t.join(5)
        for c in held:
            c.close()
        srv.close()


def _starttls_server(kind: str, pki_files) -> tuple[int, threading.Thread]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki_files["chain"], pki_files["key"])
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        conn.settimeout(10)
        f = conn.makefile("rb")
        try:
            if kind == "smtp":
                conn.sendall(b"220-mail.test ESMTP\r\n220 mail.test ready\r\n")
                f.readline()  # EHLO
                conn.sendall(b"250-mail.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n")
                f.readline()  # STARTTLS
                conn.sendall(b"220 go ahead\r\n")
            else:
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
                f.readline()  # a1 STARTTLS
                conn.sendall(b"a1 OK begin TLS\r\n")
            tls = ctx.wrap_socket(conn, server_side=True)
            tls.close()
        except (OSError, ssl.SSLError):
            conn.close()
        finally:
            srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return port, t


@pytest.mark.parametrize("kind", ["smtp", "imap"])
def test_starttls(capsys, pki_files, kind):
    port, t = _starttls_server(kind, pki_files)
    r = probe(capsys, pki_files, f"localhost:{port}", "--starttls", kind, "--json")
    t.join(10)
    assert r.status == 0, r.err
    doc = json.loads(r.out)
    assert doc["connection"]["starttls"] == kind and doc["trusted"]


def test_usage_errors(capsys, pki_files):
    for target in ("localhost:http", "localhost:0", ":443"):
        r = run_cli(capsys, "probe", target)
        assert r.status == 2 and "Traceback" not in r.err, target


def test_option_mistakes_are_found_before_connecting(capsys, pki_files, tmp_path):
    """A bad --at, --roots, --crl or --host is a usage error (exit 2) without a
    connection: the port here has no server, which would be exit 3."""
    target = f"127.0.0.1:{free_port()}"
    for extra in (["--at", "10000-01-01T00:00:00Z"], ["--roots", str(tmp_path / "none.pem")],
                  ["--roots", str(pki_files["roots"]), "--crl", str(tmp_path / "none.crl")],
                  ["--host", "bad..name"]):
        r = run_cli(capsys, "probe", target, "--timeout", "2", *extra)
        assert r.status == 2 and "Traceback" not in r.err, (extra, r.err)
        assert len(r.err.strip().splitlines()) == 1, r.err


def test_a_stapled_good_response(capsys, pki_files):
    proc, port = _gnutls_serv(pki_files["chain"], pki_files["key"], "--ocsp-response",
                              str(pki_files["good"]))
    try:
        r = probe(capsys, pki_files, f"localhost:{port}", "--json")
    finally:
        proc.kill()
        proc.wait()
    doc = json.loads(r.out)
    assert r.status == 0 and doc["connection"]["ocsp_stapled"]
    assert doc["ocsp"]["status"] == "good" and doc["trusted"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_a_stapled_revoked_response(capsys, pki_files):
    # gnutls-serv refuses to staple a "revoked" response: openssl s_server does it.
    port = free_port()
    proc = subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-quiet",
                             "-cert", str(pki_files["leaf"]), "-key", str(pki_files["key"]),
                             "-cert_chain", str(pki_files["inter"]),
                             "-status_file", str(pki_files["revoked"])],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_listening(port, proc)
        r = probe(capsys, pki_files, f"localhost:{port}", "--json")
    finally:
        proc.kill()
        proc.wait()
    doc = json.loads(r.out)
    assert doc["connection"]["ocsp_stapled"]
    assert r.status == 1 and doc["code"] == "revoked" and doc["ocsp"]["status"] == "revoked"
    assert "keyCompromise" in doc["ocsp"]["message"]


def test_an_expired_cross_sign_served_first(capsys, tmp_path):
    """The AddTrust case: the server still sends the cross-certificate of its new
    root by an old one, now expired. A store with the new root trusts the chain;
    one with only the old root does not (expired), and --explain says why."""
    from chainval.testing import utc

    pki = PKI()
    old, new = pki.root("Old Root"), pki.root("New Root")
    cross = old.cross_sign(new, not_after=utc(2025))
    inter = new.intermediate("Probe Cross Int")
    leaf = inter.leaf(dns=["localhost"])
    (tmp_path / "chain.pem").write_bytes(pem_bundle(leaf, inter, cross))
    (tmp_path / "key.pem").write_bytes(leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "new.pem").write_bytes(new.pem)
    (tmp_path / "old.pem").write_bytes(old.pem)
    proc, port = _gnutls_serv(tmp_path / "chain.pem", tmp_path / "key.pem")
    try:
        ok = run_cli(capsys, "probe", f"localhost:{port}", "--roots", tmp_path / "new.pem",
                     "--json", "--explain")
        stale = run_cli(capsys, "probe", f"localhost:{port}", "--roots", tmp_path / "old.pem",
                        "--explain")
    finally:
        proc.kill()
        proc.wait()
    doc = json.loads(ok.out)
    assert ok.status == 0 and doc["served"] == 3 and len(doc["path"]) == 3
    assert doc["path"][2]["subject"] == "CN=New Root" and doc["path"][2]["source"] == "store"
    assert stale.status == 1 and "NOT TRUSTED (expired)" in stale.out
    assert "1. rejected:" in stale.out and "expired at #2" in stale.out
