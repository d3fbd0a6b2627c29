"""JSON API of enterprise filing and the registry (``/api/v1/enterprises``)."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Path, Query
from sqlalchemy.orm import Session

from kuajing.accounts.deps import Principal, current_principal
from kuajing.db.types import mask_phone
from kuajing.enterprises import service
from kuajing.enterprises.choices import EnterpriseRole, EnterpriseStatus, ReviewAction
from kuajing.enterprises.models import Enterprise
from kuajing.enterprises.schemas import (
    EnterpriseCreate,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseUpdate,
    ReviewRequest,
    Timeline,
    TimelineEvent,
)
from kuajing.i18n import gettext
from kuajing.web.deps import get_locale, get_session, get_settings

router = APIRouter(prefix="/api/v1", tags=["enterprises"])

EnterpriseId = Path(..., ge=1, le=2_147_483_647, description="The enterprise's id")


def zone_of(settings) -> service.ZoneConfig:
    """The zone's reference lists for these settings."""
    return service.zone_config(var_dir=settings.var_dir)


def to_read(enterprise: Enterprise, *, principal, locale: str) -> EnterpriseRead:
    """The API shape of a filing for ``principal``."""
    return EnterpriseRead(
        id=enterprise.id, uscc=enterprise.uscc, customs_code=enterprise.customs_code, dxp_id=enterprise.dxp_id,
        customs_office=enterprise.customs_office, name_zh=enterprise.name_zh, name_en=enterprise.name_en,
        roles=enterprise.roles, district=enterprise.district, park=enterprise.park, industry=enterprise.industry,
        contact_name=enterprise.contact_name, contact_phone_masked=mask_phone(enterprise.contact_phone),
        address=enterprise.address, status=enterprise.status,
        status_label=EnterpriseStatus(enterprise.status).display(locale), review_note=enterprise.review_note,
        review_issues=list(enterprise.review_issues or []), submitted_at=enterprise.submitted_at,
        approved_at=enterprise.approved_at, status_changed_at=enterprise.status_changed_at,
        created_at=enterprise.created_at, updated_at=enterprise.updated_at,
        allowed_actions=service.actions_for(principal=principal, enterprise=enterprise),
    )


def event_label(action: str, locale: str) -> str:
    """The translated label of an audit action of this domain (other actions as they are)."""
    name = action.removeprefix(service.ACTION_PREFIX)
    try:
        return ReviewAction(name).display(locale)
    except ValueError:
        return action


@router.get("/enterprises", response_model=EnterprisePage, summary="Search the enterprise registry (企业库)")
def list_enterprises(
    q: str | None = Query(None, max_length=100, description="name, USCC or customs code (prefix)"),
    role: EnterpriseRole | None = Query(None),
    district: str | None = Query(None, max_length=12),
    park: str | None = Query(None, max_length=40),
    status: EnterpriseStatus | None = Query(None),
    industry: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(25, ge=1, le=100),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    locale: str = Depends(get_locale),
) -> EnterprisePage:
    """Zone-wide roles search every filing; an enterprise's users and keys find only their own."""
    params = service.RegistryQuery(q=q, role=role and role.value, district=district, park=park,
                                   status=status and status.value, industry=industry, page=page, per_page=per_page)
    only_id = None if principal.is_zone_wide else (principal.enterprise_id or -1)
    rows, total, counts = service.search(session=session, params=params, only_id=only_id)
    return EnterprisePage(items=[to_read(e, principal=principal, locale=locale) for e in rows], total=total,
                          page=page, per_page=per_page, counts=counts)


@router.post("/enterprises", response_model=EnterpriseRead, status_code=201, summary="Create a draft filing")
def create_enterprise(
    body: EnterpriseCreate,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    settings=Depends(get_settings),
    locale: str = Depends(get_locale),
) -> EnterpriseRead:
    """The zone operator opens the filing (USCC and name at least) and then creates the enterprise's
    administrator account, who completes and submits it."""
    service.ensure_may(principal=principal, enterprise=None, action=ReviewAction.create)
    enterprise = service.create_draft(session=session, data=body.model_dump(exclude_unset=True),
                                      actor=principal.actor, zone=zone_of(settings))
    return to_read(enterprise, principal=principal, locale=locale)


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseRead, summary="One filing")
def get_enterprise(
    enterprise_id: int = EnterpriseId,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    locale: str = Depends(get_locale),
) -> EnterpriseRead:
    """The filing, if the caller may see it (404 otherwise)."""
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    return to_read(enterprise, principal=principal, locale=locale)


@router.patch("/enterprises/{enterprise_id}", response_model=EnterpriseRead, summary="Edit a draft or returned filing")
def update_enterprise(
    body: EnterpriseUpdate,
    enterprise_id: int = EnterpriseId,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    settings=Depends(get_settings),
    locale: str = Depends(get_locale),
) -> EnterpriseRead:
    """Only the fields sent change; ``null`` clears an optional field."""
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    service.ensure_may(principal=principal, enterprise=enterprise, action=ReviewAction.update)
    service.update_filing(session=session, enterprise=enterprise, data=body.model_dump(exclude_unset=True),
                          actor=principal.actor, zone=zone_of(settings))
    return to_read(enterprise, principal=principal, locale=locale)


def _act(action: ReviewAction, enterprise_id: int, body: ReviewRequest | None, principal: Principal,
         session: Session, locale: str) -> EnterpriseRead:
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    service.ensure_may(principal=principal, enterprise=enterprise, action=action)
    body = body or ReviewRequest()
    service.transition(session=session, enterprise=enterprise, action=action, actor=principal.actor,
                       reason=body.reason, field_reasons=[r.model_dump() for r in body.field_reasons])
    return to_read(enterprise, principal=principal, locale=locale)


def _action_route(action: ReviewAction, summary: str, doc: str):
    def endpoint(
        enterprise_id: int = EnterpriseId,
        body: ReviewRequest | None = Body(None),
        principal: Principal = Depends(current_principal),
        session: Session = Depends(get_session, scope="function"),
        locale: str = Depends(get_locale),
    ) -> EnterpriseRead:
        return _act(action, enterprise_id, body, principal, session, locale)

    endpoint.__name__ = f"{action.value}_enterprise"
    endpoint.__doc__ = doc
    router.add_api_route(f"/enterprises/{{enterprise_id}}/{action.value}", endpoint, methods=["POST"],
                         response_model=EnterpriseRead, summary=summary)


_action_route(ReviewAction.submit, "Submit (or resubmit) the filing",
              "Enterprise administrator: draft → submitted, or returned → submitted (resubmission).")
_action_route(ReviewAction.approve, "Approve the filing", "Zone operator: submitted → approved.")
_action_route(ReviewAction.return_, "Return the filing for correction",
              "Zone operator: submitted → returned, with a reason and/or per-field reasons.")
_action_route(ReviewAction.suspend, "Suspend the enterprise", "Zone operator: approved → suspended (reason required).")
_action_route(ReviewAction.reinstate, "Reinstate the enterprise", "Zone operator: suspended → approved.")
_action_route(ReviewAction.revoke, "Revoke the filing",
              "Zone operator: approved or suspended → revoked (final; reason required).")


@router.get("/enterprises/{enterprise_id}/timeline", response_model=Timeline, summary="Everything that happened to it")
def enterprise_timeline(
    enterprise_id: int = EnterpriseId,
    limit: int = Query(100, ge=1, le=500),
    before_id: int | None = Query(None, ge=1, le=2**62),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
    locale: str = Depends(get_locale),
) -> Timeline:
    """The audit events of the enterprise's stream, newest first (全程跟踪)."""
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    events = service.timeline(session=session, enterprise=enterprise, limit=limit, before_id=before_id)
    items = [TimelineEvent(id=e.id, seq=e.seq, action=e.action, label=event_label(e.action, locale), actor=e.actor,
                           at=e.at, before=e.before, after=e.after) for e in events]
    return Timeline(items=items, next_before_id=items[-1].id if len(items) == limit else None)


@router.get("/zone", summary="The zone's districts, parks, industries, roles and statuses", tags=["reference"])
def zone_reference(settings=Depends(get_settings), locale: str = Depends(get_locale)) -> dict:
    """Public reference lists used by the filing (codes with names in the request's language)."""
    zone = zone_of(settings)
    return {
        "districts": [{"code": d.code, "name": d.name(locale)} for d in zone.districts.values()],
        "parks": [{"code": p.code, "name": p.name(locale), "district": p.district} for p in zone.parks.values()],
        "industries": [{"code": i.code, "name": i.name(locale)} for i in zone.industries.values()],
        "roles": [{"code": r.value, "name": r.display(locale)} for r in EnterpriseRole],
        "statuses": [{"code": s.value, "name": s.display(locale), "colour": s.colour} for s in EnterpriseStatus],
    }


__all__ = ["gettext", "router"]
