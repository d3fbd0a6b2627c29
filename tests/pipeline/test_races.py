"""Concurrency gaps closed: a parcel whose last two documents committed at once is still matched, and an
intake that keeps deadlocking answers 503 with Retry-After (never 500) and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from kuajing.db.session import TransientConflict, commit_with_retry
from kuajing.imports.models import ImportOrder, Inventory
from kuajing.imports.service import flow
from kuajing.pipeline.service import tick
from tests.imports import parcels
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.imports.parcels import xml
from tests.imports.test_intake import post


class _Quiet:
    def send(self, *, message, message_type):
        return "1"

    def poll(self, *, limit=500):
        return []

    def ack(self, *, message_id):
        pass

    def reject(self, *, message_id, reason):
        pass


def test_a_set_completed_by_concurrent_commits_is_matched_by_the_next_tick(client, db, session_factory, zone,  # noqa: F811
                                                                         monkeypatch):
    post(client, zone.agent, xml(parcels.inventory(zone.parties)))
    post(client, zone.platform, xml(parcels.order(zone.parties)))
    post(client, zone.pay, xml(parcels.payment(zone.parties)))
    # the waybill's transaction did not see the list's (they committed at the same moment): no match ran
    monkeypatch.setattr(flow, "try_match", lambda **kwargs: [])
    post(client, zone.logistics, xml(parcels.waybill(zone.parties)))
    monkeypatch.undo()
    db.expire_all()
    assert db.scalars(select(Inventory.status)).one() == "awaiting_documents"

    result = tick(session_factory=session_factory, transport=_Quiet(), match_timeout=timedelta(hours=72))
    assert result.rematched == 1
    db.expire_all()
    assert db.scalars(select(Inventory.status)).one() == "declared"
    again = tick(session_factory=session_factory, transport=_Quiet(), match_timeout=timedelta(hours=72))
    assert again.rematched == 0  # declared once


def _deadlock() -> OperationalError:
    class Orig(Exception):
        sqlstate = "40P01"

    return OperationalError("UPDATE …", {}, Orig("deadlock detected"))


def test_commit_with_retry_reruns_the_work_after_a_deadlock(db):
    calls = []

    def work():
        calls.append(1)
        db.execute(text("CREATE TABLE IF NOT EXISTS zz_retry (x INTEGER)"))
        db.execute(text("INSERT INTO zz_retry (x) VALUES (:x)"), {"x": len(calls)})
        if len(calls) == 1:
            raise _deadlock()
        return "done"

    assert commit_with_retry(db, work, base_delay=0) == "done"
    assert len(calls) == 2
    assert db.execute(text("SELECT x FROM zz_retry")).scalars().all() == [2]  # the first attempt left nothing
    db.execute(text("DROP TABLE zz_retry"))
    db.commit()


def test_commit_with_retry_gives_up_with_a_transient_conflict(db):
    with pytest.raises(TransientConflict):
        commit_with_retry(db, lambda: (_ for _ in ()).throw(_deadlock()), attempts=3, base_delay=0)
    with pytest.raises(ZeroDivisionError):  # anything else is not retried
        commit_with_retry(db, lambda: 1 / 0, base_delay=0)


def test_intake_that_keeps_colliding_answers_503_with_retry_after(client, db, zone, monkeypatch):  # noqa: F811
    from kuajing.imports import service

    def always_deadlocks(**kwargs):
        service_accept(**kwargs)  # writes rows …
        raise _deadlock()  # … then collides

    service_accept = service.accept
    monkeypatch.setattr(service, "accept", always_deadlocks)
    r = post(client, zone.platform, xml(parcels.order(zone.parties)))
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "1"
    assert r.json()["code"] == "busy_retry"
    assert db.scalar(select(func.count()).select_from(ImportOrder)) == 0  # nothing half-written
