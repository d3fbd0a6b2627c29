"""The bank view (R6.1): a bank without consent sees nothing, with consent one verifiable bundle, and a revoked
consent stops access; grant and revoke are audited."""

from __future__ import annotations

import base64

from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.audit.service import sm3_hex
from kuajing.ceb.signing.base import SignatureAlgorithm
from kuajing.ceb.signing.certs import certificate_der
from kuajing.ceb.signing.software import SoftwareVerifier
from tests.enterprises.helpers import login, make_enterprise, make_key, make_user
from tests.fx.helpers import departure, exporter, shipment


def _session(db, user_id):
    s = login(db, user_id=user_id)
    db.commit()
    return {"cookies": s.cookies, "headers": {"X-CSRF-Token": s.csrf}}


def _get(client, url, who):
    client.cookies.clear()
    return client.get(url, cookies=who["cookies"], headers=who["headers"])


def world(client, db):
    ent, _ = exporter(db, 8201)
    order, inv = shipment(db, ent, order_no="EX-BANK-1", value="2000", ie_date="20251010")
    departure(db, ent, inv, leave_time="20251012093000")
    bank = make_enterprise(db, status="approved", n=8202, name_zh="中国银行包头分行", roles=["finance"])
    other_bank = make_enterprise(db, status="approved", n=8203, name_zh="包头农商银行", roles=["finance"])
    banker = make_user(db, username="banker", roles=["bank_insurer"], enterprise_id=bank.id)
    other = make_user(db, username="other-banker", roles=["bank_insurer"], enterprise_id=other_bank.id)
    h = make_key(db, enterprise_id=ent.id)
    db.commit()
    r = client.post("/api/v1/fx/proceeds", headers=h, json={
        "bank_name": "中国银行包头分行", "bank_reference": "BANK-1", "received_on": "2025-10-20", "currency": "502",
        "actual_amount": "1900", "fees": [{"kind": "logistics", "amount": "100"}], "payer_name": "Buyer",
        "allocations": [{"reference": inv.invt_no, "amount": "2000"}]})
    assert r.status_code == 201, r.text
    return ent, bank, h, r.json()["id"], _session(db, banker), _session(db, other)


def test_a_bank_without_consent_sees_nothing(client, db):
    _ent, _bank, _h, pid, banker, _other = world(client, db)
    assert _get(client, "/api/v1/fx/bank/bundles", banker).json() == {"items": [], "total": 0}
    r = _get(client, f"/api/v1/fx/bank/bundles/{pid}", banker)
    assert r.status_code == 404 and r.json()["code"] == "fx_proceeds_not_found"
    # nor through the enterprise routes
    assert _get(client, f"/api/v1/fx/proceeds/{pid}", banker).status_code == 403
    assert _get(client, "/api/v1/fx/proceeds", banker).status_code == 403


def test_consent_gives_one_verifiable_bundle_and_revoking_stops_access(client, db):
    ent, bank, h, pid, banker, other = world(client, db)
    r = client.post("/api/v1/fx/consents", headers=h, json={"bank_enterprise_id": bank.id, "proceeds_id": pid})
    assert r.status_code == 201, r.text
    consent = r.json()
    listed = _get(client, "/api/v1/fx/bank/bundles", banker).json()
    assert [x["id"] for x in listed["items"]] == [pid]
    got = _get(client, f"/api/v1/fx/bank/bundles/{pid}", banker)
    assert got.status_code == 200, got.text
    b = got.json()
    body = b["body"]
    assert body["proceeds"]["actual"] == "1900.00" and body["proceeds"]["export_receipt"] == "2000.00"
    assert [o["order_no"] for o in body["orders"]] == ["EX-BANK-1"]
    assert [x["order_no"] for x in body["lists"]] == ["EX-BANK-1"] and body["lists"][0]["ie_date"] == "2025-10-10"
    assert body["departures"][0]["leave_time"] == "20251012093000"
    # verifiable: the SM3 digest of the canonical bytes, and the platform's signature over them
    data = b["canonical"].encode("utf-8")
    assert sm3_hex(data) == b["sm3"]
    cert = certificate_der(b["signature"]["certificate_pem"])
    ok = SoftwareVerifier().verify(algorithm=SignatureAlgorithm(b["signature"]["algorithm"]), data=data,
                                   signature=base64.b64decode(b["signature"]["value"]), certificate_der=cert)
    assert ok
    assert not SoftwareVerifier().verify(algorithm=SignatureAlgorithm(b["signature"]["algorithm"]),
                                         data=data.replace(b"1900.00", b"9900.00"),
                                         signature=base64.b64decode(b["signature"]["value"]), certificate_der=cert)
    # another bank still sees nothing
    assert _get(client, f"/api/v1/fx/bank/bundles/{pid}", other).status_code == 404
    # revoke: access stops at once
    r = client.post(f"/api/v1/fx/consents/{consent['id']}/revoke", headers=h)
    assert r.status_code == 200 and r.json()["active"] is False
    assert _get(client, f"/api/v1/fx/bank/bundles/{pid}", banker).status_code == 404
    assert _get(client, "/api/v1/fx/bank/bundles", banker).json()["total"] == 0
    again = client.post(f"/api/v1/fx/consents/{consent['id']}/revoke", headers=h)
    assert again.status_code == 409 and again.json()["code"] == "fx_consent_revoked"
    gone = client.delete(f"/api/v1/fx/proceeds/{pid}", headers=h)  # the bank's trail stays complete
    assert gone.status_code == 409 and gone.json()["code"] == "fx_proceeds_in_use"
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.stream == f"fx:enterprise:{ent.id}")
                              .order_by(AuditEvent.seq)))
    assert actions == ["fx:proceeds:create", "fx:consent:grant", "fx:bundle:deliver", "fx:consent:revoke"]


def test_consent_for_every_receipt_and_only_to_a_bank(client, db):
    ent, bank, h, pid, banker, _other = world(client, db)
    not_a_bank = client.post("/api/v1/fx/consents", headers=h, json={"bank_enterprise_id": ent.id})
    assert not_a_bank.status_code == 422 and not_a_bank.json()["errors"][0]["code"] == "fx_bank_unknown"
    r = client.post("/api/v1/fx/consents", headers=h, json={"bank_enterprise_id": bank.id})
    assert r.status_code == 201 and r.json()["proceeds_id"] is None
    assert _get(client, f"/api/v1/fx/bank/bundles/{pid}", banker).status_code == 200
    # a receipt recorded later is covered too
    r2 = client.post("/api/v1/fx/proceeds", headers=h, json={
        "bank_name": "x", "bank_reference": "BANK-2", "received_on": "2025-11-01", "currency": "502",
        "actual_amount": "10", "payer_name": "Buyer"})
    assert _get(client, f"/api/v1/fx/bank/bundles/{r2.json()['id']}", banker).status_code == 200
