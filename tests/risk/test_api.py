"""JSON routes and pages of risk prevention and the data-export log: roles, contract shapes, workflow by HTTP."""

from __future__ import annotations

from datetime import date

from kuajing.risk import service
from kuajing.risk.models import Alert
from tests.accounts.fixtures import make_enterprise
from tests.enterprises.helpers import login, make_key, make_user
from tests.risk.helpers import BUYER, fact, gov, hours


def _split_alert(db, district="150207") -> Alert:
    fact(db, at=hours(0), district=district)
    fact(db, at=hours(1), district=district)
    [alert] = service.evaluate(session=db, fact=fact(db, at=hours(2), district=district))
    db.commit()
    return alert


def _get(client, url, who, **kw):
    client.cookies.clear()
    return client.get(url, cookies=who.cookies, **kw)


def _post(client, url, who, **kw):
    client.cookies.clear()
    return client.post(url, cookies=who.cookies, headers={"X-CSRF-Token": who.csrf}, **kw)


def test_enterprises_cannot_read_alerts_or_data_export(client, db):
    ent = make_enterprise(db)
    headers = make_key(db, enterprise_id=ent.id)
    db.commit()
    for url in ("/api/v1/risk/summary?start=2026-01-01&end=2026-12-31", "/api/v1/risk/alerts",
                "/api/v1/data-export/summary?year=2026", "/api/v1/risk/blacklist", "/api/v1/evaluation/indicators"):
        r = client.get(url, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "forbidden", url


def test_summary_endpoint_has_the_contract_shape(client, db):
    alert = _split_alert(db)
    who = gov(db)
    day = service.local_date(alert.opened_at).isoformat()
    r = _get(client, f"/api/v1/risk/summary?start={day}&end={day}&district=150207", who)
    assert r.status_code == 200, r.text
    assert r.json() == {"alerts_open": 1, "alerts_by_rule": {"split_orders": 1},
                        "top": [{"rule": "split_orders", "subject": "1502**********1234",
                                 "opened_at": alert.opened_at.isoformat(), "status": "open"}]}
    bad = _get(client, f"/api/v1/risk/summary?start={day}&end=2000-01-01", who)
    assert bad.status_code == 422 and bad.json()["code"] == "risk_bad_period"
    assert BUYER not in _get(client, "/api/v1/risk/alerts", who).text


def test_workflow_over_the_api(client, db):
    alert = _split_alert(db)
    who = gov(db, "zone_operator", "operator")
    auditor = gov(db, "auditor", "auditor")
    assert _post(client, f"/api/v1/risk/alerts/{alert.id}/investigate", auditor).status_code == 403
    r = _post(client, f"/api/v1/risk/alerts/{alert.id}/investigate", who)
    assert r.status_code == 200 and r.json()["status"] == "investigating"
    r = _post(client, f"/api/v1/risk/alerts/{alert.id}/close", who, json={"note": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "note"
    r = _post(client, f"/api/v1/risk/alerts/{alert.id}/close", who, json={"note": "已核实", "outcome": "confirmed"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    detail = _get(client, f"/api/v1/risk/alerts/{alert.id}", auditor).json()
    assert [s["to"] for s in detail["steps"]] == ["open", "investigating", "closed"]
    assert _get(client, "/api/v1/risk/alerts/999999", who).json()["code"] == "risk_alert_not_found"


def test_blacklist_over_the_api_never_echoes_the_id_number(client, db):
    who = gov(db)
    r = _post(client, "/api/v1/risk/blacklist", who, json={"buyer_id_number": BUYER, "reason": "冒用身份"})
    assert r.status_code == 201, r.text
    assert r.json()["subject"] == "1502**********1234" and BUYER not in r.text
    both = _post(client, "/api/v1/risk/blacklist", who, json={"buyer_id_number": BUYER, "enterprise_id": 1,
                                                               "reason": "x"})
    assert both.status_code == 422 and both.json()["code"] == "risk_blacklist_bad_subject"
    dup = _post(client, "/api/v1/risk/blacklist", who, json={"buyer_id_number": BUYER.lower(), "reason": "again"})
    assert dup.status_code == 409 and dup.json()["code"] == "risk_blacklist_duplicate"
    # the field that named the subject, its value masked (a QA pass found path enterprise_id for a buyer ID)
    assert [(e["path"], e["value"]) for e in dup.json()["errors"]] == [("buyer_id_number", "1502**********1234")]
    assert BUYER not in dup.text
    entry = r.json()["id"]
    gone = _post(client, f"/api/v1/risk/blacklist/{entry}/remove", who, json={"reason": "误列"})
    assert gone.status_code == 200 and gone.json()["removed_at"]
    again = _post(client, f"/api/v1/risk/blacklist/{entry}/remove", who, json={"reason": "误列"})
    assert again.status_code == 409 and again.json()["code"] == "risk_blacklist_already_removed"
    listing = _get(client, "/api/v1/risk/blacklist?include_removed=true", who)
    assert BUYER not in listing.text and len(listing.json()["items"]) == 1


def test_credit_grade_own_enterprise_only_government_sees_all(client, db):
    a = make_enterprise(db, status="approved", name_zh="甲方企业")
    b = make_enterprise(db, status="approved", name_zh="乙方企业")
    a_key = make_key(db, enterprise_id=a.id)
    db.commit()
    own = client.get(f"/api/v1/risk/credit/{a.id}", headers=a_key)
    assert own.status_code == 200 and own.json()["enterprise"] == "甲方企业"
    assert own.json()["grade"] == "A" and own.json()["capped_by"] == "history"  # no declarations yet
    assert {f["factor"] for f in own.json()["factors"]} >= {"rejections", "inspections", "risk_hits", "punctuality"}
    assert client.get(f"/api/v1/risk/credit/{b.id}", headers=a_key).status_code == 403
    mine = client.get("/api/v1/risk/credit", headers=a_key).json()["items"]
    assert [g["enterprise_id"] for g in mine] == [a.id]
    who = gov(db)
    every = _get(client, "/api/v1/risk/credit", who).json()["items"]
    assert {g["enterprise_id"] for g in every} == {a.id, b.id}
    recorded = _post(client, "/api/v1/risk/credit/record", who)
    assert recorded.json() == {"recorded": 2}
    assert _post(client, "/api/v1/risk/credit/record", who).json() == {"recorded": 0}  # once a day
    assert _get(client, f"/api/v1/risk/credit/{a.id}", who).json()["history"][0]["grade"] == "A"


def test_data_export_endpoints(client, db):
    who = gov(db, "zone_operator", "operator")
    body = {"reference": "WH-2026-05-01", "recipient": "Hamburg Fulfilment GmbH", "country": "304",
            "categories": ["name", "phone", "address"], "legal_basis": "contract_necessity", "purpose": "海外仓配送",
            "individuals": ["13900000001", "13900000002"], "transferred_at": "2026-05-01T04:00:00Z"}
    r = _post(client, "/api/v1/data-export/transfers", who, json=body)
    assert r.status_code == 201 and r.json()["exempt"] is True and "13900000001" not in r.text
    r = _post(client, "/api/v1/data-export/transfers", who,
              json={**body, "reference": "SC-1", "legal_basis": "standard_contract"})
    assert r.status_code == 201 and r.json()["exempt"] is False
    bad = _post(client, "/api/v1/data-export/transfers", who, json={**body, "reference": "X", "categories": ["dna"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "categories[1]"
    s = _get(client, "/api/v1/data-export/summary?year=2026", who).json()
    assert {k: s[k] for k in ("year", "transfers", "individuals_non_exempt", "individuals_sensitive")} == {
        "year": 2026, "transfers": 2, "individuals_non_exempt": 2, "individuals_sensitive": 0}
    assert s["thresholds"]["assessment_sensitive"]["threshold"] == 10_000 and s["alerts"] == []
    log = _get(client, "/api/v1/data-export/transfers?year=2026", who).json()
    assert log["total"] == 2


def test_pages_render_and_the_workflow_runs_by_form(client, db):
    alert = _split_alert(db)
    who = gov(db)
    page = _get(client, "/risk/alerts?lang=en", who)
    assert page.status_code == 200 and "1502**********1234" in page.text and BUYER not in page.text
    zh = _get(client, f"/risk/alerts/{alert.id}", who)
    assert zh.status_code == 200 and "拆单" in zh.text
    r = _post(client, f"/risk/alerts/{alert.id}/close", who, data={"csrf_token": who.csrf, "note": ""})
    assert r.status_code == 422
    r = _post(client, f"/risk/alerts/{alert.id}/close", who,
              data={"csrf_token": who.csrf, "note": "已核实", "outcome": "dismissed"}, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Alert, alert.id).status == "closed"
    for url in ("/risk/blacklist", "/risk/credit", "/data-export", "/data-export?year=2023"):
        assert _get(client, url, who).status_code == 200, url
    ent = make_enterprise(db, status="approved", name_zh="丙方企业")
    clerk = login(db, user_id=make_user(db, username="clerk", roles=["enterprise_user"], enterprise_id=ent.id))
    db.commit()
    assert _get(client, "/risk/alerts", clerk).status_code == 403
    mine = _get(client, "/risk/credit", clerk)
    assert mine.status_code == 200 and "丙方企业" in mine.text
    assert date.today()  # pages use Asia/Shanghai dates; nothing else to assert here


def test_alert_figures_are_labelled_and_times_in_the_zones_time(client, db):
    # a QA pass saw window_hours, first_at as an ISO instant and the references as a Python list on this page
    alert = _split_alert(db)
    who = gov(db)
    html = _get(client, f"/risk/alerts/{alert.id}?lang=zh_Hans", who).text
    figures = html.split('class="figures"', 1)[1].split("</table>", 1)[0]
    assert "时间窗口（小时）" in figures and "window_hours" not in figures.replace('data-figure="window_hours"', "")
    first = service.local_date(alert.opened_at)  # the split rule's first parcel, shown as a Shanghai date and time
    assert "首次时间" in figures and "T" not in figures.split('data-figure="first_at"', 1)[1].split("</tr>", 1)[0]
    assert "['" not in figures  # references joined, not a Python list
    assert str(first.year) in figures


def test_alert_steps_and_times_read_as_people_say_them(client, db):
    # QA re-check: the workflow showed "— → open" in every language and the times in UTC
    alert = _split_alert(db)
    who = gov(db, "zone_operator", "operator")
    assert _post(client, f"/api/v1/risk/alerts/{alert.id}/investigate", who).status_code == 200
    html = _get(client, f"/risk/alerts/{alert.id}?lang=zh_Hans", who).text
    steps = html.split('class="steps"', 1)[1].split("</ol>", 1)[0]
    assert "→ 待处理" in steps and "待处理 → " in steps and "open" not in steps
    local = alert.opened_at.astimezone(service.SHANGHAI)
    assert local.strftime("%Y-%m-%d %H:%M") in html and " UTC" not in html


def test_an_outcome_not_allowed_is_named_in_the_readers_language_without_an_english_or(client, db):
    # a QA pass found "Зөвшөөрөгдөх утга: 'confirmed' or 'dismissed'." (pydantic's English "or" in every language)
    alert = _split_alert(db)
    who = gov(db, "zone_operator", "operator")
    for lang, text in (("mn", "Зөвшөөрөгдөх утга: 'confirmed', 'dismissed'."),
                       ("en", "Allowed values: 'confirmed', 'dismissed'.")):
        r = _post(client, f"/api/v1/risk/alerts/{alert.id}/close?lang={lang}", who, json={"note": "x", "outcome": "bogus"})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_allowed"
        assert (r.json()["errors"][0]["path"], r.json()["errors"][0]["message"]) == ("outcome", text)


def test_period_filters_reaching_past_any_instant_mean_from_the_start_or_to_the_end(client, db):
    # QA: start=9999-12-31 answered value_out_of_range with no field; 0001-01-01 … 9999-12-31 is "every alert"
    _split_alert(db)
    db.commit()
    who = gov(db)
    every = _get(client, "/api/v1/risk/summary?start=0001-01-01&end=9999-12-31", who)
    assert every.status_code == 200 and every.json()["alerts_open"] == 1, every.text
    assert _get(client, "/api/v1/risk/summary?start=9999-12-31&end=9999-12-31", who).json()["alerts_open"] == 0
    listed = _get(client, "/api/v1/risk/alerts?start=0001-01-01&end=9999-12-31", who)
    assert listed.status_code == 200 and listed.json()["total"] == 1
