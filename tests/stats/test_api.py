"""Statistics API and pages: who may see zone figures, the dashboard's numbers, targets that click through to
their records, survey estimates beside (never inside) the customs scope, the brand registry, field-path errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from kuajing.accounts.choices import Role
from kuajing.stats import service
from tests.accounts.fixtures import form_post, login, make_enterprise_user, make_user
from tests.stats.helpers import at, export_list, import_list


@pytest.fixture
def figures(db, zone, session_factory):
    """2026 figures: A imports 9610 (Jan, Oct), C exports 9710 to Germany (Oct); one public warehouse; folded."""
    from kuajing.exports.service import warehouses

    import_list(db, ent=zone["A"], released_at=at(2026, 1, 20), items=[("0402210000", "601", D("1000.00"))])
    import_list(db, ent=zone["A"], released_at=at(2026, 10, 3), taxable_price=D("2500.00"),
                items=[("3304990000", "116", D("2400.00"))])
    export_list(db, ent=zone["C"], mode="9710", released_at=at(2026, 10, 9),
                items=[("6110200000", "304", D("4000.00"), "142"), ("6110110000", "304", D("500.00"), "142")])
    warehouses.create(session=db, enterprise_id=zone["C"].id, actor="test", values={
        "name": "包头羊绒德国公共仓", "country": "304", "address": "Hamburg", "area_m2": "1200",
        "operator_name": "包头统计丙有限公司", "ownership_share": "100", "public_certified": True})
    db.commit()
    service.fold_all(session_factory=session_factory)
    return zone


def supervisor(db, client):
    user, password = make_user(db, roles=(Role.commerce_supervisor,))
    db.commit()
    login(client, user.username, password)
    return user


def test_commerce_supervisor_sees_the_dashboard_figures(db, client, figures):
    supervisor(db, client)
    r = client.get("/api/v1/stats/dashboard", params={"end": "2026-10", "months": 12})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["filters"] == {"end": "2026-10", "start": "2025-11", "months": 12, "direction": None, "mode": None,
                            "district": None}
    # imports: 1000.00 (Jan) + taxable price 2500.00 (Oct); exports: 4500.00 (Oct)
    assert d["totals"]["import_cny"] == "3500.00" and d["totals"]["export_cny"] == "4500.00"
    assert d["totals"]["enterprises"] == 2
    oct_ = next(t for t in d["trend"] if t["month"] == "2026-10")
    assert oct_["import_cny"] == "2500.00" and oct_["export_parcels"] == 1 and oct_["enterprises"] == 2
    assert {m["mode"]: m["value_cny"] for m in d["modes"]} == {"1210": "0", "9610": "3500.00", "9710": "4500.00",
                                                               "9810": "0"}
    assert d["countries"][0] == {"country": "304", "value_cny": "4500.00", "parcels": 1}
    assert [p["hs_heading"] for p in d["products"]] == ["6110", "3304", "0402"]
    assert [(x["district"], x["value_cny"]) for x in d["districts"]] == [("150204", "4500.00"), ("150207", "3500.00")]
    # one filter: the Jiuyuan district only
    r = client.get("/api/v1/stats/dashboard", params={"end": "2026-10", "district": "150207"})
    assert r.json()["totals"]["total_cny"] == "3500.00" and r.json()["countries"][0]["country"] == "116"


def test_targets_click_through_to_their_records(db, client, figures):
    supervisor(db, client)
    r = client.get("/api/v1/stats/targets", params={"year": 2025})
    rows = {t["id"]: t for t in r.json()["targets"]}
    assert set(rows) == {"2025-enterprises", "2025-trade", "2025-brands", "2025-public-warehouses"}
    assert rows["2025-trade"]["min"] == "1500000000" and rows["2025-trade"]["actual"] == "0"
    r = client.get("/api/v1/stats/targets", params={"year": 2026})
    assert r.json()["targets"] == []  # the plan sets no 2026 target
    from kuajing.stats import targets

    progress = targets.progress(session=db, today=date(2026, 11, 27))
    trade = next(t for t in progress["targets"] if t["id"] == "2025-trade")
    assert trade["status"] == "behind"
    # records behind a number: the 2026 lists, enterprises and public warehouses
    r = client.get("/api/v1/stats/records", params={"indicator": "trade_value_cny", "year": 2026})
    assert r.json()["total"] == 3 and {i["direction"] for i in r.json()["items"]} == {"import", "export"}
    # the records add up to the figure: 1000.00 + 2500.00 (imports) + 4500.00 (export) = 8000.00, the dashboard's
    # total of 2026 (QA: the drill-down listed the lists without their values, so nobody could check the sum)
    values = sorted(D(i["value_cny"]) for i in r.json()["items"])
    assert values == [D("1000.00"), D("2500.00"), D("4500.00")]
    year = client.get("/api/v1/stats/dashboard", params={"end": "2026-12", "months": 12}).json()["totals"]
    assert sum(values) == D(year["total_cny"])
    page = client.get("/stats/records", params={"indicator": "trade_value_cny", "year": 2026}).text
    assert "4500.00" in page and "2500.00" in page
    r = client.get("/api/v1/stats/records", params={"indicator": "enterprises_cumulative", "year": 2026})
    assert {i["name"] for i in r.json()["items"]} == {"包头统计甲有限公司", "包头统计丙有限公司"}
    r = client.get("/api/v1/stats/records", params={"indicator": "public_overseas_warehouses", "year": 2026})
    assert [i["name"] for i in r.json()["items"]] == ["包头羊绒德国公共仓"]
    page = client.get("/stats/records", params={"indicator": "enterprises_cumulative", "year": 2026})
    assert page.status_code == 200 and "包头统计丙有限公司" in page.text


def test_bad_filters_are_422_with_field_paths(db, client, figures):
    supervisor(db, client)
    for params, path, code in (({"end": "2026-13"}, "end", "stats_bad_month"), ({"mode": "0110"}, "mode",
                                                                                 "stats_bad_filter"),
                               ({"months": 99}, "months", "stats_bad_window")):
        r = client.get("/api/v1/stats/dashboard", params=params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["path"] == path and r.json()["errors"][0]["code"] == code
    r = client.get("/api/v1/stats/records", params={"indicator": "bogus", "year": 2026})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "indicator"


def test_months_outside_the_years_2000_to_2100_are_422_not_500(db, client, figures):
    # 9999-12 (its window's next month is no date) and 0001-01 (a 36-month window reaches year 0) used to raise
    # ValueError (500); a month is YYYY-MM of 2000..2100, like every year parameter of the platform
    supervisor(db, client)
    for url, params, path in (("/api/v1/stats/dashboard", {"end": "9999-12"}, "end"),
                              ("/api/v1/stats/dashboard", {"end": "0001-01", "months": 36}, "end"),
                              ("/api/v1/stats/surveys", {"start": "9999-12", "end": "9999-12"}, "end"),
                              ("/api/v1/stats/bulletin.xlsx", {"month": "9999-12"}, "month"),
                              ("/api/v1/stats/bulletin.xlsx", {"month": "0001-01"}, "month")):
        r = client.get(url, params=params, headers={"Accept-Language": "ru"})
        assert r.status_code == 422, (url, params, r.status_code)
        issue = r.json()["errors"][0]
        assert (issue["code"], issue["path"]) == ("stats_bad_month", path)
        assert "от 2000 до 2100" in issue["message"] and "от 2000 до 2100" in r.json()["detail"]
    assert service.parse_month("2000-01") == date(2000, 1, 1)
    assert service.parse_month("2100-12") == date(2100, 12, 1)


def test_enterprises_see_no_zone_figures(db, client, figures):
    user, password = make_enterprise_user(db, enterprise_id=figures["A"].id, roles=(Role.enterprise_admin,))
    db.commit()
    login(client, user.username, password)
    for url in ("/api/v1/stats/dashboard", "/api/v1/stats/targets", "/api/v1/stats/brands",
                "/api/v1/stats/records?indicator=trade_value_cny&year=2026", "/api/v1/stats/bulletin.pdf?month=2026-10"):
        r = client.get(url)
        assert r.status_code == 403, url
    assert client.get("/stats", headers={"Accept": "text/html"}).status_code == 403


def test_survey_estimates_stay_beside_the_customs_scope(db, client, figures):
    a = figures["A"]
    user, password = make_enterprise_user(db, enterprise_id=a.id, roles=(Role.enterprise_user,))
    db.commit()
    login(client, user.username, password)
    body = {"month": "2026-10", "direction": "export", "channel": "express", "value_cny": "800.00"}
    r = client.post("/api/v1/stats/surveys", json=body)
    assert r.status_code == 201 and r.json()["enterprise_id"] == a.id and r.json()["estimate"] is True
    # a revision replaces the figure (one per enterprise, month, direction and channel)
    r = client.post("/api/v1/stats/surveys", json={**body, "value_cny": "900.00"})
    assert r.status_code == 201
    assert client.post("/api/v1/stats/surveys", json={**body, "enterprise_id": figures["C"].id}).status_code == 403
    bad = client.post("/api/v1/stats/surveys", json={**body, "channel": "9610"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "channel"
    bad = client.post("/api/v1/stats/surveys", json={**body, "value_cny": "-1"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "value_cny"
    assert [i["value_cny"] for i in client.get("/api/v1/stats/surveys").json()["items"]] == ["900.00"]
    client.post("/logout", headers={"X-CSRF-Token": ""})
    client.cookies.clear()
    supervisor(db, client)
    d = client.get("/api/v1/stats/dashboard", params={"end": "2026-10"}).json()
    assert d["survey"] == {"by_channel": {"express": "900.00"}, "total_cny": "900.00",
                           "customs_scope_cny": "8000.00", "combined_cny": "8900.00"}
    assert d["totals"]["total_cny"] == "8000.00"  # the customs scope is untouched
    d = client.get("/api/v1/stats/dashboard", params={"end": "2026-10", "mode": "9610"}).json()
    assert d["survey"]["combined_cny"] is None  # no combined figure under a customs-code filter


def test_brand_registry_counts_toward_the_target(db, client, figures):
    supervisor(db, client)
    body = {"name": "鹿城羊绒", "owner_enterprise_id": figures["C"].id, "markets": ["304", "344"],
            "evidence": "商标注册证 第12345678号", "registered_on": "2025-06-01"}
    r = client.post("/api/v1/stats/brands", json=body)
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/stats/brands", json=body).status_code == 409
    r = client.post("/api/v1/stats/brands", json={**body, "name": "X", "markets": ["GERMANY"]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "markets[0]"
    t = {x["id"]: x for x in client.get("/api/v1/stats/targets", params={"year": 2025}).json()["targets"]}
    assert t["2025-brands"]["actual"] == "1" and t["2025-brands"]["status"] == "behind"
    r = client.get("/api/v1/stats/records", params={"indicator": "local_brands", "year": 2025})
    assert r.json()["items"][0]["name"] == "鹿城羊绒"
    page = form_post(client, "/stats/brands", {"name": "草原优品", "owner_enterprise_id": str(figures["A"].id),
                                                "markets": "344, 116", "evidence": "店铺 https://example.com",
                                                "registered_on": "2025-07-01"}, page="/stats/brands")
    assert page.status_code == 303
    assert "草原优品" in client.get("/stats/brands").text


def test_dashboard_page_renders_for_the_supervisor(db, client, figures):
    supervisor(db, client)
    page = client.get("/stats")
    assert page.status_code == 200 and "echarts.min.js" in page.text and "综试区监测看板" in page.text
    en = client.get("/stats?lang=en")
    assert "Zone dashboard" in en.text
    assert client.get("/stats/bulletin?month=2026-10").status_code == 200


def test_dashboard_side_panels_and_units_speak_the_users_language(db, client, figures):
    # a QA pass saw rule codes (identity_reuse), counter keys (individuals_non_exempt), the country code 142 and
    # the Chinese unit 万元 on the English, Russian and Mongolian dashboards
    import json
    import re

    supervisor(db, client)
    for locale, rule, unit, china in (("zh_Hans", "一证多收货人或多电话", "万元", "中国"),
                                      ("en", "One ID, many consignees or phones", "10k CNY", "China"),
                                      ("ru", None, "×10 тыс. юаней", None)):
        html = client.get(f"/stats?lang={locale}").text
        side = json.loads(re.search(r"const SIDE = (\{.*?\});\n", html).group(1))
        countries = json.loads(re.search(r"const COUNTRIES = (\{.*?\});\n", html).group(1))
        strings = json.loads(re.search(r"const T = (\{.*?\});\n", html).group(1))
        assert strings["10k CNY"] == unit
        if rule:
            assert side["rules"]["identity_reuse"] == rule
        if china:
            assert countries["142"] == china
        assert set(side["counters"]) >= {"individuals_non_exempt", "individuals_sensitive"}
        assert "contract_nonsensitive" in side["thresholds"]
        assert side["rules"]["identity_reuse"] != "identity_reuse"
        if locale != "zh_Hans":
            assert "万" not in html.split("<script", 1)[1]  # no Chinese unit in the script of another language
