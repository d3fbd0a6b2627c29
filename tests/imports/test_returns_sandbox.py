"""Returns and cancellations end to end with the customs sandbox (kuajing.customs): the requests leave
through the outbox pump, the sandbox answers CEB626/CEB624 (2 → 120 → 399), and the answers restore
the buyer's quota and set the list's state. Both pipeline modes (``pipeline`` fixture, tests/pipeline/fixtures.py):
in-process ticks, and a real Celery worker process."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from kuajing.imports.models import Inventory, InventoryCancel, InventoryRefund, ReturnTracking
from kuajing.quota import service as quota
from tests.imports import parcels
from tests.imports.returns_flow import SHANGHAI, send


def _released(db, session_factory, zone, pipeline, n=1) -> Inventory:
    now = datetime.now(UTC)
    p = zone.parties
    decl = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    for party, msg in ((zone.platform, parcels.order(p, n)), (zone.pay, parcels.payment(p, n)),
                       (zone.logistics, parcels.waybill(p, n)),
                       (zone.agent, parcels.inventory(p, n, decl_time=decl))):
        assert send(db, party, msg, now).records[0].code == "2"
    db.commit()
    pipeline.run_until_quiet()
    db.expire_all()
    inv = db.scalars(select(Inventory).where(Inventory.order_no == f"ORD{n}")).one()
    assert inv.status == "released", (inv.status, inv.last_info)
    return inv


def _request(zone, kind: str, inv: Inventory):
    from tests.imports.returns_flow import cancel, refund

    msg = cancel(zone) if kind == "cancel" else refund(zone)
    rec = msg.records[0]
    head = rec.head if hasattr(rec, "head") else rec
    head.invt_no = inv.invt_no
    return msg


def test_return_approved_by_the_sandbox(db, session_factory, zone, pipeline):
    inv = _released(db, session_factory, zone, pipeline)
    assert send(db, zone.agent, _request(zone, "refund", inv), datetime.now(UTC)).records[0].code == "2"
    db.commit()
    pipeline.run_until_quiet()
    db.expire_all()
    refund = db.scalars(select(InventoryRefund)).one()
    assert (refund.status, refund.customs_status) == ("decided", "399")
    inv = db.get(Inventory, inv.id)
    assert inv.status == "returned"
    change = quota.reservation(session=db, reference=inv.quota_reference)
    assert (change.restored, change.used_after) == (Decimal("300.00"), Decimal("0.00"))
    assert db.scalars(select(ReturnTracking.stage)).one() == "awaiting_goods"


def test_cancellation_approved_by_the_sandbox(db, session_factory, zone, pipeline):
    inv = _released(db, session_factory, zone, pipeline)
    assert send(db, zone.agent, _request(zone, "cancel", inv), datetime.now(UTC)).records[0].code == "2"
    db.commit()
    pipeline.run_until_quiet()
    db.expire_all()
    assert db.scalars(select(InventoryCancel.status)).one() == "decided"
    inv = db.get(Inventory, inv.id)
    assert inv.status == "cancelled"
    assert quota.reservation(session=db, reference=inv.quota_reference).used_after == Decimal("0.00")
