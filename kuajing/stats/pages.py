"""HTML pages of the statistics: the government dashboard (``/stats``, ECharts, full-screen layout), the records
behind a target (``/stats/records``), the monthly bulletin downloads (``/stats/bulletin``), survey estimates
(``/stats/surveys``) and the brand registry (``/stats/brands``). Zone figures: commerce bureau and operator only."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.ceb import codes
from kuajing.errors import AppError, Forbidden
from kuajing.i18n import gettext, lazy
from kuajing.stats import calc, registry, service, targets
from kuajing.stats.api import VIEWERS, _survey_scope, today, viewer
from kuajing.stats.choices import INDICATOR_LABELS, MODES, SURVEY_CHANNEL_LABELS, TARGET_STATUS_LABELS
from kuajing.web.deps import DbSession, get_locale, get_settings
from kuajing.web.render import render

router = APIRouter()

#: strings the dashboard's script shows (translated on the server)
JS_STRINGS = ("Import", "Export", "Value (CNY)", "Parcels", "Active enterprises", "Monthly trend", "Mode mix",
              "Top 10 countries", "Top 10 products (HS heading)", "District ranking", "Targets and progress",
              "Risk alerts", "Data-export counters", "Not available yet: the module is not installed.",
              "Open alerts", "Projection", "Actual", "Target", "No data for this selection.", "Unregistered",
              "Survey estimates (separate scope)", "Customs-code scope", "Combined (de-duplicated)", "10k CNY", "10k")


def _districts(request: Request, locale: str) -> dict[str, str]:
    from kuajing.enterprises.service import zone_config

    zone = zone_config(var_dir=get_settings(request).var_dir)
    return {code: item.name(locale) for code, item in zone.districts.items()}


@router.get("/stats", response_class=HTMLResponse, summary="Government dashboard (政府监管看板)")
def dashboard_page(request: Request, principal: Principal = Depends(viewer), locale: str = Depends(get_locale),
                   screen: bool = Query(False, description="start in the large-screen layout")):
    """The dashboard shell; figures come from ``/api/v1/stats/dashboard`` (and the risk / data-export summaries)."""
    strings = {s: gettext(s, locale) for s in JS_STRINGS}
    return render(request, "stats/templates/dashboard.html", {
        "modes": MODES, "districts": _districts(request, locale), "screen": screen,
        "end": today(request).strftime("%Y-%m"), "js_strings": json.dumps(strings, ensure_ascii=False),
        "district_names": json.dumps(_districts(request, locale), ensure_ascii=False),
        "status_labels": json.dumps({k.value: gettext(v, locale) for k, v in TARGET_STATUS_LABELS.items()},
                                    ensure_ascii=False),
        "indicator_labels": json.dumps({k.value: gettext(v, locale) for k, v in INDICATOR_LABELS.items()},
                                       ensure_ascii=False),
        "side_labels": json.dumps(_side_labels(locale), ensure_ascii=False),
        "country_names": json.dumps({e.code: e.name(locale) for e in codes.table("country")}, ensure_ascii=False)})


#: the data-export counters the dashboard's side panel shows (risk.dataexport summary keys)
COUNTER_LABELS = {"year": lazy("Year"), "transfers": lazy("Transfers abroad"),
                  "individuals_non_exempt": lazy("Individuals counted (not exempt)"),
                  "individuals_sensitive": lazy("Individuals with sensitive data")}


def _side_labels(locale: str) -> dict[str, dict[str, str]]:
    """The words of the risk and data-export panels (rule names, counters, thresholds) in ``locale``."""
    from kuajing.risk.choices import RuleCode
    from kuajing.risk.pages import LEVEL_LABELS, THRESHOLD_LABELS

    return {"rules": {r.value: r.display(locale) for r in RuleCode},
            "counters": {k: gettext(v, locale) for k, v in COUNTER_LABELS.items()},
            "thresholds": {k: gettext(v, locale) for k, v in THRESHOLD_LABELS.items()},
            "levels": {k: gettext(v, locale) for k, v in LEVEL_LABELS.items()}}


@router.get("/stats/records", response_class=HTMLResponse, summary="Records behind a target (数据溯源)")
def records_page(request: Request, session: DbSession, principal: Principal = Depends(viewer),
                 indicator: str = Query(..., max_length=40), year: int = Query(..., ge=2000, le=2100),
                 offset: int = Query(0, ge=0, le=10**9), locale: str = Depends(get_locale)):
    """The enterprises, lists, warehouses or brands counted by a target's number."""
    found = targets.records(session=session, indicator=indicator, year=year, today=today(request), offset=offset)
    label = INDICATOR_LABELS[found["indicator"]]
    return render(request, "stats/templates/records.html", {"found": found, "label": gettext(label, locale),
                                                              "offset": offset})


@router.get("/stats/bulletin", response_class=HTMLResponse, summary="Monthly bulletin downloads (信息通报)")
def bulletin_page(request: Request, principal: Principal = Depends(viewer),
                  month: str | None = Query(None, max_length=7)):
    """Pick a month; download its bulletin as PDF or Excel."""
    default = calc.add_months(calc.month_start(today(request)), -1)
    chosen = service.parse_month(month, default=default).strftime("%Y-%m")
    return render(request, "stats/templates/bulletin.html", {"month": chosen})


def _survey_ctx(request, session, principal, locale, enterprise_id, error=None):
    ent = _survey_scope(principal, enterprise_id)
    year = today(request).year
    rows = registry.surveys(session=session, start=date(year - 1, 1, 1), end=date(year, 12, 1), enterprise_id=ent)
    return {"rows": rows, "channels": {k.value: gettext(v, locale) for k, v in SURVEY_CHANNEL_LABELS.items()},
            "enterprise_id": ent or "", "error": error, "is_viewer": principal.has_role(*VIEWERS),
            "csrf_token": getattr(request.state, "csrf_token", ""), "month": today(request).strftime("%Y-%m")}


@router.get("/stats/surveys", response_class=HTMLResponse, summary="Survey estimates (企业调查填报)")
def surveys_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                 enterprise_id: int | None = Query(None, ge=1, le=2**31 - 1), locale: str = Depends(get_locale)):
    """The survey form and the figures reported (an enterprise sees its own)."""
    return render(request, "stats/templates/surveys.html", _survey_ctx(request, session, principal, locale,
                                                                       enterprise_id))


@router.post("/stats/surveys", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def surveys_post(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                 locale: str = Depends(get_locale), enterprise_id: int | None = Form(None, ge=1, le=2**31 - 1),
                 month: str = Form(..., max_length=7), direction: str = Form(..., max_length=6),
                 channel: str = Form(..., max_length=24), value_cny: str = Form(..., max_length=20),
                 note: str | None = Form(None, max_length=1000)):
    """Record a survey figure from the form."""
    ent = _survey_scope(principal, enterprise_id)
    if ent is None:
        raise Forbidden()
    try:
        with session.begin_nested():
            registry.report_survey(session=session, enterprise_id=ent, month=service.parse_month(month),
                                   direction=direction, channel=channel, value_cny=value_cny, note=note,
                                   actor=principal.actor)
    except AppError as exc:
        ctx = _survey_ctx(request, session, principal, locale, enterprise_id,
                          error="; ".join(gettext(i.message, locale) for i in exc.errors) or gettext(exc.title, locale))
        return render(request, "stats/templates/surveys.html", ctx, status_code=exc.status)
    suffix = f"?enterprise_id={ent}" if principal.has_role(*VIEWERS) else ""
    return RedirectResponse(f"/stats/surveys{suffix}", status_code=303)


@router.get("/stats/brands", response_class=HTMLResponse, summary="Local brand registry (本土品牌名录)")
def brands_page(request: Request, session: DbSession, principal: Principal = Depends(viewer)):
    """Registered brands and the form to add one."""
    return render(request, "stats/templates/brands.html", {
        "rows": registry.brands(session=session), "csrf_token": getattr(request.state, "csrf_token", ""),
        "error": None, "today": today(request).isoformat()})


@router.post("/stats/brands", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def brands_post(request: Request, session: DbSession, principal: Principal = Depends(viewer),
                locale: str = Depends(get_locale),
                name: str = Form(..., max_length=100), owner_enterprise_id: int = Form(..., ge=1, le=2**31 - 1),
                markets: str = Form("", max_length=400), evidence: str = Form(..., max_length=2000),
                registered_on: str = Form(..., max_length=10)):
    """Register a brand from the form."""
    try:
        with session.begin_nested():
            try:
                on = date.fromisoformat(registered_on)
            except ValueError:
                from kuajing.stats import errors

                raise errors.bad_value(registered_on, "registered_on") from None
            registry.register_brand(session=session, name=name, owner_enterprise_id=owner_enterprise_id,
                                    markets=[m.strip() for m in markets.replace("，", ",").split(",") if m.strip()],
                                    evidence=evidence, registered_on=on, actor=principal.actor)
    except AppError as exc:
        return render(request, "stats/templates/brands.html", {
            "rows": registry.brands(session=session), "csrf_token": getattr(request.state, "csrf_token", ""),
            "error": "; ".join(gettext(i.message, locale) for i in exc.errors) or gettext(exc.title, locale), "today": today(request).isoformat()},
            status_code=exc.status)
    return RedirectResponse("/stats/brands", status_code=303)
