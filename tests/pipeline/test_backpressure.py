"""Back-pressure and /metrics in the API process (the suite's own database, in-process pipeline).

Intake refuses new work with 503 ``busy_retry`` + ``Retry-After`` while the pending outbox is at the bound,
before anything is read or stored; what was accepted before is sent and released once the queue drains, and
the same message sent again is accepted then. ``/metrics`` shows the refusals, the intake and the depths.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from kuajing.db.session import make_sessionmaker
from kuajing.imports.models import Inventory, OutboxMessage, Receipt
from tests.imports import parcels
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.imports.parcels import xml
from tests.imports.test_intake import post
from tests.pipeline.fixtures import InProcess


@pytest.fixture
def bounded(settings, engine):
    """The app with a queue bound of 3 pending outbox rows (measured at every request) and a metrics token."""
    from kuajing.app import create_app

    app = create_app(settings.model_copy(update={"intake_max_queue_depth": 3, "queue_depth_cache_seconds": 0.0,
                                                 "intake_retry_after_seconds": 7, "metrics_token": SecretStr("s3cret")}))
    app.state.engine.dispose()
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def test_a_full_queue_answers_503_with_retry_after_and_loses_nothing(bounded, db, session_factory, zone):  # noqa: F811
    client = bounded
    for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                       (zone.logistics, parcels.waybill(zone.parties))):
        post(client, party, xml(doc))
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")) == 3
    receipts_before = db.scalar(select(func.count()).select_from(Receipt))

    the_list = xml(parcels.inventory(zone.parties))
    r = client.post("/ceb", content=the_list, headers={**zone.agent.headers, "Content-Type": "application/xml",
                                                                "Accept": "application/json"})
    assert r.status_code == 503
    assert r.headers["retry-after"] == "7"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "busy_retry" and "3" in r.json()["detail"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Inventory)) == 0  # refused before anything was stored
    assert db.scalar(select(func.count()).select_from(Receipt)) == receipts_before

    pipeline = InProcess(session_factory)
    pipeline.run_until_quiet()  # the queue drains: what was accepted went to customs
    r = client.post("/ceb", content=the_list, headers={**zone.agent.headers, "Content-Type": "application/xml",
                                                                "Accept": "application/json"})
    assert r.status_code == 200 and r.json()["records"][0]["code"] == "2"  # the same message, sent again
    pipeline.run_until_quiet()
    db.expire_all()
    assert db.scalars(select(Inventory.status)).one() == "released"

    unauthorised = client.get("/metrics")
    assert unauthorised.status_code == 401 and unauthorised.json()["code"] == "unauthenticated"
    text = client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).text
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line and not line.startswith("#")}
    assert samples['kuajing_queue_depth{queue="outbox_pending"}'] == 0.0
    assert samples['kuajing_queue_depth{queue="match_queued"}'] == 0.0
    assert samples['kuajing_intake_requests_total{outcome="busy"}'] >= 1
    assert samples['kuajing_rejections_total{code="busy_retry",level="request"}'] >= 1
    assert samples['kuajing_intake_records_total{code="2",message_type="CEB621"}'] >= 1
    assert samples["kuajing_intake_seconds_count"] >= 4


def test_metrics_without_a_token_and_no_bound(client):
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'kuajing_queue_depth{queue="outbox_pending"}' in r.text
    assert 'kuajing_queue_depth{queue="customs_unapplied"}' in r.text


def test_a_worker_serves_its_own_metrics_with_the_token(settings, session_factory):
    """``kuajing worker --metrics-port``: a machine running only workers is scraped like an API node."""
    import socket

    import httpx

    from kuajing.pipeline import metrics

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = metrics.serve_worker_metrics(settings=settings.model_copy(update={"metrics_token": SecretStr("w0rker")}),
                                          session_factory=session_factory, port=port)
    try:
        metrics.observe_stage("apply", 0.02)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        r = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer w0rker"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert 'kuajing_queue_depth{queue="outbox_pending"}' in r.text
        assert 'kuajing_stage_seconds_count{stage="apply"}' in r.text
        assert httpx.get(f"{base}/other").status_code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_documents_waiting_for_the_pipelines_match_count_towards_the_bound(settings, engine, db, session_factory,
                                                                           zone):  # noqa: F811
    """With the match in the pipeline a list enters the outbox only when matched: the parcels waiting in the
    match queue count too, so intake refuses before the unmatched backlog passes the bound."""
    from kuajing.app import create_app
    from kuajing.imports.models import MatchQueueItem

    app = create_app(settings.model_copy(update={"intake_max_queue_depth": 5, "queue_depth_cache_seconds": 0.0,
                                                 "match_in": "pipeline"}))
    app.state.engine.dispose()
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine, settings=app.state.settings)
    with TestClient(app, base_url="https://testserver") as client:
        for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties))):
            assert post(client, party, xml(doc)).status_code == 200
        # 2 documents in the outbox + 2 queued for the match = 4: one more request fits
        assert post(client, zone.logistics, xml(parcels.waybill(zone.parties))).status_code == 200
        db.expire_all()
        assert db.scalar(select(func.count()).select_from(MatchQueueItem)) == 3
        r = post(client, zone.agent, xml(parcels.inventory(zone.parties)))  # 3 + 3 = 6 ≥ 5: refused, nothing kept
        assert r.status_code == 503 and r.headers["retry-after"]
        db.expire_all()
        assert db.scalar(select(func.count()).select_from(Inventory)) == 0
        InProcess(session_factory).run_until_quiet()  # the queue drains: documents sent, parcels matched
        r = post(client, zone.agent, xml(parcels.inventory(zone.parties)))
        assert r.status_code == 200
