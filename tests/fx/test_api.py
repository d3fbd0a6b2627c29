"""The FX API end to end on the real database: proceeds with netting, list settlement and ageing, the BoP
figures, 9810 reconciliation, advances and their report, the individual quota (policy-rules §6)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, text

from kuajing.audit.models import AuditEvent
from kuajing.fx.models import FxProceeds
from tests.enterprises.helpers import make_key
from tests.fx.helpers import exporter, shipment


def key(db, ent) -> dict:
    headers = make_key(db, enterprise_id=ent.id)
    db.commit()
    return headers


NETTED = {"bank_name": "中国银行包头分行", "bank_reference": "BOC-R62-1", "received_on": "2025-11-20", "currency": "USD",
          "actual_amount": "88000", "payer_name": "Overseas Marketplace EU",
          "fees": [{"kind": "storage", "amount": "5000"}, {"kind": "logistics", "amount": "4000"},
                   {"kind": "tax", "amount": "3000"}]}


def test_r6_2_the_netting_example_is_stored_with_actual_and_restored_figures(client, db):
    ent, _ = exporter(db, 8101)
    _order, inv = shipment(db, ent, order_no="EX-R62", value="100000", ie_date="20251010")
    db.commit()
    h = key(db, ent)
    body = {**NETTED, "export_amount": "100000", "allocations": [{"reference": inv.invt_no, "amount": "100000"}]}
    r = client.post("/api/v1/fx/proceeds", json=body, headers=h)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["currency"] == "502" and got["actual_amount"] == "88000.00"
    assert got["restored"] == {"export_receipt": "100000.00", "service_payments": "9000.00", "tax_payments": "3000.00"}
    row = db.get(FxProceeds, got["id"])
    assert (row.actual_amount, row.export_amount, row.service_amount, row.tax_amount) == (
        Decimal("88000.00"), Decimal("100000.00"), Decimal("9000.00"), Decimal("3000.00"))
    # the whole declared value is settled by the netted receipt: 100,000 export receipt against the list
    s = client.get(f"/api/v1/fx/settlements/{inv.id}", headers=h).json()
    assert (s["declared"], s["settled"], s["outstanding"], s["status"]) == ("100000.00", "100000.00", "0.00", "settled")
    assert s["receipts"][0]["ageing"] == "normal" and s["receipts"][0]["days_from_export"] == 41
    # BoP report produces both figures
    bop = client.get("/api/v1/fx/bop-report", headers=h).json()
    assert bop["totals"]["502"] == {"actual": "88000.00", "export_receipt": "100000.00", "service_payments": "9000.00",
                                    "tax_payments": "3000.00"}
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "fx:proceeds:create")) == 1


def test_a_wrong_gross_figure_and_over_allocation_are_field_problems(client, db):
    ent, _ = exporter(db, 8102)
    _o, inv = shipment(db, ent, order_no="EX-BAD", value="100")
    db.commit()
    h = key(db, ent)
    r = client.post("/api/v1/fx/proceeds", json={**NETTED, "export_amount": "99000"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["code"] == "fx_netting_mismatch" and r.json()["errors"][0]["path"] == "export_amount"
    r = client.post("/api/v1/fx/proceeds", headers=h, json={
        **NETTED, "allocations": [{"reference": inv.invt_no, "amount": "100000.01"}]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "fx_allocation_exceeds"
    r = client.post("/api/v1/fx/proceeds", headers=h, json={
        **NETTED, "allocations": [{"reference": "NO-SUCH", "amount": "1"}]})
    assert r.status_code == 422
    assert r.json()["errors"][0] | {"message": ""} == {"code": "fx_reference_unknown", "path": "allocations[0]/reference",
                                                       "value": "NO-SUCH", "message": ""}
    r = client.post("/api/v1/fx/proceeds", headers=h, json={**NETTED, "currency": "XXX"})
    assert r.status_code == 422
    r = client.post("/api/v1/fx/proceeds", headers=h, json={**NETTED, "actual_amount": "-5"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "actual_amount"
    assert client.post("/api/v1/fx/proceeds", headers=h, json=NETTED).status_code == 201
    r = client.post("/api/v1/fx/proceeds", headers=h, json=NETTED)
    assert r.status_code == 409 and r.json()["code"] == "fx_duplicate_reference"
    assert db.scalar(select(func.count()).select_from(FxProceeds)) == 1
    only = db.scalars(select(FxProceeds.id)).one()
    assert client.delete(f"/api/v1/fx/proceeds/{only}", headers=h).status_code == 204
    assert client.get(f"/api/v1/fx/proceeds/{only}", headers=h).status_code == 404
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "fx:proceeds:delete")) == 1


def test_r6_7_ageing_flags_per_list(client, db):
    ent, _ = exporter(db, 8103)
    # list exported 2025-10-10 worth USD 1,000: paid 400 on 2025-09-09 (31 days before → advance beyond 30 days),
    # 300 on 2026-01-09 (91 days after → deferred beyond 90 days), 300 still outstanding
    _o, inv = shipment(db, ent, order_no="EX-AGE", value="1000", ie_date="20251010")
    _o2, other = shipment(db, ent, order_no="EX-OK", value="500", ie_date="20251010")
    db.commit()
    h = key(db, ent)
    base = {"bank_name": "建设银行", "currency": "502", "payer_name": "Buyer GmbH"}
    for ref, day, amount, target in (("A1", "2025-09-09", "400", inv), ("A2", "2026-01-09", "300", inv),
                                     ("A3", "2025-10-20", "500", other)):
        r = client.post("/api/v1/fx/proceeds", headers=h, json={**base, "bank_reference": ref, "received_on": day,
                                                                "actual_amount": amount,
                                                                "allocations": [{"reference": target.invt_no,
                                                                                 "amount": amount}]})
        assert r.status_code == 201, r.text
    s = client.get(f"/api/v1/fx/settlements/{inv.id}", headers=h).json()
    assert (s["settled"], s["outstanding"], s["status"]) == ("700.00", "300.00", "partial")
    ageing = {x["received_on"]: (x["ageing"], x["days_from_export"], x["report_due"]) for x in s["receipts"]}
    assert ageing == {"2025-09-09": ("advance_over_limit", -31, "2025-11-09"),
                      "2026-01-09": ("deferred_over_limit", 91, "2026-02-08")}
    # today is past 2026-01-08 (export + 90) with 300 unpaid → flagged too, report by 2026-02-07
    assert s["flags"] == ["advance_over_limit", "deferred_over_limit", "outstanding_over_limit"]
    assert s["outstanding_report_due"] == "2026-02-07"
    flagged = client.get("/api/v1/fx/settlements?flagged=true", headers=h).json()
    assert [x["inventory_id"] for x in flagged["items"]] == [inv.id]
    assert len(client.get("/api/v1/fx/settlements", headers=h).json()["items"]) == 2


def test_a_receipt_in_another_currency_settles_at_the_customs_rates(client, db):
    ent, _ = exporter(db, 8104)
    _o, inv = shipment(db, ent, order_no="EX-EUR", value="11700", currency="502", ie_date="20251001")
    db.commit()
    h = key(db, ent)
    # EUR 10,000 on 2025-10-09: 10,000 × 8.3187 / 7.1100 = USD 11,700.00 (seeded customs rates of 2025-10)
    r = client.post("/api/v1/fx/proceeds", headers=h, json={
        "bank_name": "工商银行", "bank_reference": "EUR-1", "received_on": "2025-10-09", "currency": "EUR",
        "actual_amount": "10000", "payer_name": "Käufer GmbH", "allocations": [{"reference": "EX-EUR", "amount": "10000"}]})
    assert r.status_code == 201, r.text
    assert r.json()["allocations"][0]["order_id"] is not None  # linked by the order number
    s = client.get(f"/api/v1/fx/settlements/{inv.id}", headers=h).json()
    assert s["receipts"][0]["amount_in_list_currency"] == "11700.00" and s["status"] == "settled"


def test_r6_3_9810_reconciliation_lists_the_difference(client, db):
    ent, _ = exporter(db, 8105)
    _note, _lst = shipment(db, ent, order_no="W2025100001", value="20000", ie_date="20251010", trade_mode="9810",
                           order_type="W")
    shipment(db, ent, order_no="W2025100002", value="500", order_type="W", with_list=False)  # no list yet
    db.commit()
    h = key(db, ent)
    r = client.post("/api/v1/fx/proceeds", headers=h, json={
        "bank_name": "中国银行", "bank_reference": "W-1", "received_on": "2025-12-05", "currency": "502",
        "actual_amount": "15000", "payer_name": "Warehouse sales", "allocations": [{"reference": "W2025100001",
                                                                                     "amount": "15000"}]})
    assert r.status_code == 201, r.text
    rec = client.get("/api/v1/fx/reconciliation-9810", headers=h).json()
    first = rec["items"][0]
    # declared USD 20,000 × 7.11 (2025-10) = 142,200.00; received USD 15,000 × 7.08 (2025-12) = 106,200.00
    assert (first["booking_note"], first["declared_cny"], first["proceeds_cny"], first["difference_cny"],
            first["ratio"]) == ("W2025100001", "142200.00", "106200.00", "-36000.00", "0.7468")
    assert rec["items"][1]["declared_cny"] == "0.00" and rec["items"][1]["ratio"] is None
    assert rec["differences"] == 1


def test_r6_4_advances_report_duty_and_generated_report(client, db):
    ent, _ = exporter(db, 8106, name="包头国际物流有限公司")
    h = key(db, ent)
    base = {"advancer_kind": "logistics", "purpose": "storage", "currency": "USD", "amount": "3000",
            "advanced_on": "2025-01-15"}
    eleven = client.post("/api/v1/fx/advances", headers=h, json={**base, "client_name": "关联海外子公司",
                                                                 "affiliated": True, "repaid_on": "2025-12-15"}).json()
    thirteen = client.post("/api/v1/fx/advances", headers=h, json={**base, "client_name": "关联海外子公司",
                                                                   "affiliated": True, "repaid_on": "2026-02-15"}).json()
    stranger = client.post("/api/v1/fx/advances", headers=h, json={**base, "client_name": "Unrelated Seller Ltd",
                                                                   "affiliated": False, "repaid_on": "2025-12-15"}).json()
    assert eleven["report_required"] is False and eleven["term_end"] == "2026-01-15"
    assert [x["code"] for x in thirteen["reasons"]] == ["over_max_term"]
    assert [x["code"] for x in stranger["reasons"]] == ["non_affiliated"]
    assert "[U]" in thirteen["rule"]["citation"] or thirteen["rule"]["confidence"] == "U"
    report = client.post(f"/api/v1/fx/advances/{thirteen['id']}/report", headers=h).json()
    assert report["report_required"] is True and report["reasons"] == ["over_max_term"]
    assert report["advancer"]["name"] == "包头国际物流有限公司" and report["client"]["affiliated"] is True
    assert report["basis"]["rule"] == "fx.advance_max_months" and report["basis"]["value"] == 12
    assert client.get(f"/api/v1/fx/advances/{thirteen['id']}", headers=h).json()["reported_at"]
    none = client.post(f"/api/v1/fx/advances/{eleven['id']}/report", headers=h).json()
    assert none["report_required"] is False
    assert client.get(f"/api/v1/fx/advances/{eleven['id']}", headers=h).json()["reported_at"] is None
    bad = client.post("/api/v1/fx/advances", headers=h, json={**base, "client_name": "x", "affiliated": True,
                                                              "repaid_on": "2024-12-31"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "fx_dates_inverted"
    assert bad.json()["errors"][0]["value"] == "2024-12-31"  # the date given, so the clerk sees what to fix
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("fx:advance:%"))))
    assert actions == {"fx:advance:create", "fx:advance:report"}


def test_r6_5_individual_quota_with_and_without_evidence(client, db):
    ent, _ = exporter(db, 8107, name="包头个人卖家服务平台")
    shipment(db, ent, order_no="EX-P1", value="30000", ie_date="20250901")
    db.commit()
    h = key(db, ent)
    person = {"payee_kind": "individual", "person_name": "张三", "person_id_number": "150203199001051234",
              "bank_name": "中国银行", "payer_name": "Etsy"}
    with_evidence = client.post("/api/v1/fx/proceeds", headers=h, json={
        **person, "bank_reference": "P-1", "received_on": "2025-09-15", "currency": "502", "actual_amount": "30000",
        "allocations": [{"reference": "EX-P1", "amount": "30000"}]}).json()
    without = client.post("/api/v1/fx/proceeds", headers=h, json={
        **person, "bank_reference": "P-2", "received_on": "2025-09-20", "currency": "502",
        "actual_amount": "20000"}).json()
    eur = client.post("/api/v1/fx/proceeds", headers=h, json={
        **person, "bank_reference": "P-3", "received_on": "2025-10-09", "currency": "300",
        "actual_amount": "10000"}).json()
    assert with_evidence["quota_exempt"] is True and without["quota_exempt"] is False
    assert eur["usd_equivalent"] == "11700.00"  # 10,000 × 8.3187 / 7.11
    assert without["person"] == {"name": "张*", "id_number": "1502**********1234"}
    q = client.post("/api/v1/fx/individual-quota", headers=h, json={"id_number": "150203199001051234", "year": 2025})
    got = q.json()
    # R6.5: quota USD 50,000; with evidence outside it; 20,000 + 11,700 = 31,700 used; 18,300 left
    assert (got["quota_usd"], got["used_usd"], got["exempt_usd"], got["remaining_usd"]) == (
        "50000.00", "31700.00", "30000.00", "18300.00")
    assert "platform" in client.post("/api/v1/fx/individual-quota", headers={**h, "Accept-Language": "en"},
                                     json={"id_number": "150203199001051234", "year": 2025}).json()["label"]
    assert client.post("/api/v1/fx/individual-quota", headers=h, json={"id_number": "150203199001051234",
                                                                       "year": 2026}).json()["used_usd"] == "0.00"
    missing = client.post("/api/v1/fx/proceeds", headers=h, json={**person, "person_id_number": None,
                                                                  "bank_reference": "P-4", "received_on": "2025-10-09",
                                                                  "currency": "502", "actual_amount": "1"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["code"] == "fx_person_required"
    # the ID number is stored encrypted
    raw = db.execute(text("SELECT person_id_number FROM fx_proceeds WHERE id = :i"), {"i": without["id"]}).scalar()
    assert "150203199001051234" not in str(raw)
