"""HTML pages of risk prevention: alerts (``/risk/alerts``) with the workflow, the blacklist
(``/risk/blacklist``), credit grades (``/risk/credit``) and the data-export log (``/data-export``).
Form posts carry the CSRF token; errors are shown in place; buyer IDs appear masked only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from kuajing.accounts.deps import Principal, current_principal, require_csrf, require_roles
from kuajing.enterprises.models import Enterprise
from kuajing.enterprises.service import zone_config
from kuajing.errors import AppError
from kuajing.i18n import lazy
from kuajing.risk import dataexport, service
from kuajing.risk.api import ACTORS, READERS, today
from kuajing.risk.choices import (
    DATA_CATEGORIES,
    AlertOutcome,
    AlertStatus,
    CreditGrade,
    LegalBasis,
    RuleCode,
)
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()

FACTOR_LABELS = {
    "rejections": lazy("Customs rejections"),
    "inspections": lazy("Inspections"),
    "risk_hits": lazy("Risk alerts not dismissed"),
    "punctuality": lazy("Late monthly summaries"),
    "history": lazy("Too little history: at most grade A"),
    "blacklist": lazy("On the blacklist: grade BB"),
}
THRESHOLD_LABELS = {
    "contract_nonsensitive": lazy("Non-sensitive: standard contract or certification from"),
    "assessment_nonsensitive": lazy("Non-sensitive: security assessment from"),
    "assessment_sensitive": lazy("Sensitive: security assessment from"),
}
#: the figures behind an alert or a credit factor (risk.calc details / CreditFactor.figures), as people read them
FIGURE_LABELS = {
    "used": lazy("Used this year"), "reserved": lazy("Reserved"), "limit": lazy("Limit"),
    "share_pct": lazy("Share of the limit (%)"), "threshold_pct": lazy("Alert from (%)"),
    "consignees": lazy("Consignees"), "phones": lazy("Phone numbers"), "parcels": lazy("Parcels"),
    "threshold": lazy("Threshold"), "window_hours": lazy("Window (hours)"), "window_days": lazy("Window (days)"),
    "window_start": lazy("Window from"), "window_end": lazy("Window to"), "first_at": lazy("First at"),
    "last_at": lazy("Last at"), "references": lazy("References"), "samples": lazy("Comparable lines"),
    "min_samples": lazy("Needed for a comparison"), "unit_price": lazy("Unit price"), "median": lazy("Median price"),
    "rejections": lazy("Customs rejections"), "declarations": lazy("Declarations"), "rate_pct": lazy("Rate (%)"),
    "inspections": lazy("Inspections"), "risk_hits": lazy("Risk alerts not dismissed"), "due": lazy("Filings due"),
    "on_time": lazy("Filed on time"), "late": lazy("Filed late"), "min_declarations": lazy("Declarations needed"),
    "blacklisted": lazy("On the blacklist"), "year": lazy("Year"), "count": lazy("Count"), "level": lazy("Level"),
}
#: how near a data-export threshold the year's count is (risk.calc.ThresholdStatus.level)
LEVEL_LABELS = {"ok": lazy("below the warning level"), "warning": lazy("near the threshold"),
                "reached": lazy("threshold reached")}
#: the rules.json parameters the data-export thresholds cite
RULE_LABELS = {"pi.exempt_nonsensitive_lt": THRESHOLD_LABELS["contract_nonsensitive"],
               "pi.assessment_nonsensitive_ge": THRESHOLD_LABELS["assessment_nonsensitive"],
               "pi.assessment_sensitive_ge": THRESHOLD_LABELS["assessment_sensitive"],
               "pi.warning_ratio": lazy("Warning share of a threshold")}


def figure_text(value) -> str:
    """A figure as text: instants in the zone's time (Asia/Shanghai) to the minute, lists joined."""
    from datetime import datetime

    from kuajing.ceb.receipt import SHANGHAI

    if isinstance(value, (list, tuple)):
        return ", ".join(figure_text(v) for v in value)
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return str(value)


ROUTE_LABELS = {
    "exempt": lazy("Exempt (below every threshold)"),
    "standard_contract": lazy("Standard contract or certification needed"),
    "security_assessment": lazy("Security assessment needed"),
}


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _base(request: Request, principal: Principal) -> dict[str, Any]:
    return {"csrf_token": getattr(request.state, "csrf_token", ""), "can_act": principal.has_role(*ACTORS),
            "rules": list(RuleCode), "rule_map": {r.value: r for r in RuleCode}, "statuses": list(AlertStatus), "outcomes": list(AlertOutcome),
            "districts": zone_config().districts}


# --- alerts ------------------------------------------------------------------------------------------------


@router.get("/risk/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*READERS)),
                status: str | None = Query(None, max_length=16), rule: str | None = Query(None, max_length=32),
                district: str | None = Query(None, max_length=12), start: str | None = Query(None, max_length=10),
                end: str | None = Query(None, max_length=10), locale: str = Depends(get_locale)) -> HTMLResponse:
    """Alerts, newest first, with filters and the period's summary."""
    status = status if status in AlertStatus.__members__ else None
    rule = rule if rule in RuleCode.__members__ else None
    d_start, d_end = _date(start) or today() - timedelta(days=90), _date(end) or today()
    rows, total = service.list_alerts(session=session, params=service.AlertQuery(
        status=status, rule=rule, district=district or None, start=d_start, end=d_end, limit=200))
    try:
        summary = service.summary(session=session, start=d_start, end=d_end, district=district or None)
    except AppError:
        summary = {"alerts_open": 0, "alerts_by_rule": {}, "top": []}
    return render(request, "risk/templates/alerts.html", {
        **_base(request, principal), "alerts": rows, "total": total, "summary": summary,
        "f": {"status": status or "", "rule": rule or "", "district": district or "", "start": d_start.isoformat(),
              "end": d_end.isoformat()}})


def _detail(request: Request, session, principal: Principal, alert_id: int, *, error: str | None = None,
            status_code: int = 200) -> HTMLResponse:
    alert = service.get_alert(session=session, alert_id=alert_id)
    return render(request, "risk/templates/alert.html", {
        **_base(request, principal), "alert": alert, "steps": service.steps(session=session, alert_id=alert_id),
        "allowed": list(service.TRANSITIONS[AlertStatus(alert.status)]), "error": error,
        "figure_labels": FIGURE_LABELS, "level_labels": LEVEL_LABELS, "threshold_labels": THRESHOLD_LABELS,
        "figure_text": figure_text},
        status_code=status_code)


@router.get("/risk/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, session: DbSession, alert_id: int, principal: Principal = Depends(require_roles(*READERS))
               ) -> HTMLResponse:
    """One alert: figures, references, workflow steps and the actions allowed now."""
    return _detail(request, session, principal, alert_id)


async def _act(request: Request, session, principal: Principal, alert_id: int, action: str, locale: str):
    form = await _form(request)
    try:
        service.transition(session=session, alert_id=alert_id, action=action, actor=principal.actor,
                           note=form.get("note"), outcome=form.get("outcome") or None)
    except AppError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return _detail(request, session, principal, alert_id, error=exc.to_problem(locale).get("detail"),
                       status_code=exc.status)
    return RedirectResponse(f"/risk/alerts/{alert_id}", status_code=303)


@router.post("/risk/alerts/{alert_id}/investigate", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def investigate_page(request: Request, session: DbSession, alert_id: int,
                           principal: Principal = Depends(require_roles(*ACTORS)),
                           locale: str = Depends(get_locale)) -> HTMLResponse:
    """open → investigating."""
    return await _act(request, session, principal, alert_id, "investigate", locale)


@router.post("/risk/alerts/{alert_id}/close", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def close_page(request: Request, session: DbSession, alert_id: int,
                     principal: Principal = Depends(require_roles(*ACTORS)),
                     locale: str = Depends(get_locale)) -> HTMLResponse:
    """→ closed, with a note."""
    return await _act(request, session, principal, alert_id, "close", locale)


# --- blacklist -------------------------------------------------------------------------------------------------


def _blacklist(request: Request, session, principal: Principal, *, error: str | None = None, form=None,
               status_code: int = 200) -> HTMLResponse:
    return render(request, "risk/templates/blacklist.html", {
        **_base(request, principal), "entries": service.blacklist(session=session, include_removed=True),
        "error": error, "form": form or {}}, status_code=status_code)


@router.get("/risk/blacklist", response_class=HTMLResponse)
def blacklist_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*READERS))
                   ) -> HTMLResponse:
    """The blacklist (active and removed entries) and the form to add one."""
    return _blacklist(request, session, principal)


@router.post("/risk/blacklist", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def blacklist_add_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
                             locale: str = Depends(get_locale)) -> HTMLResponse:
    """Add an enterprise (by id) or a buyer ID number, with the reason."""
    form = await _form(request)
    try:
        ent = int(form["enterprise_id"]) if form.get("enterprise_id") else None
    except ValueError:
        ent = -1
    try:
        service.blacklist_add(session=session, actor=principal.actor, reason=form.get("reason", ""),
                              enterprise_id=ent, buyer_id_number=form.get("buyer_id_number") or None)
    except AppError as exc:
        session.rollback()
        return _blacklist(request, session, principal, error=exc.to_problem(locale).get("detail"),
                          form={"enterprise_id": form.get("enterprise_id", ""), "reason": form.get("reason", "")},
                          status_code=exc.status)
    return RedirectResponse("/risk/blacklist", status_code=303)


@router.post("/risk/blacklist/{entry_id}/remove", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def blacklist_remove_page(request: Request, session: DbSession, entry_id: int,
                                principal: Principal = Depends(require_roles(*ACTORS)),
                                locale: str = Depends(get_locale)) -> HTMLResponse:
    """Take an entry off the blacklist, with the reason."""
    form = await _form(request)
    try:
        service.blacklist_remove(session=session, entry_id=entry_id, actor=principal.actor,
                                 reason=form.get("reason", ""))
    except AppError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return _blacklist(request, session, principal, error=exc.to_problem(locale).get("detail"),
                          status_code=exc.status)
    return RedirectResponse("/risk/blacklist", status_code=303)


# --- credit grades -----------------------------------------------------------------------------------------------


@router.get("/risk/credit", response_class=HTMLResponse)
def credit_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                locale: str = Depends(get_locale)) -> HTMLResponse:
    """Credit grades with their explanations: every approved enterprise for zone-wide roles, one's own otherwise."""
    if principal.is_zone_wide:
        ids = list(session.scalars(select(Enterprise.id).where(Enterprise.status == "approved").order_by(Enterprise.id)))
    else:
        ids = [principal.enterprise_id] if principal.enterprise_id else []
    views = [service.grade(session=session, enterprise_id=i, on=today()) for i in ids]
    return render(request, "risk/templates/credit.html", {
        "views": views, "grades": {g.value: g for g in CreditGrade}, "factor_labels": FACTOR_LABELS,
        "fmt": lambda d: format(d, "f"), "figure_labels": FIGURE_LABELS, "figure_text": figure_text})


# --- personal data leaving China ----------------------------------------------------------------------------------


def _data_export(request: Request, session, principal: Principal, year: int, *, error: str | None = None,
                 form=None, status_code: int = 200, locale: str = "zh_Hans") -> HTMLResponse:
    ctx: dict[str, Any] = {**_base(request, principal), "year": year, "summary": None, "transfers": [], "total": 0,
                           "bases": list(LegalBasis), "categories": DATA_CATEGORIES, "error": error,
                           "form": form or {}, "threshold_labels": THRESHOLD_LABELS, "route_labels": ROUTE_LABELS,
                           "level_labels": LEVEL_LABELS, "rule_labels": RULE_LABELS}
    try:
        ctx["summary"] = dataexport.year_summary(session=session, year=year)
    except AppError as exc:
        ctx["error"] = ctx["error"] or exc.to_problem(locale).get("detail")
    ctx["transfers"], ctx["total"] = dataexport.transfers(session=session, year=year)
    return render(request, "risk/templates/data_export.html", ctx, status_code=status_code)


@router.get("/data-export", response_class=HTMLResponse)
def data_export_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*READERS)),
                     year: int | None = Query(None, ge=2000, le=2100), locale: str = Depends(get_locale)) -> HTMLResponse:
    """The year's counters against the thresholds, the alerts and the log; the form to log a transfer."""
    return _data_export(request, session, principal, year or today().year, locale=locale)


@router.post("/data-export", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def data_export_log_page(request: Request, session: DbSession,
                               principal: Principal = Depends(require_roles(*ACTORS)),
                               locale: str = Depends(get_locale)) -> HTMLResponse:
    """Log a transfer (individuals one per line: ID numbers or phones, hashed at once)."""
    raw = await request.form()
    form = {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}
    categories = [str(v) for v in raw.getlist("categories")]
    people = [p.strip() for p in form.get("individuals", "").splitlines() if p.strip()]
    try:
        dataexport.record_transfer(session=session, reference=form.get("reference", "")[:100],
                                   recipient=form.get("recipient", "")[:200], country=form.get("country", "")[:3],
                                   categories=categories, legal_basis=form.get("legal_basis", ""),
                                   purpose=form.get("purpose", "")[:300], individuals=people, actor=principal.actor,
                                   sensitive=form.get("sensitive") == "on")
    except AppError as exc:
        session.rollback()
        shown = {k: form.get(k, "") for k in ("reference", "recipient", "country", "purpose", "legal_basis")}
        return _data_export(request, session, principal, today().year, error=exc.to_problem(locale).get("detail"),
                            form=shown, status_code=exc.status, locale=locale)
    return RedirectResponse("/data-export", status_code=303)
