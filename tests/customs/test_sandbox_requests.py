"""Cancellations (CEB623), returns (CEB625) and the monthly tax summary (CEB818) in the customs sandbox."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from kuajing.customs.models import SandboxDeclaration, SandboxTaxBill
from kuajing.customs.service.sandbox import SandboxConfig, last_return_day, national_total, record_exit
from tests.customs import builders as b
from tests.customs.conftest import Customs

RELEASE = b.at("2024-03-01 10:00")


def _released(customs, p, now=RELEASE) -> str:
    customs.send(b.order(p), "CEB311", now)
    customs.send(b.payment(p), "CEB411", now)
    customs.send(b.waybill(p), "CEB511", now)
    customs.send(b.inventory(p), "CEB621", now)
    customs.advance(now)
    out = customs.drain()
    lists = [o for o in out if o.message_type == "CEB622"]
    assert lists[-1].status == "800"
    return lists[-1].record.invt_no


def _list(db, invt_no) -> SandboxDeclaration:
    return db.execute(select(SandboxDeclaration).where(SandboxDeclaration.invt_no == invt_no)).scalar_one()


def test_cancel_accepted_list(db):
    customs = Customs(db, SandboxConfig(delay_seconds=600))
    p = b.Parcel(decl_time="20240301")
    for data, kind in ((b.order(p), "CEB311"), (b.payment(p), "CEB411"), (b.waybill(p), "CEB511"),
                       (b.inventory(p), "CEB621")):
        customs.send(data, kind, RELEASE)
    customs.advance(RELEASE + timedelta(seconds=1200))  # documents 120, list 120 (399 due later)
    invt_no = next(o for o in customs.drain() if o.message_type == "CEB622" and o.status == "120").record.invt_no
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("300.00")
    customs.send(b.cancel(p, invt_no), "CEB623", RELEASE + timedelta(seconds=1300))
    customs.advance(RELEASE + timedelta(hours=2))
    out = customs.drain()
    assert [(o.message_type, o.status) for o in out if o.message_type == "CEB624"] == [
        ("CEB624", "2"), ("CEB624", "120"), ("CEB624", "399")]
    assert all(o.record.invt_no == invt_no for o in out if o.message_type == "CEB624")
    assert not [o for o in out if o.message_type == "CEB622"]  # the cancelled list goes no further
    assert _list(db, invt_no).cancelled
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("0.00")


def test_cancel_released_list_still_on_site_voids_tax_bill(customs, db):
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p)
    customs.send(b.cancel(p, invt_no), "CEB623", RELEASE + timedelta(hours=1))
    customs.advance(RELEASE + timedelta(hours=1))
    out = customs.drain()
    assert [o.status for o in out if o.message_type == "CEB624"] == ["2", "120", "399"]
    void = [o for o in out if o.message_type == "CEB818"]
    assert len(void) == 1 and (void[0].record.head.invt_no, void[0].record.head.status) == (invt_no, "3")
    assert db.execute(select(SandboxTaxBill.status)).scalar_one() == "3"
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("0.00")


def test_cancel_refused_after_goods_left_the_site(customs, db):
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p)
    record_exit(session=db, decl=_list(db, invt_no), now=RELEASE + timedelta(hours=2), config=customs.config)
    assert customs.statuses("CEB622") == [("CEB622", "899")]
    customs.send(b.cancel(p, invt_no), "CEB623", RELEASE + timedelta(hours=3))
    out = customs.drain()
    assert [(o.message_type, o.status) for o in out] == [("CEB624", "-623005")]
    assert invt_no in out[0].record.return_info
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("300.00")


def test_cancel_refused_for_rejected_list_and_unknown_list(customs):
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p)
    customs.send(b.cancel(p, invt_no), "CEB623", RELEASE)
    customs.advance(RELEASE)
    customs.drain()
    customs.send(b.cancel(p, invt_no), "CEB623", RELEASE)  # a second cancellation of the cancelled list
    assert customs.statuses() == [("CEB624", "-623009")]
    customs.send(b.cancel(p, "02012024I999999999"), "CEB623", RELEASE)
    assert customs.statuses() == [("CEB624", "-623003")]


def test_return_window_counts_from_the_day_after_release():
    # GACC 2020 No.45 / policy-rules R2.1: within 30 days of release; released 03-01 → last day 03-31
    assert last_return_day(date(2024, 3, 1)) == date(2024, 3, 31)
    assert last_return_day(date(2024, 2, 1)) == date(2024, 3, 2)  # 2024 is a leap year: 29 days in February


def test_return_on_day_30_accepted(customs, db):
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p)
    customs.send(b.refund(p, invt_no), "CEB625", b.at("2024-03-31 23:59"))
    customs.advance(b.at("2024-03-31 23:59"))
    out = customs.drain()
    assert [o.status for o in out if o.message_type == "CEB626"] == ["2", "120", "399"]
    assert [o.record.head.status for o in out if o.message_type == "CEB818"] == ["3"]  # full return: bill void
    assert _list(db, invt_no).returned
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("0.00")


def test_return_on_day_31_refused(customs, db):
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p)
    customs.send(b.refund(p, invt_no), "CEB625", b.at("2024-04-01 00:00"))
    out = customs.drain()
    assert [(o.message_type, o.status) for o in out] == [("CEB626", "100")]
    assert "2024-03-31" in out[0].record.return_info
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("300.00")


def test_release_late_evening_utc_counts_in_shanghai_dates(customs):
    # released 2024-03-01 00:30 Shanghai = 2024-02-29 16:30 UTC: the release day is 03-01, so 03-31 is still open
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p, now=b.at("2024-03-01 00:30"))
    customs.send(b.refund(p, invt_no), "CEB625", b.at("2024-03-31 20:00"))
    assert customs.statuses("CEB626") == [("CEB626", "2")]


def test_partial_return_restores_the_returned_value(customs, db):
    p = b.Parcel(decl_time="20240301", lines=[b.Line("1901101000", Decimal("200.00"), Decimal(2)),
                                              b.Line("1901101000", Decimal("100.00"))])
    invt_no = _released(customs, p)
    customs.send(b.refund(p, invt_no, lines=[(1, "1901101000", Decimal(1))]), "CEB625", RELEASE)
    customs.advance(RELEASE)
    out = customs.drain()
    assert [o.status for o in out if o.message_type == "CEB626"] == ["2", "120", "399"]
    # one of two pieces of a 200.00 line: 100.00 back to the quota, 300.00 − 100.00 = 200.00 remains
    assert national_total(session=db, buyer_id_number=p.buyer, year=2024) == Decimal("200.00")
    # R1.15, no tax on what came back: the bill of 300 × 13% × 0.7 = 27.30 is voided (CEB818 status 3) and
    # one issued for the goods kept, 100.00 + 100.00: 9.10 + 9.10 = 18.20 (CEB816, next tax number)
    voided = [o.record.head for o in out if o.message_type == "CEB818"]
    assert [(h.tax_no, h.status) for h in voided] == [(f"{invt_no}01", "3")]
    reissued = [o.record for o in out if o.message_type == "CEB816"][-1]
    assert (reissued.head.tax_no, Decimal(reissued.head.value_added_tax)) == (f"{invt_no}02", Decimal("18.20"))
    assert [(i.gnum, Decimal(i.tax_price)) for i in reissued.items] == [(1, Decimal("100.00")), (2, Decimal("100.00"))]
    bills = db.scalars(select(SandboxTaxBill).where(SandboxTaxBill.invt_no == invt_no).order_by(SandboxTaxBill.id))
    assert [(t.tax_no, t.status, t.value_added_tax) for t in bills] == [
        (f"{invt_no}01", "3", Decimal("27.30")), (f"{invt_no}02", "1", Decimal("18.20"))]


def test_return_of_unknown_line_refused(customs):
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p)
    customs.send(b.refund(p, invt_no, lines=[(2, "1901101000", Decimal(1))]), "CEB625", RELEASE)
    assert customs.statuses() == [("CEB626", "-625209")]


def test_return_of_unreleased_or_unknown_list_refused(db):
    customs = Customs(db, SandboxConfig(delay_seconds=600))
    p = b.Parcel(decl_time="20240301")
    customs.send(b.refund(p, "02012024I000000001"), "CEB625", RELEASE)
    assert customs.statuses() == [("CEB626", "-625016")]


def test_monthly_tax_summary(customs, db):
    p = b.Parcel(decl_time="20240301")
    invt_no = _released(customs, p)
    customs.advance(b.at("2024-03-31 23:59"))
    assert customs.drain() == []  # still March in Shanghai
    customs.advance(b.at("2024-04-01 00:01"))
    out = customs.drain()
    assert [(o.message_type, o.record.head.invt_no, o.record.head.status) for o in out] == [
        ("CEB818", invt_no, "2")]
    assert out[0].record.head.ent_duty_no
    assert db.execute(select(SandboxTaxBill.status)).scalar_one() == "2"
