"""Batched recording: record_many and the deferred block write the same chain as record() one by one."""

from __future__ import annotations

from sqlalchemy import select

from kuajing.audit import service as audit
from kuajing.audit.models import AuditEvent, AuditStreamHead


def test_record_many_chains_like_one_by_one_and_verifies(db, key):
    events = audit.record_many(session=db, events=[
        {"action": "a:b:c", "stream": "s1", "actor": "x", "subject_id": "1", "after": {"n": 1}},
        {"action": "a:b:c", "stream": "s2", "actor": "x", "subject_id": "2", "after": {"n": 2}},
        {"action": "a:b:d", "stream": "s1", "actor": "x", "subject_id": "1", "before": {"n": 1}, "after": {"n": 3}},
    ])
    assert [(e.stream, e.seq) for e in events] == [("s1", 1), ("s2", 1), ("s1", 2)]
    assert events[2].prev_hash == events[0].hash and events[1].prev_hash == audit.GENESIS
    one = audit.record(session=db, action="a:b:e", stream="s1", actor="x")
    assert (one.seq, one.prev_hash) == (3, events[2].hash)
    head = db.get(AuditStreamHead, "s1")
    assert (head.seq, head.last_hash) == (3, one.hash)
    db.commit()
    assert audit.verify_all(session=db, key=key).ok


def test_deferred_block_writes_at_its_end_and_drops_rolled_back_savepoints(db, key):
    with audit.deferred(db):
        audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 1})
        try:
            with db.begin_nested():
                audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 2})
                raise ValueError("rolled back")
        except ValueError:
            pass
        with db.begin_nested():
            audit.record(session=db, action="a:b:c", stream="s2", actor="x", after={"n": 3})
        savepoint = db.begin_nested()
        audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 4})
        savepoint.rollback()
        audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 5})
        assert db.scalars(select(AuditEvent)).all() == []  # nothing written before the block ends
    rows = db.scalars(select(AuditEvent).order_by(AuditEvent.stream, AuditEvent.seq)).all()
    assert [(r.stream, r.seq, r.after["n"]) for r in rows] == [("s1", 1, 1), ("s1", 2, 5), ("s2", 1, 3)]
    db.commit()
    assert audit.verify_all(session=db, key=key).ok


def test_deferred_block_that_raises_writes_nothing(db):
    try:
        with audit.deferred(db):
            audit.record(session=db, action="a:b:c", stream="s1", actor="x")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert db.scalars(select(AuditEvent)).all() == []
    assert audit.record(session=db, action="a:b:c", stream="s1", actor="x").seq == 1  # not deferred any more


def test_precomputed_chain_hash_is_the_reference_event_hash():
    """Writing hashes from the pieces precomputed at record time: byte for byte event_hash's canonical record."""
    from datetime import UTC, datetime
    from decimal import Decimal

    at = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    cases = [
        ("import:order:accept", "import:order:P1:O-1", "enterprise:91150200MA0N123456", "P1:订单-1", None,
         {"status": "accepted", "app_type": "1", "content_hash": "ab" * 32, "message_guid": "g"}),
        ("a:b:c", "s1", "user:7", None, {"credit_limit": Decimal("1000.00"), "nested": {"z": [1, None, "é"], "a": 2}},
         {"credit_limit": Decimal("1001.50"), "ok": True, "ratio": 0.5}),
        ("a:b:c", "s2", "system", 42, None, None),
    ]
    for action, stream, actor, subject, before, after in cases:
        p = audit._prepare(action, stream, actor, subject, before, after, at)
        for seq, prev in ((1, audit.GENESIS), (987654321, "f" * 64)):
            assert audit._chained_hash(p, seq, prev) == audit.event_hash(
                stream=stream, seq=seq, action=action, actor=actor, subject_id=p["subject_id"], at=at,
                before=p["before"], after=p["after"], prev_hash=prev)
        assert p["before_json"] == (None if before is None else audit.canonical_json(p["before"]))
        assert p["after_json"] == (None if after is None else audit.canonical_json(p["after"]))


def test_deferred_block_drops_events_of_a_savepoint_whose_statement_failed(db, key):
    """A database error inside a SAVEPOINT (a failed flush, a failed statement: a deadlock, a unique
    violation …) rolls the savepoint back, and the events recorded in it go with it — else a message
    applied again later would be audited twice (the crash test's duplicate events)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from kuajing.audit.models import AuditStreamHead as Head

    with audit.deferred(db):
        audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 1})
        try:  # a statement that fails
            with db.begin_nested():
                audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 2})
                db.execute(text("SELECT * FROM no_such_table"))
        except DBAPIError:
            pass
        db.add(Head(stream="taken", seq=1, last_hash="0" * 64))
        db.flush()
        try:  # a flush that fails (a duplicate primary key)
            with db.begin_nested():
                audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 3})
                db.add(Head(stream="taken", seq=2, last_hash="1" * 64))
                db.flush()
        except DBAPIError:
            pass
        audit.record(session=db, action="a:b:c", stream="s1", actor="x", after={"n": 4})
    rows = db.scalars(select(AuditEvent).order_by(AuditEvent.stream, AuditEvent.seq)).all()
    assert [(r.stream, r.seq, r.after["n"]) for r in rows] == [("s1", 1, 1), ("s1", 2, 4)]
