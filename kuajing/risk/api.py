"""JSON API of risk prevention (``/api/v1/risk``) and the data-export log (``/api/v1/data-export``).

Alerts, the blacklist and the data-export log are for the commerce bureau and the platform operator (the
auditor reads). Credit grades: zone-wide roles see every enterprise's; an enterprise sees its own only.
Buyer ID numbers are never returned unmasked."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import select

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_roles
from kuajing.db.base import utcnow
from kuajing.enterprises.models import Enterprise
from kuajing.errors import Forbidden
from kuajing.risk import dataexport, service
from kuajing.risk.choices import AlertStatus, RuleCode
from kuajing.risk.schemas import AlertActionIn, BlacklistIn, BlacklistRemoveIn, TransferIn
from kuajing.web.deps import DbSession, get_locale

router = APIRouter(tags=["risk"])

#: who acts on alerts, the blacklist and the data-export log
ACTORS = (Role.commerce_supervisor, Role.zone_operator)
#: who reads them
READERS = (*ACTORS, Role.auditor)
AlertId = Path(..., ge=1, le=2**53, description="risk alert id")
EntryId = Path(..., ge=1, le=2**53, description="blacklist entry id")


def today() -> date:
    """Today's business date (Asia/Shanghai)."""
    return service.local_date(utcnow())


@router.get("/api/v1/risk/summary", summary="Risk alerts of a period (dashboard and bulletin)")
def risk_summary(session: DbSession, start: date, end: date, district: Annotated[str | None, Query(max_length=12)] = None,
                 _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """``{alerts_open, alerts_by_rule, top[{rule, subject (masked), opened_at, status}]}`` for alerts opened
    from ``start`` to ``end`` (inclusive, Asia/Shanghai), optionally of one district."""
    return service.summary(session=session, start=start, end=end, district=district)


@router.get("/api/v1/risk/alerts", summary="List risk alerts")
def list_alerts(session: DbSession, status: Annotated[AlertStatus | None, Query()] = None,
                rule: Annotated[RuleCode | None, Query()] = None,
                district: Annotated[str | None, Query(max_length=12)] = None,
                start: date | None = None, end: date | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
                _: Principal = Depends(require_roles(*READERS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Alerts, newest first, with filters; subjects masked."""
    rows, total = service.list_alerts(session=session, params=service.AlertQuery(
        status=status, rule=rule, district=district, start=start, end=end, limit=limit, offset=offset))
    return {"total": total, "items": [service.alert_json(a, locale) for a in rows]}


@router.get("/api/v1/risk/alerts/{alert_id}", summary="One risk alert with its workflow steps")
def get_alert(session: DbSession, alert_id: int = AlertId, _: Principal = Depends(require_roles(*READERS)),
              locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The alert, the figures it fired on and every workflow step."""
    alert = service.get_alert(session=session, alert_id=alert_id)
    return {**service.alert_json(alert, locale),
            "steps": [{"action": s.action, "from": s.from_status, "to": s.to_status, "note": s.note, "actor": s.actor,
                       "at": s.at.isoformat()} for s in service.steps(session=session, alert_id=alert_id)]}


@router.post("/api/v1/risk/alerts/{alert_id}/investigate", summary="Start investigating an alert")
def investigate(session: DbSession, body: AlertActionIn | None = None, alert_id: int = AlertId,
                principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """open → investigating (audited)."""
    alert = service.transition(session=session, alert_id=alert_id, action="investigate", actor=principal.actor,
                               note=body.note if body else None)
    return service.alert_json(alert, locale)


@router.post("/api/v1/risk/alerts/{alert_id}/close", summary="Close an alert with a note")
def close(session: DbSession, body: AlertActionIn, alert_id: int = AlertId,
          principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """open or investigating → closed; a note is required (422 ``risk_alert_note_required``); outcome
    confirmed (counts in the credit grade) or dismissed."""
    alert = service.transition(session=session, alert_id=alert_id, action="close", actor=principal.actor,
                               note=body.note, outcome=body.outcome)
    return service.alert_json(alert, locale)


@router.post("/api/v1/risk/scan", summary="Run the risk rules now")
def scan(session: DbSession, days: Annotated[int, Query(ge=1, le=366)] = 30,
         _: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """Evaluate every list declared in the last ``days`` days (alerts stay idempotent)."""
    from datetime import timedelta

    done = service.scan(session=session, since=utcnow() - timedelta(days=days))
    return {"enqueued": done.enqueued, "processed": done.processed, "alerts": done.alerts}


# --- blacklist -----------------------------------------------------------------------------------------------


@router.get("/api/v1/risk/blacklist", summary="The blacklist")
def get_blacklist(session: DbSession, include_removed: bool = False,
                  _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """Blacklisted enterprises and buyer IDs (masked), with reasons."""
    return {"items": [service.blacklist_json(e) for e in service.blacklist(session=session,
                                                                           include_removed=include_removed)]}


@router.post("/api/v1/risk/blacklist", status_code=201, summary="Blacklist an enterprise or a buyer ID")
def add_blacklist(session: DbSession, body: BlacklistIn,
                  principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """Exactly one of ``enterprise_id`` and ``buyer_id_number``, and a reason (audited)."""
    entry = service.blacklist_add(session=session, actor=principal.actor, reason=body.reason,
                                  enterprise_id=body.enterprise_id, buyer_id_number=body.buyer_id_number)
    return service.blacklist_json(entry)


@router.post("/api/v1/risk/blacklist/{entry_id}/remove", summary="Take an entry off the blacklist")
def remove_blacklist(session: DbSession, body: BlacklistRemoveIn, entry_id: int = EntryId,
                     principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """The entry stays, marked removed with the reason (audited)."""
    return service.blacklist_json(service.blacklist_remove(session=session, entry_id=entry_id, actor=principal.actor,
                                                           reason=body.reason))


# --- credit grades ----------------------------------------------------------------------------------------------


@router.get("/api/v1/risk/credit", summary="Credit grades")
def credit_grades(session: DbSession, principal: Principal = Depends(current_principal),
                  locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Zone-wide roles: every approved enterprise's grade; an enterprise: its own only."""
    if principal.is_zone_wide:
        ids = list(session.scalars(select(Enterprise.id).where(Enterprise.status == "approved")
                                   .order_by(Enterprise.id)))
    elif principal.enterprise_id is not None:
        ids = [principal.enterprise_id]
    else:
        ids = []
    return {"items": [service.grade_json(service.grade(session=session, enterprise_id=i, on=today()), locale)
                      for i in ids]}


@router.get("/api/v1/risk/credit/{enterprise_id}", summary="One enterprise's credit grade with its explanation")
def credit_grade(session: DbSession, enterprise_id: int = Path(..., ge=1, le=2_147_483_647),
                 principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The grade over the last 365 days with each factor's figures and points; the stored history.
    An enterprise may read its own grade only (403 otherwise)."""
    if not principal.can_see_enterprise(enterprise_id):
        raise Forbidden()
    data = service.grade_json(service.grade(session=session, enterprise_id=enterprise_id, on=today()), locale)
    data["history"] = [{"graded_on": r.graded_on.isoformat(), "grade": r.grade, "score": format(r.score, "f")}
                       for r in service.grade_history(session=session, enterprise_id=enterprise_id)]
    return data


@router.post("/api/v1/risk/credit/record", summary="Store today's grade of every approved enterprise")
def record_credit(session: DbSession, principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """Idempotent per day; audited."""
    return {"recorded": service.record_grades(session=session, on=today(), actor=principal.actor)}


# --- personal data leaving China (数据出境) --------------------------------------------------------------------


@router.get("/api/v1/data-export/summary", summary="Personal data exported abroad: the year's counters")
def data_export_summary(session: DbSession, year: Annotated[int, Query(ge=2000, le=2100)],
                        _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """``{year, transfers, individuals_non_exempt, individuals_sensitive, thresholds, alerts}``: distinct
    individuals of the year's non-exempt transfers against the CAC thresholds in force (R11.5)."""
    return dataexport.year_summary(session=session, year=year)


@router.get("/api/v1/data-export/transfers", summary="The data-export log of a year")
def data_export_transfers(session: DbSession, year: Annotated[int, Query(ge=2000, le=2100)],
                          limit: Annotated[int, Query(ge=1, le=500)] = 100,
                          offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
                          _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """Every logged transfer (recipient, country, categories, basis, exempt, number of individuals)."""
    rows, total = dataexport.transfers(session=session, year=year, limit=limit, offset=offset)
    return {"total": total, "items": [dataexport.transfer_json(t) for t in rows]}


@router.post("/api/v1/data-export/transfers", status_code=201, summary="Log a transfer of personal data abroad")
def log_transfer(request: Request, session: DbSession, body: TransferIn,
                 principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """Logged with its legal basis; individuals hashed; counts checked against the thresholds (alerts)."""
    transfer = dataexport.record_transfer(
        session=session, reference=body.reference, recipient=body.recipient, country=body.country,
        categories=body.categories, legal_basis=body.legal_basis, purpose=body.purpose,
        individuals=body.individuals, actor=principal.actor, transferred_at=body.transferred_at,
        sensitive=body.sensitive, enterprise_id=body.enterprise_id)
    return dataexport.transfer_json(transfer)
