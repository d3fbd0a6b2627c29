"""HTML pages: the registry (/registry), a filing (/enterprises/{id}), the filing form, review actions."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from kuajing.accounts.deps import Principal, current_principal, optional_principal, require_csrf
from kuajing.ceb.codes import table
from kuajing.db.types import mask_phone
from kuajing.enterprises import service
from kuajing.enterprises.api import event_label, zone_of
from kuajing.enterprises.choices import EnterpriseRole, EnterpriseStatus, ReviewAction
from kuajing.enterprises.models import Enterprise
from kuajing.errors import AppError, validation_error
from kuajing.i18n import gettext
from kuajing.web.deps import get_locale, get_session, get_settings
from kuajing.web.render import render

router = APIRouter()

T = "enterprises/templates/"
NO_STORE = {"Cache-Control": "no-store"}
EnterpriseId = Path(..., ge=1, le=2_147_483_647)

#: Customs offices offered in the form: the zone's own district first (Hohhot, 07xx).
def customs_offices() -> list[Any]:
    """Customs offices for the form's list (Hohhot customs district)."""
    return [entry for entry in table("customs_office") if entry.code.startswith("07")]


def _errors(error: AppError, locale: str) -> dict[str, str]:
    """Field path → translated message (errors shown beside each field)."""
    found: dict[str, str] = {}
    for issue in error.errors:
        rendered = issue.render(locale)
        found.setdefault(rendered["path"].split("[")[0] or "_form", rendered["message"])
    if not found:
        problem = error.to_problem(locale)
        found["_form"] = problem.get("detail") or problem["title"]
    return found


def _common(request: Request, settings) -> dict[str, Any]:
    return {"zone": zone_of(settings), "roles": list(EnterpriseRole), "statuses": list(EnterpriseStatus),
            "csrf_token": getattr(request.state, "csrf_token", None), "mask_phone": mask_phone,
            "status_of": EnterpriseStatus, "role_of": EnterpriseRole}


# --- registry ---------------------------------------------------------------------------------------


@router.get("/registry", response_class=HTMLResponse)
def registry(
    request: Request,
    q: str | None = Query(None, max_length=100),
    role: str | None = Query(None, max_length=32),
    district: str | None = Query(None, max_length=12),
    park: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=16),
    industry: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1, le=100_000),
    principal: Principal | None = Depends(optional_principal),
    session: Session = Depends(get_session, scope="function"),
    settings=Depends(get_settings),
):
    """The zone's registry: everything for zone-wide staff; approved enterprises' public fields otherwise."""
    full = principal is not None and principal.is_zone_wide
    status = status if status in EnterpriseStatus.__members__ and full else None
    role = role if role in EnterpriseRole.__members__ else None
    params = service.RegistryQuery(q=q, role=role, district=district or None, park=park or None, status=status,
                                   industry=industry or None, page=page, per_page=25)
    rows, total, counts = service.search(session=session, params=params, public=not full)
    own = None
    if principal is not None and not full and principal.enterprise_id is not None:
        own = session.get(Enterprise, principal.enterprise_id)
    filters = {k: v for k, v in {"q": q, "role": role, "district": district, "park": park, "industry": industry}.items() if v}
    return render(request, T + "registry.html", {
        **_common(request, settings), "rows": rows, "total": total, "counts": counts, "full": full, "own": own,
        "params": params, "pages": max(1, math.ceil(total / params.per_page)),
        "query": lambda **extra: urlencode({**filters, **({"status": status} if status else {}), **extra}),
        "status_query": lambda s: urlencode({**filters, **({"status": s} if s else {})}),
    })


# --- one filing -------------------------------------------------------------------------------------


@router.get("/enterprises/new", response_class=HTMLResponse)
def new_form(request: Request, principal: Principal = Depends(current_principal), settings=Depends(get_settings)):
    """The filing form for a new enterprise."""
    service.ensure_may(principal=principal, enterprise=None, action=ReviewAction.create)
    return _form(request, settings, enterprise=None, values={"roles": []}, errors={})


def _form(request: Request, settings, *, enterprise: Enterprise | None, values: dict[str, Any],
          errors: dict[str, str], status_code: int = 200):
    return render(request, T + "form.html", {
        **_common(request, settings), "enterprise": enterprise, "values": values, "errors": errors,
        "offices": customs_offices(),
    }, status_code=status_code, headers=NO_STORE)


async def _form_data(request: Request) -> dict[str, Any]:
    form = await request.form()
    data: dict[str, Any] = {}
    for key in service.FIELDS:
        if key == "roles":
            data[key] = [v for v in form.getlist("roles") if isinstance(v, str)]
        elif key in form:
            value = form.get(key)
            data[key] = value if isinstance(value, str) else None
    return data


@router.post("/enterprises/new", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def create_from_form(request: Request, principal: Principal = Depends(current_principal),
                           session: Session = Depends(get_session, scope="function"), settings=Depends(get_settings)):
    """Create the draft; on errors show the form again with each message beside its field."""
    service.ensure_may(principal=principal, enterprise=None, action=ReviewAction.create)
    data = await _form_data(request)
    locale = get_locale(request)
    if not data.get("contact_phone"):
        data.pop("contact_phone", None)
    try:
        enterprise = service.create_draft(session=session, data=data, actor=principal.actor, zone=zone_of(settings))
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        session.rollback()
        return _form(request, settings, enterprise=None, values=data, errors=_errors(exc, locale), status_code=422)
    return RedirectResponse(f"/enterprises/{enterprise.id}", status_code=303)


@router.post("/enterprises/validate", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def validate_field(request: Request, field: str = Query(..., max_length=30),
                         enterprise_id: int | None = Query(None, ge=1, le=2_147_483_647),
                         principal: Principal = Depends(current_principal),
                         session: Session = Depends(get_session, scope="function"), settings=Depends(get_settings)):
    """htmx: check one field on change and answer the message to show beside it (empty when fine)."""
    data = await _form_data(request)
    value = data.get(field)
    if field == "contact_phone" and not value:
        return HTMLResponse("")
    issues = service.check_field(session=session, field=field, value=value, zone=zone_of(settings),
                                 exclude_id=enterprise_id)
    if field in ("uscc", "name_zh") and not value:
        issues = issues[:1]
    locale = get_locale(request)
    html = render(request, T + "_field_error.html", {"message": issues[0].render(locale)["message"] if issues else ""})
    return html


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def detail(request: Request, enterprise_id: int = EnterpriseId, principal: Principal = Depends(current_principal),
           session: Session = Depends(get_session, scope="function"), settings=Depends(get_settings)):
    """A filing with its review actions and its timeline (全程跟踪)."""
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    locale = get_locale(request)
    events = service.timeline(session=session, enterprise=enterprise, limit=200)
    return render(request, T + "detail.html", {
        **_common(request, settings), "e": enterprise, "status": EnterpriseStatus(enterprise.status),
        "actions": service.actions_for(principal=principal, enterprise=enterprise),
        "events": [(ev, event_label(ev.action, locale)) for ev in events],
        "office": table("customs_office").get(enterprise.customs_office or ""),
        "flash": request.query_params.get("done"),
    }, headers=NO_STORE)


@router.get("/enterprises/{enterprise_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, enterprise_id: int = EnterpriseId, principal: Principal = Depends(current_principal),
              session: Session = Depends(get_session, scope="function"), settings=Depends(get_settings)):
    """The filing form of a draft or returned filing."""
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    service.ensure_may(principal=principal, enterprise=enterprise, action=ReviewAction.update)
    values = {key: getattr(enterprise, key) for key in service.FIELDS if key != "contact_phone"}
    errors = {i["path"]: i["message"] for i in (enterprise.review_issues or [])}
    return _form(request, settings, enterprise=enterprise, values=values, errors=errors)


@router.post("/enterprises/{enterprise_id}/edit", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def update_from_form(request: Request, enterprise_id: int = EnterpriseId,
                           principal: Principal = Depends(current_principal),
                           session: Session = Depends(get_session, scope="function"), settings=Depends(get_settings)):
    """Save the form; on errors show it again with each message beside its field."""
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    service.ensure_may(principal=principal, enterprise=enterprise, action=ReviewAction.update)
    data = await _form_data(request)
    data.pop("uscc", None)
    if not data.get("contact_phone"):
        data.pop("contact_phone", None)  # blank keeps the stored (masked) number
    try:
        service.update_filing(session=session, enterprise=enterprise, data=data, actor=principal.actor,
                              zone=zone_of(settings))
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        session.rollback()
        values = {**data, "uscc": enterprise.uscc}
        return _form(request, settings, enterprise=enterprise, values=values,
                     errors=_errors(exc, get_locale(request)), status_code=422)
    return RedirectResponse(f"/enterprises/{enterprise.id}?done=update", status_code=303)


@router.post("/enterprises/{enterprise_id}/actions/{action}", response_class=HTMLResponse,
             dependencies=[Depends(require_csrf)])
async def act(request: Request, action: str = Path(..., max_length=20), enterprise_id: int = EnterpriseId,
              principal: Principal = Depends(current_principal), session: Session = Depends(get_session, scope="function"),
              settings=Depends(get_settings)):
    """A review action from the detail page (submit, approve, return, suspend, reinstate, revoke)."""
    enterprise = service.get_visible(session=session, principal=principal, enterprise_id=enterprise_id)
    try:
        chosen = ReviewAction(action)
    except ValueError:
        raise validation_error([service.issue(service.C.transition_not_allowed, "action", action,
                                              current=enterprise.status, action=action)]) from None
    service.ensure_may(principal=principal, enterprise=enterprise, action=chosen)
    form = await request.form()
    reason = form.get("reason")
    field_reasons = []
    for key in service.FIELDS:
        value = form.get(f"field_reason_{key}")
        if isinstance(value, str) and value.strip():
            field_reasons.append({"path": key, "message": value.strip()[:500]})
    try:
        service.transition(session=session, enterprise=enterprise, action=chosen, actor=principal.actor,
                           reason=reason[:2000] if isinstance(reason, str) else None, field_reasons=field_reasons)
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        session.rollback()
        locale = get_locale(request)
        events = service.timeline(session=session, enterprise=enterprise, limit=200)
        return render(request, T + "detail.html", {
            **_common(request, settings), "e": enterprise, "status": EnterpriseStatus(enterprise.status),
            "actions": service.actions_for(principal=principal, enterprise=enterprise),
            "events": [(ev, event_label(ev.action, locale)) for ev in events],
            "office": table("customs_office").get(enterprise.customs_office or ""),
            "action_errors": _errors(exc, locale), "failed_action": chosen.value, "flash": None,
        }, status_code=exc.status, headers=NO_STORE)
    return RedirectResponse(f"/enterprises/{enterprise.id}?done={chosen.value}", status_code=303)


__all__ = ["gettext", "router"]
