"""Export JSON API: declarations through the one intake, lists with counts, customs declarations, warehouses."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.exports.models import ExportOrder
from tests.accounts.fixtures import csrf_token, login, make_api_key, make_zone_user
from tests.exports import shipments as s


def _plain(d: dict) -> dict:
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in d.items() if v is not None}


def as_json(msg) -> dict:
    """The snake_case JSON body of a CEB message's records."""
    records = []
    for rec in msg.records:
        head = rec.head if hasattr(rec, "head") else rec
        record = _plain(head.to_dict(camel=False))
        record.pop("guid", None)
        if hasattr(rec, "items"):
            record["items"] = [_plain(i.to_dict(camel=False)) for i in rec.items]
        records.append(record)
    return {"records": records}


def _post(client, party, kind, msg):
    r = client.post(f"/api/v1/exports/{kind}", headers=party.headers, json=as_json(msg))
    assert r.status_code == 200, r.text
    return r.json()["records"][0]


def test_json_declarations_run_the_one_intake_and_lists_count_by_status(client, ezone):
    p = ezone.parties
    assert _post(client, ezone.platform, "orders", s.order(p))["code"] == "2"
    assert _post(client, ezone.logistics, "waybills", s.waybill(p))["code"] == "2"
    verdict = _post(client, ezone.agent, "inventories", s.inventory(p))
    assert (verdict["code"], verdict["business_key"]) == ("2", f"{p.ebp}:EXO1")
    # the same record again: the pipeline's idempotency answers the original receipt
    assert _post(client, ezone.platform, "orders", s.order(p))["replayed"] is True
    # the same order number from the XML channel is a duplicate of the same table (one pipeline)
    dup = client.post("/ceb", content=s.xml(s.order(p)), headers={**ezone.platform.headers,
                                                                    "Content-Type": "application/xml",
                                                                    "Accept": "application/json"})
    assert dup.json()["records"][0]["replayed"] is True
    listing = client.get("/api/v1/exports/inventories", headers=ezone.agent.headers).json()
    assert listing["total"] == 1 and list(listing["counts"].values()) == [1]
    status = listing["items"][0]["status"]
    assert status in ("declared", "awaiting_documents")
    assert client.get(f"/api/v1/exports/inventories?status={status}",
                      headers=ezone.agent.headers).json()["total"] == 1
    assert client.get("/api/v1/exports/inventories?status=closed", headers=ezone.agent.headers).json()["items"] == []
    one = client.get(f"/api/v1/exports/inventories/{p.ebp}:EXO1", headers=ezone.agent.headers)
    assert one.status_code == 200 and one.json()["fields"]["trade_mode"] == "9610"
    assert one.json()["fields"]["items"][0]["gcode"] == "6110120000"
    # visible only to the sender: the outsider (and the platform, which did not send the list) get 404
    for other in (ezone.outsider, ezone.platform):
        r = client.get(f"/api/v1/exports/inventories/{p.ebp}:EXO1", headers=other.headers)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/exports/inventories", headers=ezone.outsider.headers).json()["total"] == 0


def test_zone_wide_roles_see_every_enterprise(client, db, ezone):
    _post(client, ezone.platform, "orders", s.order(ezone.parties))
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    r = client.get(f"/api/v1/exports/orders?enterprise_id={ezone.platform.id}")
    assert r.status_code == 200 and r.json()["total"] == 1
    assert client.get(f"/api/v1/exports/orders?enterprise_id={ezone.outsider.id}").json()["total"] == 0
    assert client.get(f"/api/v1/exports/orders/{ezone.parties.ebp}:EXO1").status_code == 200


def test_bad_json_is_a_field_problem_and_stores_nothing(client, db, ezone):
    body = as_json(s.order(ezone.parties))
    body["records"][0]["no_such_field"] = "x"
    r = client.post("/api/v1/exports/orders", headers=ezone.platform.headers, json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "records[1]/no_such_field"
    assert db.scalars(select(ExportOrder)).all() == []


def test_customs_declaration_package_json_excel_and_tracking(client, db, ezone):
    p = ezone.parties
    _post(client, ezone.platform, "orders", s.order(p, order_type="B", price="5000.01", qty="1"))
    key = f"{p.ebp}:EXO1"
    r = client.post("/api/v1/exports/customs-declarations", headers=ezone.platform.headers,
                    json={"order_business_key": key})
    assert r.status_code == 201, r.text
    decl = r.json()
    assert (decl["trade_mode"], decl["attachment_type"], decl["attachment_no"], decl["value_cny"], decl["reasons"]) \
        == ("9710", "10000004", "EXO1", "5000.01", ["value"])
    assert decl["package"]["attachments"] == [{"type": "10000004", "name": "跨境B2B出口单证", "number": "EXO1"}]
    xlsx = client.get(f"/api/v1/exports/customs-declarations/{decl['id']}/package.xlsx", headers=ezone.platform.headers)
    sheet = load_workbook(io.BytesIO(xlsx.content))["表头"]
    assert ["人民币货值 value_cny", "5000.01"] in [[c.value for c in row] for row in sheet.iter_rows()]
    moved = client.post(f"/api/v1/exports/customs-declarations/{decl['id']}/status", headers=ezone.platform.headers,
                        json={"status": "filed", "entry_id": "020120261000000001"})
    assert moved.status_code == 200 and moved.json()["entry_id"] == "020120261000000001"
    back = client.post(f"/api/v1/exports/customs-declarations/{decl['id']}/status", headers=ezone.platform.headers,
                       json={"status": "prepared"})
    assert back.status_code == 409 and back.json()["code"] == "exports_declaration_state"
    listing = client.get("/api/v1/exports/customs-declarations", headers=ezone.platform.headers).json()
    assert listing["counts"] == {"filed": 1}
    # another enterprise neither sees nor moves it
    assert client.get(f"/api/v1/exports/customs-declarations/{decl['id']}",
                      headers=ezone.outsider.headers).status_code == 404
    assert client.post(f"/api/v1/exports/customs-declarations/{decl['id']}/status", headers=ezone.outsider.headers,
                       json={"status": "released"}).status_code == 404
    assert client.post("/api/v1/exports/customs-declarations", headers=ezone.outsider.headers,
                       json={"order_business_key": key}).status_code == 404


def test_a_5000_00_consignment_may_go_on_a_list(client, ezone):
    _post(client, ezone.platform, "orders", s.order(ezone.parties, order_type="W", price="5000.00", qty="1"))
    r = client.post("/api/v1/exports/customs-declarations", headers=ezone.platform.headers,
                    json={"order_business_key": f"{ezone.parties.ebp}:EXO1"})
    assert r.status_code == 409 and r.json()["code"] == "exports_route_list_allowed"


WAREHOUSE = {"name": "包头羊绒德国仓", "country": "304", "address": "Hamburg, Beispielstraße 1", "area_m2": "2500.50",
             "operator_name": "包头示例海外仓有限公司", "ownership_share": "100",
             "services": ["storage", "returns"], "public_certified": False}


def test_overseas_warehouse_crud_public_read_and_booking_note_link(client, db, ezone):
    admin = {"X-API-Key": make_api_key(db, ezone.platform.id, roles=["enterprise_admin"])}
    clerk = {"X-API-Key": make_api_key(db, ezone.platform.id, roles=["enterprise_user"])}
    db.commit()
    # a booking note naming the warehouse before it is registered is linked on registration
    _post(client, ezone.platform, "orders", s.order(ezone.parties, order_type="W", ebp_name=WAREHOUSE["name"]))
    assert client.post("/api/v1/exports/warehouses", headers=clerk, json=WAREHOUSE).status_code == 403
    # policy-rules §8: the certification (公共海外仓认定) is the zone's decision; the enterprise cannot flag itself
    self_certified = client.post("/api/v1/exports/warehouses", headers=admin,
                                 json={**WAREHOUSE, "public_certified": True})
    assert self_certified.status_code == 422
    issue = self_certified.json()["errors"][0]
    assert (issue["code"], issue["path"]) == ("exports_warehouse_invalid", "public_certified")
    r = client.post("/api/v1/exports/warehouses", headers=admin, json=WAREHOUSE)
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/exports/public-warehouses").json()["items"] == []
    assert client.patch(f"/api/v1/exports/warehouses/{r.json()['id']}", headers=admin,
                        json={"public_certified": True}).json()["errors"][0]["path"] == "public_certified"
    assert client.patch(f"/api/v1/exports/warehouses/{r.json()['id']}", headers=admin,
                        json={"public_certified": False}).status_code == 200  # unchanged: allowed
    operator, operator_pw = make_zone_user(db, role="zone_operator")
    db.commit()
    login(client, operator.username, operator_pw)
    certified = client.patch(f"/api/v1/exports/warehouses/{r.json()['id']}", json={"public_certified": True},
                             headers={"X-CSRF-Token": csrf_token(client, "/account")})
    assert certified.status_code == 200 and certified.json()["public_certified"] is True, certified.text
    client.cookies.clear()
    w = r.json()
    assert (w["area_m2"], w["country_name"], w["booking_notes"]) == ("2500.50", "德国", 1)
    notes = client.get(f"/api/v1/exports/warehouses/{w['id']}/booking-notes", headers=clerk).json()
    assert [n["fields"]["order_type"] for n in notes["items"]] == ["W"]
    dup = client.post("/api/v1/exports/warehouses", headers=admin, json=WAREHOUSE)
    assert dup.status_code == 422 and dup.json()["errors"][0]["path"] == "name"
    bad = client.post("/api/v1/exports/warehouses", headers=admin, json={**WAREHOUSE, "name": "x", "country": "999x"})
    assert bad.status_code == 422
    bad = client.post("/api/v1/exports/warehouses", headers=admin, json={**WAREHOUSE, "name": "y",
                                                                         "ownership_share": "100.01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "ownership_share"
    # anyone reads public ones (without the owner's id); others cannot read or change it by id
    public = client.get("/api/v1/exports/public-warehouses").json()
    assert [(x["name"], x["enterprise_id"]) for x in public["items"]] == [(WAREHOUSE["name"], None)]
    # the overseas buyer reads the directory in its language: the country too, not 德国 in every language
    for lang, name in (("en", "Germany"), ("ru", "Germany"), ("mn", "Germany"), ("zh-CN", "德国")):
        listed = client.get("/api/v1/exports/public-warehouses", headers={"Accept-Language": lang}).json()
        assert listed["items"][0]["country_name"] == name, lang
    assert client.get(f"/api/v1/exports/warehouses/{w['id']}?lang=en", headers=clerk).json()["country_name"] == "Germany"
    assert client.get(f"/api/v1/exports/warehouses/{w['id']}", headers=ezone.outsider.headers).status_code == 404
    assert client.patch(f"/api/v1/exports/warehouses/{w['id']}", headers=ezone.outsider.headers,
                        json={"address": "x"}).status_code == 404
    r = client.patch(f"/api/v1/exports/warehouses/{w['id']}", headers=admin, json={"status": "inactive"})
    assert r.status_code == 200 and r.json()["status"] == "inactive"
    assert client.get("/api/v1/exports/public-warehouses").json()["items"] == []
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.stream == f"export:warehouse:{w['id']}")).all()
    assert sorted(events) == ["export:warehouse:create", "export:warehouse:update", "export:warehouse:update"]
