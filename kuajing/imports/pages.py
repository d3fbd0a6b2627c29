"""Import pages (进口页面) and the Excel / returns endpoints of the returns helper.

Pages (Chinese by default): the declaration list with status filters and counts (``/imports/inventories``),
parcel search and a parcel's timeline (``/imports/parcels?q=…``, ``/imports/parcels/{order_no}``), tracked
returns (``/imports/returns``) with their actions, the Excel upload page (``/imports/orders/upload``).

``api_router`` holds JSON endpoints (Excel template and upload, returns); it is included by
``kuajing/imports/api.py`` ahead of the generic ``/api/v1/imports/{kind}/{business_key}`` route so that
``/api/v1/imports/orders/template.xlsx`` is not taken for a business key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.errors import FieldIssue, Forbidden, validation_error
from kuajing.imports.choices import DocumentStatus, InventoryStatus, ReturnRoute, ReturnStage
from kuajing.imports.service import excel, returns, timeline
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()
api_router = APIRouter(tags=["imports"])
T = "imports/templates/"
NO_STORE = {"Cache-Control": "no-store"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


def _common(request: Request) -> dict[str, Any]:
    return {"csrf_token": getattr(request.state, "csrf_token", ""), "status_of": InventoryStatus,
            "doc_status_of": DocumentStatus, "stage_of": ReturnStage, "route_of": ReturnRoute, "tz": returns.SHANGHAI}


# --- declaration list -----------------------------------------------------------------------------------


@router.get("/imports", include_in_schema=False)
def imports_home() -> RedirectResponse:
    """The import area starts at the declaration list."""
    return RedirectResponse("/imports/inventories", status_code=303)


@router.get("/imports/inventories", response_class=HTMLResponse)
def inventories_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                     status: str | None = Query(None, max_length=24), q: str | None = Query(None, max_length=60),
                     trade_mode: str | None = Query(None, max_length=4), page: int = Query(1, ge=1, le=100_000)):
    """The enterprise's declaration lists (申报清单) with status filters and counts."""
    status = status if status in InventoryStatus.__members__ else None
    trade_mode = trade_mode if trade_mode in ("1210", "9610") else None
    v = timeline.viewer(session=session, principal=principal)
    found = timeline.inventories(session=session, viewer=v, status=status, q=(q or "").strip() or None,
                                 trade_mode=trade_mode, page=page)
    filters = {k: val for k, val in {"q": q, "trade_mode": trade_mode}.items() if val}
    return render(request, T + "inventories.html", {
        **_common(request), "found": found, "status": status, "q": q or "", "trade_mode": trade_mode,
        "statuses": list(InventoryStatus), "all_count": sum(found.counts.values()),
        "status_query": lambda s: urlencode({**filters, **({"status": s} if s else {})}),
        "page_query": lambda p: urlencode({**filters, **({"status": status} if status else {}), "page": p}),
    }, headers=NO_STORE)


# --- parcels --------------------------------------------------------------------------------------------


@router.get("/imports/parcels", response_class=HTMLResponse)
def parcels_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                 q: str | None = Query(None, max_length=60)):
    """Find a parcel by order number, waybill number or list number (one hit opens its timeline)."""
    q = (q or "").strip()
    hits = timeline.search(session=session, viewer=timeline.viewer(session=session, principal=principal), q=q) \
        if q else []
    if len(hits) == 1:
        hit = hits[0]
        target = f"/imports/parcels/{quote(hit.order_no, safe='')}" + (
            f"?{urlencode({'ebp': hit.ebp_code})}" if hit.ebp_code else "")
        return RedirectResponse(target, status_code=303)
    return render(request, T + "parcels.html", {**_common(request), "q": q, "hits": hits}, headers=NO_STORE)


@router.get("/imports/parcels/{order_no}", response_class=HTMLResponse)
def parcel_page(request: Request, order_no: str, session: DbSession, principal: Principal = Depends(current_principal),
                ebp: str | None = Query(None, max_length=18), locale: str = Depends(get_locale)):
    """A parcel's timeline: every document, receipt, tax event and the return's progress."""
    v = timeline.viewer(session=session, principal=principal)
    try:
        found = timeline.timeline(session=session, viewer=v, order_no=order_no[:60], ebp_code=ebp or None)
    except timeline.AmbiguousParcel:  # several platforms' parcels of this number: the search lists each
        return RedirectResponse(f"/imports/parcels?{urlencode({'q': order_no[:60]})}", status_code=303)
    if found is None:
        from kuajing.errors import NotFound

        raise NotFound("parcel", path="order_no", value=order_no)
    window = None
    inv = found.inventory
    if inv is not None and inv.released_at is not None:
        window = returns.window(returns.release_date(inv.released_at), _now().astimezone(returns.SHANGHAI).date())
    may_act = found.tracking is not None and _may_act(principal, found.tracking.enterprise_id)
    bills = []  # customs' e-tax bills in force (a partial return replaces the first: docs/customs.md)
    if inv is not None and inv.invt_no:
        from sqlalchemy import select

        from kuajing.tax.models import TaxBill

        bills = list(session.scalars(select(TaxBill).where(TaxBill.invt_no == inv.invt_no, TaxBill.status != "3")
                                     .order_by(TaxBill.id)))
    return render(request, T + "parcel.html", {
        **_common(request), "t": found, "inv": inv, "window": window, "may_act": may_act, "bills": bills,
        "flash": request.query_params.get("done"),
    }, headers=NO_STORE)


# --- returns --------------------------------------------------------------------------------------------


def _may_act(principal: Principal, enterprise_id: int) -> bool:
    if principal.has_role("zone_operator"):
        return True
    return principal.enterprise_id is not None and principal.enterprise_id == enterprise_id


def _scope(principal: Principal) -> int | None:
    """The enterprise whose returns the caller may move (None: the zone operator, any)."""
    if principal.has_role("zone_operator"):
        return None
    if principal.enterprise_id is None:
        raise Forbidden("Only the returning enterprise or the zone operator can record a return's progress.")
    return principal.enterprise_id


def _act(session, principal: Principal, *, invt_no: str, action: str, value: str | None,
         warehouse_code: str | None, at: datetime):
    scope = _scope(principal)
    if action == "route":
        return returns.set_route(session=session, invt_no=invt_no, route=value or "", enterprise_id=scope,
                                 actor=principal.actor)
    if action == "arrival":
        return returns.record_arrival(session=session, invt_no=invt_no, enterprise_id=scope, actor=principal.actor,
                                      at=at, warehouse_code=warehouse_code or None)
    if action == "sorting":
        return returns.finish_sorting(session=session, invt_no=invt_no, outcome=value or "", enterprise_id=scope,
                                      actor=principal.actor, at=at)
    raise validation_error([FieldIssue("imports_return_action", "action", "Choose route, arrival or sorting.",
                                       action)])


@router.get("/imports/returns", response_class=HTMLResponse)
def returns_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                 overdue: bool = Query(False)):
    """Tracked returns: day 30 / day 45 deadlines, stage, overdue flags."""
    rows = timeline.returns_of(session=session, viewer=timeline.viewer(session=session, principal=principal),
                               overdue_only=overdue)
    return render(request, T + "returns.html", {**_common(request), "rows": rows, "overdue": overdue,
                                                "today": _now().astimezone(returns.SHANGHAI).date()},
                  headers=NO_STORE)


@router.post("/imports/returns/action", dependencies=[Depends(require_csrf)])
async def return_action(request: Request, session: DbSession, principal: Principal = Depends(current_principal)):
    """A form action on a return (route / arrival / sorting); back to the parcel page."""
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    row = _act(session, principal, invt_no=field("invt_no"), action=field("action"), value=field("value"),
               warehouse_code=field("warehouse_code"), at=_now())
    from kuajing.imports.models import Inventory

    inv = session.get(Inventory, row.inventory_id)
    return RedirectResponse(f"/imports/parcels/{quote(inv.order_no, safe='')}?{urlencode({'ebp': inv.ebp_code, 'done': field('action')})}",
                            status_code=303)


class ReturnActionIn(BaseModel):
    """A step of a return's goods (JSON)."""

    invt_no: str = Field(..., max_length=18, description="the original list's customs number (invtNo)")
    value: str | None = Field(None, max_length=20,
                              description="route: direct / return_centre; sorting: restocked / shipped_out")
    warehouse_code: str | None = Field(None, max_length=30, description="arrival: the receiving warehouse")


class ReturnOut(BaseModel):
    """A tracked return."""

    invt_no: str
    route: str
    stage: str
    stage_label: str
    released_on: str
    apply_by: str
    arrive_by: str | None
    arrived_at: str | None
    overdue: bool
    warehouse_code: str | None


def _return_out(row, locale: str) -> ReturnOut:
    from kuajing.i18n import gettext

    return ReturnOut(invt_no=row.invt_no, route=row.route, stage=row.stage,
                     stage_label=gettext(ReturnStage(row.stage).label, locale),
                     released_on=row.released_on.isoformat(), apply_by=row.apply_by.isoformat(),
                     arrive_by=row.arrive_by.isoformat() if row.arrive_by else None,
                     arrived_at=row.arrived_at.isoformat() if row.arrived_at else None,
                     overdue=row.overdue_at is not None, warehouse_code=row.warehouse_code)


@api_router.get("/api/v1/imports/returns", response_model=list[ReturnOut], summary="Tracked returns (day 30 / day 45)")
def api_returns(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                overdue: bool = Query(False, description="only returns whose goods are overdue (past day 45)")):
    """The caller's tracked returns: deadlines, route, stage, overdue flag."""
    rows = timeline.returns_of(session=session, viewer=timeline.viewer(session=session, principal=principal),
                               overdue_only=overdue)
    locale = get_locale(request)
    return [_return_out(r, locale) for r in rows]


def _api_action(action: str):
    def endpoint(body: ReturnActionIn, request: Request, session: DbSession,
                 principal: Principal = Depends(current_principal)) -> ReturnOut:
        row = _act(session, principal, invt_no=body.invt_no, action=action, value=body.value,
                   warehouse_code=body.warehouse_code, at=_now())
        return _return_out(row, get_locale(request))

    return endpoint


for _action, _summary in (("route", "Route the returned goods (direct or return-centre warehouse)"),
                          ("arrival", "The returned goods arrived back"),
                          ("sorting", "Return centre: restocked or shipped out")):
    api_router.add_api_route(f"/api/v1/imports/returns/{_action}", _api_action(_action), methods=["POST"],
                             response_model=ReturnOut, summary=_summary, name=f"imports_return_{_action}")


# --- Excel ----------------------------------------------------------------------------------------------


@api_router.get("/api/v1/imports/orders/template.xlsx", summary="Excel template for orders (CEB311)",
                response_class=Response, responses={200: {"content": {XLSX: {}}}})
def excel_template() -> Response:
    """The order template: Chinese header, English field keys on row 2, drop-down code lists, an example sheet."""
    return Response(excel.template(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="orders-template.xlsx"'})


@api_router.post("/api/v1/imports/orders/excel", summary="Upload orders from the Excel template",
                 description="Each order of the workbook goes through the same intake as `POST /ceb` (CEB311). "
                             "Orders with bad cells are rejected as a whole and listed by row, column, code and "
                             "message; the others are accepted or rejected by the pipeline's verdict. Uploading "
                             "the same file again replays the stored answers.")
async def excel_upload(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                       file: UploadFile = File(..., description="the filled template (.xlsx)")) -> JSONResponse:
    """Upload an order workbook; the answer lists every order's verdict and every row error."""
    if principal.kind == "user":
        await require_csrf(request)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise validation_error([FieldIssue(excel.ExcelCode.too_many_rows, "file",
                                           "The file is larger than {mb} MB; split it.", None, {"mb": 20})])
    result = excel.upload(session=session, content=content, principal=principal, received_at=_now(),
                          locale=get_locale(request))
    return JSONResponse(result.as_dict())


@router.get("/imports/orders/upload", response_class=HTMLResponse)
def upload_page(request: Request, principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)):
    """The Excel upload page (progress bar while the file goes up and is processed)."""
    return render(request, T + "upload.html", {**_common(request), "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
                                               "max_rows": excel.MAX_ROWS},
                  headers=NO_STORE)
