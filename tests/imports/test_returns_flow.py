"""Returns (CEB625) and cancellations (CEB623) through the one intake pipeline and the customs answers
(policy-rules §2, R1.14/R1.15; ceb-messages §3.1): day 30 accepted, day 31 refused; quota restored;
tax bills voided; bonded stock back on the shelf (1210) via the return-centre warehouse; day-45 overdue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from kuajing.bonded import service as bonded
from kuajing.bonded.service import EntryLine
from kuajing.imports.models import InventoryCancel, InventoryRefund, OutboxMessage, ReturnTracking
from kuajing.imports.service import returns
from kuajing.quota import service as quota
from kuajing.tax import service as tax
from kuajing.tax.models import TaxBill
from tests.imports import parcels
from tests.imports.returns_flow import answer, at, cancel, customs, declare, refund, send


def released(db, zone, n=1, *, when, goods="280", lines=1):
    inv = declare(db, zone, n, when=when, goods=goods, lines=lines)
    return customs(db, inv, "120", "800", when=when)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_return_on_day_30_accepted_and_sent_to_customs(db, zone):
    inv = released(db, zone, when=at("2026-03-01 10:00"))
    assert inv.status == "released"
    verdict = send(db, zone.agent, refund(zone), at("2026-03-31 23:59")).records[0]  # day 30 (Shanghai)
    assert (verdict.status, verdict.code) == ("accepted", "2")
    sent = db.scalars(select(OutboxMessage.message_type).where(OutboxMessage.business_key == inv.invt_no)).all()
    assert sent == ["CEB625"]
    track = db.scalars(select(ReturnTracking)).one()
    assert (track.stage, track.released_on, track.apply_by, track.arrive_by) == (
        "filed", date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 15))


def test_return_on_day_31_refused_and_nothing_stored(db, zone):
    released(db, zone, when=at("2026-03-01 10:00"))
    verdict = send(db, zone.agent, refund(zone), at("2026-04-01 00:00")).records[0]  # day 31
    assert verdict.code == "-4006" and "30" in verdict.info
    assert count(db, InventoryRefund) == 0 and count(db, ReturnTracking) == 0


def test_return_of_a_line_the_list_does_not_have(db, zone):
    released(db, zone, when=at("2026-03-01 10:00"))
    bad_line = send(db, zone.agent, refund(zone, lines=[(2, "1901101000", "1")]), at("2026-03-02 09:00"))
    assert bad_line.records[0].code == "-625209"
    too_many = send(db, zone.agent, refund(zone, lines=[(1, "1901101000", "2")]), at("2026-03-02 09:00"))
    assert too_many.records[0].code == "-625001"
    # the same line named twice (QA: answered "-625033 already declared", which it was not)
    twice = send(db, zone.agent, refund(zone, lines=[(1, "1901101000", "1"), (1, "1901101000", "1")]),
                 at("2026-03-02 09:00"))
    assert twice.records[0].code == "-625001" and "repeated" in twice.records[0].info
    assert count(db, InventoryRefund) == 0


def test_return_before_release_is_refused(db, zone):
    inv = declare(db, zone, when=at("2026-03-01 10:00"))
    customs(db, inv, "120", when=at("2026-03-01 10:05"))
    verdict = send(db, zone.agent, refund(zone), at("2026-03-02 09:00")).records[0]
    assert verdict.code == "-625022"  # state does not allow a return (the pipeline's state check)


def test_approved_full_return_restores_quota_voids_bills_and_tracks_the_goods(db, zone):
    inv = released(db, zone, when=at("2026-03-01 10:00"))
    ref = inv.quota_reference
    assert quota.reservation(session=db, reference=ref).used_after == Decimal("300.00")  # 280 + freight 20
    tax.open_guarantee(session=db, agent_enterprise_id=zone.platform.id, actor="test")
    tax.top_up(session=db, agent_enterprise_id=zone.platform.id, amount=Decimal("1000.00"), reference="T1",
               actor="test")
    tax.draw(session=db, agent_enterprise_id=zone.platform.id, amount=Decimal("27.30"), reference="TAX1",
             actor="test", invt_no=inv.invt_no)
    msg = refund(zone)
    send(db, zone.agent, msg, at("2026-03-05 09:00"))
    answer(db, msg, "120", at("2026-03-05 10:00"))
    assert db.scalars(select(ReturnTracking)).one().stage == "filed"
    answer(db, msg, "399", at("2026-03-05 11:00"))
    db.refresh(inv)
    assert inv.status == "returned"
    change = quota.reservation(session=db, reference=ref)
    assert (change.restored, change.used_after) == (Decimal("300.00"), Decimal("0.00"))
    assert db.scalars(select(TaxBill.status)).one() == "3"  # void: no tax on a return (R1.15)
    assert tax.guarantee(session=db, agent_enterprise_id=zone.platform.id).balance == Decimal("1000.00")
    track = db.scalars(select(ReturnTracking)).one()
    assert track.stage == "awaiting_goods"
    # a repeated 399 changes nothing more
    answer(db, msg, "399", at("2026-03-05 12:00"))
    assert quota.reservation(session=db, reference=ref).restored == Decimal("300.00")
    returns.record_arrival(session=db, invt_no=inv.invt_no, enterprise_id=zone.agent.id, actor="test",
                           at=at("2026-04-10 15:00"))
    assert db.scalars(select(ReturnTracking)).one().stage == "received"  # 9610: back at the site


def test_partial_return_restores_the_returned_goods_value(db, zone):
    inv = released(db, zone, when=at("2026-03-01 10:00"), goods="280", lines=2)  # 140 + 140, freight 20
    msg = refund(zone, lines=[(1, "1901101000", "1")])
    assert send(db, zone.agent, msg, at("2026-03-10 09:00")).records[0].code == "2"
    answer(db, msg, "399", at("2026-03-10 10:00"))
    db.refresh(inv)
    change = quota.reservation(session=db, reference=inv.quota_reference)
    assert (change.restored, change.used_after) == (Decimal("140.00"), Decimal("160.00"))
    assert inv.status == "released"  # a partial return leaves the list released


def test_refused_return_restores_nothing(db, zone):
    inv = released(db, zone, when=at("2026-03-01 10:00"))
    msg = refund(zone)
    send(db, zone.agent, msg, at("2026-03-05 09:00"))
    answer(db, msg, "100", at("2026-03-05 10:00"))
    assert quota.reservation(session=db, reference=inv.quota_reference).restored == Decimal("0.00")
    assert db.scalars(select(ReturnTracking)).one().stage == "refused"


def test_cancel_a_released_list_restores_quota_and_voids_the_tax_bill(db, zone):
    inv = released(db, zone, when=at("2026-03-01 10:00"))
    tax.open_guarantee(session=db, agent_enterprise_id=zone.platform.id, actor="test")
    tax.top_up(session=db, agent_enterprise_id=zone.platform.id, amount=Decimal("100.00"), reference="T1",
               actor="test")
    tax.draw(session=db, agent_enterprise_id=zone.platform.id, amount=Decimal("27.30"), reference="TAX1",
             actor="test", invt_no=inv.invt_no)
    msg = cancel(zone)
    assert send(db, zone.agent, msg, at("2026-03-02 09:00")).records[0].code == "2"
    assert db.scalars(select(OutboxMessage.message_type).where(
        OutboxMessage.business_key == inv.invt_no)).all() == ["CEB623"]
    answer(db, msg, "399", at("2026-03-02 10:00"))
    db.refresh(inv)
    assert inv.status == "cancelled"
    assert quota.reservation(session=db, reference=inv.quota_reference).used_after == Decimal("0.00")
    assert db.scalars(select(TaxBill.status)).one() == "3"
    assert db.scalars(select(InventoryCancel.status)).one() == "decided"


def test_cancel_an_accepted_list_frees_the_reservation(db, zone):
    inv = declare(db, zone, when=at("2026-03-01 10:00"))
    customs(db, inv, "120", when=at("2026-03-01 10:05"))
    msg = cancel(zone)
    assert send(db, zone.agent, msg, at("2026-03-01 11:00")).records[0].code == "2"
    answer(db, msg, "399", at("2026-03-01 12:00"))
    db.refresh(inv)
    res = quota.reservation(session=db, reference=inv.quota_reference)
    assert inv.status == "cancelled" and res.status == "released" and res.reserved_after == Decimal("0.00")


def test_cancel_refused_once_the_goods_left_the_site(db, zone):
    inv = released(db, zone, when=at("2026-03-01 10:00"))
    customs(db, inv, "899", when=at("2026-03-03 10:00"))  # closed: the goods left the supervised site
    verdict = send(db, zone.agent, cancel(zone), at("2026-03-03 11:00")).records[0]
    assert verdict.code == "-623005"
    assert count(db, InventoryCancel) == 0


def test_cancel_of_an_unknown_list(db, zone):
    declare(db, zone, when=at("2026-03-01 10:00"))  # declared, customs has not given it an invtNo yet
    assert send(db, zone.agent, cancel(zone), at("2026-03-01 11:00")).records[0].code == "-623003"


def test_overdue_after_day_45_is_flagged_once(db, zone):
    inv = released(db, zone, when=at("2026-03-01 10:00"))
    msg = refund(zone)
    send(db, zone.agent, msg, at("2026-03-05 09:00"))
    answer(db, msg, "399", at("2026-03-05 10:00"))
    assert returns.flag_overdue(session=db, today=date(2026, 4, 15)) == 0  # day 45: still in time
    assert returns.flag_overdue(session=db, today=date(2026, 4, 16)) == 1  # day 46
    assert returns.flag_overdue(session=db, today=date(2026, 4, 17)) == 0  # flagged once
    assert db.scalars(select(ReturnTracking.overdue_at)).one() is not None
    assert inv.invt_no


def _bonded_parcel(db, zone, when):
    """A 1210 list of 2 units from warehouse W1 (10 in stock)."""
    bonded.create_warehouse(session=db, code="W1", site_code="S1", name="保税仓", actor="test",
                            operator_enterprise_id=zone.logistics.id)
    bonded.stock_in(session=db, warehouse_code="W1", actor="test", lines=[EntryLine(
        item_no="SKU-1", goods_name="婴儿奶粉", hs_code="1901101000", unit="035", declared_unit="122",
        quantity=Decimal(10), document_no="QD1")])
    p = zone.parties
    decl = when.astimezone(returns.SHANGHAI).strftime("%Y%m%d")
    lst = parcels.inventory(p, 1, trade_mode="1210", decl_time=decl)
    lst.records[0].head.ems_no = "W1"
    item = lst.records[0].items[0]
    item.item_record_no, item.qty, item.qty1, item.price = "SKU-1", Decimal(2), Decimal(2), Decimal(140)
    order = parcels.order(p, 1)
    order.records[0].items[0].qty, order.records[0].items[0].price = Decimal(2), Decimal(140)
    for party, msg in ((zone.platform, order), (zone.pay, parcels.payment(p, 1)),
                       (zone.logistics, parcels.waybill(p, 1)), (zone.agent, lst)):
        assert send(db, party, msg, when).records[0].code == "2"
    from kuajing.imports.models import Inventory

    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "declared", inv.last_info
    return customs(db, inv, "120", "800", when=when)


def _on_hand(db) -> Decimal:
    return bonded.stock_list(session=db, warehouse_code="W1")[0].on_hand


def test_bonded_return_through_the_return_centre_back_on_the_shelf(db, zone):
    inv = _bonded_parcel(db, zone, at("2026-03-01 10:00"))
    assert _on_hand(db) == Decimal(8)
    msg = refund(zone, lines=[(1, "1901101000", "2")])
    send(db, zone.agent, msg, at("2026-03-03 09:00"))
    returns.set_route(session=db, invt_no=inv.invt_no, route="return_centre", enterprise_id=zone.agent.id,
                      actor="test")
    answer(db, msg, "399", at("2026-03-03 10:00"))
    assert _on_hand(db) == Decimal(8)  # approved, but the goods are not back yet
    returns.record_arrival(session=db, invt_no=inv.invt_no, enterprise_id=zone.agent.id, actor="test",
                           at=at("2026-03-20 10:00"), warehouse_code="W1-RC")
    assert db.scalars(select(ReturnTracking.stage)).one() == "sorting"
    assert _on_hand(db) == Decimal(8)
    returns.finish_sorting(session=db, invt_no=inv.invt_no, outcome="restocked", enterprise_id=zone.agent.id,
                           actor="test", at=at("2026-03-21 10:00"))
    assert _on_hand(db) == Decimal(10)  # back on the shelf (R2.3)


def test_bonded_return_shipped_out_of_the_zone_restores_no_stock(db, zone):
    inv = _bonded_parcel(db, zone, at("2026-03-01 10:00"))
    msg = refund(zone, lines=[(1, "1901101000", "2")])
    send(db, zone.agent, msg, at("2026-03-03 09:00"))
    returns.set_route(session=db, invt_no=inv.invt_no, route="return_centre", enterprise_id=zone.agent.id,
                      actor="test")
    answer(db, msg, "399", at("2026-03-03 10:00"))
    returns.record_arrival(session=db, invt_no=inv.invt_no, enterprise_id=zone.agent.id, actor="test",
                           at=at("2026-03-20 10:00"))
    returns.finish_sorting(session=db, invt_no=inv.invt_no, outcome="shipped_out", enterprise_id=zone.agent.id,
                           actor="test", at=at("2026-03-21 10:00"))
    assert _on_hand(db) == Decimal(8)


def test_bonded_cancel_after_release_puts_the_stock_back(db, zone):
    inv = _bonded_parcel(db, zone, at("2026-03-01 10:00"))
    msg = cancel(zone)
    send(db, zone.agent, msg, at("2026-03-01 12:00"))
    answer(db, msg, "399", at("2026-03-01 13:00"))
    db.refresh(inv)
    assert inv.status == "cancelled" and _on_hand(db) == Decimal(10)


def test_return_tracking_is_the_senders_own(db, zone):
    from kuajing.errors import AppError

    inv = released(db, zone, when=at("2026-03-01 10:00"))
    send(db, zone.agent, refund(zone), at("2026-03-05 09:00"))
    try:
        returns.record_arrival(session=db, invt_no=inv.invt_no, enterprise_id=zone.outsider.id, actor="x",
                               at=at("2026-03-06 09:00"))
    except AppError as exc:
        assert exc.status == 404
    else:
        raise AssertionError("another enterprise moved the return")


def test_returns_over_post_ceb_day_30_and_day_31(client, db, zone):
    """The same pipeline over HTTP: release dates put today on day 30 (accepted) and day 31 (refused)."""
    from datetime import datetime, time, timedelta

    from kuajing.ceb import build, parse

    today = datetime.now(returns.SHANGHAI).date()
    for n, days in ((1, 30), (2, 31)):
        when = datetime.combine(today - timedelta(days=days), time(0, 30), returns.SHANGHAI)
        released(db, zone, n, when=when)
    db.commit()
    codes = {}
    for n in (1, 2):
        answer = client.post("/ceb", content=build(refund(zone, n)), headers={**zone.agent.headers,
                                                                             "Content-Type": "application/xml"})
        assert answer.status_code == 200
        receipt = parse(answer.content, validate=False)
        assert receipt.message_type == "CEB626"
        codes[n] = receipt.records[0].return_status
    assert codes == {1: "2", 2: "-4006"}
