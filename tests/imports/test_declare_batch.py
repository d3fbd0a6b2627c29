"""Declaring many matched lists at once (match_orders → _reserve_all): quota and bonded stock decided in list
order exactly as one list at a time — limits hit midway, a list short of stock freeing its quota claim."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from kuajing.bonded import service as bonded
from kuajing.imports.service import flow
from kuajing.quota import service as quota
from tests.accounts.fixtures import make_enterprise
from tests.bonded.test_ledger import BOOK, line
from tests.ledger_snapshots import in_savepoint

A, B = "150203199001051234", "150203198502023456"
D = Decimal
NOW = datetime(2026, 6, 1, 4, tzinfo=UTC)


@pytest.fixture
def zone_stock(db):
    operator = make_enterprise(db)
    bonded.create_warehouse(session=db, code=BOOK, site_code="0412", name="1 号库", operator_enterprise_id=operator.id,
                            actor="test")
    bonded.stock_in(session=db, warehouse_code=BOOK, lines=[line(4, item="SKU-1"), line(9, item="SKU-2", line_no=2)],
                    actor="test")
    # buyer A has 22,000 of 2026 reserved already (a full-rate single item)
    quota.reserve(session=db, buyer_id_number=A, buyer_name="张三", declared_on=date(2026, 5, 1),
                  amount=D("22000.00"), reference="BASE", single_item_full_rate=True, actor="test")
    db.flush()


def parcel(n, buyer, goods, *, lines=(), name="张三"):
    """A matched list as declare reads it: 9610 without ``lines``, else 1210 with (item_no, qty) lines."""
    items = [SimpleNamespace(gnum=k, gcode="1901101000", item_no=item, item_record_no=None, qty=D(qty),
                             qty1=D(qty), unit1="007", qty2=None, unit2=None,
                             total_price=(D(goods) / len(lines)).quantize(D("0.01")))
             for k, (item, qty) in enumerate(lines, start=1)] or [
        SimpleNamespace(gnum=1, gcode="1901101000", item_no=None, item_record_no=None, qty=D(1), qty1=D(1), unit1="007",
                        qty2=None, unit2=None, total_price=D(goods))]
    return SimpleNamespace(id=n, business_key=f"EBP:ORD{n}", order_no=f"ORD{n}", app_history=[], decl_time="20260601",
                           trade_mode="1210" if lines else "9610", ems_no=BOOK if lines else None, items=items,
                           freight=D(0), insured_fee=D(0), buyer_id_number=buyer, buyer_name=name,
                           sender_enterprise_id=None, quota_reference=None, stock_reference=None)


def batch_of_lists():
    return [
        parcel(1, A, "2000"),  # ok
        parcel(2, A, "1000", lines=[("SKU-1", 3), ("SKU-2", 1)]),  # ok; SKU-1 1 left
        parcel(3, B, "500", lines=[("SKU-2", 2), ("SKU-1", 2)], name="李四"),  # SKU-1 short: B's claim freed
        parcel(4, B, "800", name="李四"),  # ok: sees B's freed claim (800 reserved, not 1,300)
        parcel(5, A, "1000.01"),  # the annual limit, hit midway by A's third list
        parcel(6, A, "1000", lines=[("SKU-1", 1)]),  # ok: exactly 26,000 and the last unit of SKU-1
    ]


def outcome(db, lists, together: bool):
    ready = (flow._reserve_all(db, lists, NOW) if together
             else [flow._reserve_all(db, [inv], NOW)[0] for inv in lists])
    return [(r.outcome, r.detail, r.decision, inv.quota_reference, inv.stock_reference)
            for r, inv in zip(ready, lists, strict=True)]


def test_a_batch_of_lists_gives_the_ledgers_and_outcomes_of_one_list_at_a_time(db, zone_stock):
    batch, batch_ledger = in_savepoint(db, lambda: outcome(db, batch_of_lists(), True))
    single, single_ledger = in_savepoint(db, lambda: outcome(db, batch_of_lists(), False))
    assert [o[0] for o in batch] == ["declared", "declared", "stock_short", "declared", "limit_rejected", "declared"]
    assert batch[2][1] == f"{BOOK}/SKU-1: 1.0000 < 2"
    assert batch[4][2].reason_code == "-621018" and batch[4][2].total_after == D("26000.01")
    assert [o[3:] for o in batch] == [("EBP:ORD1#0", None), ("EBP:ORD2#0", "EBP:ORD2#0"), ("EBP:ORD3#0", None),
                                      ("EBP:ORD4#0", None), (None, None), ("EBP:ORD6#0", "EBP:ORD6#0")]
    assert batch == single
    assert batch_ledger == single_ledger
    q = batch_ledger["quota"]
    assert sorted((used, reserved) for _, _, used, reserved, _ in q["accounts"]) == [
        (D("0.00"), D("800.00")), (D("0.00"), D("26000.00"))]
    assert [(m[1], m[3]) for m in q["movements"]][1:] == [
        ("reserve", "EBP:ORD1#0"), ("reserve", "EBP:ORD2#0"), ("reserve", "EBP:ORD3#0"), ("release", "EBP:ORD3#0"),
        ("reserve", "EBP:ORD4#0"), ("reserve", "EBP:ORD6#0")]
    assert [(r[0], r[3]) for r in q["reservations"]][1:] == [
        ("EBP:ORD1#0", "reserved"), ("EBP:ORD2#0", "reserved"), ("EBP:ORD3#0", "released"),
        ("EBP:ORD4#0", "reserved"), ("EBP:ORD5#0", "rejected"), ("EBP:ORD6#0", "reserved")]
    s = batch_ledger["bonded"]
    assert s["stock"] == [("SKU-1", "bonded", D(4), D(4)), ("SKU-2", "bonded", D(9), D(1))]
    assert [r[0] for r in s["reservations"]] == ["EBP:ORD2#0/1", "EBP:ORD2#0/2", "EBP:ORD6#0/1"]
    # the buyer's quota stream: B's claim reserved, released, then B's next list reserved — as one at a time
    b_stream = next(events for stream, events in batch_ledger["audit"].items()
                    if stream.startswith("quota:") and any(e[2] == "EBP:ORD4#0" for e in events))
    assert [(e[1], e[2]) for e in b_stream] == [("quota:reservation:reserve", "EBP:ORD3#0"),
                                                ("quota:reservation:release", "EBP:ORD3#0"),
                                                ("quota:reservation:reserve", "EBP:ORD4#0")]


def test_release_and_rejection_receipts_of_a_batch_write_the_ledgers_of_one_receipt_at_a_time(db, zone_stock):
    lists = batch_of_lists()
    ready = flow._reserve_all(db, lists, NOW)
    db.flush()
    one, two, four, six = [inv for r, inv in zip(ready, lists, strict=True) if r.outcome == "declared"]
    # customs: 1 released, 2 rejected, 6 released, 4 rejected, then a late 800 for 4 (consume refused, logged)
    steps = [("released", one), ("rejected", two), ("released", six), ("rejected", four), ("released", four)]

    def collected():
        ledgers = flow._Ledgers()
        for how, inv in steps:
            getattr(ledgers, how)(inv)
        ledgers.flush(db)

    def one_by_one():
        for how, inv in steps:
            ledgers = flow._Ledgers()
            getattr(ledgers, how)(inv)
            ledgers.flush(db)

    _, batch_ledger = in_savepoint(db, collected)
    _, single_ledger = in_savepoint(db, one_by_one)
    assert batch_ledger == single_ledger
    assert [(m[1], m[3]) for m in batch_ledger["bonded"]["movements"][-3:]] == [
        ("cancel", "EBP:ORD2#0/1"), ("cancel", "EBP:ORD2#0/2"), ("deduct", "EBP:ORD6#0/1")]
    assert batch_ledger["bonded"]["stock"] == [("SKU-1", "bonded", D(3), D(0)), ("SKU-2", "bonded", D(9), D(0))]
    assert [(m[1], m[3]) for m in batch_ledger["quota"]["movements"][-4:]] == [
        ("consume", "EBP:ORD1#0"), ("release", "EBP:ORD2#0"), ("consume", "EBP:ORD6#0"), ("release", "EBP:ORD4#0")]
    assert sorted((used, reserved) for _, _, used, reserved, _ in batch_ledger["quota"]["accounts"]) == [
        (D("0.00"), D("0.00")), (D("3000.00"), D("22000.00"))]
