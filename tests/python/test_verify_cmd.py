"""chainval verify (issue 14): the tree, --json, --explain, exit statuses, the inputs
people have (fullchain.pem, s_client -showcerts output, DER, PKCS#7, stdin), colour
rules, the AIA hint, and one-line errors."""

from __future__ import annotations

import io
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from chainval.testing import PKI, der_of, pem_bundle

from _scan_support import run_cli

AT = "2030-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("verify-cmd")
    pki = PKI()
    root = pki.root("Verify Root")
    inter = root.intermediate("Verify Int")
    no_sign = root.issue(inter.name, inter.key, ca=True, key_usage=["digital_signature"])
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        x509.AuthorityInformationAccessOID.CA_ISSUERS,
        x509.UniformResourceIdentifier("http://ca.example/int.der"))])
    leaf = inter.leaf(dns=["www.example.com"], extensions=[(aia, False)])
    files = {
        "roots": d / "roots.pem", "full": d / "fullchain.pem", "leaf": d / "leaf.pem",
        "der": d / "leaf.der", "p7b": d / "chain.p7b", "p7b_pem": d / "chain.p7b.pem",
        "s_client": d / "s_client.txt", "decoy": d / "decoy.pem",
    }
    files["roots"].write_bytes(root.pem)
    files["full"].write_bytes(pem_bundle(leaf, inter))
    files["leaf"].write_bytes(leaf.pem)
    files["der"].write_bytes(leaf.der)
    certs = [x509.load_der_x509_certificate(c.der) for c in (leaf, inter)]
    files["p7b"].write_bytes(pkcs7.serialize_certificates(certs, Encoding.DER))
    files["p7b_pem"].write_bytes(pkcs7.serialize_certificates(certs, Encoding.PEM))
    files["s_client"].write_bytes(
        b"CONNECTED(00000003)\n---\nCertificate chain\n 0 s:CN = www.example.com\n"
        + leaf.pem + b" 1 s:CN = Verify Int\n" + inter.pem
        + b"---\nServer certificate\nsubject=CN = www.example.com\n---\n")
    files["decoy"].write_bytes(pem_bundle(leaf, der_of(no_sign), inter))
    return files


def verify(capsys, world, *args, stdin=None):
    return run_cli(capsys, "verify", *args, "--roots", world["roots"], "--at", AT,
                   stdin=stdin)


def test_a_trusted_chain_is_a_tree_and_exit_0(capsys, world):
    r = verify(capsys, world, world["full"], "--host", "www.example.com")
    assert r.status == 0, r.err
    out = r.out
    assert "verdict: TRUSTED" in out and "✘" not in out
    for text in ("#0 CN=www.example.com", "#1 CN=Verify Int", "#2 CN=Verify Root",
                 "(served #0)", "(served #1)", "(from the trust store)", "names     www.example.com",
                 "✔ signature verifies with #1's key", "✔ valid for www.example.com",
                 "✔ a trust anchor of the store", "key       EC P-256, signed with ecdsa-with-SHA256",
                 "days left"):
        assert text in out, text
    assert "\033[" not in out, "no colour when stdout is not a terminal"


@pytest.mark.parametrize("name", ["full", "s_client", "p7b", "p7b_pem"])
def test_the_inputs_people_have(capsys, world, name):
    r = verify(capsys, world, world[name], "--host", "www.example.com", "--json")
    assert r.status == 0, r.err
    doc = json.loads(r.out)
    assert doc["trusted"] and doc["served"] == 2 and len(doc["path"]) == 3


def test_der_and_stdin(capsys, world):
    r = verify(capsys, world, world["der"], "--json")
    assert r.status == 1 and json.loads(r.out)["code"] == "missing_issuer"
    r = verify(capsys, world, "-", "--json", stdin=world["full"].read_bytes())
    assert r.status == 0 and json.loads(r.out)["served"] == 2


def test_not_trusted_exit_1_with_every_reason_and_the_aia_hint(capsys, world):
    r = verify(capsys, world, world["leaf"], "--host", "www.example.org")
    assert r.status == 1
    assert "NOT TRUSTED (missing_issuer)" in r.out
    assert "✘ missing_issuer at #0" in r.out and "✘ hostname_mismatch at #0" in r.out
    assert "hint: the issuer of #0 may be at http://ca.example/int.der" in r.out
    assert "not fetched" in r.out


def test_no_name_checked_is_said(capsys, world):
    r = verify(capsys, world, world["full"])
    assert r.status == 0 and "no name checked" in r.out
    assert "valid for" not in r.out


def test_explain_shows_the_rejected_path(capsys, world):
    r = verify(capsys, world, world["decoy"], "--host", "www.example.com", "--explain")
    assert r.status == 0, r.err
    assert "paths tried: 2" in r.out
    lines = r.out.splitlines()
    rejected = next(i for i, line in enumerate(lines) if "1. rejected:" in line)
    assert "key_usage at #1" in lines[rejected + 1]
    assert any("2. accepted:" in line for line in lines)
    doc = json.loads(verify(capsys, world, world["decoy"], "--explain", "--json").out)
    assert [a["end"] for a in doc["attempts"]] == ["rule_failed", "trusted"]
    assert doc["attempts"][0]["certificates"][1]["input_index"] == 1
    assert doc["attempts_dropped"] == 0
    assert "attempts" not in json.loads(verify(capsys, world, world["decoy"], "--json").out)


def test_json_is_one_documented_document(capsys, world):
    doc = json.loads(verify(capsys, world, world["full"], "--host", "www.example.com",
                            "--json").out)
    assert doc["schema"] == 1 and doc["time"] == AT and doc["name"] == "www.example.com"
    assert set(doc) >= {"schema", "chainval", "time", "name", "purpose", "roots", "served",
                        "trusted", "code", "reasons", "path", "anchored", "hints"}
    leaf = doc["path"][0]
    assert leaf["sans"] == ["www.example.com"] and leaf["input_index"] == 0
    assert {c["check"] for c in leaf["checks"]} >= {"signature", "validity", "hostname",
                                                     "purpose", "key_usage"}
    assert doc["path"][2]["source"] == "store" and doc["path"][2]["input_index"] is None


class _Tty(io.StringIO):
    encoding = "utf-8"

    def isatty(self):
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(world, monkeypatch):
    from chainval.cli import main

    def run(**env):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        out = _Tty()
        monkeypatch.setattr("sys.stdout", out)
        main(["verify", str(world["full"]), "--roots", str(world["roots"]), "--at", AT])
        return out.getvalue()

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\033[32m" in run()
    assert "\033[" not in run(NO_COLOR="1")


def test_ascii_marks(capsys, world):
    r = verify(capsys, world, world["leaf"], "--ascii")
    assert "[FAIL]" in r.out and "[ok]" in r.out and "✔" not in r.out and "✘" not in r.out


def test_errors_are_one_line_exit_2(capsys, world, tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    for args, text in (([tmp_path / "missing.pem"], "No such file"),
                       ([junk], "no certificate found"),
                       ([world["full"], "--at", "yesterday"], "--at"),
                       ([world["full"], "--purpose", "nonsense"], "purpose")):
        r = run_cli(capsys, "verify", *args, "--roots", world["roots"])
        assert r.status == 2, (args, r.err)
        assert text in r.err and "Traceback" not in r.err and len(r.err.splitlines()) == 1
    r = run_cli(capsys, "verify", world["full"], "--host", "a.example", "--ip", "192.0.2.1")
    assert r.status == 2


def test_the_options_are_checked_before_the_chain_is_read(capsys, world, tmp_path):
    """A wrong --roots is said before stdin is read (on a terminal, reading would
    wait for input first); the chain's own error comes only once the options hold."""
    r = run_cli(capsys, "verify", "-", "--roots", tmp_path / "none.pem", stdin=b"")
    assert r.status == 2 and "none.pem" in r.err and "no certificate" not in r.err, r.err
    r = run_cli(capsys, "verify", "-", "--roots", world["roots"], stdin=b"")
    assert r.status == 2 and "no certificate" in r.err


@pytest.mark.parametrize("at,text", [
    ("10000-01-01T00:00:00Z", "--at: invalid time"),
    ("253402300800", "--at: time outside the years 0001..9999"),  # 10000-01-01 in unix seconds
    ("-62135596801", "--at: time outside the years 0001..9999"),  # 0000-12-31T23:59:59Z
    ("99999999999999999999", "--at: time outside the years 0001..9999"),
])
def test_at_outside_the_years_0001_9999_is_a_usage_error(capsys, world, at, text):
    """verify, probe and scan read --at with one parser (parse_at): what the
    scan refuses, verify refuses the same way, before reading the chain."""
    for chain in (world["full"], world["full"].parent / "missing.pem"):
        r = run_cli(capsys, "verify", chain, "--roots", world["roots"], "--at", at)
        assert r.status == 2, r.err
        assert r.err.startswith("chainval verify: " + text), r.err
        assert "Traceback" not in r.err and len(r.err.splitlines()) == 1 and r.out == ""


def test_the_system_store_by_default(capsys, world):
    r = run_cli(capsys, "verify", world["full"], "--at", AT)
    assert r.status == 1 and "trust anchors: system" in r.out


def test_a_chain_pasted_in_another_order(capsys, world, tmp_path):
    text = world["full"].read_bytes()
    cut = text.index(b"-----BEGIN", 10)
    swapped = tmp_path / "swapped.pem"
    swapped.write_bytes(text[cut:] + text[:cut])  # the intermediate first
    r = verify(capsys, world, swapped, "--host", "www.example.com")
    assert r.status == 0, r.out
    assert "the leaf was not served first" in r.out and "(served #1)" in r.out.split("#1 CN")[0]


def test_an_ocsp_response_file(capsys, world, tmp_path):
    import datetime

    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    pki = PKI()  # a PKI of its own: the response is signed with the intermediate's key
    root = pki.root("OCSP Cmd Root")
    ca = root.intermediate("OCSP Cmd Int")
    leaf = ca.leaf(dns=["www.example.com"])
    (tmp_path / "roots.pem").write_bytes(root.pem)
    (tmp_path / "chain.pem").write_bytes(pem_bundle(leaf, ca))
    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    resp = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf.cert, issuer=ca.cert, algorithm=hashes.SHA1(),
        cert_status=ocsp.OCSPCertStatus.REVOKED, this_update=when - datetime.timedelta(days=1),
        next_update=when + datetime.timedelta(days=1),
        revocation_time=when - datetime.timedelta(days=30),
        revocation_reason=x509.ReasonFlags.key_compromise,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert).sign(ca.key, hashes.SHA256())
    (tmp_path / "resp.der").write_bytes(resp.public_bytes(Encoding.DER))
    r = run_cli(capsys, "verify", tmp_path / "chain.pem", "--roots", tmp_path / "roots.pem",
                "--at", AT, "--ocsp-response", tmp_path / "resp.der")
    assert r.status == 1 and "NOT TRUSTED (revoked)" in r.out
    assert "✘ revoked 2029-12-02T00:00:00Z (reason keyCompromise)" in r.out
    doc = json.loads(run_cli(capsys, "verify", tmp_path / "chain.pem", "--roots",
                             tmp_path / "roots.pem", "--at", AT, "--json", "--ocsp-response",
                             tmp_path / "resp.der").out)
    assert doc["ocsp"]["status"] == "revoked"
    r = run_cli(capsys, "verify", tmp_path / "chain.pem", "--roots", tmp_path / "roots.pem",
                "--ocsp-response", tmp_path / "missing.der")
    assert r.status == 2 and "--ocsp-response" in r.err
