"""JSON API of the audit trail under /api/v1/audit (auditors and zone operators only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, require_roles
from kuajing.audit import service
from kuajing.audit.models import AuditCheckpoint
from kuajing.audit.schemas import (
    AuditEventPage,
    CheckpointRead,
    VerifyReportRead,
    checkpoint_read,
    event_read,
    report_read,
)
from kuajing.web.deps import get_locale, get_session, get_settings

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

_auditors = require_roles(Role.auditor, Role.zone_operator)


@router.get("/events", response_model=AuditEventPage, summary="Audit events, newest first")
def list_events(
    stream: str | None = Query(None, max_length=200, description="e.g. enterprise:91150200MA0N123456"),
    subject_id: str | None = Query(None, max_length=200),
    action_prefix: str | None = Query(None, max_length=120, description="e.g. enterprises:enterprise:"),
    limit: int = Query(100, ge=1, le=1000),
    before_id: int | None = Query(None, ge=1, description="next_before_id of the previous page"),
    principal: Principal = Depends(_auditors),
    session: Session = Depends(get_session, scope="function"),
) -> AuditEventPage:
    """The timeline of a stream, a subject or an action family (审计时间线)."""
    events = service.timeline(session=session, stream=stream, subject_id=subject_id, action_prefix=action_prefix,
                              limit=limit, before_id=before_id)
    return AuditEventPage(items=[event_read(e) for e in events],
                          next_before_id=events[-1].id if len(events) == limit else None)


@router.get("/checkpoints", response_model=list[CheckpointRead], summary="Latest signed checkpoints")
def list_checkpoints(
    limit: int = Query(20, ge=1, le=500),
    principal: Principal = Depends(_auditors),
    session: Session = Depends(get_session, scope="function"),
) -> list[CheckpointRead]:
    """The newest checkpoints first; an auditor or bank keeps the latest signature to pin the trail."""
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number.desc()).limit(limit))
    return [checkpoint_read(cp) for cp in rows]


@router.get("/verify", response_model=VerifyReportRead, summary="Verify the whole trail")
def verify(
    principal: Principal = Depends(_auditors),
    session: Session = Depends(get_session, scope="function"),
    settings=Depends(get_settings),
    locale: str = Depends(get_locale),
) -> VerifyReportRead:
    """Recompute every hash chain and check every signed checkpoint; list what is broken (up to 100)."""
    report = service.verify_all(session=session, key=settings.secret("audit_signing_key"), locale=locale)
    return report_read(report, locale)
