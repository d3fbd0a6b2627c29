"""Recording events: chain per stream, validation with stable codes, deterministic snapshots, timelines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from kuajing.audit.models import AuditEvent, AuditStreamHead
from kuajing.audit.service import GENESIS, canonical_json, event_hash, record, timeline, to_plain, verify_all
from kuajing.errors import AppError


def test_events_chain_per_stream_in_the_callers_transaction(db):
    a1 = record(session=db, action="enterprises:enterprise:file", stream="enterprise:A", actor="user:1",
                subject_id="A", after={"status": "filed"})
    b1 = record(session=db, action="enterprises:enterprise:file", stream="enterprise:B", actor="user:2",
                subject_id="B", after={"status": "filed"})
    a2 = record(session=db, action="enterprises:enterprise:approve", stream="enterprise:A", actor="user:9",
                subject_id="A", before={"status": "filed"}, after={"status": "approved"})
    assert (a1.seq, a2.seq, b1.seq) == (1, 2, 1)
    assert a1.prev_hash == GENESIS and b1.prev_hash == GENESIS
    assert a2.prev_hash == a1.hash
    assert len(a1.hash) == 64 and a1.hash != b1.hash
    head = db.get(AuditStreamHead, "enterprise:A")
    assert (head.seq, head.last_hash) == (2, a2.hash)
    assert a2.before == {"status": "filed"} and a2.after == {"status": "approved"}
    assert a1.at.tzinfo is not None

    # record() never commits: rolling back the caller's transaction leaves nothing behind
    db.rollback()
    assert db.scalars(select(AuditEvent)).all() == []
    assert db.get(AuditStreamHead, "enterprise:A") is None


def test_committed_events_survive_and_reload_with_the_same_hash(db, session_factory, key):
    event = record(session=db, action="import:inventory:release", stream="system", actor="system",
                   subject_id="I-1", after={"amount": Decimal("12.50"), "day": date(2026, 3, 1)},
                   at=datetime(2026, 3, 1, 16, 30, 0, 123456, tzinfo=timezone(timedelta(hours=8))))
    db.commit()
    with session_factory() as other:
        stored = other.scalars(select(AuditEvent)).one()
        assert stored.at == datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
        assert stored.after == {"amount": "12.50", "day": "2026-03-01"}
        assert stored.hash == event.hash == event_hash(
            stream="system", seq=1, action="import:inventory:release", actor="system", subject_id="I-1",
            at=stored.at, before=None, after=stored.after, prev_hash=GENESIS)
        assert verify_all(session=other, key=key).ok


def test_snapshots_serialise_deterministically():
    first = {"b": Decimal("1E+2"), "a": [date(2026, 1, 2), {"z": 1, "y": Decimal("0.10")}],
             "when": datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), "tags": {"y", "x"}}
    second = {"tags": {"x", "y"}, "when": datetime(2026, 1, 1, 0, tzinfo=UTC),
              "a": [date(2026, 1, 2), {"y": Decimal("0.10"), "z": 1}], "b": Decimal("100")}
    assert canonical_json(to_plain(first)) == canonical_json(to_plain(second))
    assert canonical_json(to_plain(first)) == (
        '{"a":["2026-01-02",{"y":"0.10","z":1}],"b":"100","tags":["x","y"],"when":"2026-01-01T00:00:00.000000Z"}')


@pytest.mark.parametrize("action", ["approve", "enterprises:approve", "Enterprises:enterprise:approve",
                                    "enterprises:enterprise:approve:now", "enterprises: enterprise:approve", ""])
def test_action_must_be_source_subject_action(db, action):
    with pytest.raises(AppError) as caught:
        record(session=db, action=action, stream="system", actor="system")
    err = caught.value
    assert err.status == 422
    assert [(i.code, i.path) for i in err.errors] == [("audit_bad_action", "action")]
    problem = err.to_problem("zh_Hans")
    assert problem["errors"][0]["message"] != err.errors[0].message  # translated into Chinese
    assert db.scalars(select(AuditEvent)).all() == []


def test_bad_stream_actor_time_and_snapshot_are_field_errors(db):
    with pytest.raises(AppError) as caught:
        record(session=db, action="a:b:c", stream="has space", actor="  ", at=datetime(2026, 1, 1))
    assert sorted((i.code, i.path) for i in caught.value.errors) == [
        ("audit_bad_actor", "actor"), ("audit_bad_stream", "stream"), ("audit_naive_timestamp", "at")]
    with pytest.raises(AppError) as caught:
        record(session=db, action="a:b:c", stream="system", actor="system", after={"items": [1, {"x": object()}]})
    assert [(i.code, i.path) for i in caught.value.errors] == [("audit_bad_snapshot", "after/items[2]/x")]
    with pytest.raises(AppError) as caught:
        record(session=db, action="a:b:c", stream="system", actor="system", before={"rate": float("nan")})
    assert [(i.code, i.path) for i in caught.value.errors] == [("audit_bad_snapshot", "before/rate")]


def test_timeline_filters_and_pages_newest_first(db):
    for i in range(5):
        record(session=db, action="enterprises:enterprise:update", stream="enterprise:A", actor="u",
               subject_id="A", after={"i": i})
    record(session=db, action="enterprises:apikey:issue", stream="enterprise:A", actor="u", subject_id="K1")
    record(session=db, action="enterprises:enterprise:update", stream="enterprise:B", actor="u", subject_id="B")
    record(session=db, action="enterprises_x:enterprise:update", stream="enterprise:C", actor="u", subject_id="C")

    mine = timeline(session=db, stream="enterprise:A")
    assert [e.seq for e in mine] == [6, 5, 4, 3, 2, 1]
    page1 = timeline(session=db, stream="enterprise:A", limit=2)
    page2 = timeline(session=db, stream="enterprise:A", limit=2, before_id=page1[-1].id)
    assert [e.seq for e in page1 + page2] == [6, 5, 4, 3]
    assert [e.subject_id for e in timeline(session=db, subject_id="K1")] == ["K1"]
    # the prefix is literal: "_" is not a wildcard
    assert {e.stream for e in timeline(session=db, action_prefix="enterprises:enterprise:")} == {
        "enterprise:A", "enterprise:B"}
    assert len(timeline(session=db, action_prefix="enterprises")) == 8
    with pytest.raises(AppError) as caught:
        timeline(session=db, limit=0)
    assert caught.value.errors[0].code == "audit_bad_cursor"
