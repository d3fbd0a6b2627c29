"""JSON shapes of the audit trail (snake_case)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventRead(BaseModel):
    """One recorded event (审计事件) with its link in the stream's hash chain."""

    id: int
    stream: str
    seq: int
    action: str
    actor: str
    subject_id: str | None
    at: datetime
    before: Any = None
    after: Any = None
    prev_hash: str
    hash: str


class AuditEventPage(BaseModel):
    """A page of events, newest first; pass ``next_before_id`` as ``before_id`` for the next page."""

    items: list[AuditEventRead]
    next_before_id: int | None


class CheckpointRead(BaseModel):
    """A signed checkpoint (签名检查点); publish its signature outside the platform to pin it."""

    number: int
    created_at: datetime
    stream_count: int
    entry_count: int
    algorithm: str
    key_id: str
    prev_signature: str
    signature: str


class ProblemRead(BaseModel):
    """One problem found by verification."""

    kind: str
    label: str
    stream: str | None
    seq: int | None
    checkpoint: int | None
    message: str


class VerifyReportRead(BaseModel):
    """The outcome of verifying every stream and checkpoint."""

    ok: bool
    summary: str
    first_problem: str | None
    problem_count: int
    events: int
    streams: int
    checkpoints: int
    problems: list[ProblemRead]


def event_read(event) -> AuditEventRead:
    """The JSON form of an :class:`~kuajing.audit.models.AuditEvent`."""
    return AuditEventRead(id=event.id, stream=event.stream, seq=event.seq, action=event.action, actor=event.actor,
                          subject_id=event.subject_id, at=event.at, before=event.before, after=event.after,
                          prev_hash=event.prev_hash, hash=event.hash)


def checkpoint_read(cp) -> CheckpointRead:
    """The JSON form of an :class:`~kuajing.audit.models.AuditCheckpoint`."""
    return CheckpointRead(number=cp.number, created_at=cp.created_at, stream_count=cp.stream_count,
                          entry_count=cp.entry_count, algorithm=cp.algorithm, key_id=cp.key_id,
                          prev_signature=cp.prev_signature, signature=cp.signature)


def report_read(report, locale: str) -> VerifyReportRead:
    """The JSON form of a :class:`~kuajing.audit.service.VerifyReport` in ``locale``."""
    return VerifyReportRead(
        ok=report.ok, summary=report.summary, first_problem=report.first_problem, problem_count=report.problem_count,
        events=report.events, streams=report.streams, checkpoints=report.checkpoints,
        problems=[ProblemRead(kind=p.kind.value, label=p.kind.label_in(locale), stream=p.stream, seq=p.seq,
                              checkpoint=p.checkpoint, message=p.render(locale)) for p in report.problems],
    )
