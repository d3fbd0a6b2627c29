"""JSON API of the statistics (``/api/v1/stats``): dashboard figures, targets with their records, survey
estimates, brands and the monthly bulletin. Zone figures are for the commerce bureau and the zone operator;
an enterprise may report and read its own survey figures only (never another enterprise's figures)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_roles
from kuajing.db.base import utcnow
from kuajing.errors import Forbidden
from kuajing.stats import registry, service, targets
from kuajing.stats.schemas import BrandIn, SurveyIn
from kuajing.web.deps import DbSession, get_locale, get_settings

router = APIRouter(tags=["statistics"])

#: who sees zone figures (统计监测): the commerce bureau and the zone operator
VIEWERS = (Role.commerce_supervisor, Role.zone_operator)
viewer = require_roles(*VIEWERS)


def today(request: Request) -> date:
    """Today's business date (Asia/Shanghai)."""
    return utcnow().astimezone(get_settings(request).tz).date()


def plain(value: Any) -> Any:
    """JSON-ready: Decimal → string (exact), dates → ISO."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def filters_from(request: Request, end: str | None, months: int, direction: str | None, mode: str | None,
                 district: str | None) -> service.Filters:
    return service.make_filters(end=end, months=months, direction=direction, mode=mode, district=district,
                                today=today(request))


def dashboard_data(session, request: Request, f: service.Filters) -> dict:
    """Every panel of the dashboard for the filters."""
    from kuajing.stats import calc

    out = {"filters": {"end": f.last.strftime("%Y-%m"), "start": f.start.strftime("%Y-%m"), "months": f.months,
                       "direction": f.direction, "mode": f.mode, "district": f.district},
           "totals": service.totals(session=session, filters=f), "trend": service.trend(session=session, filters=f),
           "modes": service.mode_mix(session=session, filters=f),
           "countries": service.top_countries(session=session, filters=f),
           "products": service.top_products(session=session, filters=f),
           "districts": service.district_ranking(session=session, filters=f),
           "targets": targets.progress(session=session, today=today(request),
                                       var_dir=get_settings(request).var_dir)}
    survey = registry.survey_by_channel(session=session, start=f.start, end=f.last, district=f.district)
    out["survey"] = {"by_channel": survey, "total_cny": sum(survey.values(), Decimal(0)),
                     "customs_scope_cny": out["totals"]["total_cny"],
                     "combined_cny": calc.combined_scope(out["totals"]["total_cny"], {
                         (0, k): v for k, v in survey.items()}) if not (f.direction or f.mode) else None}
    return out


@router.get("/api/v1/stats/dashboard", summary="Dashboard figures (统计看板)")
def dashboard(request: Request, session: DbSession, _p: Principal = Depends(viewer),
              end: str | None = Query(None, description="last month of the window, YYYY-MM (default: this month)"),
              months: int = Query(12, description="window length, 1–36 months"),
              direction: str | None = Query(None, description="import / export"),
              mode: str | None = Query(None, description="1210 / 9610 / 9710 / 9810"),
              district: str | None = Query(None, description="district code (旗县区)")) -> dict:
    """Totals, monthly trend, mode mix, top-10 countries and HS headings, district ranking, target progress and
    the survey estimates beside the customs-code scope, for a window of months and optional filters."""
    return plain(dashboard_data(session, request, filters_from(request, end, months, direction, mode, district)))


@router.get("/api/v1/stats/targets", summary="Plan targets with actuals and projection (目标进度)")
def target_progress(request: Request, session: DbSession, _p: Principal = Depends(viewer),
                    year: int | None = Query(None, ge=2000, le=2100)) -> dict:
    """The configured targets of the plan with actual, year-end projection, share and status; each links to the
    records behind its number (``records_api``)."""
    return plain(targets.progress(session=session, today=today(request), var_dir=get_settings(request).var_dir,
                                  year=year))


@router.get("/api/v1/stats/records", summary="Records behind a target's number (数据溯源)")
def target_records(request: Request, session: DbSession, _p: Principal = Depends(viewer),
                   indicator: str = Query(..., max_length=40), year: int = Query(..., ge=2000, le=2100),
                   limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)) -> dict:
    """The enterprises, released lists, overseas warehouses or brands counted by an indicator in a year."""
    return plain(targets.records(session=session, indicator=indicator, year=year, today=today(request), limit=limit,
                                 offset=offset))


def _survey_scope(principal: Principal, enterprise_id: int | None) -> int | None:
    if principal.has_role(*VIEWERS):
        return enterprise_id
    if principal.enterprise_id is None or (enterprise_id is not None and enterprise_id != principal.enterprise_id):
        raise Forbidden()
    return principal.enterprise_id


def _survey_out(row) -> dict:
    return plain({"id": row.id, "enterprise_id": row.enterprise_id, "month": row.month.strftime("%Y-%m"),
                  "direction": row.direction, "channel": row.channel, "value_cny": row.value_cny,
                  "parcels": row.parcels, "note": row.note, "reported_by": row.reported_by, "estimate": True})


@router.get("/api/v1/stats/surveys", summary="Survey estimates (企业调查口径)")
def survey_list(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                start: str | None = Query(None, description="YYYY-MM"), end: str | None = Query(None),
                enterprise_id: int | None = Query(None, ge=1, le=2**31 - 1)) -> dict:
    """Survey figures (estimates, never added to the customs-code scope); enterprises see their own."""
    ent = _survey_scope(principal, enterprise_id)
    last = service.parse_month(end, path="end", default=today(request))
    first = service.parse_month(start, path="start", default=date(last.year, 1, 1))
    return {"items": [_survey_out(r) for r in registry.surveys(session=session, start=first, end=last,
                                                                enterprise_id=ent)]}


@router.post("/api/v1/stats/surveys", status_code=201, summary="Report a survey figure (调查填报)")
def survey_report(body: SurveyIn, session: DbSession, principal: Principal = Depends(current_principal)) -> dict:
    """Record or revise one enterprise's sales through a non-CBEC channel for a month (one figure per
    enterprise, month, direction and channel: the de-duplication key)."""
    if not principal.has_role(*VIEWERS, Role.enterprise_admin, Role.enterprise_user):
        raise Forbidden()
    ent = _survey_scope(principal, body.enterprise_id)
    if ent is None:
        from kuajing.stats import errors

        raise errors.enterprise_unknown(None)
    row = registry.report_survey(session=session, enterprise_id=ent, month=service.parse_month(body.month),
                                 direction=body.direction, channel=body.channel, value_cny=body.value_cny,
                                 parcels=body.parcels, note=body.note, actor=principal.actor)
    return _survey_out(row)


def _brand_out(b) -> dict:
    return {"id": b.id, "name": b.name, "owner_enterprise_id": b.owner_enterprise_id, "markets": b.markets,
            "evidence": b.evidence, "registered_on": b.registered_on.isoformat()}


@router.get("/api/v1/stats/brands", summary="Local brand registry (本土品牌名录)")
def brand_list(session: DbSession, _p: Principal = Depends(viewer)) -> dict:
    """Every registered local brand."""
    return {"items": [_brand_out(b) for b in registry.brands(session=session)]}


@router.post("/api/v1/stats/brands", status_code=201, summary="Register a local brand")
def brand_register(body: BrandIn, session: DbSession, principal: Principal = Depends(viewer)) -> dict:
    """Register a brand with its owner enterprise, markets and evidence (audited)."""
    try:
        on = date.fromisoformat(body.registered_on)
    except ValueError:
        from kuajing.stats import errors

        raise errors.bad_value(body.registered_on, "registered_on") from None
    return _brand_out(registry.register_brand(session=session, name=body.name, owner_enterprise_id=body.owner_enterprise_id,
                                              markets=body.markets, evidence=body.evidence, registered_on=on,
                                              actor=principal.actor))


@router.get("/api/v1/stats/bulletin.pdf", summary="Monthly bulletin PDF (信息通报)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def bulletin_pdf(request: Request, session: DbSession, _p: Principal = Depends(viewer),
                 month: str = Query(..., description="YYYY-MM"), locale: str = Depends(get_locale)) -> Response:
    """The month's information bulletin as a PDF (Chinese, fonts embedded, charts drawn on the server)."""
    from kuajing.stats import bulletin

    data = bulletin.collect(session=session, month=service.parse_month(month), today=today(request),
                            var_dir=get_settings(request).var_dir)
    return Response(bulletin.pdf(data), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="bulletin-{month}.pdf"'})


@router.get("/api/v1/stats/bulletin.xlsx", summary="Monthly bulletin workbook (信息通报 Excel)",
            response_class=Response,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def bulletin_xlsx(request: Request, session: DbSession, _p: Principal = Depends(viewer),
                  month: str = Query(..., description="YYYY-MM")) -> Response:
    """The month's bulletin tables as an Excel workbook."""
    from kuajing.stats import bulletin

    data = bulletin.collect(session=session, month=service.parse_month(month), today=today(request),
                            var_dir=get_settings(request).var_dir)
    return Response(bulletin.workbook(data),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="bulletin-{month}.xlsx"'})
