"""HTML pages: the monthly summary wizard (``/export-summary``) and the no-invoice register (``/no-invoice-register``).

The wizard previews the groups and the deadline of a month, confirms them (one application per group),
sends drafts to customs and shows the reminders; the register page lists the entries, links the Excel/CSV
exports and estimates the corporate income tax. Form posts carry the CSRF token; errors are shown in place.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.errors import AppError
from kuajing.export_summary import service
from kuajing.export_summary.api import ACTORS, scope, today
from kuajing.export_summary.choices import (
    EXCLUSION_REASONS,
    INELIGIBILITY_REASONS,
    RELIEF_REASONS,
    ApplicationStatus,
    EntryKind,
)
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()


def _previous_month(day: date) -> str:
    first = day.replace(day=1)
    return service.month_label(date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1))


def _wizard(request: Request, session, principal: Principal, *, month: str, enterprise_id: int | None,
            locale: str, error: str | None = None, status_code: int = 200, notice: str | None = None) -> HTMLResponse:
    ctx = {"month": month, "enterprise_id": enterprise_id or "", "error": error, "notice": notice, "view": None,
           "statuses": {s.value: s for s in ApplicationStatus}, "reasons": EXCLUSION_REASONS,
           "csrf_token": getattr(request.state, "csrf_token", ""), "can_act": principal.has_role(*ACTORS),
           "reminders": [], "fmt": lambda d: format(d, "f")}
    try:
        ent = scope(principal, enterprise_id)
        if ent is not None:
            ctx["view"] = service.preview(session=session, enterprise_id=ent, month=service.parse_month(month),
                                          today=today(request))
            ctx["reminders"] = service.reminders(session=session, enterprise_id=ent)
            ctx["enterprise_id"] = ent
    except AppError as exc:
        ctx["error"] = exc.to_problem(locale).get("detail")
        status_code = exc.status
    return render(request, "export_summary/templates/wizard.html", ctx, status_code=status_code)


@router.get("/export-summary", response_class=HTMLResponse)
def wizard(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
           month: str | None = Query(None, max_length=7), enterprise_id: int | None = Query(None, ge=1, le=2_147_483_647),
           locale: str = Depends(get_locale)) -> HTMLResponse:
    """Preview of a month (default: last month) for the caller's enterprise (zone-wide roles pick one)."""
    return _wizard(request, session, principal, month=month or _previous_month(today(request)),
                   enterprise_id=enterprise_id, locale=locale)


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@router.post("/export-summary/confirm", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def confirm_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                       locale: str = Depends(get_locale)) -> HTMLResponse:
    """Confirm the previewed month: one application per group."""
    form = await _form(request)
    month, ent = form.get("month", ""), _int(form.get("enterprise_id"))
    try:
        if not principal.has_role(*ACTORS):
            from kuajing.errors import Forbidden

            raise Forbidden()
        target = scope(principal, ent, required=True)
        service.confirm(session=session, enterprise_id=target, month=service.parse_month(month),
                        today=today(request), actor=principal.actor)
    except AppError as exc:
        session.rollback()
        return _wizard(request, session, principal, month=month, enterprise_id=ent, locale=locale,
                       error=exc.to_problem(locale).get("detail"), status_code=exc.status)
    return RedirectResponse(f"/export-summary?month={month}&enterprise_id={target}", status_code=303)


@router.post("/export-summary/submit", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def submit_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                      locale: str = Depends(get_locale)) -> HTMLResponse:
    """Send a draft application (CEB701) to customs."""
    form = await _form(request)
    month, ent = form.get("month", ""), _int(form.get("enterprise_id"))
    try:
        if not principal.has_role(*ACTORS):
            from kuajing.errors import Forbidden

            raise Forbidden()
        app = service.submit(session=session, application_id=_int(form.get("application_id")) or 0,
                             visible_to=None if principal.is_zone_wide else (principal.enterprise_id or -1),
                             actor=principal.actor,
                             sender_dxp_id=request.app.state.settings.customs_dxp_sender_id)
    except AppError as exc:
        session.rollback()
        return _wizard(request, session, principal, month=month, enterprise_id=ent, locale=locale,
                       error=exc.to_problem(locale).get("detail"), status_code=exc.status)
    return RedirectResponse(f"/export-summary?month={service.month_label(app.month)}&enterprise_id={app.enterprise_id}",
                            status_code=303)


@router.get("/no-invoice-register", response_class=HTMLResponse)
def register_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                  enterprise_id: int | None = Query(None, ge=1, le=2_147_483_647),
                  date_from: str | None = Query(None, max_length=10), date_to: str | None = Query(None, max_length=10),
                  year: int | None = Query(None, ge=2000, le=2100), employees: str | None = Query(None, max_length=9),
                  assets: str | None = Query(None, max_length=20),
                  locale: str = Depends(get_locale)) -> HTMLResponse:
    """The register of the caller's enterprise (zone-wide: all or one), its exports and the CIT estimate."""
    ctx: dict = {"entries": [], "total": 0, "error": None, "estimate": None, "kinds": {k.value: k for k in EntryKind},
                 "ineligible": INELIGIBILITY_REASONS, "relief": RELIEF_REASONS, "enterprise_id": enterprise_id or "",
                 "date_from": date_from or "", "date_to": date_to or "", "year": year or today(request).year,
                 "employees": employees or "", "assets": assets or "", "fmt": lambda d: format(d, "f"), "query": ""}
    status_code = 200
    try:
        ent = scope(principal, enterprise_id)
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
        ctx["entries"], ctx["total"] = service.register(session=session, enterprise_id=ent, date_from=start,
                                                        date_to=end, limit=200)
        params = [f"{k}={v}" for k, v in (("enterprise_id", ent), ("date_from", date_from), ("date_to", date_to)) if v]
        ctx["query"] = "&".join(params)
        if ent is not None and year:
            staff = int(employees) if employees else None
            worth = Decimal(assets) if assets else None
            ctx["estimate"] = service.cit_estimate(session=session, enterprise_id=ent, year=year, employees=staff,
                                                   assets=worth)
    except AppError as exc:
        ctx["error"], status_code = exc.to_problem(locale).get("detail"), exc.status
    except (ValueError, InvalidOperation):
        from kuajing.i18n import gettext

        ctx["error"], status_code = gettext("Dates look like 2026-01-31; head count and assets are numbers.",
                                            locale), 422
    return render(request, "export_summary/templates/register.html", ctx, status_code=status_code)
