"""HTML page of export tax rebate support (``/rebate``): the enterprise's class history, its claims with the
statutory and target dates and their state, and forms to record a class and a claim."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.errors import AppError
from kuajing.fx import api as fx_api
from kuajing.fx.pages import _actor, _ctx, _form, _problem
from kuajing.rebate import api, calc, service
from kuajing.rebate.choices import BusinessType, ClaimStatus, PaperDocument, RebateClass
from kuajing.rebate.schemas import ClaimCreate, ClassIn
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()


def _page(request, session, principal, locale, *, error=None, status_code=200, form=None):
    ctx = _ctx(request, classes=[], claims=[], error=error, form=form or {}, rebate_classes=list(RebateClass),
               types=list(BusinessType), statuses={s.value: s for s in ClaimStatus},
               documents={d.value: d for d in PaperDocument}, can_act=principal.has_role(*api.ACTORS),
               sla=lambda c: calc.sla(statutory_due=c.statutory_due, target_due=c.target_due, decided_on=c.decided_on,
                                      today=fx_api.today(request)))
    try:
        ent = fx_api.scope(principal, None)
        if ent is not None:
            ctx["classes"] = service.classes(session=session, enterprise_id=ent)
        ctx["claims"] = service.claims(session=session, enterprise_id=ent)
    except AppError as exc:
        ctx["error"], status_code = _problem(exc, locale)
    return render(request, "rebate/templates/claims.html", ctx, status_code=status_code)


@router.get("/rebate", response_class=HTMLResponse)
def rebate_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                locale: str = Depends(get_locale)) -> HTMLResponse:
    """Class history and claims of the caller's enterprise."""
    return _page(request, session, principal, locale)


@router.post("/rebate/classes", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def class_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                     locale: str = Depends(get_locale)) -> HTMLResponse:
    """Record the enterprise's class from a date."""
    form = await _form(request)
    try:
        _actor(principal)
        body = ClassIn.model_validate({"rebate_class": form.get("rebate_class"), "valid_from": form.get("valid_from"),
                                       "basis": form.get("basis") or None})
        api.set_class(body, session, principal, locale)
    except (AppError, ValidationError) as exc:
        session.rollback()
        error, status = _problem(exc, locale)
        return _page(request, session, principal, locale, error=error, status_code=status, form=form)
    return RedirectResponse("/rebate", status_code=303)


@router.post("/rebate/claims", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def claim_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                     locale: str = Depends(get_locale)) -> HTMLResponse:
    """Track a claim the tax office accepted."""
    form = await _form(request)
    try:
        _actor(principal)
        body = ClaimCreate.model_validate({
            "claim_no": form.get("claim_no"), "accepted_on": form.get("accepted_on"), "amount": form.get("amount"),
            "business_type": form.get("business_type") or "normal", "booking_note": form.get("booking_note") or None})
        api.create_claim(request, body, session, principal, locale)
    except (AppError, ValidationError) as exc:
        session.rollback()
        error, status = _problem(exc, locale)
        return _page(request, session, principal, locale, error=error, status_code=status, form=form)
    return RedirectResponse("/rebate", status_code=303)
