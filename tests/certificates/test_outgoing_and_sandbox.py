"""Outgoing lists are signed by the platform (its certificate from the settings); the sandbox customs verifies
what it receives and refuses a tampered list with the official code; the pipeline still releases parcels."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import UTC, datetime

from lxml import etree
from sqlalchemy import select

from kuajing.ceb import parse
from kuajing.ceb.signing import generate_demo_keypair, sign_message, verify_message
from kuajing.certificates import service
from kuajing.customs.models import SandboxReceipt
from kuajing.customs.service import SandboxConfig
from kuajing.customs.service.sandbox import receive
from kuajing.imports.models import OutboxMessage
from kuajing.imports.service import pump
from tests.imports import parcels
from tests.imports.parcels import xml
from tests.imports.test_flow import FakeCustoms
from tests.imports.test_intake import post

DS = "{http://www.w3.org/2000/09/xmldsig#}"
def _now() -> datetime:
    """The time customs receives a list: now, when the test runs (a certificate is valid from five minutes
    before its creation; a time taken at import, half an hour earlier in a long run, would precede it)."""
    return datetime.now(UTC)


def sent_messages(client, db, session_factory, zone) -> dict[str, bytes]:
    """Send a full parcel and run the pump: what the platform transmitted to customs, by message type."""
    for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                       (zone.logistics, parcels.waybill(zone.parties)), (zone.agent, parcels.inventory(zone.parties))):
        post(client, party, xml(doc))
    customs = FakeCustoms()
    pump(session_factory=session_factory, transport=customs)
    db.expire_all()
    assert db.scalars(select(OutboxMessage.status)).all() == ["sent"] * 4
    return dict(customs.sent)


def declared_list(client, db, session_factory, zone) -> bytes:
    """Send a full parcel; the list (CEB621) as the platform transmitted it to customs."""
    return sent_messages(client, db, session_factory, zone)["CEB621"]


def platform_pem() -> bytes:
    pem = service.platform_certificate_pem()
    assert pem is not None
    return pem


def test_the_outgoing_list_is_signed_with_the_platform_certificate(client, db, session_factory, zone):
    sent = sent_messages(client, db, session_factory, zone)
    payload = sent["CEB621"]
    result = verify_message(payload, trusted_certs=[platform_pem()])
    assert result.valid and result.trusted, result.reason
    assert result.algorithm.value == "sm2-sm3"
    assert payload.count(b"AAAAAAAAAAAAAAAAAAAAAAAAAAA=") == 0  # the placeholder is gone
    # every forwarded document is signed too (one platform signature per transmitted message)
    assert sorted(sent) == ["CEB311", "CEB411", "CEB511", "CEB621"]
    for message_type, data in sent.items():
        assert verify_message(data, trusted_certs=[platform_pem()]).valid, message_type


def test_a_merged_message_carries_one_platform_signature_over_all_its_records(client, db, session_factory, zone):
    for n in (1, 2, 3):
        post(client, zone.platform, xml(parcels.order(zone.parties, n)))
    customs = FakeCustoms()
    pump(session_factory=session_factory, transport=customs)
    ((message_type, data),) = customs.sent
    assert message_type == "CEB311" and len(parse(data, validate=False).records) == 3
    assert data.count(b"SignatureValue>") == 2  # one ds:SignatureValue element (open and close tags)
    result = verify_message(data, trusted_certs=[platform_pem()])
    assert result.valid and result.trusted, result.reason
    tampered = data.replace(b"ORD3", b"ORD9", 1)
    assert not verify_message(tampered, trusted_certs=[platform_pem()]).valid


def test_the_outgoing_signature_verifies_with_the_openssl_cli(client, db, session_factory, zone, tmp_path):
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command line is required"
    payload = declared_list(client, db, session_factory, zone)
    root = etree.fromstring(payload)
    signature = root.find(f"{DS}Signature")
    (tmp_path / "cert.pem").write_bytes(platform_pem())
    pub = subprocess.run([openssl, "x509", "-in", str(tmp_path / "cert.pem"), "-pubkey", "-noout"],
                         capture_output=True, text=True, check=True).stdout
    (tmp_path / "pub.pem").write_text(pub)
    (tmp_path / "si.bin").write_bytes(etree.tostring(signature.find(f"{DS}SignedInfo"), method="c14n"))
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(signature.findtext(f"{DS}SignatureValue")))
    ok = subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
                         "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", str(tmp_path / "si.bin"),
                         "-sigfile", str(tmp_path / "sig.bin")], capture_output=True, text=True)
    assert "Verified Successfully" in ok.stdout, ok.stdout + ok.stderr
    # the DigestValue is OpenSSL's SM3 of the canonical message without the signature
    root.remove(signature)
    (tmp_path / "doc.bin").write_bytes(etree.tostring(root.getroottree(), method="c14n"))
    digest = subprocess.run([openssl, "dgst", "-sm3", "-binary", str(tmp_path / "doc.bin")], capture_output=True,
                            check=True).stdout
    expected = base64.b64decode(etree.fromstring(payload).findtext(f"{DS}Signature/{DS}SignedInfo/{DS}Reference/"
                                                                   f"{DS}DigestValue"))
    assert digest == expected


def _sandbox_answers(db) -> list[tuple[str, str]]:
    db.expire_all()
    out = []
    for row in db.scalars(select(SandboxReceipt).order_by(SandboxReceipt.id)).all():
        msg = parse(bytes(row.xml), validate=False)
        out += [(str(r.return_status), str(r.return_info)) for r in msg.records]
    return out


def _platform_signed_list(zone) -> bytes:
    return sign_message(xml(parcels.inventory(zone.parties)), signer=service.policy().signer, replace=True)


def test_the_sandbox_accepts_a_list_signed_by_the_platform(db, zone):
    receive(session=db, message=_platform_signed_list(zone), message_type="CEB621", now=_now())
    db.commit()
    assert _sandbox_answers(db)[0][0] == "2"


def test_the_sandbox_refuses_a_tampered_signed_list_with_the_official_code(db, zone):
    signed = _platform_signed_list(zone)
    tampered = signed.replace(b"<ceb:freight>20</ceb:freight>", b"<ceb:freight>21</ceb:freight>", 1)
    assert tampered != signed
    receive(session=db, message=tampered, message_type="CEB621", now=_now())
    db.commit()
    code, info = _sandbox_answers(db)[0]
    assert code == "-621028" and "加签数据比对失败" in info


def test_the_sandbox_refuses_a_certificate_not_registered_with_customs(db, zone):
    key, cert = generate_demo_keypair("sm2-sm3", "冒名平台")
    from kuajing.ceb.signing import Sm2SoftwareSigner

    stranger = Sm2SoftwareSigner(private_key_pem=key, certificate=cert)
    body = sign_message(xml(parcels.inventory(zone.parties)), signer=stranger, replace=True)
    receive(session=db, message=body, message_type="CEB621", now=_now())
    db.commit()
    assert _sandbox_answers(db)[0][0] == "-621029"
    # registered with customs through the sandbox's settings, the same list is accepted
    receive(session=db, message=body, message_type="CEB621", now=_now(),
            config=SandboxConfig(trusted_certificates=(cert.encode() if isinstance(cert, str) else cert,)))
    db.commit()
    assert _sandbox_answers(db)[-1][0] == "2"


def test_the_sandbox_refuses_unsigned_lists_when_signatures_are_required(db, zone):
    receive(session=db, message=xml(parcels.inventory(zone.parties)), message_type="CEB621", now=_now(),
            config=SandboxConfig(require_signature=True))
    db.commit()
    assert _sandbox_answers(db)[0][0] == "-621026"
