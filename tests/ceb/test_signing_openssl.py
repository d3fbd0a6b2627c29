"""Interoperability with independent implementations: the OpenSSL 3 command line (SM2 and RSA) and, when
installed, xmlsec1 (a separate XML-DSig implementation) for RSA-SHA1 message signatures.

These tests FAIL, not skip, when ``openssl`` is missing: SM2 interoperability must be proven on every run.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from kuajing.ceb.signing import (
    RsaSoftwareSigner,
    SignatureAlgorithm,
    Sm2SoftwareSigner,
    SoftwareVerifier,
    generate_demo_keypair,
    load_certificate,
    sign_message,
    verify_message,
)
from kuajing.ceb.signing.base import DS_NS

SPEC = Path(os.environ.get("KUAJING_CEB_SPEC_DIR") or Path(__file__).resolve().parents[3] / "shared" / "ceb-spec")
DS = f"{{{DS_NS}}}"
DISTID = "distid:1234567812345678"


@pytest.fixture(scope="module")
def openssl() -> str:
    path = shutil.which("openssl")
    assert path, "the openssl command line is required for the SM2 interoperability tests"
    version = subprocess.run([path, "version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("OpenSSL 3"), f"OpenSSL 3 is required for SM2 with distid, got {version}"
    return path


def run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=check)


def sample_message() -> bytes:
    data = (SPEC / "samples" / "import" / "CEB621Message.xml").read_bytes()
    return re.sub(rb"\s*<ds:Signature\b.*</ds:Signature>", b"\n", data, flags=re.DOTALL)


@pytest.fixture(scope="module")
def sm2_files(tmp_path_factory, openssl):
    folder = tmp_path_factory.mktemp("sm2")
    key, cert = generate_demo_keypair("sm2", "互操作测试")
    (folder / "key.pem").write_bytes(key)
    (folder / "cert.pem").write_bytes(cert)
    pub = run(openssl, "x509", "-in", folder / "cert.pem", "-pubkey", "-noout").stdout
    (folder / "pub.pem").write_text(pub)
    return folder, key, cert


def openssl_sm2_verify(openssl: str, folder: Path, data: bytes, signature: bytes) -> bool:
    (folder / "data.bin").write_bytes(data)
    (folder / "sig.bin").write_bytes(signature)
    result = run(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", folder / "pub.pem", "-rawin",
                 "-digest", "sm3", "-pkeyopt", DISTID, "-in", folder / "data.bin", "-sigfile", folder / "sig.bin",
                 check=False)
    return result.returncode == 0 and "Verified Successfully" in result.stdout


def test_our_sm2_key_and_certificate_are_readable_by_openssl(openssl, sm2_files):
    folder, _, _ = sm2_files
    text = run(openssl, "x509", "-in", folder / "cert.pem", "-noout", "-text").stdout
    assert "SM2-with-SM3" in text and "ASN1 OID: SM2" in text
    assert "priv:" in run(openssl, "pkey", "-in", folder / "key.pem", "-noout", "-text").stdout
    # The self-signature of our certificate verifies in OpenSSL (SM2 with the default distinguishing id).
    ok = run(openssl, "verify", "-CAfile", folder / "cert.pem", "-vfyopt", DISTID, folder / "cert.pem")
    assert ok.stdout.strip().endswith("OK")


def test_our_sm2_signature_verifies_with_openssl(openssl, sm2_files):
    folder, key, cert = sm2_files
    signer = Sm2SoftwareSigner(private_key_pem=key, certificate=cert)
    signed = sign_message(sample_message(), signer=signer)
    root = etree.fromstring(signed)
    signed_info = root.find(f"{DS}Signature/{DS}SignedInfo")
    data = etree.tostring(signed_info, method="c14n")
    signature = base64.b64decode(root.findtext(f"{DS}Signature/{DS}SignatureValue"))
    assert openssl_sm2_verify(openssl, folder, data, signature)
    # The same check through `openssl dgst`, the other CLI spelling.
    dgst = run(openssl, "dgst", "-sm3", "-verify", folder / "pub.pem", "-sigopt", DISTID,
               "-signature", folder / "sig.bin", folder / "data.bin")
    assert "Verified OK" in dgst.stdout
    # One changed byte: OpenSSL refuses too.
    assert not openssl_sm2_verify(openssl, folder, data.replace(b"URI", b"URJ", 1), signature)


def test_openssl_sm2_signature_verifies_with_ours(openssl, tmp_path):
    run(openssl, "genpkey", "-algorithm", "SM2", "-out", tmp_path / "k.pem")
    run(openssl, "req", "-new", "-x509", "-key", tmp_path / "k.pem", "-sm3", "-sigopt", DISTID,
        "-subj", "/CN=openssl-made", "-days", "30", "-out", tmp_path / "c.pem")
    cert_pem = (tmp_path / "c.pem").read_bytes()
    data = "<ds:SignedInfo>跨境电商 CEB621</ds:SignedInfo>".encode()
    (tmp_path / "d.bin").write_bytes(data)
    run(openssl, "pkeyutl", "-sign", "-inkey", tmp_path / "k.pem", "-rawin", "-digest", "sm3",
        "-pkeyopt", DISTID, "-in", tmp_path / "d.bin", "-out", tmp_path / "s.bin")
    signature = (tmp_path / "s.bin").read_bytes()
    cert_der = load_certificate(cert_pem).der
    verifier = SoftwareVerifier()
    assert verifier.verify(algorithm=SignatureAlgorithm.SM2_SM3, data=data, signature=signature,
                           certificate_der=cert_der)
    assert not verifier.verify(algorithm=SignatureAlgorithm.SM2_SM3, data=data + b" ", signature=signature,
                               certificate_der=cert_der)
    # OpenSSL's key file and certificate drive our signer as well (PKCS#8 SM2 key reading).
    signer = Sm2SoftwareSigner(private_key_pem=(tmp_path / "k.pem").read_bytes(), certificate=cert_pem)
    assert verify_message(sign_message(sample_message(), signer=signer), trusted_certs=[cert_pem]).valid


class OpensslSm2Signer:
    """A Signer whose every signature is made by the openssl command line (a second implementation)."""

    algorithm = SignatureAlgorithm.SM2_SM3

    def __init__(self, openssl: str, folder: Path) -> None:
        self.openssl, self.folder = openssl, folder
        self.certificate_der = load_certificate((folder / "c.pem").read_bytes()).der
        self.key_name = load_certificate(self.certificate_der).key_name

    def sign(self, data: bytes) -> bytes:
        (self.folder / "in.bin").write_bytes(data)
        run(self.openssl, "pkeyutl", "-sign", "-inkey", self.folder / "k.pem", "-rawin", "-digest", "sm3",
            "-pkeyopt", DISTID, "-in", self.folder / "in.bin", "-out", self.folder / "out.bin")
        return (self.folder / "out.bin").read_bytes()


def test_message_signed_by_openssl_verifies_with_ours(openssl, tmp_path):
    run(openssl, "genpkey", "-algorithm", "SM2", "-out", tmp_path / "k.pem")
    run(openssl, "req", "-new", "-x509", "-key", tmp_path / "k.pem", "-sm3", "-sigopt", DISTID,
        "-subj", "/CN=openssl-signer", "-days", "30", "-out", tmp_path / "c.pem")
    signed = sign_message(sample_message(), signer=OpensslSm2Signer(openssl, tmp_path))
    assert verify_message(signed).valid
    assert not verify_message(signed.replace(b"13800000000", b"13800000001", 1)).valid


def test_our_rsa_signature_verifies_with_openssl_and_cryptography(openssl, tmp_path):
    key, cert = generate_demo_keypair("rsa", "rsa-interop")
    signer = RsaSoftwareSigner(private_key_pem=key, certificate=cert)
    signed = sign_message(sample_message(), signer=signer)
    root = etree.fromstring(signed)
    data = etree.tostring(root.find(f"{DS}Signature/{DS}SignedInfo"), method="c14n")
    signature = base64.b64decode(root.findtext(f"{DS}Signature/{DS}SignatureValue"))
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "pub.pem").write_text(run(openssl, "x509", "-in", tmp_path / "cert.pem", "-pubkey",
                                          "-noout").stdout)
    (tmp_path / "d.bin").write_bytes(data)
    (tmp_path / "s.bin").write_bytes(signature)
    out = run(openssl, "dgst", "-sha1", "-verify", tmp_path / "pub.pem", "-signature", tmp_path / "s.bin",
              tmp_path / "d.bin")
    assert "Verified OK" in out.stdout
    (tmp_path / "d.bin").write_bytes(data + b"x")
    bad = run(openssl, "dgst", "-sha1", "-verify", tmp_path / "pub.pem", "-signature", tmp_path / "s.bin",
              tmp_path / "d.bin", check=False)
    assert bad.returncode != 0


def _require_xmlsec1():
    if shutil.which("xmlsec1") is None:  # fail, never skip: scripts/system-deps installs it
        pytest.fail("xmlsec1 (Debian package xmlsec1) is missing: run scripts/system-deps")


xmlsec1 = pytest.mark.usefixtures("_xmlsec1_present")


@pytest.fixture
def _xmlsec1_present():
    _require_xmlsec1()


@xmlsec1
def test_rsa_message_signature_verifies_with_xmlsec1(tmp_path):
    key, cert = generate_demo_keypair("rsa", "xmlsec-interop")
    signed = sign_message(sample_message(), signer=RsaSoftwareSigner(private_key_pem=key, certificate=cert))
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "m.xml").write_bytes(signed)
    ok = run("xmlsec1", "--verify", "--pubkey-cert-pem", tmp_path / "cert.pem", tmp_path / "m.xml", check=False)
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "m.xml").write_bytes(signed.replace(b"13800000000", b"13800000001", 1))
    bad = run("xmlsec1", "--verify", "--pubkey-cert-pem", tmp_path / "cert.pem", tmp_path / "m.xml", check=False)
    assert bad.returncode != 0


@xmlsec1
def test_rsa_message_signed_by_xmlsec1_verifies_with_ours(tmp_path):
    key, cert = generate_demo_keypair("rsa", "xmlsec-signer")
    template = sample_message().replace(b"</ceb:CEB621Message>", (
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        b'<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
        b'<ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>'
        b'<ds:Reference URI=""><ds:Transforms>'
        b'<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>'
        b'<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><ds:DigestValue/>'
        b"</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo>"
        b"</ds:Signature></ceb:CEB621Message>"))
    (tmp_path / "t.xml").write_bytes(template)
    (tmp_path / "k.pem").write_bytes(key)
    (tmp_path / "c.pem").write_bytes(cert)
    run("xmlsec1", "--sign", "--privkey-pem", f"{tmp_path / 'k.pem'},{tmp_path / 'c.pem'}",
        "--output", tmp_path / "s.xml", tmp_path / "t.xml")
    signed = (tmp_path / "s.xml").read_bytes()
    result = verify_message(signed, trusted_certs=[cert])
    assert result.valid, result.reason
    assert not verify_message(signed.replace(b"13800000000", b"13800000001", 1)).valid
