"""JSON API of the monthly summary (``/api/v1/export-summary``) and the no-invoice register
(``/api/v1/no-invoice-register``). Enterprise callers see and act for their own enterprise only; zone-wide
roles for any. The register has NO update or delete route: a correction is a new entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_roles
from kuajing.db.base import utcnow
from kuajing.errors import AppError, Forbidden
from kuajing.export_summary import calc, service
from kuajing.export_summary.choices import (
    EXCLUSION_REASONS,
    INELIGIBILITY_REASONS,
    RELIEF_REASONS,
    ApplicationStatus,
    EntryKind,
    SummaryMode,
)
from kuajing.export_summary.schemas import MONTH, ConfirmIn, CorrectionIn, EligibilityIn, ModeIn
from kuajing.i18n import gettext
from kuajing.web.deps import DbSession, get_locale, get_settings

router = APIRouter(tags=["export summary"])

#: who may act (confirm, submit, set the mode, correct the register): the enterprise's people and the operator
ACTORS = (Role.enterprise_user, Role.enterprise_admin, Role.zone_operator)
ApplicationId = Path(..., ge=1, le=2**53, description="summary application id")


def scope(principal: Principal, enterprise_id: int | None, *, required: bool = False) -> int | None:
    """The enterprise the call is about: one's own (another → 403); zone-wide roles name one (or all)."""
    if principal.is_zone_wide:
        if required and enterprise_id is None:
            from kuajing.errors import FieldIssue, validation_error

            raise validation_error([FieldIssue("field_required", "enterprise_id", "This field is required.")])
        return enterprise_id
    if principal.enterprise_id is None or (enterprise_id is not None and enterprise_id != principal.enterprise_id):
        raise Forbidden()
    return principal.enterprise_id


def today(request: Request) -> date:
    """Today's business date (Asia/Shanghai)."""
    return utcnow().astimezone(get_settings(request).tz).date()


def _money(value: Decimal) -> str:
    """A decimal string with the scale of the CEB N19,5 fields, trailing zeros cut down to two decimals."""
    text = format(value.quantize(Decimal("0.00001")), "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac:0<2}"


def application_json(app, locale: str) -> dict[str, Any]:
    """An application as JSON."""
    status = ApplicationStatus(app.status)
    return {
        "id": app.id, "enterprise_id": app.enterprise_id, "month": service.month_label(app.month), "mode": app.mode,
        "revision": app.revision, "keys": {k: getattr(app, k) for k in calc.GROUP_KEYS},
        "list_count": app.list_count, "line_count": app.line_count, "total_amount": _money(app.total_amount),
        "deadline": app.deadline, "status": status.value, "status_label": status.display(locale),
        "cop_no": app.cop_no, "customs_code": app.customs_code, "pre_no": app.pre_no, "sum_no": app.sum_no,
        "customs_status": app.customs_status, "customs_info": app.customs_info, "results": app.results or [],
        "submitted_at": app.submitted_at, "result_at": app.result_at,
    }


def group_json(group: calc.SummaryGroup) -> dict[str, Any]:
    """A previewed group as JSON."""
    return {"keys": group.keys, "key_hash": group.key_hash, "list_nos": list(group.list_nos),
            "line_count": len(group.lines), "total_amount": _money(group.total_amount),
            "total_quantity": {u: _money(q) for u, q in group.total_quantity.items()}}


def preview_json(view: service.Preview, locale: str) -> dict[str, Any]:
    """The wizard's preview as JSON."""
    reasons: dict[str, int] = {}
    for _line, why in view.excluded:
        reasons[why] = reasons.get(why, 0) + 1
    return {
        "enterprise_id": view.enterprise_id, "month": service.month_label(view.month), "mode": view.mode.value,
        "mode_label": view.mode.display(locale), "deadline": view.deadline, "month_closed": view.month_closed,
        "groups": [group_json(g) for g in view.groups],
        "excluded": [{"reason": k, "label": gettext(EXCLUSION_REASONS[k], locale), "lines": n}
                     for k, n in sorted(reasons.items())],
        "applications": [application_json(a, locale) for a in view.applications],
    }


# --- monthly summary --------------------------------------------------------------------------------------


@router.get("/api/v1/export-summary/preview", summary="Preview a month's summary groups and deadline")
def preview(request: Request, session: DbSession, month: Annotated[str, Query(pattern=MONTH)],
            enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
            principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The groups (eight keys) of the month's released retail-export lines not yet summarised, the deadline
    (15th of the next month, next working day) and the applications already recorded."""
    ent = scope(principal, enterprise_id, required=True)
    try:
        view = service.preview(session=session, enterprise_id=ent, month=service.parse_month(month),
                               today=today(request))
    except AppError as exc:
        if exc.code == "rule_not_in_force":  # the rule's date comes from the month asked for: name that field
            for issue in exc.errors:
                issue.path = "month"
        raise
    return preview_json(view, locale)


@router.post("/api/v1/export-summary/applications", status_code=201, summary="Confirm a month's summary")
def confirm(request: Request, body: ConfirmIn, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
            locale: str = Depends(get_locale)) -> dict[str, Any]:
    """One application per group (draft; statistics records in summary-statistics mode). The month must be over."""
    ent = scope(principal, body.enterprise_id, required=True)
    apps = service.confirm(session=session, enterprise_id=ent, month=service.parse_month(body.month),
                           today=today(request), actor=principal.actor)
    return {"items": [application_json(a, locale) for a in apps], "total": len(apps)}


@router.get("/api/v1/export-summary/applications", summary="Summary applications")
def applications(session: DbSession, principal: Principal = Depends(current_principal),
                 enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                 month: Annotated[str | None, Query(pattern=MONTH)] = None,
                 status: Annotated[ApplicationStatus | None, Query()] = None,
                 locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Applications of the caller's enterprise (zone-wide roles: all, or one with ``enterprise_id``)."""
    ent = scope(principal, enterprise_id)
    rows = service.applications(session=session, enterprise_id=ent,
                                month=service.parse_month(month) if month else None,
                                status=status.value if status else None)
    return {"items": [application_json(a, locale) for a in rows], "total": len(rows)}


@router.get("/api/v1/export-summary/applications/{application_id}", summary="One summary application")
def application(session: DbSession, application_id: int = ApplicationId,
                principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The application with its lists and lines."""
    app = service.application(session=session, application_id=application_id,
                              visible_to=None if principal.is_zone_wide else (principal.enterprise_id or -1))
    out = application_json(app, locale)
    out["lines"] = [{"list_no": x.list_no, "gnum": x.gnum, "goods_name": x.goods_name, "unit": x.unit,
                     "quantity": _money(x.quantity), "amount": _money(x.amount),
                     "release_date": x.release_day()}
                    for x in service.application_lines(session=session, application_id=app.id)]
    return out


@router.post("/api/v1/export-summary/applications/{application_id}/submit", summary="Send the CEB701 to customs")
def submit(request: Request, session: DbSession, application_id: int = ApplicationId,
           principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Build the CEB701 summary application and write it to the customs outbox (a retry sends nothing twice)."""
    app = service.submit(session=session, application_id=application_id,
                         visible_to=None if principal.is_zone_wide else (principal.enterprise_id or -1),
                         actor=principal.actor, sender_dxp_id=get_settings(request).customs_dxp_sender_id)
    return application_json(app, locale)


@router.get("/api/v1/export-summary/applications/{application_id}/ceb701.xml", summary="The CEB701 as sent")
def ceb701(session: DbSession, application_id: int = ApplicationId,
           principal: Principal = Depends(current_principal)) -> Response:
    """The CEB701 message bytes stored at submission (404 before)."""
    app = service.application(session=session, application_id=application_id,
                              visible_to=None if principal.is_zone_wide else (principal.enterprise_id or -1))
    if not app.message:
        from kuajing.export_summary import errors

        raise errors.application_not_found(application_id)
    return Response(app.message, media_type="application/xml")


@router.get("/api/v1/export-summary/modes", summary="Summary mode and its history")
def modes(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
          enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
          locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The mode in force this month and every setting, newest first."""
    ent = scope(principal, enterprise_id, required=True)
    current = service.mode_for(session=session, enterprise_id=ent, month=today(request))
    return {"enterprise_id": ent, "mode": current.value, "mode_label": current.display(locale),
            "items": [{"mode": r.mode, "mode_label": SummaryMode(r.mode).display(locale),
                       "effective_from": r.effective_from, "recorded_by": r.recorded_by}
                      for r in service.mode_history(session=session, enterprise_id=ent)]}


@router.post("/api/v1/export-summary/modes", status_code=201, summary="Choose summary declaration or statistics")
def set_mode(body: ModeIn, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
             locale: str = Depends(get_locale)) -> dict[str, Any]:
    """From the first day of a month on; summary statistics (汇总统计) only for enterprises filed with the zone."""
    ent = scope(principal, body.enterprise_id, required=True)
    row = service.set_mode(session=session, enterprise_id=ent, mode=body.mode, effective_from=body.effective_from,
                           actor=principal.actor)
    return {"enterprise_id": ent, "mode": row.mode, "mode_label": SummaryMode(row.mode).display(locale),
            "effective_from": row.effective_from}


@router.get("/api/v1/export-summary/reminders", summary="Deadline reminders")
def reminders(session: DbSession, principal: Principal = Depends(current_principal),
              enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> dict[str, Any]:
    """Reminders raised N working days before the deadline (newest first)."""
    ent = scope(principal, enterprise_id)
    rows = service.reminders(session=session, enterprise_id=ent)
    return {"items": [{"enterprise_id": r.enterprise_id, "month": service.month_label(r.month), "deadline": r.deadline,
                       "remind_on": r.remind_on, "days_before": r.days_before, "open_lines": r.open_lines}
                      for r in rows], "total": len(rows)}


# --- no-invoice register (无票免税) -----------------------------------------------------------------------


def entry_json(e, locale: str) -> dict[str, Any]:
    """A register entry as JSON."""
    return {"id": e.id, "enterprise_id": e.enterprise_id, "kind": e.kind,
            "kind_label": EntryKind(e.kind).display(locale), "corrects_id": e.corrects_id, "list_no": e.list_no,
            "gnum": e.gnum, "export_date": e.export_date, "goods_name": e.goods_name, "unit": e.unit,
            "quantity": _money(e.quantity), "unit_price": _money(e.unit_price), "amount": _money(e.amount),
            "currency": e.currency, "hs_code": e.hs_code, "declare_customs": e.declare_customs,
            "eligible": e.eligible,
            "ineligible_reasons": [{"code": r, "label": gettext(INELIGIBILITY_REASONS[r], locale)}
                                   for r in e.ineligible_reasons],
            "reason": e.reason, "recorded_by": e.recorded_by, "recorded_at": e.recorded_at}


def _entries(session, principal, enterprise_id, date_from, date_to, **page):
    ent = scope(principal, enterprise_id)
    return service.register(session=session, enterprise_id=ent, date_from=date_from, date_to=date_to, **page)


@router.get("/api/v1/no-invoice-register/entries", summary="The no-invoice register (无票免税登记)")
def entries(session: DbSession, principal: Principal = Depends(current_principal),
            enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
            date_from: date | None = None, date_to: date | None = None,
            page: Annotated[int, Query(ge=1, le=100000)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50,
            locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Entries by export date: originals and corrections (each correction names the entry it corrects)."""
    rows, total = _entries(session, principal, enterprise_id, date_from, date_to, limit=page_size,
                           offset=(page - 1) * page_size)
    return {"items": [entry_json(e, locale) for e in rows], "total": total, "page": page, "page_size": page_size}


def _headers(locale: str) -> list[str]:
    return [gettext(label, locale) for _, label in service.REGISTER_COLUMNS]


@router.get("/api/v1/no-invoice-register/entries.csv", summary="The register as CSV for the tax bureau")
def entries_csv(session: DbSession, principal: Principal = Depends(current_principal),
                enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                date_from: date | None = None, date_to: date | None = None,
                locale: str = Depends(get_locale)) -> Response:
    """UTF-8 CSV (with BOM) of every entry of the period."""
    rows, _ = _entries(session, principal, enterprise_id, date_from, date_to)
    return Response(service.register_csv(rows, _headers(locale)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="no-invoice-register.csv"'})


@router.get("/api/v1/no-invoice-register/entries.xlsx", summary="The register as Excel for the tax bureau")
def entries_xlsx(session: DbSession, principal: Principal = Depends(current_principal),
                 enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                 date_from: date | None = None, date_to: date | None = None,
                 locale: str = Depends(get_locale)) -> Response:
    """An XLSX workbook of every entry of the period."""
    rows, _ = _entries(session, principal, enterprise_id, date_from, date_to)
    data = service.register_xlsx(rows, _headers(locale), gettext("No-invoice register", locale))
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="no-invoice-register.xlsx"'})


@router.post("/api/v1/no-invoice-register/corrections", status_code=201, summary="Record a correction")
def correction(body: CorrectionIn, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
               locale: str = Depends(get_locale)) -> dict[str, Any]:
    """A new entry referring to the original; the original is never changed. Same reference = same answer."""
    values = service.Correction(export_date=body.export_date, goods_name=body.goods_name, unit=body.unit,
                                quantity=body.quantity, unit_price=body.unit_price, amount=body.amount)
    entry = service.correct(session=session, original_id=body.original_entry_id,
                            visible_to=None if principal.is_zone_wide else (principal.enterprise_id or -1),
                            values=values, reason=body.reason, reference=body.reference, actor=principal.actor)
    return entry_json(entry, locale)


@router.post("/api/v1/no-invoice-register/eligibility", summary="Check a line against 财税〔2018〕103号")
def eligibility(request: Request, body: EligibilityIn, session: DbSession,
                principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Whether an export line would qualify for the no-invoice exemption, with the reasons it would not."""
    ent = scope(principal, body.enterprise_id, required=True)
    zone = service.is_zone_enterprise(session, {ent})[ent]
    config = service.ZoneConfig.for_zone(get_settings(request).zone_name_zh)
    reasons = service.eligibility_reasons(zone_enterprise=zone, declare_customs=body.declare_customs,
                                          exit_customs=body.exit_customs, hs_code=body.hs_code,
                                          on=body.export_date, config=config)
    return {"eligible": not reasons, "zone_customs": sorted(config.customs),
            "reasons": [{"code": r, "label": gettext(INELIGIBILITY_REASONS[r], locale)} for r in reasons]}


@router.get("/api/v1/no-invoice-register/cit-estimate", summary="Corporate income tax on deemed profit (核定征收)")
def cit_estimate(session: DbSession, year: Annotated[int, Query(ge=2000, le=2100)],
                 principal: Principal = Depends(current_principal),
                 enterprise_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                 employees: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
                 assets: Annotated[Decimal | None, Query(ge=0, le=Decimal("1e15"), decimal_places=2)] = None,
                 revenue: Annotated[Decimal | None, Query(ge=0, le=Decimal("1e15"), decimal_places=2)] = None,
                 locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Revenue (given, or the register's eligible exports in CNY) × 4 %, taxed at 25 % or under the small
    low-profit relief of that year when head count and assets are given and qualify; every rule cited."""
    ent = scope(principal, enterprise_id, required=True)
    view = service.cit_estimate(session=session, enterprise_id=ent, year=year, employees=employees, assets=assets,
                                revenue=revenue)
    e = view.estimate
    return {"enterprise_id": ent, "year": year, "revenue_source": view.revenue_source, "revenue": _money(e.revenue),
            "deemed_rate": _money(e.deemed_rate), "taxable_income": _money(e.taxable_income),
            "standard_rate": _money(e.standard_rate), "standard_tax": _money(e.standard_tax),
            "small_low_profit": e.small_low_profit, "tax": _money(e.tax),
            "bands": [{"income": _money(i), "effective_rate": _money(r), "tax": _money(t)} for i, r, t in e.bands],
            "relief_reasons": [{"code": r, "label": gettext(RELIEF_REASONS[r], locale)} for r in e.relief_reasons],
            "citations": [{"rule": n, "citation": c} for n, c in view.citations]}
