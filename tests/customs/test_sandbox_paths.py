"""Status paths of the customs sandbox (ceb-messages §2.6): release, inspection, rejection, limits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from kuajing.customs.models import SandboxDeclaration, SandboxTaxBill
from kuajing.customs.service.sandbox import (
    SandboxConfig,
    inspect_now,
    national_total,
    record_national_purchase,
    reject_now,
    release_now,
)
from tests.customs import builders as b
from tests.customs.conftest import Customs

T0 = b.at("2024-06-01 10:00")


def _documents(customs, p, now=T0):
    customs.send(b.order(p), "CEB311", now)
    customs.send(b.payment(p), "CEB411", now)
    customs.send(b.waybill(p), "CEB511", now)


def _list(db, p) -> SandboxDeclaration:
    return db.execute(select(SandboxDeclaration).where(SandboxDeclaration.message_type == "CEB621",
                                                       SandboxDeclaration.order_no == p.order_no)).scalar_one()


def test_documents_answer_2_then_120(customs):
    _documents(customs, b.Parcel())
    assert customs.statuses() == [("CEB312", "2"), ("CEB412", "2"), ("CEB512", "2")]
    customs.advance(T0)
    assert customs.statuses() == [("CEB312", "120"), ("CEB412", "120"), ("CEB512", "120")]


def test_list_normal_release_with_e_tax_bill(customs, db):
    # policy-rules §1.5 E1: milk powder 280 + freight 20 → P = 300; VAT = 300 × 13% × 0.7 = 27.30; duty, CT 0
    p = b.Parcel(freight=Decimal("20"), lines=[b.Line("1901101000", Decimal("280.00"))])
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    out = customs.drain()
    first = [o for o in out if o.message_type == "CEB622"]
    assert [o.status for o in first] == ["2"]
    assert first[0].record.cop_no == p.cop_no and first[0].record.invt_no is None
    customs.advance(T0)
    out = customs.drain()
    lists = [o for o in out if o.message_type == "CEB622"]
    assert [o.status for o in lists] == ["120", "399", "800"]
    invt_no = lists[0].record.invt_no
    assert len(invt_no) == 18 and invt_no.startswith("02012024I")  # customs + year + I + 9-digit serial
    bills = [o for o in out if o.message_type == "CEB816"]
    assert len(bills) == 1
    head, lines = bills[0].record.head, bills[0].record.items
    assert (head.invt_no, head.status) == (invt_no, "1")
    assert (head.customs_tax, head.value_added_tax, head.consumption_tax) == (Decimal("0.00"), Decimal("27.30"),
                                                                             Decimal("0.00"))
    assert [(ln.gnum, ln.gcode, ln.tax_price, ln.value_added_tax) for ln in lines] == [
        (1, "1901101000", Decimal("300.00"), Decimal("27.30"))]
    bill = db.execute(select(SandboxTaxBill)).scalar_one()
    assert bill.tax_no == head.tax_no and bill.value_added_tax == Decimal("27.30")
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("300.00")


def test_e_tax_bill_wine_rounds_each_tax(customs):
    # policy-rules §1.5 E4: wine P = 300, c = 10%, v = 13%:
    # CT = 300 × 0.10 / 0.90 × 0.7 = 23.333… → 23.33; VAT = (300 + 33.333…) × 0.13 × 0.7 = 30.333… → 30.33
    p = b.Parcel(lines=[b.Line("2204210000", Decimal("300.00"))])
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0)
    head = next(o for o in customs.drain() if o.message_type == "CEB816").record.head
    assert (head.consumption_tax, head.value_added_tax) == (Decimal("23.33"), Decimal("30.33"))
    assert head.consumption_tax + head.value_added_tax == Decimal("53.66")


def test_delays_move_one_step_at_a_time(db):
    customs = Customs(db, SandboxConfig(delay_seconds=60))
    p = b.Parcel()
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.drain()
    customs.advance(T0 + timedelta(seconds=59))
    assert customs.drain() == []
    customs.advance(T0 + timedelta(seconds=60))
    assert customs.statuses("CEB622") == [("CEB622", "120")]
    customs.advance(T0 + timedelta(seconds=120))
    assert customs.statuses("CEB622") == [("CEB622", "399")]
    customs.advance(T0 + timedelta(seconds=180))
    assert customs.statuses("CEB622") == [("CEB622", "800")]


def test_inspection_path(db):
    customs = Customs(db, SandboxConfig(inspection_rate=1.0))
    p = b.Parcel()
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0)
    assert customs.statuses("CEB622") == [("CEB622", s) for s in ("2", "120", "300", "500", "399", "800")]


def test_inspection_draw_is_seeded_and_follows_the_rate(db):
    picked = []
    for seed in (1, 1, 2):
        customs = Customs(db, SandboxConfig(inspection_rate=0.3, seed=seed))
        from kuajing.customs.service.sandbox import _draw

        picked.append([_draw(customs.config, f"k{i}") for i in range(400)])
    assert picked[0] == picked[1] and picked[0] != picked[2]
    assert 80 < sum(picked[0]) < 160  # about 30 % of 400


def test_officer_orders_inspection_then_it_runs(customs, db):
    customs.config = SandboxConfig(delay_seconds=60)
    p = b.Parcel()
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0 + timedelta(seconds=60))
    customs.drain()
    inspect_now(session=db, decl=_list(db, p), now=T0 + timedelta(seconds=70), config=customs.config)
    customs.advance(T0 + timedelta(seconds=400))
    assert [s for _, s in customs.statuses("CEB622")] == ["300", "500", "399", "800"]


def test_list_without_payment_is_rejected_with_reason(customs, db):
    p = b.Parcel()
    customs.send(b.order(p), "CEB311", T0)
    customs.send(b.waybill(p), "CEB511", T0)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0 + timedelta(seconds=121))  # returned once the wait for the documents is over
    lists = [o for o in customs.drain() if o.message_type == "CEB622"]
    assert [o.status for o in lists] == ["2", "100"]
    assert "三单对碰" in lists[1].record.return_info and "支付单" in lists[1].record.return_info
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("0.00")  # reservation freed


def test_rejected_list_may_be_declared_again(customs, db):
    p = b.Parcel()
    customs.send(b.order(p), "CEB311", T0)
    customs.send(b.waybill(p), "CEB511", T0)
    customs.send(b.inventory(p), "CEB621", T0)
    late = T0 + timedelta(seconds=121)
    customs.advance(late)
    customs.send(b.payment(p), "CEB411", late)
    customs.send(b.inventory(p), "CEB621", late)
    customs.advance(late)
    assert [s for _, s in customs.statuses("CEB622")] == ["2", "100", "2", "120", "399", "800"]


def test_officer_rejects_with_reason(db):
    customs = Customs(db, SandboxConfig(delay_seconds=60))
    p = b.Parcel()
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0 + timedelta(seconds=60))
    customs.drain()
    reject_now(session=db, decl=_list(db, p), reason="申报品名与实货不符", now=T0 + timedelta(seconds=61),
               config=customs.config)
    out = customs.drain()
    assert [(o.status, o.record.return_info) for o in out] == [("100", "申报品名与实货不符")]
    customs.advance(T0 + timedelta(days=1))
    assert customs.drain() == []  # nothing more happens to a rejected list


def test_officer_releases_at_once(db):
    customs = Customs(db, SandboxConfig(delay_seconds=3600))
    p = b.Parcel()
    _documents(customs, p)
    customs.advance(T0 + timedelta(hours=1))
    customs.send(b.inventory(p), "CEB621", T0 + timedelta(hours=1))
    customs.drain()
    release_now(session=db, decl=_list(db, p), now=T0 + timedelta(hours=1, minutes=1), config=customs.config)
    assert [(o.message_type, o.status) for o in customs.drain()] == [
        ("CEB622", "120"), ("CEB622", "399"), ("CEB622", "800"), ("CEB816", None)]


def test_annual_limit_at_customs_counts_other_platforms(customs, db):
    # policy-rules R1.7: 26,000 per year from 2019; the other platforms' 25,800 + this 300 > 26,000
    p = b.Parcel()
    record_national_purchase(session=db, buyer_id_number=p.buyer, year=2024, amount=Decimal("25800.00"))
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    lists = [o for o in customs.drain() if o.message_type == "CEB622"]
    assert [o.status for o in lists] == ["-621018"]  # refused at once: no 2
    assert "25800.00" in lists[0].record.return_info and p.buyer not in lists[0].record.return_info
    customs.advance(T0)
    assert customs.statuses("CEB622") == []
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("25800.00")


def test_annual_limit_boundary_exactly_26000_passes(customs, db):
    # policy-rules §1.5 E9: an order of exactly 5,000.00 with 21,000 used → 26,000.00, allowed (no "exceeding")
    p = b.Parcel(lines=[b.Line("1901101000", Decimal("5000.00"))])
    record_national_purchase(session=db, buyer_id_number=p.buyer, year=2024, amount=Decimal("21000.00"))
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0)
    assert [s for _, s in customs.statuses("CEB622")] == ["2", "120", "399", "800"]
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("26000.00")


def test_single_limit_refused(customs):
    # policy-rules §1.5 E8: two items totalling 5,200 → over the single limit, not one indivisible item
    p = b.Parcel(lines=[b.Line("1901101000", Decimal("2600.00")), b.Line("1901101000", Decimal("2600.00"))])
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    assert [s for _, s in customs.statuses("CEB622")] == ["-621005"]


def test_goods_not_on_positive_list_are_returned(customs):
    p = b.Parcel(lines=[b.Line("2402200000", Decimal("100.00"))])
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0)
    out = [o for o in customs.drain() if o.message_type == "CEB622"]
    assert [o.status for o in out] == ["2", "100"]
    assert "商品清单" in out[1].record.return_info


def test_duplicate_order_gets_official_code(customs):
    p = b.Parcel()
    customs.send(b.order(p), "CEB311", T0)
    customs.send(b.order(p), "CEB311", T0)
    assert customs.statuses() == [("CEB312", "2"), ("CEB312", "-301010")]


def test_duplicate_list_gets_official_code(customs):
    p = b.Parcel()
    _documents(customs, p)
    customs.send(b.inventory(p), "CEB621", T0)
    customs.send(b.inventory(p), "CEB621", T0)
    assert [s for _, s in customs.statuses("CEB622")] == ["2", "-621004"]


def test_unreadable_message_answers_ceb900(customs):
    customs.send(b"<not-ceb/>", "CEB311", T0)
    out = customs.drain()
    assert [o.message_type for o in out] == ["CEB900"]
    assert out[0].record.return_status.startswith("-")


def test_a_list_that_overtakes_its_documents_waits_for_them(customs):
    """Customs' three-document check holds a list whose documents are still on their way (they travel
    separately and may be overtaken), checking again after 0.5 s, 1 s, 2 s …; the set complete, the list goes
    on as usual (document_wait_seconds, 120 by default)."""
    p = b.Parcel()
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0)
    assert [o.status for o in customs.drain() if o.message_type == "CEB622"] == ["2"]  # held, not returned
    customs.advance(T0 + timedelta(seconds=5))
    assert [o for o in customs.drain() if o.message_type == "CEB622"] == []
    _documents(customs, p, T0 + timedelta(seconds=6))
    customs.advance(T0 + timedelta(seconds=30))
    assert [o.status for o in customs.drain() if o.message_type == "CEB622"] == ["120", "399", "800"]


def test_a_list_whose_documents_never_come_is_returned_after_the_wait(customs, db):
    p = b.Parcel()
    customs.send(b.order(p), "CEB311", T0)  # the payment and the waybill never arrive
    customs.send(b.inventory(p), "CEB621", T0)
    customs.advance(T0 + timedelta(seconds=119))
    assert [o.status for o in customs.drain() if o.message_type == "CEB622"] == ["2"]
    customs.advance(T0 + timedelta(seconds=121))
    returned = [o for o in customs.drain() if o.message_type == "CEB622"]
    assert [o.status for o in returned] == ["100"]
    assert "三单对碰失败" in returned[0].record.return_info and "运单" in returned[0].record.return_info
    assert _list(db, p).next_status is None
