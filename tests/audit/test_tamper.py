"""THE TAMPER TEST: write a trail, checkpoint it, then attack it with plain SQL on the real database.

Each attack must be reported at the right stream and seq; a clean trail must verify.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from kuajing.audit.choices import ProblemKind
from kuajing.audit.service import GENESIS, canonical_json, event_hash, verify_all

A = "enterprise:91150200MA0N123456"
B = "enterprise:91150200MA0N654321"


@pytest.fixture
def trail(write, checkpoint):
    """Stream A has 6 events, B 4, system 3; all sealed by checkpoint 1."""
    write(A, 6)
    write(B, 4, action="enterprises:enterprise:approve")
    write("system", 3, action="rules:parameter:publish")
    cp = checkpoint()
    assert (cp.number, cp.stream_count, cp.entry_count) == (1, 3, 3)
    return cp


def _verify(session_factory, key):
    with session_factory() as session:
        return verify_all(session=session, key=key)


def _sql(engine, statement: str, **params):
    with engine.begin() as conn:
        return conn.execute(text(statement), params)


def _kinds(report):
    return [(p.kind, p.stream, p.seq) for p in report.problems]


def test_clean_trail_verifies(trail, session_factory, key, write, checkpoint):
    report = _verify(session_factory, key)
    assert report.ok, report.first_problem
    assert report.first_problem is None
    assert (report.events, report.streams, report.checkpoints) == (13, 3, 1)
    assert "13 events in 3 streams" in report.summary
    # events after the last checkpoint are fine too, and a second checkpoint seals only what moved
    write(A, 2, start=6)
    assert _verify(session_factory, key).ok
    cp2 = checkpoint()
    assert (cp2.number, cp2.stream_count, cp2.entry_count) == (2, 3, 1)
    assert _verify(session_factory, key).ok


def test_a_edited_snapshot_is_a_hash_mismatch(trail, engine, session_factory, key):
    _sql(engine, "UPDATE audit_event SET after_json = :after WHERE stream = :s AND seq = 3",
         after=canonical_json({"credit_limit": "9999999.00", "step": 2}), s=A)
    report = _verify(session_factory, key)
    assert not report.ok
    assert _kinds(report) == [(ProblemKind.hash_mismatch, A, 3)]
    assert report.first_problem.startswith(f"stream {A}, seq 3: hash mismatch")


def test_a_edited_actor_or_time_is_a_hash_mismatch(trail, engine, session_factory, key):
    _sql(engine, "UPDATE audit_event SET actor = 'user:1' WHERE stream = :s AND seq = 2", s=B)
    assert _kinds(_verify(session_factory, key)) == [(ProblemKind.hash_mismatch, B, 2)]


def test_b_deleted_middle_event_is_a_gap_at_its_seq(trail, engine, session_factory, key):
    _sql(engine, "DELETE FROM audit_event WHERE stream = :s AND seq = 4", s=A)
    report = _verify(session_factory, key)
    assert _kinds(report) == [(ProblemKind.gap, A, 4)]
    assert report.first_problem.startswith(f"stream {A}, seq 4: missing event (gap")


def test_b_deleted_and_renumbered_is_a_broken_link(trail, engine, session_factory, key):
    """Closing the gap by renumbering does not help: seq 4 no longer links to seq 3."""
    _sql(engine, "DELETE FROM audit_event WHERE stream = :s AND seq = 3", s=B)
    _sql(engine, "UPDATE audit_event SET seq = 3 WHERE stream = :s AND seq = 4", s=B)
    _sql(engine, "UPDATE audit_stream_head SET seq = 3 WHERE stream = :s", s=B)
    report = _verify(session_factory, key)
    assert report.problems[0].kind == ProblemKind.broken_link
    assert (report.problems[0].stream, report.problems[0].seq) == (B, 3)
    assert report.first_problem.startswith(f"stream {B}, seq 3: broken link")


def test_c_truncation_is_caught_by_the_head_and_by_the_checkpoint(trail, engine, session_factory, key):
    _sql(engine, "DELETE FROM audit_event WHERE stream = :s AND seq > 4", s=A)
    report = _verify(session_factory, key)
    assert _kinds(report) == [(ProblemKind.head_mismatch, A, None), (ProblemKind.truncated, A, 6)]

    # the attacker also rewinds the head row to the new last event: the chain is consistent again,
    # but the signed checkpoint still remembers seq 6
    last = _sql(engine, "SELECT hash FROM audit_event WHERE stream = :s AND seq = 4", s=A).scalar_one()
    _sql(engine, "UPDATE audit_stream_head SET seq = 4, last_hash = :h WHERE stream = :s", h=last, s=A)
    report = _verify(session_factory, key)
    assert _kinds(report) == [(ProblemKind.truncated, A, 6)]
    assert report.first_problem.startswith(f"stream {A}, seq 6: missing event sealed by checkpoint 1")


def test_c_a_whole_stream_deleted_is_caught(trail, engine, session_factory, key):
    _sql(engine, "DELETE FROM audit_event WHERE stream = 'system'")
    _sql(engine, "DELETE FROM audit_stream_head WHERE stream = 'system'")
    assert _kinds(_verify(session_factory, key)) == [(ProblemKind.truncated, "system", 3)]


def test_a_rewritten_and_rehashed_stream_differs_from_the_checkpoint(trail, engine, session_factory, key):
    """SM3 is public, so an attacker can recompute every hash after an edit; the signed seal catches it."""
    rows = _sql(engine, "SELECT seq, action, actor, subject_id, at, before_json, after_json FROM audit_event "
                        "WHERE stream = :s ORDER BY seq", s=B).all()
    with session_factory() as session:  # read `at` through the ORM type (UTC-aware on both databases)
        from sqlalchemy import select

        from kuajing.audit.models import AuditEvent

        ats = dict(session.execute(select(AuditEvent.seq, AuditEvent.at).where(AuditEvent.stream == B)).all())
    prev = GENESIS
    for row in rows:
        after = json.loads(row.after_json)
        if row.seq == 2:
            after["credit_limit"] = "1.00"
        digest = event_hash(stream=B, seq=row.seq, action=row.action, actor=row.actor, subject_id=row.subject_id,
                            at=ats[row.seq], before=json.loads(row.before_json), after=after, prev_hash=prev)
        _sql(engine, "UPDATE audit_event SET after_json = :a, prev_hash = :p, hash = :h WHERE stream = :s AND seq = :q",
             a=canonical_json(after), p=prev, h=digest, s=B, q=row.seq)
        prev = digest
    _sql(engine, "UPDATE audit_stream_head SET last_hash = :h WHERE stream = :s", h=prev, s=B)
    report = _verify(session_factory, key)
    assert _kinds(report) == [(ProblemKind.sealed_mismatch, B, 4)]


def test_d_forged_checkpoint_signature_is_invalid(trail, engine, session_factory, key):
    # cover a truncation by editing the sealed entry: the signature no longer matches
    _sql(engine, "DELETE FROM audit_event WHERE stream = :s AND seq > 4", s=A)
    last = _sql(engine, "SELECT hash FROM audit_event WHERE stream = :s AND seq = 4", s=A).scalar_one()
    _sql(engine, "UPDATE audit_stream_head SET seq = 4, last_hash = :h WHERE stream = :s", h=last, s=A)
    _sql(engine, "UPDATE audit_checkpoint_entry SET seq = 4, hash = :h WHERE stream = :s", h=last, s=A)
    report = _verify(session_factory, key)
    assert _kinds(report) == [(ProblemKind.checkpoint_signature_invalid, None, None)]
    assert report.problems[0].checkpoint == 1
    assert report.first_problem == "checkpoint 1: checkpoint signature invalid (forged or altered checkpoint)"


def test_d_forged_checkpoint_row_is_invalid(trail, engine, session_factory, key):
    cp = _sql(engine, "SELECT created_at, prev_signature, key_id FROM audit_checkpoint").one()
    _sql(engine, "INSERT INTO audit_checkpoint (number, created_at, stream_count, entry_count, algorithm, key_id, "
                 "prev_signature, signature) SELECT 2, created_at, 3, 0, 'HMAC-SM3', key_id, signature, :sig "
                 "FROM audit_checkpoint WHERE number = 1", sig="ab" * 32)
    assert cp.prev_signature == GENESIS
    report = _verify(session_factory, key)
    assert [(p.kind, p.checkpoint) for p in report.problems] == [(ProblemKind.checkpoint_signature_invalid, 2)]


def test_d_checkpoint_signed_with_another_key_is_rejected(trail, session_factory):
    report = _verify(session_factory, b"another key")
    assert [(p.kind, p.checkpoint) for p in report.problems] == [(ProblemKind.checkpoint_signature_invalid, 1)]
    assert "signed with another key" in report.first_problem


def test_deleting_a_checkpoint_breaks_the_checkpoint_chain(trail, write, checkpoint, engine, session_factory, key):
    write(A, 1, start=6)
    checkpoint()
    write(A, 1, start=7)
    checkpoint()
    _sql(engine, "DELETE FROM audit_checkpoint_entry WHERE checkpoint_id IN "
                 "(SELECT id FROM audit_checkpoint WHERE number = 2)")
    _sql(engine, "DELETE FROM audit_checkpoint WHERE number = 2")
    report = _verify(session_factory, key)
    assert [(p.kind, p.checkpoint) for p in report.problems] == [(ProblemKind.checkpoint_chain_broken, 3)]


def test_report_is_translated(trail, engine, session_factory, key):
    _sql(engine, "DELETE FROM audit_event WHERE stream = :s AND seq = 2", s=B)
    with session_factory() as session:
        report = verify_all(session=session, key=key, locale="zh_Hans")
    assert report.first_problem == f"审计流 {B} 第 2 号：事件缺失（断号；下一个存在的事件为第 3 号）"
    assert "发现 1 个问题" in report.summary
