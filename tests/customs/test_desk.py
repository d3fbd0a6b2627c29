"""The customs sandbox desk over HTTP: JSON API /api/v1/customs and the /customs pages, with real logins."""

from __future__ import annotations

from sqlalchemy import select

from kuajing.accounts.choices import Role
from kuajing.audit.models import AuditEvent
from kuajing.customs.models import SandboxDeclaration
from kuajing.customs.service.sandbox import SandboxConfig, receive
from tests.accounts.fixtures import csrf_token, login, make_enterprise, make_enterprise_user, make_zone_user
from tests.customs import builders as b

T0 = b.at("2024-06-01 10:00")


def _parcel_at_customs(db, p: b.Parcel | None = None) -> int:
    """Four documents received by the sandbox (list still at 2); returns the list's id."""
    p = p or b.Parcel()
    config = SandboxConfig(delay_seconds=3600)
    for data, kind in ((b.order(p), "CEB311"), (b.payment(p), "CEB411"), (b.waybill(p), "CEB511"),
                       (b.inventory(p), "CEB621")):
        receive(session=db, message=data, message_type=kind, now=T0, config=config)
    db.commit()
    return db.execute(select(SandboxDeclaration.id).where(SandboxDeclaration.message_type == "CEB621")).scalar_one()


def _officer(client, db, role=Role.customs_officer):
    user, password = make_zone_user(db, role=role)
    db.commit()
    login(client, user.username, password)


def test_officer_sees_and_releases_a_list_by_api(client, db):
    list_id = _parcel_at_customs(db)
    _officer(client, db)
    token = csrf_token(client, "/customs")
    page = client.get("/api/v1/customs/declarations", params={"message_type": "CEB621"})
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 1 and body["counts"] == {"2": 1}
    item = body["items"][0]
    assert item["buyer_id_masked"] == "1502**********1234" and b.BUYER not in page.text
    assert set(item["allowed_actions"]) == {"release", "reject", "inspect"}
    done = client.post(f"/api/v1/customs/declarations/{list_id}/release", headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    found = done.json()
    assert found["status"] == "800" and len(found["invt_no"]) == 18
    assert [(r["message_type"], r["return_status"]) for r in found["receipts"]] == [
        ("CEB622", "2"), ("CEB622", "120"), ("CEB622", "399"), ("CEB622", "800"), ("CEB816", "1")]
    events = db.execute(select(AuditEvent.action).where(AuditEvent.stream == "customs:sandbox")).scalars().all()
    assert events == ["customs:declaration:release"]


def test_reject_needs_a_reason_and_leaves_nothing_half_written(client, db):
    list_id = _parcel_at_customs(db)
    _officer(client, db, role=Role.zone_operator)
    token = csrf_token(client, "/customs")
    missing = client.post(f"/api/v1/customs/declarations/{list_id}/reject", json={"reason": " "},
                          headers={"X-CSRF-Token": token, "Accept-Language": "zh-CN"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["path"] == "reason"
    db.expire_all()
    assert db.get(SandboxDeclaration, list_id).status == "2"
    done = client.post(f"/api/v1/customs/declarations/{list_id}/reject", json={"reason": "申报品名与实货不符"},
                       headers={"X-CSRF-Token": token})
    assert done.status_code == 200 and done.json()["status"] == "100"
    assert done.json()["status_info"] == "申报品名与实货不符"
    again = client.post(f"/api/v1/customs/declarations/{list_id}/release", headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and again.json()["code"] == "customs_action_not_allowed"


def test_unknown_declaration_404_and_bad_action_422(client, db):
    _officer(client, db)
    token = csrf_token(client, "/customs")
    assert client.get("/api/v1/customs/declarations/999").json()["code"] == "customs_declaration_not_found"
    bad = client.post("/api/v1/customs/declarations/1/explode", headers={"X-CSRF-Token": token})
    assert bad.status_code == 422


def test_enterprise_users_may_not_use_the_desk(client, db):
    ent = make_enterprise(db)
    user, password = make_enterprise_user(db, ent.id)
    db.commit()
    login(client, user.username, password)
    assert client.get("/api/v1/customs/declarations").status_code == 403
    assert client.get("/customs").status_code == 403


def test_national_purchase_then_list_refused_for_the_annual_limit(client, db):
    _officer(client, db)
    token = csrf_token(client, "/customs")
    added = client.post("/api/v1/customs/national-purchases", headers={"X-CSRF-Token": token},
                        json={"buyer_id_number": b.BUYER, "year": 2024, "amount": "25800.00"})
    assert added.status_code == 201
    assert added.json() == {"buyer_id_masked": "1502**********1234", "year": 2024, "total": "25800.00"}
    _parcel_at_customs(db)
    lists = client.get("/api/v1/customs/declarations", params={"message_type": "CEB621"}).json()
    assert lists["items"][0]["status"] == "-621018"
    bad = client.post("/api/v1/customs/national-purchases", headers={"X-CSRF-Token": token},
                      json={"buyer_id_number": "123", "year": 2024, "amount": "1.00"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "buyer_id_number"


def test_pages_show_status_and_buttons_work(client, db):
    list_id = _parcel_at_customs(db)
    _officer(client, db)
    desk = client.get("/customs", params={"message_type": "CEB621", "lang": "en"})
    assert desk.status_code == 200 and f"/customs/declarations/{list_id}" in desk.text
    assert "Received, declaring" in desk.text
    detail = client.get(f"/customs/declarations/{list_id}")
    assert "1502**********1234" in detail.text and b.BUYER not in detail.text
    token = csrf_token(client, f"/customs/declarations/{list_id}")
    empty = client.post(f"/customs/declarations/{list_id}/reject", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 422 and "reason" in empty.text.lower()
    inspect = client.post(f"/customs/declarations/{list_id}/inspect", data={"csrf_token": token},
                          follow_redirects=False)
    assert inspect.status_code == 303
    db.expire_all()
    assert db.get(SandboxDeclaration, list_id).status == "300"
    page = client.get(f"/customs/declarations/{list_id}?done=inspect", params={"lang": "zh_Hans"})
    assert "人工审核" in page.text


def test_advance_moves_due_steps(client, db, settings):
    _parcel_at_customs(db)
    _officer(client, db)
    token = csrf_token(client, "/customs")
    moved = client.post("/api/v1/customs/advance", headers={"X-CSRF-Token": token})
    assert moved.status_code == 200  # the sandbox steps are an hour apart from 2024: all due now
    assert moved.json()["steps"] >= 4
    statuses = {d["message_type"]: d["status"] for d in client.get("/api/v1/customs/declarations").json()["items"]}
    assert statuses == {"CEB311": "120", "CEB411": "120", "CEB511": "120", "CEB621": "800"}
