"""Real parcels through the import pipeline: the subscriber only queues the list in the pipeline's transaction;
the risk job (run by the pipeline tick) builds the facts and raises split-order alerts once; a scan adds nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kuajing.db.base import utcnow
from kuajing.imports.models import Inventory
from kuajing.risk import jobs, service
from kuajing.risk.models import Alert, ParcelFact, PriceSample, RiskQueueItem
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.imports.parcels import BUYER_ID
from tests.imports.test_intake import send_parcel


def test_two_parcels_are_a_near_miss_the_third_raises_one_split_order_alert(client, db, session_factory, zone):  # noqa: F811
    send_parcel(client, zone, 1)
    send_parcel(client, zone, 2)
    queued = db.scalars(select(RiskQueueItem)).all()
    assert [(q.direction, q.event, q.processed_at) for q in queued] == [
        ("import", "import.inventory.declared", None)] * 2
    assert db.scalars(select(ParcelFact)).all() == []  # nothing heavy ran inside the pipeline
    assert jobs.run(session_factory=session_factory) == 2
    db.expire_all()
    assert db.scalars(select(Alert)).all() == []
    send_parcel(client, zone, 3)
    assert jobs.run(session_factory=session_factory) == 1
    db.expire_all()
    [alert] = db.scalars(select(Alert)).all()
    assert alert.rule == "split_orders" and alert.details["parcels"] == 3
    assert alert.subject_display == "1502**********1234"
    platform = db.get(Inventory, db.scalars(select(Inventory.id)).first())
    assert alert.enterprise_id is not None and platform.ebc_code == zone.platform.code
    facts = db.scalars(select(ParcelFact)).all()
    assert len(facts) == 3 and all(BUYER_ID not in (f.buyer_masked or "") for f in facts)
    assert {s.heading for s in db.scalars(select(PriceSample))} == {"1901"}
    # idempotent: the queue is drained, and a scan over the same lists raises nothing new
    assert jobs.run(session_factory=session_factory) == 0
    done = service.scan(session=db, since=utcnow() - timedelta(days=1))
    db.commit()
    assert (done.enqueued, done.alerts) == (0, 0)
    assert BUYER_ID not in str(alert.details) and BUYER_ID not in str(alert.references)
