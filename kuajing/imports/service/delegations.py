"""Delegations (委托传输): a party authorises another enterprise to transmit its messages; audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.db.base import utcnow
from kuajing.enterprises.models import Enterprise
from kuajing.imports import errors
from kuajing.imports.models import Delegation

DELEGABLE = ("CEB311", "CEB411", "CEB511", "CEB513", "CEB621", "CEB623", "CEB625")


def enterprise_by_code(*, session: Session, code: str) -> Enterprise | None:
    """The filed enterprise whose customs code or USCC is ``code``."""
    if not code:
        return None
    return session.scalars(select(Enterprise).where(or_(Enterprise.customs_code == code, Enterprise.uscc == code))
                           .limit(1)).first()


def _snapshot(d: Delegation) -> dict:
    return {"principal_enterprise_id": d.principal_enterprise_id, "agent_enterprise_id": d.agent_enterprise_id,
            "message_types": list(d.message_types), "valid_from": d.valid_from, "valid_to": d.valid_to,
            "revoked_at": d.revoked_at}


def grant(*, session: Session, principal_enterprise_id: int, agent_code: str, message_types: list[str],
          valid_from: datetime | None = None, valid_to: datetime | None = None, note: str | None = None,
          actor: str) -> Delegation:
    """Authorise the enterprise with ``agent_code`` to transmit ``message_types`` for the principal."""
    agent = enterprise_by_code(session=session, code=agent_code)
    if agent is None:
        raise errors.enterprise_unknown("agent_code", agent_code)
    if agent.id == principal_enterprise_id:
        raise errors.delegation_invalid("agent_code", agent_code, "An enterprise needs no delegation to itself.")
    unknown = [t for t in message_types if t not in DELEGABLE]
    if unknown or not message_types:
        raise errors.delegation_invalid("message_types", unknown or message_types,
                                        "Choose among CEB311, CEB411, CEB511, CEB513, CEB621, CEB623, CEB625.")
    start = valid_from or utcnow()
    if valid_to is not None and valid_to <= start:
        raise errors.delegation_invalid("valid_to", valid_to.isoformat(), "The end must come after the start.")
    d = Delegation(principal_enterprise_id=principal_enterprise_id, agent_enterprise_id=agent.id,
                   message_types=sorted(set(message_types)), valid_from=start, valid_to=valid_to, note=note,
                   created_by=actor)
    session.add(d)
    session.flush()
    principal = session.get(Enterprise, principal_enterprise_id)
    audit.record(session=session, action="import:delegation:grant", stream=principal.stream, actor=actor,
                 subject_id=str(d.id), after=_snapshot(d))
    return d


def revoke(*, session: Session, principal_enterprise_id: int, delegation_id: int, actor: str) -> Delegation:
    """Revoke one of the principal's delegations (idempotent)."""
    d = session.get(Delegation, delegation_id)
    if d is None or d.principal_enterprise_id != principal_enterprise_id:
        raise errors.delegation_not_found(delegation_id)
    if d.revoked_at is None:
        before = _snapshot(d)
        d.revoked_at = utcnow()
        d.revoked_by = actor
        session.flush()
        principal = session.get(Enterprise, principal_enterprise_id)
        audit.record(session=session, action="import:delegation:revoke", stream=principal.stream, actor=actor,
                     subject_id=str(d.id), before=before, after=_snapshot(d))
    return d


def listing(*, session: Session, enterprise_id: int) -> list[Delegation]:
    """Delegations the enterprise granted or received, newest first."""
    return list(session.scalars(select(Delegation).where(
        or_(Delegation.principal_enterprise_id == enterprise_id, Delegation.agent_enterprise_id == enterprise_id))
        .order_by(Delegation.id.desc())))


def allows(*, session: Session, principal_enterprise_id: int, agent_enterprise_id: int, message_type: str,
           at: datetime) -> bool:
    """Whether a live delegation lets the agent transmit ``message_type`` for the principal at ``at``."""
    rows = session.scalars(select(Delegation).where(
        Delegation.principal_enterprise_id == principal_enterprise_id,
        Delegation.agent_enterprise_id == agent_enterprise_id, Delegation.revoked_at.is_(None),
        Delegation.valid_from <= at, or_(Delegation.valid_to.is_(None), Delegation.valid_to > at)))
    return any(message_type in (d.message_types or []) for d in rows)
