"""The summary wizard and the register over HTTP: JSON API, pages with real logins, exports for the tax
bureau, and the proof that no route of the application can alter a register entry."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from kuajing.export_summary import service
from kuajing.export_summary.models import RegisterEntry
from tests.accounts.fixtures import csrf_token, login, make_api_key, make_enterprise_user, make_zone_user
from tests.export_summary.helpers import line, twelve_lists, variant


def _release(db, ent, lines, zone):
    service.register_released_list(session=db, lines=[variant(x, enterprise_id=ent.id, consignor=ent.customs_code)
                                                      for x in lines], config=zone)
    db.commit()


def _key(db, ent, roles=("enterprise_user",)) -> dict:
    key = make_api_key(db, ent.id, roles=roles)
    db.commit()
    return {"X-API-Key": key}


def test_wizard_api_preview_confirm_submit(client, db, calendar, exporter, zone):
    _release(db, exporter, twelve_lists(), zone)
    h = _key(db, exporter)
    r = client.get("/api/v1/export-summary/preview?month=2025-03", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["deadline"] == "2025-04-15" and body["mode"] == "declaration" and len(body["groups"]) == 3
    assert sorted(len(g["list_nos"]) for g in body["groups"]) == [3, 4, 5]
    r = client.post("/api/v1/export-summary/applications", json={"month": "2025-03"}, headers=h)
    assert r.status_code == 201, r.text
    apps = r.json()["items"]
    assert len(apps) == 3 and {a["status"] for a in apps} == {"draft"}
    again = client.post("/api/v1/export-summary/applications", json={"month": "2025-03"}, headers=h)
    assert again.status_code == 409 and again.json()["code"] == "export_summary_nothing_to_confirm"
    first = apps[0]["id"]
    r = client.post(f"/api/v1/export-summary/applications/{first}/submit", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
    xml = client.get(f"/api/v1/export-summary/applications/{first}/ceb701.xml", headers=h)
    assert xml.status_code == 200 and b"<ceb:CEB701Message" in xml.content
    one = client.get(f"/api/v1/export-summary/applications/{first}", headers=h).json()
    assert one["lines"] and one["keys"]["consignor"] == exporter.customs_code
    listed = client.get("/api/v1/export-summary/applications?month=2025-03&status=draft", headers=h).json()
    assert listed["total"] == 2


def test_wizard_api_errors_are_problems(client, db, calendar, exporter, zone):
    h = _key(db, exporter)
    r = client.get("/api/v1/export-summary/preview?month=2025-13", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "month"
    # before the summary rules were in force (QA: the problem named a field "on" the request does not have)
    r = client.get("/api/v1/export-summary/preview?month=2018-12", headers=h)
    assert r.status_code == 422 and (r.json()["code"], r.json()["errors"][0]["path"]) == ("rule_not_in_force",
                                                                                          "month"), r.text
    r = client.post("/api/v1/export-summary/modes", json={"mode": "statistics", "effective_from": "2025-03-05"},
                    headers=h)
    assert r.status_code == 422 and r.json()["code"] == "export_summary_bad_effective_date"
    r = client.post("/api/v1/export-summary/modes", json={"mode": "statistics", "effective_from": "2025-03-01"},
                    headers=h)
    assert r.status_code == 201 and r.json()["mode"] == "statistics"
    assert client.get("/api/v1/export-summary/modes", headers=h).json()["items"][0]["effective_from"] == "2025-03-01"
    r = client.get("/api/v1/export-summary/applications/999999", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "export_summary_application_not_found"


def test_register_api_exports_and_corrections(client, db, exporter, zone):
    _release(db, exporter, [line(1), line(2, released="2025-04-01 08:00")], zone)
    h = _key(db, exporter)
    r = client.get("/api/v1/no-invoice-register/entries?date_from=2025-03-01&date_to=2025-03-31", headers=h)
    assert r.status_code == 200 and r.json()["total"] == 1
    entry = r.json()["items"][0]
    assert (entry["export_date"], entry["goods_name"], entry["unit"], entry["quantity"], entry["unit_price"],
            entry["amount"]) == ("2025-03-10", "羊绒衫", "011", "2.00", "120.50", "241.00")
    csv = client.get("/api/v1/no-invoice-register/entries.csv", headers={**h, "Accept-Language": "zh-CN"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("登记号,登记类型")
    xlsx = client.get("/api/v1/no-invoice-register/entries.xlsx", headers=h)
    ws = load_workbook(BytesIO(xlsx.content)).active
    assert ws.max_row == 3
    body = {"original_entry_id": entry["id"], "reference": "FIX-1", "reason": "单价录入错误",
            "unit_price": "110.00", "amount": "220.00"}
    r = client.post("/api/v1/no-invoice-register/corrections", json=body, headers=h)
    assert r.status_code == 201 and r.json()["corrects_id"] == entry["id"] and r.json()["amount"] == "220.00"
    assert client.post("/api/v1/no-invoice-register/corrections", json=body, headers=h).json()["id"] == r.json()["id"]
    assert client.get("/api/v1/no-invoice-register/entries", headers=h).json()["total"] == 3
    bad = client.post("/api/v1/no-invoice-register/corrections", json={**body, "amount": "1.234567"}, headers=h)
    assert bad.status_code == 422


def test_eligibility_and_cit_estimate_api(client, db, exporter, zone):
    h = _key(db, exporter)
    r = client.post("/api/v1/no-invoice-register/eligibility", headers=h, json={
        "hs_code": "7208100000", "declare_customs": "0101", "export_date": "2025-03-01"})
    assert r.status_code == 200
    assert [x["code"] for x in r.json()["reasons"]] == ["not_zone_customs", "excluded_goods"]
    ok = client.post("/api/v1/no-invoice-register/eligibility", headers=h, json={
        "hs_code": "6110120090", "declare_customs": "0703", "export_date": "2025-03-01"}).json()
    assert ok["eligible"] and ok["zone_customs"] == ["0703", "0706"]
    # policy-rules §3.5: revenue 8,000,000 → 320,000 → 16,000 as a small low-profit enterprise
    r = client.get("/api/v1/no-invoice-register/cit-estimate?year=2025&revenue=8000000&employees=20&assets=3000000",
                   headers=h)
    assert r.status_code == 200, r.text
    est = r.json()
    assert (est["taxable_income"], est["standard_tax"], est["tax"], est["small_low_profit"]) == (
        "320000.00", "80000.00", "16000.00", True)
    assert any(c["rule"] == "cit.small_low_profit.rate_first_1m" for c in est["citations"])
    r = client.get("/api/v1/no-invoice-register/cit-estimate?year=2019&revenue=1", headers=h)
    assert r.status_code == 422 and r.json()["code"] == "cit_bad_year"



def test_eligibility_api_applies_the_exemption_from_its_effective_date(client, db, exporter, zone):
    """R3.5: 无票免税 (财税〔2018〕103号) is in force from 2018-10-01. An export on 2018-09-30 does not qualify even
    when the three conditions hold; on 2018-10-01 it does. The register at release already said so; the
    eligibility API answered "eligible" for both days."""
    h = _key(db, exporter)
    body = {"hs_code": "6110120090", "declare_customs": "0703"}
    before = client.post("/api/v1/no-invoice-register/eligibility", headers=h,
                         json={**body, "export_date": "2018-09-30"}).json()
    assert before["eligible"] is False
    assert [x["code"] for x in before["reasons"]] == ["rule_not_in_force"]
    first = client.post("/api/v1/no-invoice-register/eligibility", headers=h,
                        json={**body, "export_date": "2018-10-01"}).json()
    assert first["eligible"] is True and first["reasons"] == []

def test_another_enterprise_sees_nothing(client, db, calendar, exporter, outsider, zone):
    _release(db, exporter, twelve_lists(), zone)
    service.confirm(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=date(2025, 4, 2), actor="x")
    db.commit()
    app_id = service.applications(session=db, enterprise_id=exporter.id)[0].id
    h = _key(db, outsider, roles=("enterprise_admin",))
    assert client.get(f"/api/v1/export-summary/applications/{app_id}", headers=h).status_code == 404
    assert client.post(f"/api/v1/export-summary/applications/{app_id}/submit", headers=h).status_code == 404
    assert client.get(f"/api/v1/export-summary/preview?month=2025-03&enterprise_id={exporter.id}",
                      headers=h).status_code == 403
    assert client.get("/api/v1/no-invoice-register/entries", headers=h).json()["total"] == 0
    assert client.get("/api/v1/export-summary/applications", headers=h).json()["total"] == 0


def _register_state(db):
    db.expire_all()
    return [(e.id, e.export_date, e.goods_name, e.unit, e.quantity, e.unit_price, e.amount, e.kind, e.corrects_id)
            for e in db.scalars(select(RegisterEntry).order_by(RegisterEntry.id))]


def test_no_route_of_the_application_alters_a_register_entry(app, client, db, exporter, zone):
    """PATCH, PUT and DELETE on every route (path parameters = the entry's id) by the zone operator and the
    enterprise's admin: the register's routes answer 404/405 and not one entry changes or disappears."""
    from tests.test_isolation import discover

    _release(db, exporter, [line(1)], zone)
    entry_id = db.scalars(select(RegisterEntry.id)).one()
    operator, _ = make_zone_user(db, username="op-register")
    admin_key = _key(db, exporter, roles=("enterprise_admin",))
    db.commit()
    before = _register_state(db)
    login(client, operator.username, "Correct-Horse-Battery-9")
    token = csrf_token(client, "/account")
    paths = {re.sub(r"{\w+}", str(entry_id), p) for m, p in discover(app) if m != "MOUNT"}
    paths |= {f"/api/v1/no-invoice-register/entries/{entry_id}", f"/no-invoice-register/{entry_id}",
              f"/api/v1/no-invoice-register/corrections/{entry_id}"}
    payload = {"amount": "1.00", "goods_name": "改过的名字", "export_date": "2020-01-01"}
    for path in sorted(paths):
        for method in ("PATCH", "PUT", "DELETE"):
            for headers in ({"X-CSRF-Token": token}, admin_key):
                kwargs = {} if method == "DELETE" else {"json": payload}
                r = client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
                assert r.status_code < 500, f"{method} {path} → {r.status_code}"
                if "no-invoice" in path:
                    assert r.status_code in (404, 405), f"{method} {path} → {r.status_code}"
    assert _register_state(db) == before


def test_pages_wizard_and_register(client, db, calendar, exporter, zone):
    _release(db, exporter, twelve_lists(), zone)
    user, password = make_enterprise_user(db, exporter.id, username="clerk-summary")
    db.commit()
    login(client, user.username, password)
    page = client.get("/export-summary?month=2025-03")
    assert page.status_code == 200 and 'data-deadline>2025-04-15<' in page.text
    token = csrf_token(client, "/export-summary?month=2025-03")
    r = client.post("/export-summary/confirm", data={"month": "2025-03", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    page = client.get(r.headers["location"])
    assert page.text.count('data-status="draft"') == 3
    app_id = service.applications(session=db, enterprise_id=exporter.id)[0].id
    r = client.post("/export-summary/submit", data={"application_id": app_id, "month": "2025-03",
                                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(r.headers["location"]).text.count('data-status="submitted"') == 1
    missing_csrf = client.post("/export-summary/confirm", data={"month": "2025-03"}, follow_redirects=False)
    assert missing_csrf.status_code in (400, 403)
    reg = client.get("/no-invoice-register?year=2025&employees=10&assets=1000000")
    assert reg.status_code == 200 and "羊绒衫" in reg.text and "data-tax" in reg.text
    assert Decimal("0") <= Decimal(re.search(r"data-tax>([\d.]+)", reg.text).group(1))
