"""Export tax rebate support against hand-computed deadlines over the seeded holiday calendar (policy-rules §7,
R4.8). Working days are counted from the day after acceptance; holidays are skipped and adjusted weekend workdays
(调休上班) count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kuajing.data import service as data
from kuajing.rebate import calc
from tests.enterprises.helpers import make_key
from tests.fx.helpers import departure, exporter, shipment

D = date.fromisoformat


@pytest.mark.parametrize(("accepted", "days", "due"), [
    # 2025 National Day: Sun 09-28 worked, 10-01…10-08 off, Sat 10-11 worked.
    # Fri 09-26 + 10: 09-28(1) 09-29(2) 09-30(3) 10-09(4) 10-10(5) 10-11(6) 10-13(7) 10-14(8) 10-15(9) 10-16(10)
    ("2025-09-26", 10, "2025-10-16"),
    # class 3 (15): … 10-17(11) 10-20(12) 10-21(13) 10-22(14) 10-23(15)
    ("2025-09-26", 15, "2025-10-23"),
    # class 4 (20): … 10-24(16) 10-27(17) 10-28(18) 10-29(19) 10-30(20)
    ("2025-09-26", 20, "2025-10-30"),
    # 2026 Spring Festival: Sat 02-14 worked, 02-15…02-23 off, Sat 02-28 worked.
    # Thu 02-12 + 5: 02-13(1) 02-14(2) 02-24(3) 02-25(4) 02-26(5)
    ("2026-02-12", 5, "2026-02-26"),
    # 2024 National Day: Sun 09-29 worked, 10-01…10-07 off. Fri 09-27 + 3: 09-29(1) 09-30(2) 10-08(3); + 5: 10-10
    ("2024-09-27", 3, "2024-10-08"),
    ("2024-09-27", 5, "2024-10-10"),
])
def test_r7_2_deadlines_over_holidays(db, accepted, days, due):
    data.load_seed(session=db)
    got = calc.deadlines(accepted_on=D(accepted), statutory_days=days, target_days=None,
                         add_working_days=lambda d, n: data.add_working_days(session=db, start=d, n=n))
    assert got.statutory_due == D(due)


@pytest.mark.parametrize(("decided", "status"), [
    (None, "open"), ("2024-10-08", "on_target"), ("2024-10-09", "on_time"), ("2024-10-10", "on_time"),
    ("2024-10-11", "late")])
def test_sla_states(decided, status):
    today = D("2024-10-09")
    got = calc.sla(statutory_due=D("2024-10-10"), target_due=D("2024-10-08"),
                   decided_on=D(decided) if decided else None, today=today)
    assert got == status
    assert calc.sla(statutory_due=D("2024-10-10"), target_due=None, decided_on=None, today=D("2024-10-11")) == "overdue"


def test_r7_5_paperless_and_class_4_documents():
    classes = ("1", "2", "3")
    docs = ("export_declaration", "purchase_vat_invoice")
    assert calc.paper_documents(rebate_class="3", paperless_classes=classes, class4_documents=docs) == (True, [])
    assert calc.paper_documents(rebate_class="4", paperless_classes=classes, class4_documents=docs) == (False, list(docs))


def test_r4_8_window_and_balance():
    end = calc.reconcile_until(pre_refund_on=D("2025-10-15"), until_month=4)
    assert end == D("2026-04-30")
    bal = calc.PreRefundBalance(Decimal("142200.00"), Decimal("100000.00"), end)
    assert bal.unsold == Decimal("42200.00")
    assert bal.state(D("2026-04-30")) == "open" and bal.state(D("2026-05-01")) == "unsold_after_window"
    assert calc.PreRefundBalance(Decimal("1"), Decimal("1"), end).state(D("2027-01-01")) == "sold"


def test_claims_through_the_api_use_the_class_in_force_and_the_calendar(client, db):
    ent, _ = exporter(db, 8401)
    h = make_key(db, enterprise_id=ent.id)
    db.commit()
    assert client.post("/api/v1/rebate/claims", headers=h, json={
        "claim_no": "T0", "accepted_on": "2024-09-27", "amount": "1"}).json()["errors"][0]["code"] == "rebate_no_class"
    for cls, start in (("1", "2024-01-01"), ("2", "2025-06-01"), ("4", "2026-01-01")):
        r = client.post("/api/v1/rebate/classes", headers=h, json={"rebate_class": cls, "valid_from": start,
                                                                   "basis": "包税复评〔2024〕1号"})
        assert r.status_code == 201, r.text
    hist = client.get("/api/v1/rebate/classes", headers=h).json()["items"]
    assert [(c["rebate_class"], c["valid_from"], c["valid_to"]) for c in hist] == [
        ("4", "2026-01-01", None), ("2", "2025-06-01", "2025-12-31"), ("1", "2024-01-01", "2025-05-31")]
    # class 1, 2024-09-27: target 3 working days (R7.3, in force 2022-06-20…2024-12-31) and statutory 5
    c1 = client.post("/api/v1/rebate/claims", headers=h, json={"claim_no": "T1", "accepted_on": "2024-09-27",
                                                               "amount": "12345.67"}).json()
    assert (c1["rebate_class"], c1["target_due"], c1["statutory_due"], c1["paperless"]) == (
        "1", "2024-10-08", "2024-10-10", True)
    assert {x["rule"] for x in c1["citations"]} >= {"rebate.processing_days.class_1", "rebate.target_avg_days_class12"}
    done = client.post(f"/api/v1/rebate/claims/{c1['id']}/decision", headers=h,
                       json={"status": "refunded", "decided_on": "2024-10-09"}).json()
    assert done["sla"] == "on_time" and done["working_days_taken"] == 4  # 09-29, 09-30, 10-08, 10-09
    # class 2, 2025-09-26 over National Day: 10 working days → 2025-10-16; the target ended 2024-12-31
    c2 = client.post("/api/v1/rebate/claims", headers=h, json={"claim_no": "T2", "accepted_on": "2025-09-26",
                                                               "amount": "500"}).json()
    assert (c2["rebate_class"], c2["statutory_due"], c2["target_due"]) == ("2", "2025-10-16", None)
    # class 4 from 2026: paper documents listed (rule rebate.class4_paper_documents [M])
    c4 = client.post("/api/v1/rebate/claims", headers=h, json={"claim_no": "T4", "accepted_on": "2026-02-12",
                                                               "amount": "500"}).json()
    assert c4["paperless"] is False and c4["rebate_class"] == "4"
    assert [d["code"] for d in c4["paper_documents"]][:2] == ["export_declaration", "purchase_vat_invoice"]
    # 20 working days from Thu 2026-02-12: 02-13, 02-14, 02-24…02-27 (6), 02-28 (7), 03-02…03-06 (12),
    # 03-09…03-13 (17), 03-16, 03-17, 03-18 (20)
    assert c4["statutory_due"] == "2026-03-18"
    dup = client.post("/api/v1/rebate/claims", headers=h, json={"claim_no": "T4", "accepted_on": "2026-02-12",
                                                                "amount": "1"})
    assert dup.status_code == 409 and dup.json()["code"] == "rebate_duplicate_claim"
    again = client.post(f"/api/v1/rebate/claims/{c1['id']}/decision", headers=h,
                        json={"status": "rejected", "decided_on": "2024-10-09"})
    assert again.status_code == 409 and again.json()["code"] == "rebate_already_decided"


def test_r4_8_pre_refund_on_departure_reconciled_against_sales(client, db):
    ent, _ = exporter(db, 8402)
    _note, inv = shipment(db, ent, order_no="W2025100009", value="20000", ie_date="20251010", trade_mode="9810",
                          order_type="W")
    shipment(db, ent, order_no="W2025100010", value="1000", ie_date="20251010", trade_mode="9810", order_type="W")
    h = make_key(db, enterprise_id=ent.id)
    db.commit()
    client.post("/api/v1/rebate/classes", headers=h, json={"rebate_class": "2", "valid_from": "2024-01-01"})
    body = {"claim_no": "YT1", "accepted_on": "2025-10-15", "amount": "18486", "business_type": "HWC-YT",
            "booking_note": "W2025100009"}
    r = client.post("/api/v1/rebate/claims", headers=h, json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "rebate_not_departed"
    departure(db, ent, inv, leave_time="20251012080000")
    db.commit()
    early = client.post("/api/v1/rebate/claims", headers=h, json={**body, "accepted_on": "2025-01-26"})
    assert early.status_code == 422 and early.json()["errors"][0]["code"] == "rebate_pre_refund_not_in_force"
    unknown = client.post("/api/v1/rebate/claims", headers=h, json={**body, "booking_note": "NOPE"})
    assert unknown.json()["errors"][0]["code"] == "rebate_booking_note_unknown"
    r = client.post("/api/v1/rebate/claims", headers=h, json=body)
    assert r.status_code == 201, r.text
    claim = r.json()
    pre = claim["pre_refund"]
    # declared USD 20,000 × 7.11 (2025-10) = CNY 142,200.00; window to 2026-04-30 (April of the following year)
    assert (pre["departed_on"], pre["reconcile_until"], pre["declared_cny"], pre["sold_cny"]) == (
        "2025-10-12", "2026-04-30", "142200.00", "0.00")
    r = client.post(f"/api/v1/rebate/claims/{claim['id']}/sales", headers=h,
                    json={"sold_on": "2025-12-01", "value": "100000", "reference": "AMZ-DE-1"})
    assert r.status_code == 201
    assert r.json()["pre_refund"]["unsold_cny"] == "42200.00"
    normal = client.post("/api/v1/rebate/claims", headers=h, json={"claim_no": "N1", "accepted_on": "2025-10-15",
                                                                   "amount": "1"}).json()
    r = client.post(f"/api/v1/rebate/claims/{normal['id']}/sales", headers=h, json={"sold_on": "2025-12-01",
                                                                                   "value": "1"})
    assert r.status_code == 409 and r.json()["code"] == "rebate_not_pre_refund"


def test_r4_8_pre_refund_not_accepted_before_the_goods_left(client, db):
    """R4.8 (SAT 2025 No.3, 离境即退税): the pre-refund is claimed once the goods have left China. Departure
    (CEB509) on 2025-10-12: a claim accepted on 2025-10-11 is refused (rebate_not_departed, path accepted_on);
    one accepted on the departure day itself is tracked (window to 2026-04-30)."""
    ent, _ = exporter(db, 8403)
    _note, inv = shipment(db, ent, order_no="W2025100011", value="20000", ie_date="20251010", trade_mode="9810",
                          order_type="W")
    departure(db, ent, inv, leave_time="20251012080000")
    h = make_key(db, enterprise_id=ent.id)
    db.commit()
    client.post("/api/v1/rebate/classes", headers=h, json={"rebate_class": "1", "valid_from": "2025-01-01"})
    body = {"amount": "1000", "business_type": "HWC-YT", "booking_note": "W2025100011"}
    early = client.post("/api/v1/rebate/claims", headers=h, json={**body, "claim_no": "YT-E",
                                                                  "accepted_on": "2025-10-11"})
    assert early.status_code == 422, early.text
    issue = early.json()["errors"][0]
    assert (issue["code"], issue["path"], issue["value"]) == ("rebate_not_departed", "accepted_on", "2025-10-11")
    assert "2025-10-12" in issue["message"]
    same_day = client.post("/api/v1/rebate/claims", headers=h, json={**body, "claim_no": "YT-D",
                                                                     "accepted_on": "2025-10-12"})
    assert same_day.status_code == 201, same_day.text
    assert same_day.json()["pre_refund"]["departed_on"] == "2025-10-12"
    assert same_day.json()["pre_refund"]["reconcile_until"] == "2026-04-30"
