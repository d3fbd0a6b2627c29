"""The three-document match run by the pipeline (setting ``match_in`` = "pipeline", the peak configuration):
intake only stores, answers and queues the parcel; the next pipeline tick matches every queued parcel
together — with the same outcomes, receipts and ledgers as matching in the request."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kuajing.db.session import MATCH_IN, make_sessionmaker
from kuajing.imports.models import Inventory, MatchQueueItem, OutboxMessage
from kuajing.imports.service import flow
from kuajing.pipeline.service import tick
from kuajing.quota import service as quota
from tests.imports import parcels
from tests.imports.parcels import xml
from tests.imports.test_flow import FakeCustoms
from tests.imports.test_intake import post, statuses


@pytest.fixture
def pipeline_app(app, engine, settings):
    """The test app with its sessions configured as a peak deployment: match_in = "pipeline"."""
    app.state.sessionmaker = make_sessionmaker(engine, settings=settings.model_copy(update={"match_in": "pipeline"}))
    assert app.state.sessionmaker().info[MATCH_IN] == "pipeline"
    return app


def _tick(session_factory, transport=None):
    """One pipeline tick against customs that take what is sent and answer nothing (the platform's side only)."""
    return tick(session_factory=session_factory, transport=transport or FakeCustoms(),
                match_timeout=timedelta(hours=72))


def _queued(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(MatchQueueItem))


def _send_set(client, zone, n: int = 1, **kw):
    p = zone.parties
    answers = [post(client, zone.platform, xml(parcels.order(p, n, **kw.get("order", {})))),
               post(client, zone.pay, xml(parcels.payment(p, n, **kw.get("payment", {})))),
               post(client, zone.logistics, xml(parcels.waybill(p, n))),
               post(client, zone.agent, xml(parcels.inventory(p, n, **kw.get("inventory", {}))))]
    return [statuses(r)[0][0] for r in answers]


def test_intake_answers_at_once_and_the_next_tick_declares(pipeline_app, client, db, session_factory, zone):
    assert _send_set(client, zone) == ["2", "2", "2", "2"]  # the sender's verdict does not wait for the match
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "awaiting_documents" and inv.quota_reference is None
    assert _queued(db) == 4  # one queue row per accepted document of the parcel

    customs = FakeCustoms()
    result = _tick(session_factory, customs)
    assert (result.match_queued, result.rematched) == (4, 1)
    assert _queued(db) == 0
    db.expire_all()
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "declared"
    assert inv.tax_total == Decimal("27.30")  # policy-rules E1: 300 × 13% × 0.7, as when matched at intake
    assert quota.reservation(session=db, reference=inv.quota_reference).status == "reserved"
    assert sorted(t for t, _ in customs.sent) == ["CEB311", "CEB411", "CEB511", "CEB621"]  # the list leaves in the same tick
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")) == 0
    again = _tick(session_factory)
    assert (again.match_queued, again.rematched) == (0, 0)  # declared once


def test_a_resent_message_queues_nothing_again(pipeline_app, client, db, zone):
    body = xml(parcels.order(zone.parties))
    assert statuses(post(client, zone.platform, body))[0][0] == "2"
    assert _queued(db) == 1
    assert statuses(post(client, zone.platform, body))[0][0] == "2"  # the stored answer, replayed
    assert _queued(db) == 1


def test_a_rejection_decided_in_the_pipeline_reaches_the_sender_as_a_later_receipt(pipeline_app, client, db,
                                                                                   session_factory, zone):
    # policy-rules E8: two items over 5,000 in one parcel are refused (-621005), here by the tick
    kw = {"order": {"goods": "5200", "lines": 2}, "payment": {"amount": "5220"},
          "inventory": {"goods": "5200", "lines": 2}}
    assert _send_set(client, zone, **kw) == ["2", "2", "2", "2"]
    _tick(session_factory)
    db.expire_all()
    assert db.scalars(select(Inventory)).one().status == "limit_rejected"
    pulled = client.get("/ceb/receipts", headers=zone.agent.headers).json()["items"]
    assert [i["return_status"] for i in pulled] == ["2", "-621005"]


def test_a_corrected_document_rematches_a_mismatched_list(pipeline_app, client, db, session_factory, zone):
    assert _send_set(client, zone, payment={"payer": "王五"}) == ["2", "2", "2", "2"]
    _tick(session_factory)
    db.expire_all()
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "mismatch" and [m["field"] for m in inv.mismatches] == ["payer_name"]
    # the payment company corrects its record (appType 2): the parcel is queued again, the sweep alone
    # would never look at a mismatched list
    r = post(client, zone.pay, xml(parcels.payment(zone.parties, app_type="2")))
    assert statuses(r)[0][0] == "2", r.content.decode()
    assert _queued(db) == 1
    result = _tick(session_factory)
    assert result.rematched == 1
    db.expire_all()
    assert db.scalars(select(Inventory)).one().status == "declared"


def test_parcels_queued_together_are_decided_in_list_order_against_one_quota(pipeline_app, client, db,
                                                                           session_factory, zone):
    # one buyer (parcels.BUYER_ID), three single items of 10,000 (+20 freight) matched by one tick: the annual
    # limit (26,000, policy-rules §1) admits 20,040 and refuses the third (−621018), as one request at a time would
    for n in (1, 2, 3):
        assert _send_set(client, zone, n, order={"goods": "10000"}, payment={"amount": "10020"},
                         inventory={"goods": "10000"}) == ["2", "2", "2", "2"]
    result = _tick(session_factory)
    assert result.rematched == 3
    db.expire_all()
    got = [inv.status for inv in db.scalars(select(Inventory).order_by(Inventory.id))]
    assert got == ["declared", "declared", "limit_rejected"], got
    pulled = client.get("/ceb/receipts", headers=zone.agent.headers).json()["items"]
    assert [i["return_status"] for i in pulled if i["return_status"] != "2"] == ["-621018"]


def test_a_transient_conflict_keeps_the_queue_for_the_next_tick(pipeline_app, client, db, session_factory, zone,
                                                              monkeypatch):
    _send_set(client, zone)

    class Orig(Exception):
        sqlstate = "40P01"

    def deadlock(**_):
        raise OperationalError("SELECT … FOR UPDATE", {}, Orig("deadlock detected"))

    monkeypatch.setattr(flow, "match_orders", deadlock)
    result = _tick(session_factory)
    assert (result.match_queued, result.rematched) == (0, 0)
    assert _queued(db) == 4  # nothing taken: the rows come back with the rolled-back savepoint
    monkeypatch.undo()
    assert _tick(session_factory).rematched == 1
    assert _queued(db) == 0


def test_a_parcel_the_match_cannot_handle_does_not_hold_back_the_queue(
        pipeline_app, client, db, session_factory, zone, monkeypatch, caplog):
    """One parcel whose match raises (a bug, a corrupt row) used to fail the whole batch on every tick, so every
    parcel queued with it — up to the batch limit, oldest first — never moved. Now the batch falls back to one
    parcel at a time: the others are declared, the bad one is logged and left waiting for the sweep."""
    for n in (1, 2, 3):
        assert _send_set(client, zone, n) == ["2", "2", "2", "2"]
    real = flow.match

    def broken(order, payment, waybill, inventory, **kw):
        if inventory.order_no == "ORD2":
            raise RuntimeError("poison parcel")
        return real(order, payment, waybill, inventory, **kw)

    monkeypatch.setattr(flow, "match", broken)
    result = _tick(session_factory)
    assert (result.match_queued, result.rematched) == (12, 2)
    assert _queued(db) == 0  # the bad parcel's rows are not taken again and again
    db.expire_all()
    states = {i.order_no: i.status for i in db.scalars(select(Inventory))}
    assert states == {"ORD1": "declared", "ORD2": "awaiting_documents", "ORD3": "declared"}
    assert "ORD2" in caplog.text and "poison parcel" in caplog.text
    again = _tick(session_factory)  # the sweep tries it again, alone, and leaves it waiting
    assert again.rematched == 0
    monkeypatch.setattr(flow, "match", real)  # fixed: the next sweep declares it
    assert _tick(session_factory).rematched == 1
    db.expire_all()
    assert {i.status for i in db.scalars(select(Inventory))} == {"declared"}
