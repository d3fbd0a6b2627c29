"""Incoming signed declaration lists (报文验签): verified once per message against the sender's registered
certificates; the official DXP-family codes for a bad signature, ours (−4007/−4008/−4009) for the registry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from kuajing.ceb import parse
from kuajing.ceb.dxp import wrap
from kuajing.ceb.signing import generate_demo_keypair, sign_message, verify_message
from kuajing.certificates import service
from kuajing.certificates.models import SignedDeclaration
from kuajing.imports.models import Inventory
from tests.imports import parcels
from tests.imports.parcels import xml
from tests.imports.test_intake import post, statuses


def signed_list(zone, signer, n: int = 1) -> bytes:
    """A CEB621 of the agent, signed over the bytes that are sent (the placeholder replaced)."""
    return sign_message(xml(parcels.inventory(zone.parties, n)), signer=signer, replace=True)


def register(db, zone, cert_pem) -> int:
    row = service.register(session=db, enterprise_id=zone.agent.id, data=cert_pem, actor="test")
    db.commit()
    return row.id


def test_signed_list_is_accepted_and_the_signed_bytes_are_kept(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    body = signed_list(zone, signer)
    r = post(client, zone.agent, body)
    assert r.status_code == 200
    assert statuses(r)[0][0] == "2"
    kept = db.scalars(select(SignedDeclaration)).one()
    assert kept.signed_xml == body and kept.message_type == "CEB621"
    assert kept.key_name == signer.key_name
    assert verify_message(kept.signed_xml, trusted_certs=[cert]).valid  # the evidence still verifies


def test_signed_list_in_a_dxp_envelope_is_verified_on_the_inner_bytes(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    inner = signed_list(zone, signer)
    r = post(client, zone.agent, wrap(inner, sender_id="DXPENT0000000004", receiver_ids=["DXPEDCCEB0000002"]))
    assert statuses(r)[0][0] == "2"
    assert db.scalars(select(SignedDeclaration.signed_xml)).one() == inner


def test_one_changed_byte_is_refused_with_the_official_code(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    body = signed_list(zone, signer)
    tampered = body.replace(b"<ceb:freight>20</ceb:freight>", b"<ceb:freight>21</ceb:freight>", 1)
    assert tampered != body and len(tampered) == len(body)
    code, info = statuses(post(client, zone.agent, tampered))[0]
    assert code == "-621028"  # 加签数据比对失败 (DXP 1004 签名与数据不符)
    assert "1004" in info
    assert db.scalars(select(Inventory)).first() is None  # nothing of the refused list was kept
    assert db.scalars(select(SignedDeclaration)).first() is None


def test_a_changed_signature_value_is_refused_as_verification_failed(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    body = signed_list(zone, signer)
    start = body.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    value = body[start:start + 20]
    flipped = value[:10] + (b"A" if value[10:11] != b"A" else b"B") + value[11:]
    code, _ = statuses(post(client, zone.agent, body.replace(value, flipped, 1)))[0]
    assert code == "-621029"  # 验签失败


def test_a_certificate_not_registered_for_the_sender_is_refused(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    service.register(session=db, enterprise_id=zone.outsider.id, data=cert, actor="test")  # someone else's
    db.commit()
    code, info = statuses(post(client, zone.agent, signed_list(zone, signer)))[0]
    assert code == "-4007"
    assert signer.key_name in info and "未在平台备案" in info


def test_a_revoked_certificate_is_refused(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    cert_id = register(db, zone, cert)
    assert statuses(post(client, zone.agent, signed_list(zone, signer, 1)))[0][0] == "2"
    row = service.visible(session=db, certificate_id=cert_id, principal=_Zone())
    service.revoke(session=db, certificate=row, reason="钥匙遗失", actor="test")
    db.commit()
    assert statuses(post(client, zone.agent, signed_list(zone, signer, 2)))[0][0] == "-4008"


def test_a_certificate_outside_its_validity_is_refused(db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    body = signed_list(zone, signer)
    msg = parse(body, validate=False)
    row = service.listing(session=db, enterprise_id=zone.agent.id)[0][0]
    later = row.not_after + timedelta(seconds=1)
    check = service.check_incoming(session=db, enterprise_id=zone.agent.id, message_type="CEB621", message=msg,
                                   raw=body, when=later)
    assert (check.code, check.signed) == ("-4009", True)
    ok = service.check_incoming(session=db, enterprise_id=zone.agent.id, message_type="CEB621", message=msg,
                                raw=body, when=row.not_after - timedelta(days=1))
    assert not ok.refused and ok.certificate_id == row.id


def test_one_signature_covers_every_record_of_the_message(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    msg = parcels.inventory(zone.parties, 1)
    msg.records.append(parcels.inventory(zone.parties, 2).records[0])
    body = sign_message(xml(msg), signer=signer, replace=True)
    assert body.count(b"<ds:Signature xmlns") == 1
    assert [s[0] for s in statuses(post(client, zone.agent, body))] == ["2", "2"]
    tampered = body.replace(b"<ceb:freight>20</ceb:freight>", b"<ceb:freight>21</ceb:freight>", 1)
    assert [s[0] for s in statuses(post(client, zone.agent, tampered))] == ["-621028", "-621028"]


def test_unsigned_lists_pass_by_default_and_are_refused_when_required(client, db, zone, require_signatures):
    # the structural placeholder (no KeyInfo) of the samples and the JSON channel counts as unsigned
    code, info = statuses(post(client, zone.agent, xml(parcels.inventory(zone.parties, 1))))[0]
    assert code == "-621026" and "签名信息为空" in info


def test_unsigned_lists_are_accepted_while_signatures_are_not_required(client, zone):
    assert not service.policy().require_signed
    assert statuses(post(client, zone.agent, xml(parcels.inventory(zone.parties, 1))))[0][0] == "2"


def test_signed_lists_pass_when_signatures_are_required(client, db, zone, agent_keys, require_signatures):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    assert statuses(post(client, zone.agent, signed_list(zone, signer)))[0][0] == "2"


def test_an_rsa_certificate_works_the_same(client, db, zone):
    from kuajing.ceb.signing import RsaSoftwareSigner

    key, cert = generate_demo_keypair("rsa-sha1", "包头测试报关有限公司RSA")
    signer = RsaSoftwareSigner(private_key_pem=key, certificate=cert)
    register(db, zone, cert)
    assert statuses(post(client, zone.agent, signed_list(zone, signer)))[0][0] == "2"


def test_json_lists_are_refused_when_signatures_are_required(client, zone, require_signatures):
    rec = parcels.inventory(zone.parties, 1).records[0]
    record = {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in rec.head.to_dict(camel=False).items()}
    record.pop("guid")
    record["items"] = [{k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in i.to_dict(camel=False).items()}
                       for i in rec.items]
    r = client.post("/api/v1/imports/inventories", json={"records": [record]}, headers=zone.agent.headers)
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["code"] == "-621026"  # a JSON list cannot carry the enterprise's signature


class _Zone:
    """A zone-wide principal (sees every enterprise)."""

    is_zone_wide = True

    def can_see_enterprise(self, _enterprise_id) -> bool:
        return True


def _tampered(body: bytes) -> bytes:
    tampered = body.replace(b"<ceb:freight>20</ceb:freight>", b"<ceb:freight>21</ceb:freight>", 1)
    assert tampered != body
    return tampered


def test_a_signature_is_checked_whatever_precedes_the_root(client, db, zone, agent_keys):
    # intake reads a list after a BOM, or with the word DxpMsg in a comment before its root; the signature check
    # used to skip both (no '<' at the start; 'DxpMsg' in the first 2 KB taken for an envelope that then failed
    # to open) and counted the list as unsigned, so a changed list with a broken signature was accepted
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    body = signed_list(zone, signer)
    declaration, rest = body.split(b"?>", 1)
    for variant in (b"\xef\xbb\xbf" + _tampered(body), declaration + b"?><!-- not a DxpMsg -->" + _tampered(rest)):
        code, info = statuses(post(client, zone.agent, variant))[0]
        assert code == "-621028", info
    assert db.scalars(select(Inventory)).first() is None


def test_a_signed_list_after_a_bom_is_verified_and_kept(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    body = b"\xef\xbb\xbf" + signed_list(zone, signer)
    assert statuses(post(client, zone.agent, body))[0][0] == "2"
    assert db.scalars(select(SignedDeclaration)).one().key_name == signer.key_name


def test_an_envelope_after_a_long_prolog_is_verified_on_its_inner_bytes(client, db, zone, agent_keys):
    _key, cert, signer = agent_keys
    register(db, zone, cert)
    inner = signed_list(zone, signer)
    envelope = wrap(inner, sender_id="DXPENT0000000004", receiver_ids=["DXPEDCCEB0000002"])
    declaration, rest = envelope.split(b"?>", 1)
    r = post(client, zone.agent, declaration + b"?><!--" + b" " * 3000 + b"-->" + rest)
    assert statuses(r)[0][0] == "2"
    assert db.scalars(select(SignedDeclaration.signed_xml)).one() == inner
