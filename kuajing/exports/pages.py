"""Export pages (出口页面, Chinese by default): declaration tracking and overseas warehouses.

``/exports/inventories`` — the export lists with status tabs and counts; ``/exports/parcels/{order_no}`` —
a consignment's timeline (documents, receipts, arrival / departure, no-invoice register entries);
``/exports/warehouses`` — the enterprise's overseas warehouses (its administrator registers new ones) and
the public / certified ones. The monthly summary wizard is ``/export-summary`` (kuajing.export_summary).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import or_, select

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.ceb import codes
from kuajing.ceb.receipt import SHANGHAI
from kuajing.errors import AppError, NotFound
from kuajing.exports.choices import ExportDocumentStatus, ExportInventoryStatus, WarehouseService
from kuajing.exports.models import OverseasWarehouse
from kuajing.exports.service import timeline, warehouses
from kuajing.i18n import gettext
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()
T = "exports/templates/"
NO_STORE = {"Cache-Control": "no-store"}
TRADE_MODES = ("9610", "1210", "9710", "9810")


def _common(request: Request) -> dict[str, Any]:
    return {"csrf_token": getattr(request.state, "csrf_token", ""), "status_of": ExportInventoryStatus,
            "doc_status_of": ExportDocumentStatus, "tz": SHANGHAI}


@router.get("/exports", include_in_schema=False)
def exports_home() -> RedirectResponse:
    """The export area starts at the declaration lists."""
    return RedirectResponse("/exports/inventories", status_code=303)


@router.get("/exports/inventories", response_class=HTMLResponse)
def inventories_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                     status: str | None = Query(None, max_length=24), q: str | None = Query(None, max_length=60),
                     trade_mode: str | None = Query(None, max_length=4), page: int = Query(1, ge=1, le=100_000)):
    """The export declaration lists (出口申报清单) the caller may see, with status tabs and counts."""
    status = status if status in ExportInventoryStatus.__members__ else None
    trade_mode = trade_mode if trade_mode in TRADE_MODES else None
    v = timeline.viewer(session=session, principal=principal)
    found = timeline.inventories(session=session, viewer=v, status=status, q=(q or "").strip() or None,
                                 trade_mode=trade_mode, page=page)
    filters = {k: val for k, val in {"q": q, "trade_mode": trade_mode}.items() if val}
    return render(request, T + "inventories.html", {
        **_common(request), "found": found, "status": status, "q": q or "", "trade_mode": trade_mode,
        "trade_modes": TRADE_MODES, "statuses": list(ExportInventoryStatus), "all_count": sum(found.counts.values()),
        "status_query": lambda s: urlencode({**filters, **({"status": s} if s else {})}),
        "page_query": lambda p: urlencode({**filters, **({"status": status} if status else {}), "page": p}),
    }, headers=NO_STORE)


@router.get("/exports/parcels/{order_no}", response_class=HTMLResponse)
def parcel_page(request: Request, order_no: str, session: DbSession, principal: Principal = Depends(current_principal),
                ebp: str | None = Query(None, max_length=18)):
    """A consignment's timeline: documents, receipts, arrival / departure, register entries."""
    v = timeline.viewer(session=session, principal=principal)
    found = timeline.timeline(session=session, viewer=v, order_no=order_no[:60], ebp_code=ebp or None)
    if found is None:
        raise NotFound("parcel", path="order_no", value=order_no)
    return render(request, T + "parcel.html", {**_common(request), "t": found, "inv": found.inventory},
                  headers=NO_STORE)


# --- overseas warehouses --------------------------------------------------------------------------------


def _warehouses_page(request: Request, session, principal: Principal, *, form: dict[str, str] | None = None,
                     error: str | None = None, status_code: int = 200) -> HTMLResponse:
    mine: list[OverseasWarehouse] = []
    if principal.is_zone_wide:
        mine = list(session.scalars(select(OverseasWarehouse).order_by(OverseasWarehouse.id)))
    elif principal.enterprise_id is not None:
        mine = list(session.scalars(select(OverseasWarehouse).where(
            OverseasWarehouse.enterprise_id == principal.enterprise_id).order_by(OverseasWarehouse.id)))
    public = list(session.scalars(select(OverseasWarehouse).where(
        OverseasWarehouse.public_certified.is_(True), OverseasWarehouse.status == "active",
        or_(OverseasWarehouse.enterprise_id != (principal.enterprise_id or -1), OverseasWarehouse.enterprise_id.is_(None)))
        .order_by(OverseasWarehouse.country, OverseasWarehouse.name)))
    country = codes.table("country")
    return render(request, T + "warehouses.html", {
        **_common(request), "mine": mine, "public": public, "form": form or {}, "error": error,
        "counts": warehouses.booking_counts(session=session, warehouse_ids=[w.id for w in mine]),
        "services": list(WarehouseService), "service_of": WarehouseService,
        "country_name": lambda c: (country.get(c).name_zh if country.get(c) else c),
        "may_add": principal.enterprise_id is not None and principal.has_role(Role.enterprise_admin),
    }, status_code=status_code, headers=NO_STORE)


@router.get("/exports/warehouses", response_class=HTMLResponse)
def warehouses_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal)):
    """The enterprise's overseas warehouses and the public / certified ones."""
    return _warehouses_page(request, session, principal)


@router.post("/exports/warehouses", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def add_warehouse(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                        locale: str = Depends(get_locale)):
    """Register an overseas warehouse of the caller's enterprise (its administrator)."""
    raw = await request.form()
    form = {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}
    if principal.enterprise_id is None or not principal.has_role(Role.enterprise_admin):
        return _warehouses_page(request, session, principal, form=form, status_code=403,
                                error=gettext("Only your enterprise's administrator can register overseas "
                                              "warehouses.", locale))
    values: dict[str, Any] = {k: form.get(k, "") for k in ("name", "country", "address", "area_m2",
                                                            "operator_name", "operator_code", "ownership_share")}
    values["services"] = [str(s) for s in raw.getlist("services")]
    values["public_certified"] = form.get("public_certified") == "on"
    try:
        with session.begin_nested():
            warehouses.create(session=session, enterprise_id=principal.enterprise_id, values=values,
                              actor=principal.actor)
    except AppError as exc:
        problem = exc.to_problem(locale)
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in problem.get("errors", [])) or problem.get("detail")
        return _warehouses_page(request, session, principal, form=form, error=detail, status_code=exc.status)
    return RedirectResponse("/exports/warehouses?done=1", status_code=303)
