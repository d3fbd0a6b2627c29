"""District and park evaluation (综合考评): hand-computed min-max scores and ranks, effective-dated weights,
entries with evidence, values computed from released lists and warehouses, immutable published snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from kuajing.audit.models import AuditEvent
from kuajing.errors import AppError
from kuajing.evaluation import calc, service
from kuajing.evaluation.errors import ImmutableSnapshotError
from kuajing.evaluation.models import Snapshot
from tests.accounts.fixtures import make_enterprise
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.risk.helpers import gov

D = Decimal


def test_min_max_scores_hand_computed():
    # two indicators, weights 60 / 40; units A, B, C
    # x: A 10, B 20, C 30 → 0, 50, 100;  y: A 5, B 5, C missing(0) → 100, 100, 0
    # totals: A (60×0 + 40×100)/100 = 40.00; B (60×50 + 40×100)/100 = 70.00; C (60×100 + 0)/100 = 60.00
    specs = [calc.IndicatorSpec("x", "park_building", D(60)), calc.IndicatorSpec("y", "environment", D(40))]
    values = {("A", "x"): D(10), ("B", "x"): D(20), ("C", "x"): D(30), ("A", "y"): D(5), ("B", "y"): D(5)}
    rows = calc.score(units=["A", "B", "C"], indicators=specs, values=values)
    assert [(r.unit, r.total, r.rank) for r in rows] == [("B", D("70.00"), 1), ("C", D("60.00"), 2),
                                                         ("A", D("40.00"), 3)]
    b = rows[0]
    assert b.categories == {"park_building": D("30.00"), "environment": D("40.00")}
    assert b.normalised == {"x": D("50.00"), "y": D("100.00")}
    assert rows[1].missing == ("y",)


def test_equal_totals_share_a_rank_and_equal_values_normalise_to_100_or_0():
    specs = [calc.IndicatorSpec("x", "c", D(1))]
    rows = calc.score(units=["B", "A", "C"], indicators=specs, values={("A", "x"): D(3), ("B", "x"): D(3),
                                                                       ("C", "x"): D(1)})
    assert [(r.unit, r.rank) for r in rows] == [("A", 1), ("B", 1), ("C", 3)]
    assert calc.normalise({"A": D(7), "B": D(7)}) == {"A": D(100), "B": D(100)}
    assert calc.normalise({"A": D(0), "B": None}) == {"A": D(0), "B": D(0)}


def test_periods():
    assert service.parse_period("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert service.parse_period("2026-H2") == (date(2026, 7, 1), date(2026, 12, 31))
    assert service.parse_period("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert service.parse_period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    for bad in ("2026-13", "26", "2026-Q5", ""):
        with pytest.raises(AppError):
            service.parse_period(bad)


def test_a_period_outside_the_years_2000_to_2100_is_a_422_not_a_500(client, db):
    # 9999-12 ends on 9999-12-31 but its end was computed from 10000-01-01; 0000 has no first day: both used to
    # raise ValueError (500). They are evaluation_bad_period on the field "period", in the user's language.
    for bad in ("9999", "9999-H2", "9999-Q4", "9999-12", "0000", "0000-01", "0001", "1999-12", "2101"):
        with pytest.raises(AppError) as caught:
            service.parse_period(bad)
        assert caught.value.code == "evaluation_bad_period" and caught.value.errors[0].path == "period"
    assert service.parse_period("2000-01") == (date(2000, 1, 1), date(2000, 1, 31))
    assert service.parse_period("2100") == (date(2100, 1, 1), date(2100, 12, 31))
    who = gov(db)
    for locale, word in (("en", "between 2000 and 2100"), ("zh", "2000 至 2100"), ("ru", "от 2000 до 2100"),
                         ("mn", "2000–2100")):
        client.cookies.clear()
        r = client.get("/api/v1/evaluation/scores", params={"period": "9999-12", "unit_kind": "district"},
                       cookies=who.cookies, headers={"Accept-Language": locale})
        assert r.status_code == 422, r.text
        issue = r.json()["errors"][0]
        assert (issue["code"], issue["path"], issue["value"]) == ("evaluation_bad_period", "period", "9999-12")
        assert word in issue["message"]


def test_catalogue_covers_the_four_areas_and_default_weights_sum_to_100():
    cats = {i.category.value for i in service.catalogue()}
    assert cats == {"park_building", "entity_cultivation", "policy_support", "environment"}
    assert sum(i.default_weight for i in service.catalogue()) == 100


def test_weights_are_effective_dated(db):
    assert service.weights(session=db, on=date(2026, 6, 30))["trade_value"] == (D("12"), "default")
    service.set_weight(session=db, indicator_code="trade_value", weight="20", valid_from=date(2026, 1, 1), actor="t")
    service.set_weight(session=db, indicator_code="trade_value", weight="15.5", valid_from=date(2026, 7, 1), actor="t")
    assert service.weights(session=db, on=date(2025, 12, 31))["trade_value"][0] == D("12")
    assert service.weights(session=db, on=date(2026, 6, 30))["trade_value"][0] == D("20")
    assert service.weights(session=db, on=date(2026, 12, 31))["trade_value"] == (D("15.5"), "set 2026-07-01")
    with pytest.raises(AppError) as bad:
        service.set_weight(session=db, indicator_code="trade_value", weight="101", valid_from=date(2027, 1, 1),
                           actor="t")
    assert bad.value.code == "evaluation_bad_weight"
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.stream == "evaluation")).all() == [
        "evaluation:weight:set"] * 2


def test_entries_need_evidence_and_computed_indicators_are_not_entered(db):
    with pytest.raises(AppError) as ev:
        service.enter(session=db, period="2026", unit_kind="district", unit_code="150207",
                      indicator_code="support_funds", value="120.50", evidence=" ", actor="t")
    assert ev.value.code == "evaluation_evidence_required"
    with pytest.raises(AppError) as comp:
        service.enter(session=db, period="2026", unit_kind="district", unit_code="150207",
                      indicator_code="trade_value", value="1", evidence="x", actor="t")
    assert comp.value.code == "evaluation_indicator_computed"
    with pytest.raises(AppError) as unit:
        service.enter(session=db, period="2026", unit_kind="district", unit_code="999999",
                      indicator_code="support_funds", value="1", evidence="x", actor="t")
    assert unit.value.code == "evaluation_unknown_unit"
    with pytest.raises(AppError) as neg:
        service.enter(session=db, period="2026", unit_kind="district", unit_code="150207",
                      indicator_code="support_funds", value="-1", evidence="x", actor="t")
    assert neg.value.code == "evaluation_bad_value"
    service.enter(session=db, period="2026", unit_kind="district", unit_code="150207", indicator_code="support_funds",
                  value="120.50", evidence="包九政发〔2026〕3号", actor="t")
    service.enter(session=db, period="2026", unit_kind="district", unit_code="150207", indicator_code="support_funds",
                  value="130", evidence="包九政发〔2026〕3号 补充", actor="t2")
    [e] = service.entries(session=db, period="2026", unit_kind="district")
    assert (e.value, e.entered_by) == (D("130.00"), "t2")
    events = db.scalars(select(AuditEvent).where(AuditEvent.stream == "evaluation")).all()
    assert [x.action for x in events] == ["evaluation:entry:create", "evaluation:entry:update"]
    assert '"120.50"' in events[1].before_json and '"130.00"' in events[1].after_json


def _released_parcel(client, db, session_factory, parties):
    from sqlalchemy import select as sel

    from kuajing.imports.models import Inventory
    from kuajing.imports.service import pump
    from tests.imports.test_flow import FakeCustoms, list_receipt
    from tests.imports.test_intake import send_parcel

    send_parcel(client, parties)
    inv = db.scalars(sel(Inventory)).one()
    customs = FakeCustoms()
    customs.queue = [list_receipt(inv, s) for s in ("120", "399", "800")]
    pump(session_factory=session_factory, transport=customs)
    db.expire_all()
    return db.scalars(sel(Inventory)).one()



def test_computed_values_come_from_released_lists_registry_and_warehouses(client, db, session_factory, zone):  # noqa: F811
    from kuajing.enterprises.models import Enterprise
    from kuajing.exports.models import OverseasWarehouse

    inv = _released_parcel(client, db, session_factory, zone)
    assert inv.status == "released" and inv.taxable_price is not None
    platform = db.get(Enterprise, zone.platform.id)
    platform.district, platform.approved_at = "150207", datetime(2026, 2, 1, tzinfo=UTC)
    platform.status = "approved"
    db.add(OverseasWarehouse(enterprise_id=platform.id, name="汉堡仓", country="304", address="Hamburg",
                             area_m2=D("1200.00"), operator_name="x", ownership_share=D("100.00"), status="active"))
    other = make_enterprise(db, district="150204", status="approved", approved_at=datetime(2025, 6, 1, tzinfo=UTC))
    assert other.id
    db.commit()
    day = inv.released_at.astimezone(service.SHANGHAI).date()
    values = service.computed_values(session=db, unit_kind="district", start=date(day.year, 1, 1),
                                     end=date(day.year, 12, 31))
    assert values[("150207", "released_lists")] == 1
    assert values[("150207", "trade_value")] == inv.taxable_price  # taxable price, CNY
    assert values[("150207", "active_enterprises")] == 1
    assert values[("150207", "overseas_warehouses")] == 1
    assert values[("150207", "overseas_warehouse_area")] == D("1200.00")
    assert ("150204", "released_lists") not in values and values[("150204", "registered_enterprises")] == 1


def test_published_snapshot_is_immutable_and_revisions_need_a_reason(db):
    service.enter(session=db, period="2026-H1", unit_kind="district", unit_code="150207",
                  indicator_code="training_sessions", value="12", evidence="培训签到表", actor="t")
    snap = service.publish(session=db, period="2026-H1", unit_kind="district", actor="user:sup")
    db.commit()
    assert snap.revision == 1 and service.verify(snap)
    top = snap.payload["ranking"][0]
    assert top["unit"] == "150207" and top["values"]["training_sessions"] == "12.00"
    assert top["evidence"]["training_sessions"] == "培训签到表"
    snap.payload = {"tampered": True}
    with pytest.raises(ImmutableSnapshotError):
        db.flush()
    db.rollback()
    with pytest.raises(ImmutableSnapshotError):
        db.execute(update(Snapshot).values(method="x"))
    db.rollback()
    with pytest.raises(ImmutableSnapshotError):
        db.delete(db.get(Snapshot, snap.id))
        db.flush()
    db.rollback()
    with pytest.raises(ImmutableSnapshotError):
        db.execute(delete(Snapshot))
    db.rollback()
    with pytest.raises(AppError) as why:
        service.publish(session=db, period="2026-H1", unit_kind="district", actor="user:sup")
    assert why.value.code == "evaluation_reason_required"
    second = service.publish(session=db, period="2026-H1", unit_kind="district", actor="user:sup", reason="更正培训场次")
    assert second.revision == 2
    assert service.verify(db.get(Snapshot, snap.id))


def test_evaluation_api_and_pages(client, db):
    who = gov(db)

    def post(url, **kw):
        client.cookies.clear()
        return client.post(url, cookies=who.cookies, headers={"X-CSRF-Token": who.csrf}, **kw)

    def get(url):
        client.cookies.clear()
        return client.get(url, cookies=who.cookies)

    r = post("/api/v1/evaluation/entries", json={"period": "2026", "unit_kind": "park", "unit_code": "jiuyuan-digital",
                                                 "indicator": "events_held", "value": "3", "evidence": "大赛通知"})
    assert r.status_code == 201, r.text
    r = post("/api/v1/evaluation/weights", json={"indicator": "events_held", "weight": "10",
                                                 "valid_from": "2026-01-01"})
    assert r.status_code == 201 and r.json()["weight"] == "10.00"
    scores = get("/api/v1/evaluation/scores?period=2026&unit_kind=park").json()
    assert scores["method"] == "min-max-0-100" and scores["ranking"][0]["unit"] == "jiuyuan-digital"
    r = post("/api/v1/evaluation/snapshots", json={"period": "2026", "unit_kind": "park"})
    assert r.status_code == 201
    sid = r.json()["id"]
    got = get(f"/api/v1/evaluation/snapshots/{sid}").json()
    assert got["verified"] is True and got["payload"]["ranking"] == scores["ranking"]
    assert get("/api/v1/evaluation/snapshots/999999").json()["code"] == "evaluation_snapshot_not_found"
    bad = post("/api/v1/evaluation/entries", json={"period": "2026", "unit_kind": "park", "unit_code": "x",
                                                   "indicator": "events_held", "value": "3", "evidence": "e"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "unit_code"
    page = get("/evaluation?period=2026&unit_kind=park")
    assert page.status_code == 200 and "园区建设" in page.text and "跨境电商数字经济产业园区" in page.text
    # labels, not keys: units of measure, the weight's source, the entered value's unit and indicator names, and
    # "Unit" meaning the evaluated unit (考评对象), not a unit of measure (计量单位)
    text = page.text
    assert "考评对象" in text and "家</td>" in text and "万元</td>" in text and "平方米</td>" in text
    assert "自 2026-01-01 起设定" in text and "默认" in text and "set 2026-01-01" not in text
    entered = text.split('class="entries"', 1)[1].split("</table>", 1)[0]
    assert "举办活动与大赛数" in entered and "events_held" not in entered and "jiuyuan-digital" not in entered
    assert ">enterprises<" not in text and ">10k CNY<" not in text
    assert get(f"/evaluation/snapshots/{sid}").status_code == 200
    form = post("/evaluation/publish", data={"csrf_token": who.csrf, "period": "2026", "unit_kind": "park"},
                follow_redirects=False)
    assert form.status_code == 422 and "原因" in form.text  # a second revision needs a reason


def test_the_evaluation_page_in_russian_and_mongolian(client, db):
    # a QA pass saw English district and indicator names, and an English zone name, on the ru and mn pages
    who = gov(db)
    for locale, district, indicator, zone_name in (
            ("ru", "район Куньдулунь", "Выпущенные декларационные перечни", "Китайская (Баотоу)"),
            ("mn", "Хөндлөн дүүрэг", "Гаргасан мэдүүлгийн жагсаалт", "Хятадын (Бугат)")):
        client.cookies.clear()
        page = client.get(f"/evaluation?period=2026&unit_kind=district&lang={locale}", cookies=who.cookies).text
        ranking = page.split('class="ranking"', 1)[1].split("</table>", 1)[0]
        assert district in ranking and "Kundulun District" not in ranking
        assert indicator in page and "Released declaration lists" not in page
        assert zone_name in page and "Cross-border E-commerce Comprehensive Pilot Zone" not in page


def test_export_growth_is_year_on_year_and_missing_without_a_base(db):
    # 出口增速 (policy-rules §9.2 "export growth"), per district, the period against the same period a year earlier,
    # exports in CNY (customs code 142):
    #   150207: 2025-Q2 800.00 (+ 9,999 released 2025-07-01 00:30 Shanghai = 2025-06-30 16:30 UTC, outside Q2),
    #           2026-Q2 1,000.00 → (1,000 − 800) / 800 = +25.00 %
    #   150204: 2025-Q2 300.00, 2026-Q2 nothing → −100.00 %
    #   150203: 2026-Q2 500.00, nothing a year earlier → no base: missing, not 0 (and not +∞)
    from tests.stats.helpers import at, export_list

    a = make_enterprise(db, customs_code="1502900071", district="150207", status="approved", approved_at=datetime(2024, 1, 1, tzinfo=UTC))
    b = make_enterprise(db, customs_code="1502900072", district="150204", status="approved", approved_at=datetime(2024, 1, 1, tzinfo=UTC))
    c = make_enterprise(db, customs_code="1502900073", district="150203", status="approved", approved_at=datetime(2024, 1, 1, tzinfo=UTC))
    export_list(db, ent=a, released_at=at(2025, 5, 10), items=[("6109100010", "344", "800", "142")], publish=False)
    export_list(db, ent=a, released_at=datetime(2025, 6, 30, 16, 30, tzinfo=UTC),
                items=[("6109100010", "344", "9999", "142")], publish=False)
    export_list(db, ent=a, released_at=at(2026, 4, 2), items=[("6109100010", "344", "600", "142"),
                                                              ("6109100010", "344", "400", "142")], publish=False)
    export_list(db, ent=b, released_at=at(2025, 6, 1), items=[("6109100010", "344", "300", "142")], publish=False)
    export_list(db, ent=c, released_at=at(2026, 6, 30), items=[("6109100010", "344", "500", "142")], publish=False)
    db.commit()
    values = service.computed_values(session=db, unit_kind="district", start=date(2026, 4, 1), end=date(2026, 6, 30))
    assert values[("150207", "export_growth")] == D("25.00")
    assert values[("150204", "export_growth")] == D("-100.00")
    assert values[("150203", "export_growth")] is None
    view = service.evaluate(session=db, period="2026-Q2", unit_kind="district")
    row = {r["unit"]: r for r in view.payload["ranking"]}
    assert "export_growth" in row["150203"]["missing"] and "export_growth" not in row["150207"]["missing"]
    assert row["150207"]["normalised"]["export_growth"] == "100.00"  # the best growth of the units


def test_trade_value_and_lists_equal_the_dashboard_for_the_same_district_and_period(db):
    # The evaluation's trade value (交易额) of a district is the dashboard's (docs/stats.md "Measures", R10.5)
    # for the same months, so a district's figure reads the same on /evaluation and /stats:
    #   * an ebcCode given as the e-commerce enterprise's USCC belongs to that enterprise (150207), not to the
    #     sender (a declaring agent of 150204): import taxable price 100.00;
    #   * an import list without a taxable price counts its goods price: 40.00 + 2.50 = 42.50;
    #   * an export list, USD (502) in October 2026 at 7.0200, two lines of 0.25: each line converted and rounded
    #     half-up to the fen, 0.25 × 7.02 = 1.755 → 1.76, twice = 3.52 (not 0.50 × 7.02 = 3.51 for the sum).
    #   150207 = 100.00 + 42.50 + 3.52 = 146.02, three lists, one active enterprise; 150204 nothing.
    from kuajing.data import service as data
    from kuajing.stats import service as stats
    from tests.stats.helpers import at, export_list, import_list

    data.load_seed(session=db)
    shop = make_enterprise(db, customs_code="1502960E01", district="150207", status="approved",
                           approved_at=datetime(2025, 1, 1, tzinfo=UTC))
    agent = make_enterprise(db, customs_code="1502960E02", district="150204", status="approved",
                            approved_at=datetime(2025, 1, 1, tzinfo=UTC))
    by_uscc = import_list(db, ent=agent, released_at=at(2026, 10, 5), items=[("3304990099", "116", "90")],
                          taxable_price="100.00", publish=False)
    by_uscc.ebc_code = shop.uscc
    import_list(db, ent=shop, released_at=at(2026, 10, 6), items=[("3304990099", "116", "40"),
                                                                  ("3304990099", "116", "2.50")], publish=False)
    export_list(db, ent=shop, released_at=at(2026, 10, 7), items=[("6109100010", "502", "0.25", "502"),
                                                                  ("6109100010", "502", "0.25", "502")],
                publish=False)
    db.flush()
    stats.rebuild(session=db)
    db.commit()
    values = service.computed_values(session=db, unit_kind="district", start=date(2026, 10, 1),
                                     end=date(2026, 10, 31))
    assert values[("150207", "trade_value")] == D("146.02")
    assert values[("150207", "released_lists")] == 3
    assert values[("150207", "active_enterprises")] == 1
    assert ("150204", "trade_value") not in values and ("150204", "released_lists") not in values
    dashboard = stats.district_ranking(session=db, filters=stats.Filters(end=date(2026, 10, 1), months=1))
    assert {d["district"]: (d["value_cny"], d["parcels"]) for d in dashboard} == {"150207": (D("146.02"), 3)}
