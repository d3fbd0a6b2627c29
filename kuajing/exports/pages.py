"""Export pages (出口页面, Chinese by default): declaration tracking, the customs officer's desk, customs
declarations of B2B consignments, the order upload and overseas warehouses.

``/exports/inventories`` — the export lists with status tabs and counts; ``/exports/parcels/{order_no}`` —
a consignment's timeline (documents, receipts, arrival / departure, no-invoice register entries);
``/exports/orders/upload`` — the Excel upload of export orders (CEB303 E/B/W);
``/exports/desk`` — the customs officer's desk (海关关员): every list by status with counts and filters, a
list's documents, arrival (CEB507) / departure (CEB509) state and timeline;
``/exports/customs-declarations`` — 9710/9810 consignments routed to a customs declaration (报关单): the data
package (JSON / Excel, attachment 10000004) and its tracking;
``/exports/warehouses`` — the enterprise's overseas warehouses (its administrator registers and edits them)
and the public / certified ones. The monthly summary wizard is ``/export-summary`` (kuajing.export_summary).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, or_, select

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_csrf, require_roles
from kuajing.ceb import codes
from kuajing.ceb.receipt import SHANGHAI
from kuajing.db.base import utcnow
from kuajing.errors import AppError, FieldIssue, Forbidden, NotFound, validation_error
from kuajing.exports import errors
from kuajing.exports.api import _actor_of, _manager, visible_declaration, visible_warehouse
from kuajing.exports.choices import (
    CustomsDeclarationStatus,
    ExportDocumentStatus,
    ExportInventoryStatus,
    RoutingReason,
    WarehouseService,
    WarehouseStatus,
)
from kuajing.exports.models import CustomsDeclaration, ExportInventory, ExportOrder, OverseasWarehouse
from kuajing.exports.service import routing, timeline, warehouses
from kuajing.i18n import gettext
from kuajing.imports.pages import MAX_UPLOAD_BYTES
from kuajing.imports.service.excel import MAX_ROWS
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()
T = "exports/templates/"
NO_STORE = {"Cache-Control": "no-store"}
TRADE_MODES = ("9610", "1210", "9710", "9810")


#: the customs officer's desk (海关关员; the zone operator helps out)
DESK = require_roles(Role.customs_officer, Role.zone_operator)
#: where a list stands at the supervised site (运抵 / 离境), a filter of the desk
SITE_STATES = ("awaiting_arrival", "arrived", "departed")
InventoryId = Path(..., ge=1, le=2**62)


def _common(request: Request) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    return {"csrf_token": getattr(request.state, "csrf_token", ""), "status_of": ExportInventoryStatus,
            "doc_status_of": ExportDocumentStatus, "tz": SHANGHAI,
            "is_desk": bool(principal and principal.has_role(Role.customs_officer, Role.zone_operator))}


def _field_errors(issues: list[FieldIssue], locale: str) -> dict[str, str]:
    """Field path → message in ``locale`` (the first problem of each field)."""
    out: dict[str, str] = {}
    for issue in issues:
        out.setdefault(issue.path, issue.render(locale)["message"])
    return out


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
    try:
        found = timeline.timeline(session=session, viewer=v, order_no=order_no[:60], ebp_code=ebp or None)
    except timeline.AmbiguousParcel:  # several platforms' consignments of this number: the list shows each
        return RedirectResponse(f"/exports/inventories?{urlencode({'q': order_no[:60]})}", status_code=303)
    if found is None:
        raise NotFound("parcel", path="order_no", value=order_no)
    return render(request, T + "parcel.html", {**_common(request), "t": found, "inv": found.inventory},
                  headers=NO_STORE)


# --- Excel upload of export orders ---------------------------------------------------------------------


@router.get("/exports/orders/upload", response_class=HTMLResponse)
def upload_page(request: Request, principal: Principal = Depends(current_principal)):
    """Upload export orders (CEB303 E/B/W) from the Excel template: template link, progress, row errors."""
    return render(request, T + "upload.html", {**_common(request), "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
                                               "max_rows": MAX_ROWS}, headers=NO_STORE)


# --- the customs officer's desk (海关关员) ----------------------------------------------------------------


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/exports/desk", response_class=HTMLResponse)
def desk(request: Request, session: DbSession, principal: Principal = Depends(DESK),
         status: str | None = Query(None, max_length=24), q: str | None = Query(None, max_length=60),
         trade_mode: str | None = Query(None, max_length=4), customs_code: str | None = Query(None, max_length=4),
         site: str | None = Query(None, max_length=20), date_from: str | None = Query(None, max_length=10),
         date_to: str | None = Query(None, max_length=10), page: int = Query(1, ge=1, le=100_000)):
    """Every export list by status with counts; filters: number, trade mode, declaring customs, site state
    (awaiting arrival / arrived / departed) and declaration date (Asia/Shanghai)."""
    status = status if status in ExportInventoryStatus.__members__ else None
    trade_mode = trade_mode if trade_mode in TRADE_MODES else None
    site = site if site in SITE_STATES else None
    customs_code = (customs_code or "").strip() or None
    day_from, day_to = _day(date_from), _day(date_to)
    where = []
    if customs_code:
        where.append(ExportInventory.customs_code == customs_code)
    if site == "awaiting_arrival":
        where += [ExportInventory.status == ExportInventoryStatus.decided.value, ExportInventory.arrived_at.is_(None)]
    elif site == "arrived":
        where += [ExportInventory.arrived_at.is_not(None), ExportInventory.closed_at.is_(None)]
    elif site == "departed":
        where.append(ExportInventory.closed_at.is_not(None))
    if day_from:
        where.append(ExportInventory.declared_on >= day_from)
    if day_to:
        where.append(ExportInventory.declared_on <= day_to)
    found = timeline.inventories(session=session, viewer=timeline.viewer(session=session, principal=principal),
                                 status=status, q=(q or "").strip() or None, trade_mode=trade_mode, page=page,
                                 where=where)
    filters = {k: val for k, val in {"q": q, "trade_mode": trade_mode, "customs_code": customs_code, "site": site,
                                     "date_from": day_from and day_from.isoformat(),
                                     "date_to": day_to and day_to.isoformat()}.items() if val}
    offices = sorted(c for (c,) in session.execute(select(ExportInventory.customs_code).distinct()) if c)
    return render(request, T + "desk.html", {
        **_common(request), "found": found, "status": status, "filters": filters, "trade_modes": TRADE_MODES,
        "site_states": SITE_STATES, "offices": offices, "statuses": list(ExportInventoryStatus),
        "all_count": sum(found.counts.values()),
        "status_query": lambda st: urlencode({**filters, **({"status": st} if st else {})}),
        "page_query": lambda n: urlencode({**filters, **({"status": status} if status else {}), "page": n}),
    }, headers=NO_STORE)


@router.get("/exports/desk/lists/{inventory_id}", response_class=HTMLResponse)
def desk_list(request: Request, session: DbSession, inventory_id: int = InventoryId,
              principal: Principal = Depends(DESK)):
    """One export list for the officer: head, lines, documents, arrival / departure state, timeline."""
    inv = session.get(ExportInventory, inventory_id)
    if inv is None:
        raise NotFound("export declaration list", path="inventory_id", value=inventory_id)
    found = timeline.timeline(session=session, viewer=timeline.viewer(session=session, principal=principal),
                              order_no=inv.order_no, ebp_code=inv.ebp_code)
    return render(request, T + "desk_list.html", {**_common(request), "inv": inv, "t": found}, headers=NO_STORE)


# --- customs declarations of 9710 / 9810 consignments (报关单数据包) ------------------------------------------


def _declarations_page(request: Request, session, principal: Principal, *, status: str | None = None,
                       form: dict[str, Any] | None = None, error: str | None = None,
                       status_code: int = 200) -> HTMLResponse:
    scope = []
    if not principal.is_zone_wide:
        scope = [CustomsDeclaration.enterprise_id == (principal.enterprise_id or -1)]
    counts = dict(session.execute(select(CustomsDeclaration.status, func.count()).where(*scope)
                                  .group_by(CustomsDeclaration.status)).all())
    q = select(CustomsDeclaration).where(*scope)
    if status:
        q = q.where(CustomsDeclaration.status == status)
    rows = list(session.scalars(q.order_by(CustomsDeclaration.id.desc()).limit(200)))
    may_prepare = principal.has_role(Role.zone_operator) or (
        principal.enterprise_id is not None and principal.has_role(Role.enterprise_user, Role.enterprise_admin))
    candidates: list[ExportOrder] = []
    if may_prepare:
        # an order whose declaration is with customs or done is not offered again (prepared ones may be redone)
        open_ids = select(CustomsDeclaration.order_id).where(CustomsDeclaration.status.in_(
            [CustomsDeclarationStatus.filed.value, CustomsDeclarationStatus.rejected.value,
             CustomsDeclarationStatus.released.value]))
        oq = select(ExportOrder).where(ExportOrder.order_type.in_(tuple(routing.TRADE_MODE_OF)),
                                       ExportOrder.status != "deleted", ExportOrder.id.not_in(open_ids))
        if not principal.has_role(Role.zone_operator):
            oq = oq.where(ExportOrder.sender_enterprise_id == principal.enterprise_id)
        candidates = list(session.scalars(oq.order_by(ExportOrder.id.desc()).limit(200)))
    return render(request, T + "declarations.html", {
        **_common(request), "rows": rows, "counts": counts, "status": status, "all_count": sum(counts.values()),
        "decl_status_of": CustomsDeclarationStatus, "statuses": list(CustomsDeclarationStatus),
        "reason_of": RoutingReason, "candidates": candidates, "may_prepare": may_prepare, "form": form or {},
        "error": error,
    }, status_code=status_code, headers=NO_STORE)


def _problem_text(exc: AppError, locale: str) -> str:
    problem = exc.to_problem(locale)
    return "; ".join(e["message"] for e in problem.get("errors", [])) or problem.get("detail") or problem["title"]


@router.get("/exports/customs-declarations", response_class=HTMLResponse)
def declarations_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                      status: str | None = Query(None, max_length=12)):
    """Customs declarations (报关单) prepared for 9710/9810 consignments that may not go on a list."""
    status = status if status in CustomsDeclarationStatus.__members__ else None
    return _declarations_page(request, session, principal, status=status)


@router.post("/exports/customs-declarations", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def prepare_declaration(request: Request, session: DbSession, locale: str = Depends(get_locale),
                              principal: Principal = Depends(current_principal)):
    """Prepare the data package of a B2B order / booking note (value over 5,000.00 CNY, or a licence,
    inspection or tax involved)."""
    raw = await request.form()
    form = {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}
    key = form.get("order_business_key", "")
    order = session.scalars(select(ExportOrder).where(ExportOrder.business_key == key)).first() if key else None
    try:
        if order is None or not principal.can_see_enterprise(order.sender_enterprise_id):
            raise errors.order_not_found(key)
        _actor_of(principal, order.sender_enterprise_id)
        with session.begin_nested():
            d = routing.prepare(session=session, enterprise_id=order.sender_enterprise_id, order=order,
                                licence=form.get("licence") == "on", inspection=form.get("inspection") == "on",
                                tax=form.get("tax") == "on", actor=principal.actor, when=utcnow())
    except AppError as exc:
        return _declarations_page(request, session, principal, form=form, error=_problem_text(exc, locale),
                                  status_code=exc.status)
    return RedirectResponse(f"/exports/customs-declarations/{d.id}?done=prepared", status_code=303)


def _declaration_page(request: Request, principal: Principal, d: CustomsDeclaration, *, error: str | None = None,
                      status_code: int = 200) -> HTMLResponse:
    try:
        _actor_of(principal, d.enterprise_id)
        may_move = True
    except Forbidden:
        may_move = False
    nexts = sorted(routing._NEXT.get(CustomsDeclarationStatus(d.status), set()), key=list(CustomsDeclarationStatus).index)
    return render(request, T + "declaration.html", {
        **_common(request), "d": d, "p": d.package, "decl_status_of": CustomsDeclarationStatus,
        "reason_of": RoutingReason, "nexts": nexts if may_move else [], "error": error,
        "done": request.query_params.get("done"),
    }, status_code=status_code, headers=NO_STORE)


@router.get("/exports/customs-declarations/{customs_declaration_id}", response_class=HTMLResponse)
def declaration_page(request: Request, d: CustomsDeclaration = Depends(visible_declaration),
                     principal: Principal = Depends(current_principal)):
    """One customs declaration: data package, attachment 10000004, downloads (JSON / Excel), tracking."""
    return _declaration_page(request, principal, d)


@router.post("/exports/customs-declarations/{customs_declaration_id}/status", response_class=HTMLResponse,
             dependencies=[Depends(require_csrf)])
async def move_declaration(request: Request, session: DbSession, locale: str = Depends(get_locale),
                           d: CustomsDeclaration = Depends(visible_declaration),
                           principal: Principal = Depends(current_principal)):
    """Track the declaration: filed (with its entry id) → released / rejected, or cancelled (audited)."""
    raw = await request.form()
    form = {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}
    try:
        _actor_of(principal, d.enterprise_id)
        too_long = [FieldIssue("too_long", name, "At most {max_length} characters.", form.get(name),
                               {"max_length": limit})
                    for name, limit in (("entry_id", 18), ("note", 500)) if len(form.get(name, "")) > limit]
        if too_long:
            raise validation_error(too_long)
        try:
            target = CustomsDeclarationStatus(form.get("status", ""))
        except ValueError:
            raise errors.declaration_state(d.id, d.status) from None
        with session.begin_nested():
            routing.move(session=session, declaration=d, status=target, entry_id=form.get("entry_id") or None,
                         note=form.get("note") or None, actor=principal.actor)
    except AppError as exc:
        session.refresh(d)
        return _declaration_page(request, principal, d, error=_problem_text(exc, locale), status_code=exc.status)
    return RedirectResponse(f"/exports/customs-declarations/{d.id}?done={d.status}", status_code=303)


# --- overseas warehouses --------------------------------------------------------------------------------


def _form_values(raw, *, may_certify: bool = False) -> tuple[dict[str, str], dict[str, Any]]:
    form = {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}
    values: dict[str, Any] = {k: form.get(k, "") for k in ("name", "country", "address", "area_m2",
                                                            "operator_name", "operator_code", "ownership_share")}
    values["services"] = [str(s) for s in raw.getlist("services")]
    if may_certify:  # only the zone operator's form carries the certification (policy-rules §8)
        values["public_certified"] = form.get("public_certified") == "on"
    if "status" in form:
        values["status"] = form["status"]
    form["services"] = values["services"]
    return form, values


def _warehouses_page(request: Request, session, principal: Principal, *, form: dict[str, Any] | None = None,
                     error: str | None = None, field_errors: dict[str, str] | None = None,
                     status_code: int = 200) -> HTMLResponse:
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
    locale = get_locale(request)
    return render(request, T + "warehouses.html", {
        **_common(request), "mine": mine, "public": public, "form": form or {}, "error": error,
        "field_errors": field_errors or {},
        "counts": warehouses.booking_counts(session=session, warehouse_ids=[w.id for w in mine]),
        "services": list(WarehouseService), "service_of": WarehouseService,
        "country_name": lambda c: (country.get(c).name(locale) if country.get(c) else c),
        "may_add": principal.enterprise_id is not None and principal.has_role(Role.enterprise_admin),
        "may_certify": principal.has_role(Role.zone_operator),
        "may_edit": lambda w: principal.has_role(Role.zone_operator) or (
            principal.enterprise_id == w.enterprise_id and principal.has_role(Role.enterprise_admin)),
    }, status_code=status_code, headers=NO_STORE)


@router.get("/exports/warehouses", response_class=HTMLResponse)
def warehouses_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal)):
    """The enterprise's overseas warehouses and the public / certified ones."""
    return _warehouses_page(request, session, principal)


@router.post("/exports/warehouses", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def add_warehouse(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                        locale: str = Depends(get_locale)):
    """Register an overseas warehouse of the caller's enterprise (its administrator); each field's problem is
    shown beside it."""
    form, values = _form_values(await request.form())
    if principal.enterprise_id is None or not principal.has_role(Role.enterprise_admin):
        return _warehouses_page(request, session, principal, form=form, status_code=403,
                                error=gettext("Only your enterprise's administrator can register overseas "
                                              "warehouses.", locale))
    issues = warehouses.problems(values, required=warehouses.REQUIRED)
    if not issues:
        try:
            with session.begin_nested():
                warehouses.create(session=session, enterprise_id=principal.enterprise_id, values=values,
                                  actor=principal.actor)
        except AppError as exc:
            issues = exc.errors or [FieldIssue(exc.code, "name", exc.detail or exc.title)]
    if issues:
        return _warehouses_page(request, session, principal, form=form, status_code=422,
                                error=gettext("The request has invalid fields", locale),
                                field_errors=_field_errors(issues, locale))
    return RedirectResponse("/exports/warehouses?done=1", status_code=303)


def _edit_page(request: Request, w: OverseasWarehouse, *, form: dict[str, Any], error: str | None = None,
               field_errors: dict[str, str] | None = None, status_code: int = 200,
               may_certify: bool = False) -> HTMLResponse:
    return render(request, T + "warehouse_edit.html", {
        **_common(request), "w": w, "form": form, "error": error, "field_errors": field_errors or {},
        "may_certify": may_certify,
        "services": list(WarehouseService), "statuses": list(WarehouseStatus),
    }, status_code=status_code, headers=NO_STORE)


@router.get("/exports/warehouses/{warehouse_id}/edit", response_class=HTMLResponse)
def edit_warehouse_page(request: Request, w: OverseasWarehouse = Depends(visible_warehouse),
                        principal: Principal = Depends(current_principal)):
    """The edit form of one warehouse (its enterprise's administrator, or the zone operator)."""
    _manager(principal, w.enterprise_id)
    form = {k: ("" if getattr(w, k) is None else str(getattr(w, k))) for k in
            ("name", "country", "address", "area_m2", "operator_name", "operator_code", "ownership_share", "status")}
    form["services"] = list(w.services or [])
    form["public_certified"] = "on" if w.public_certified else ""
    return _edit_page(request, w, form=form, may_certify=principal.has_role(Role.zone_operator))


@router.post("/exports/warehouses/{warehouse_id}", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def edit_warehouse(request: Request, session: DbSession, locale: str = Depends(get_locale),
                         w: OverseasWarehouse = Depends(visible_warehouse),
                         principal: Principal = Depends(current_principal)):
    """Save the edit form (audited); each field's problem is shown beside it and nothing is changed."""
    _manager(principal, w.enterprise_id)
    may_certify = principal.has_role(Role.zone_operator)
    form, values = _form_values(await request.form(), may_certify=may_certify)
    if not may_certify:
        form["public_certified"] = "on" if w.public_certified else ""
    issues = warehouses.problems(values, required=warehouses.REQUIRED)
    if not issues:
        try:
            with session.begin_nested():
                warehouses.update(session=session, warehouse=w, values=values, actor=principal.actor)
        except AppError as exc:
            issues = exc.errors or [FieldIssue(exc.code, "name", exc.detail or exc.title)]
            session.refresh(w)
    if issues:
        return _edit_page(request, w, form=form, status_code=422, error=gettext("The request has invalid fields", locale),
                          field_errors=_field_errors(issues, locale), may_certify=may_certify)
    return RedirectResponse("/exports/warehouses?done=1", status_code=303)


# --- the public directory of overseas warehouses (公共海外仓名录) ---------------------------------------------


@router.get("/warehouses", response_class=HTMLResponse)
def public_warehouses_page(request: Request, session: DbSession,
                           country: str | None = Query(None, max_length=3, pattern=r"^[0-9]{3}$")):
    """The zone's public / certified overseas warehouses (公共海外仓, policy-rules §8) for anyone — an overseas
    buyer, a visitor, an exporter looking for a warehouse — no login, countries in the reader's language."""
    locale = get_locale(request)
    table = codes.table("country")
    base = select(OverseasWarehouse).where(OverseasWarehouse.public_certified.is_(True),
                                           OverseasWarehouse.status == "active")
    present = sorted(set(session.scalars(base.with_only_columns(OverseasWarehouse.country))))
    rows = session.scalars((base.where(OverseasWarehouse.country == country) if country else base)
                           .order_by(OverseasWarehouse.country, OverseasWarehouse.name)).all()

    def country_name(code: str) -> str:
        entry = table.get(code)
        return entry.name(locale) if entry else code

    return render(request, T + "public_warehouses.html", {
        "rows": rows, "country": country, "countries": [(c, country_name(c)) for c in present],
        "country_name": country_name, "service_of": WarehouseService,
    })
