"""The pipeline end to end with the built-in customs simulator (no test double): four documents in by
POST /ceb, ticks of the pipeline, the list released by the sandbox, the quota consumed, the receipts
(2 → 120 → 399 → 800) pulled by the declaring agent, and the CEB816 e-tax bill applied."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.imports.models import Inventory, OutboxMessage
from kuajing.pipeline.service import tick
from kuajing.quota import service as quota
from tests.imports import parcels
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.imports.parcels import xml
from tests.imports.test_intake import post


def _run_until_quiet(session_factory, transport, *, limit=20):
    results = []
    for _ in range(limit):
        result = tick(session_factory=session_factory, transport=transport, match_timeout=timedelta(hours=72))
        results.append(result)
        if not result.busy:
            break
    return results


def test_parcel_released_by_the_sandbox(client, db, session_factory, zone, pipeline):  # noqa: F811
    """In both modes: ticks in this process, or a real Celery worker process (tests/pipeline/fixtures.py)."""
    for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                       (zone.logistics, parcels.waybill(zone.parties)), (zone.agent, parcels.inventory(zone.parties))):
        post(client, party, xml(doc))
    db.expire_all()
    inv = db.scalars(select(Inventory)).one()
    assert inv.status in ("declared", "customs_accepted", "decided", "released")  # a worker may already be at it

    results = pipeline.run_until_quiet()
    if pipeline.mode == "inprocess":
        assert sum(r.sent for r in results) == 4
        assert sum(r.apply_failed for r in results) == 0
    assert [r.status for r in db.scalars(select(OutboxMessage))] == ["sent"] * 4

    db.expire_all()
    inv = db.scalars(select(Inventory)).one()
    assert (inv.status, inv.customs_status) == ("released", "800")
    assert inv.invt_no  # customs' list number, assigned by the sandbox
    assert quota.reservation(session=db, reference=inv.quota_reference).status == "consumed"
    assert inv.tax_total == Decimal("27.30")  # policy-rules §1.5 E1: 300 × 13% × 0.7

    statuses = [i["return_status"] for i in client.get("/ceb/receipts", headers=zone.agent.headers).json()["items"]
                if i["message_type"] == "CEB622"]
    assert statuses[0] == "2" and statuses[-1] == "800"
    assert "120" in statuses and "399" in statuses
    # the other parties see only their own receipts
    order_statuses = {i["message_type"] for i in client.get("/ceb/receipts", headers=zone.platform.headers).json()["items"]}
    assert order_statuses == {"CEB312"}


def test_the_e_tax_bill_draws_the_agents_guarantee(client, db, session_factory, zone, pipeline):  # noqa: F811
    from kuajing.tax import service as tax

    agent_id = zone.agent.id
    tax.open_guarantee(session=db, agent_enterprise_id=agent_id, actor="test")
    tax.top_up(session=db, agent_enterprise_id=agent_id, amount=Decimal("1000.00"), reference="TOPUP-1", actor="test")
    db.commit()
    for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                       (zone.logistics, parcels.waybill(zone.parties)), (zone.agent, parcels.inventory(zone.parties))):
        post(client, party, xml(doc))
    pipeline.run_until_quiet()
    db.expire_all()
    view = tax.guarantee(session=db, agent_enterprise_id=agent_id)
    # policy-rules §1.5 E1: the parcel's tax is 27.30, drawn once from 1,000.00
    assert view.balance == Decimal("972.70")
    pipeline.run_until_quiet()
    db.expire_all()
    assert tax.guarantee(session=db, agent_enterprise_id=agent_id).balance == Decimal("972.70")


def test_a_second_run_changes_nothing(client, db, session_factory, zone, pipeline):  # noqa: F811
    for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                       (zone.logistics, parcels.waybill(zone.parties)), (zone.agent, parcels.inventory(zone.parties))):
        post(client, party, xml(doc))
    pipeline.run_until_quiet()
    before = len(client.get("/ceb/receipts?limit=500", headers=zone.agent.headers).json()["items"])
    again = pipeline.run_until_quiet()
    assert all(not r.busy for r in again)
    assert len(client.get("/ceb/receipts?limit=500", headers=zone.agent.headers).json()["items"]) == before


def test_the_embedded_runner_releases_parcels_in_the_background(client, db, session_factory, zone):  # noqa: F811
    import time

    from kuajing.pipeline.jobs import InProcessRunner

    sandbox = SandboxCustoms(session_factory=session_factory, config=SandboxConfig(delay_seconds=0, inspection_rate=0))
    runner = InProcessRunner(session_factory=session_factory, transport=sandbox, interval=0.05,
                             match_timeout=timedelta(hours=72))
    runner.start()
    try:
        for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                           (zone.logistics, parcels.waybill(zone.parties)), (zone.agent, parcels.inventory(zone.parties))):
            post(client, party, xml(doc))
        deadline = time.monotonic() + 60  # a generous bound on waiting, not a speed claim
        status = None
        while time.monotonic() < deadline:
            db.expire_all()
            status = db.scalars(select(Inventory.status)).one()
            if status == "released":
                break
            time.sleep(0.05)
    finally:
        runner.stop()
    assert status == "released"
    assert runner.ticks > 0


def test_two_runners_sharing_the_steps_release_every_parcel_once(app, client, db, engine, settings,
                                                                 session_factory, zone):  # noqa: F811
    """The pipeline of one machine split over two runners (``kuajing pump --steps match,send`` and
    ``--steps dropfolders,exchange,housekeeping``), with the match in the pipeline: every parcel released
    once, one 800 receipt each, quota consumed."""
    import time

    import pytest

    from kuajing.db.session import make_sessionmaker
    from kuajing.imports.models import Receipt
    from kuajing.pipeline.jobs import InProcessRunner

    with pytest.raises(ValueError):
        tick(session_factory=session_factory, transport=None, match_timeout=timedelta(hours=72),
             steps=frozenset({"send", "teleport"}))
    app.state.sessionmaker = make_sessionmaker(engine, settings=settings.model_copy(update={"match_in": "pipeline"}))
    sandbox = SandboxCustoms(session_factory=session_factory, config=SandboxConfig(delay_seconds=0, inspection_rate=0))
    # a runner does only its own steps: "match" declares the queued parcel and sends nothing
    for party, doc in ((zone.platform, parcels.order(zone.parties, 9)), (zone.pay, parcels.payment(zone.parties, 9)),
                       (zone.logistics, parcels.waybill(zone.parties, 9)), (zone.agent, parcels.inventory(zone.parties, 9))):
        post(client, party, xml(doc))
    only_match = tick(session_factory=session_factory, transport=sandbox, match_timeout=timedelta(hours=72),
                      steps=frozenset({"match"}))
    assert (only_match.rematched, only_match.sent, only_match.applied) == (1, 0, 0)
    db.expire_all()
    assert db.scalars(select(Inventory.status)).one() == "declared"
    assert set(db.scalars(select(OutboxMessage.status))) == {"pending"}
    runners = [InProcessRunner(session_factory=session_factory, transport=sandbox, interval=0.05,
                               match_timeout=timedelta(hours=72), steps=frozenset(steps.split(",")))
               for steps in ("match,send", "dropfolders,exchange,housekeeping")]
    for runner in runners:
        runner.start()
    try:
        for n in range(1, 5):
            for party, doc in ((zone.platform, parcels.order(zone.parties, n)),
                               (zone.pay, parcels.payment(zone.parties, n)),
                               (zone.logistics, parcels.waybill(zone.parties, n)),
                               (zone.agent, parcels.inventory(zone.parties, n))):
                post(client, party, xml(doc))
        deadline = time.monotonic() + 90  # a generous bound on waiting, not a speed claim
        statuses: list[str] = []
        while time.monotonic() < deadline:
            db.expire_all()
            statuses = list(db.scalars(select(Inventory.status)))
            if statuses == ["released"] * 5:  # parcel 9 and parcels 1–4
                break
            time.sleep(0.1)
    finally:
        for runner in runners:
            runner.stop()
    assert statuses == ["released"] * 5
    assert all(r.ticks > 0 for r in runners)
    db.expire_all()
    releases = db.scalars(select(Receipt.business_key).where(Receipt.message_type == "CEB622",
                                                             Receipt.return_status == "800")).all()
    assert sorted(releases) == sorted(set(releases)) and len(releases) == 5  # one 800 per list, none twice
    for inv in db.scalars(select(Inventory)):
        assert quota.reservation(session=db, reference=inv.quota_reference).status == "consumed"
