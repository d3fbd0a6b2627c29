"""Export JSON API (出口): declarations through the ONE intake, lists and documents, customs declarations
(报关单数据包) for 9710/9810 consignments that may not go on a list, overseas warehouses (海外仓).

Declarations (``POST /api/v1/exports/<kind>``) are converted to the CEB message and run through
``kuajing.imports.service.accept`` exactly like ``POST /ceb`` (the import API's JSON channel is reused).
Documents are visible only to the enterprise that sent them, and to zone-wide roles.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, optional_principal, require_csrf
from kuajing.ceb import codes
from kuajing.db.base import utcnow
from kuajing.errors import FieldIssue, Forbidden, NotFound, validation_error
from kuajing.exports import errors
from kuajing.exports.choices import CustomsDeclarationStatus, ExportDocumentStatus, ExportInventoryStatus
from kuajing.exports.models import (
    CustomsDeclaration,
    ExportArrival,
    ExportDeparture,
    ExportInventory,
    ExportInventoryCancel,
    ExportOrder,
    ExportPaymentReceipt,
    ExportRefund,
    ExportRefundTally,
    ExportWaybill,
    ExportWaybillLink,
    OverseasWarehouse,
)
from kuajing.exports.schemas import (
    EXPORT_ORDER_EXAMPLE,
    DeclarationIn,
    DeclarationMoveIn,
    DeclarationOut,
    DeclarationPageOut,
    WarehouseIn,
    WarehouseOut,
    WarehousePageOut,
    WarehousePatch,
)
from kuajing.exports.service import routing, warehouses
from kuajing.exports.service.excel import EXPORT_ORDERS
from kuajing.i18n import gettext
from kuajing.imports.api import JSON_INTAKE_ERRORS, _json_intake, _mask_fields
from kuajing.imports.pages import MAX_UPLOAD_BYTES
from kuajing.imports.schemas import DocumentOut, DocumentPageOut, IntakeIn, IntakeOut
from kuajing.imports.service import excel as import_excel
from kuajing.web.deps import DbSession, get_locale

router = APIRouter(tags=["exports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: path kind → (message type, table): the export declaration types of the one intake
KINDS: dict[str, tuple[str, Any]] = {
    "orders": ("CEB303", ExportOrder), "payments": ("CEB403", ExportPaymentReceipt),
    "waybills": ("CEB505", ExportWaybill), "arrivals": ("CEB507", ExportArrival),
    "departures": ("CEB509", ExportDeparture), "inventories": ("CEB603", ExportInventory),
    "cancellations": ("CEB605", ExportInventoryCancel), "links": ("CEB607", ExportWaybillLink),
    "returns": ("CEB213", ExportRefund), "return-tallies": ("CEB215", ExportRefundTally),
}
_EXTRA = ("order_type", "ebp_name", "ebc_name", "currency", "charge", "pay_no", "operator_code", "customs_code",
          "msg_seq_no", "leave_time", "bill_no", "port_code", "ie_date", "statistics_flag", "owner_code", "country",
          "declared_on", "released_at", "closed_at", "arrived_at", "last_info", "co_el_no", "reason", "exported_on",
          "relief_until", "relief_eligible", "warehouse_id", "tallied_at")


def _label(doc, locale: str) -> str:
    enum = ExportInventoryStatus if isinstance(doc, ExportInventory) else ExportDocumentStatus
    try:
        return gettext(enum(doc.status).label, locale)
    except ValueError:
        return doc.status


def _plain(value):
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return format(value, "f")


def doc_out(doc, message_type: str, locale: str) -> DocumentOut:
    """An export document as shown (key columns; no personal data is kept on export documents)."""
    fields = _mask_fields(doc)
    for name in _EXTRA:
        if getattr(doc, name, None) is not None:
            fields[name] = _plain(getattr(doc, name))
    items = getattr(doc, "items", None)
    if items is not None:
        fields["items"] = [{k: _plain(v) for k, v in vars(i).items() if not k.startswith("_") and k != "id"
                            and not k.endswith("_id")} for i in items]
    return DocumentOut(business_key=doc.business_key, message_type=message_type, status=doc.status,
                       status_label=_label(doc, locale), customs_status=doc.customs_status, app_type=doc.app_type,
                       app_history=doc.app_history or [], message_guid=doc.message_guid,
                       created_at=doc.created_at.isoformat(), updated_at=doc.updated_at.isoformat(),
                       fields=fields, mismatches=getattr(doc, "mismatches", None))


def _scope(principal: Principal, model, enterprise_id: int | None, column: str = "sender_enterprise_id"):
    """The rows the caller may list: its own, or (zone-wide) all / one enterprise's."""
    col = getattr(model, column)
    if principal.is_zone_wide:
        return [col == enterprise_id] if enterprise_id else []
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    return [col == principal.enterprise_id]


def _register(kind: str) -> None:
    message_type, model = KINDS[kind]

    @router.post(f"/api/v1/exports/{kind}", response_model=IntakeOut, name=f"exports_post_{kind}",
                 responses=JSON_INTAKE_ERRORS,
                 summary=f"Declare export {kind} ({message_type}) as JSON",
                 description=f"The JSON equivalent of `POST /ceb` for {message_type}: the official fields in "
                             "snake_case, lines under `items`; converted to the CEB message and run through the "
                             "same intake as every other declaration (same verdicts, codes, idempotency, receipts).",
                 openapi_extra={"requestBody": {"content": {"application/json": {"example": EXPORT_ORDER_EXAMPLE}}}}
                 if kind == "orders" else None)
    def post(body: IntakeIn, request: Request, session: DbSession,
             principal: Principal = Depends(current_principal)) -> IntakeOut:
        if principal.enterprise_id is None:
            raise errors.no_enterprise()
        return _json_intake(message_type, body, request, session, principal)

    @router.get(f"/api/v1/exports/{kind}", response_model=DocumentPageOut, name=f"exports_list_{kind}",
                summary=f"List export {kind} with counts per status",
                description="The documents the caller's enterprise sent (zone-wide roles: every enterprise, or "
                            "`enterprise_id`), newest first, filtered by status, with counts per status.")
    def listing(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                status: str | None = Query(None, max_length=24, description="filter by status"),
                enterprise_id: int | None = Query(None, description="zone-wide roles only"),
                limit: int = Query(50, ge=1, le=500)) -> DocumentPageOut:
        scope = _scope(principal, model, enterprise_id)
        counts = dict(session.execute(select(model.status, func.count()).where(*scope).group_by(model.status)).all())
        q = select(model).where(*scope)
        if status:
            q = q.where(model.status == status)
        rows = session.scalars(q.order_by(model.id.desc()).limit(limit)).all()
        locale = get_locale(request)
        return DocumentPageOut(items=[doc_out(d, message_type, locale) for d in rows], counts=counts,
                               total=sum(counts.values()))

    @router.get(f"/api/v1/exports/{kind}/{{business_key:path}}", response_model=DocumentOut, name=f"exports_get_{kind}",
                summary=f"One export {kind[:-1]} by business key",
                description="Visible only to the enterprise that sent it and to zone-wide roles (404 otherwise); a key "
                            "holding `/` may be sent as it is or encoded (`%2F`).")
    def one(business_key: str, request: Request, session: DbSession,
            principal: Principal = Depends(current_principal)) -> DocumentOut:
        doc = session.scalars(select(model).where(model.business_key == business_key)).first()
        if doc is None or not principal.can_see_enterprise(doc.sender_enterprise_id):
            raise NotFound("document", path="business_key", value=business_key)
        return doc_out(doc, message_type, get_locale(request))


# --- customs declarations (报关单数据包) -----------------------------------------------------------------------


def _declaration_out(d: CustomsDeclaration, locale: str) -> DeclarationOut:
    return DeclarationOut(id=d.id, order_no=d.order_no, ebp_code=d.ebp_code, order_type=d.order_type,
                          trade_mode=d.trade_mode, attachment_type=d.attachment_type, attachment_no=d.attachment_no,
                          value_cny=format(d.value_cny, "f"), reasons=list(d.reasons or []), status=d.status,
                          status_label=gettext(CustomsDeclarationStatus(d.status).label, locale),
                          entry_id=d.entry_id, note=d.note, package=d.package, created_at=d.created_at.isoformat(),
                          updated_at=d.updated_at.isoformat())


def _declaration(session, principal: Principal, customs_declaration_id: int) -> CustomsDeclaration:
    d = session.get(CustomsDeclaration, customs_declaration_id)
    if d is None or not principal.can_see_enterprise(d.enterprise_id):
        raise errors.declaration_not_found(customs_declaration_id)
    return d


def visible_declaration(customs_declaration_id: int, session: DbSession,
                        principal: Principal = Depends(current_principal)) -> CustomsDeclaration:
    """Dependency: the addressed declaration, 404 before the body is read when the caller may not see it."""
    return _declaration(session, principal, customs_declaration_id)


def _actor_of(principal: Principal, enterprise_id: int) -> None:
    """Changes: the enterprise's own users and keys, or a zone operator."""
    if principal.has_role(Role.zone_operator):
        return
    if principal.enterprise_id != enterprise_id or not principal.has_role(Role.enterprise_user, Role.enterprise_admin):
        raise Forbidden()


@router.post("/api/v1/exports/customs-declarations", response_model=DeclarationOut, status_code=201,
             summary="Prepare the customs declaration of a 9710/9810 consignment",
             description="For a B2B order (orderType B, 9710) or booking note (W, 9810) the caller's enterprise "
                         "sent whose value is over 5,000.00 CNY (customs monthly rate of today) or that involves a "
                         "licence, inspection or tax: builds the data package with attachment 10000004 "
                         "(跨境B2B出口单证, number = order number). 409 `exports_route_list_allowed` when a list is "
                         "allowed. Asking again returns the open declaration.")
def post_declaration(body: DeclarationIn, request: Request, session: DbSession,
                     principal: Principal = Depends(current_principal)) -> DeclarationOut:
    """Prepare (or return the open) customs declaration of an order."""
    order = session.scalars(select(ExportOrder).where(ExportOrder.business_key == body.order_business_key)).first()
    if order is None or not principal.can_see_enterprise(order.sender_enterprise_id):
        raise errors.order_not_found(body.order_business_key)
    _actor_of(principal, order.sender_enterprise_id)
    d = routing.prepare(session=session, enterprise_id=order.sender_enterprise_id, order=order, licence=body.licence,
                        inspection=body.inspection, tax=body.tax, actor=principal.actor, when=utcnow())
    return _declaration_out(d, get_locale(request))


@router.get("/api/v1/exports/customs-declarations", response_model=DeclarationPageOut,
            summary="Customs declarations with counts per status")
def list_declarations(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                      status: str | None = Query(None, max_length=12),
                      enterprise_id: int | None = Query(None, description="zone-wide roles only"),
                      limit: int = Query(50, ge=1, le=500)) -> DeclarationPageOut:
    """The caller's prepared customs declarations."""
    scope = _scope(principal, CustomsDeclaration, enterprise_id, "enterprise_id")
    counts = dict(session.execute(select(CustomsDeclaration.status, func.count()).where(*scope)
                                  .group_by(CustomsDeclaration.status)).all())
    q = select(CustomsDeclaration).where(*scope)
    if status:
        q = q.where(CustomsDeclaration.status == status)
    rows = session.scalars(q.order_by(CustomsDeclaration.id.desc()).limit(limit)).all()
    locale = get_locale(request)
    return DeclarationPageOut(items=[_declaration_out(d, locale) for d in rows], counts=counts,
                              total=sum(counts.values()))


@router.get("/api/v1/exports/customs-declarations/{customs_declaration_id}", response_model=DeclarationOut,
            summary="One customs declaration with its data package (JSON)")
def get_declaration(customs_declaration_id: int, request: Request, session: DbSession,
                    principal: Principal = Depends(current_principal)) -> DeclarationOut:
    """One prepared customs declaration."""
    return _declaration_out(_declaration(session, principal, customs_declaration_id), get_locale(request))


@router.get("/api/v1/exports/customs-declarations/{customs_declaration_id}/package.xlsx", response_class=Response,
            summary="The data package as an Excel workbook (sheets 表头, 商品)",
            responses={200: {"content": {XLSX: {}}}})
def get_declaration_excel(customs_declaration_id: int, session: DbSession,
                          principal: Principal = Depends(current_principal)) -> Response:
    """The data package as Excel."""
    d = _declaration(session, principal, customs_declaration_id)
    return Response(routing.excel(d), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="customs-declaration-{d.id}.xlsx"', "Cache-Control": "no-store"})


@router.post("/api/v1/exports/customs-declarations/{customs_declaration_id}/status", response_model=DeclarationOut,
             summary="Track the declaration: filed (entry id) → released / rejected, or cancelled",
             description="409 `exports_declaration_state` when the step is not allowed from the current status.")
def post_declaration_status(customs_declaration_id: int, request: Request, session: DbSession,
                            d: CustomsDeclaration = Depends(visible_declaration),
                            principal: Principal = Depends(current_principal),
                            body: DeclarationMoveIn = Body(...)) -> DeclarationOut:
    """Move a declaration to its next status (audited)."""
    _actor_of(principal, d.enterprise_id)
    try:
        target = CustomsDeclarationStatus(body.status)
    except ValueError:
        raise errors.declaration_state(d.id, d.status) from None
    routing.move(session=session, declaration=d, status=target, entry_id=body.entry_id, note=body.note,
                 actor=principal.actor)
    return _declaration_out(d, get_locale(request))


# --- overseas warehouses (海外仓) ------------------------------------------------------------------------------


def _warehouse_out(w: OverseasWarehouse, counts: dict[int, int], locale: str, *, public: bool = False) -> WarehouseOut:
    """A warehouse as JSON; the country's name in the caller's language (Chinese, else English)."""
    entry = codes.table("country").get(w.country)
    return WarehouseOut(id=w.id, enterprise_id=None if public else w.enterprise_id, name=w.name, country=w.country,
                        country_name=entry.name(locale) if entry else None, address=w.address,
                        area_m2=format(w.area_m2, "f"), operator_name=w.operator_name, operator_code=w.operator_code,
                        ownership_share=format(w.ownership_share, "f"), services=list(w.services or []),
                        public_certified=w.public_certified, status=w.status,
                        booking_notes=0 if public else counts.get(w.id, 0))


def _warehouse(session, principal: Principal, warehouse_id: int) -> OverseasWarehouse:
    w = session.get(OverseasWarehouse, warehouse_id)
    if w is None or not principal.can_see_enterprise(w.enterprise_id):
        raise errors.warehouse_not_found(warehouse_id)
    return w


def visible_warehouse(warehouse_id: int, session: DbSession,
                      principal: Principal = Depends(current_principal)) -> OverseasWarehouse:
    """Dependency: the addressed warehouse, 404 before the body is read when the caller may not see it."""
    return _warehouse(session, principal, warehouse_id)


def _manager(principal: Principal, enterprise_id: int) -> None:
    """The registering enterprise's administrator (or a zone operator) manages its warehouses."""
    if principal.has_role(Role.zone_operator):
        return
    if principal.enterprise_id != enterprise_id or not principal.has_role(Role.enterprise_admin):
        raise Forbidden()


def _certifier(principal: Principal, values: dict, *, current: bool) -> None:
    """422 on ``public_certified`` when someone other than the zone operator changes it (policy-rules §8)."""
    issue = warehouses.certification_issue(values, may_certify=principal.has_role(Role.zone_operator), current=current)
    if issue is not None:
        raise errors.warehouse_invalid(issue.path, issue.value, issue.message)


@router.get("/api/v1/exports/public-warehouses", response_model=WarehousePageOut,
            summary="Public / certified overseas warehouses (anyone may read)")
def public_warehouses(session: DbSession, country: str | None = Query(None, max_length=3),
                      _p: Principal | None = Depends(optional_principal),
                      locale: str = Depends(get_locale)) -> WarehousePageOut:
    """Active warehouses flagged public / certified (公共海外仓)."""
    q = select(OverseasWarehouse).where(OverseasWarehouse.public_certified.is_(True),
                                        OverseasWarehouse.status == "active")
    if country:
        q = q.where(OverseasWarehouse.country == country)
    rows = session.scalars(q.order_by(OverseasWarehouse.country, OverseasWarehouse.name)).all()
    return WarehousePageOut(items=[_warehouse_out(w, {}, locale, public=True) for w in rows], total=len(rows))


@router.get("/api/v1/exports/warehouses", response_model=WarehousePageOut,
            summary="The caller's overseas warehouses (zone-wide roles: all, or `enterprise_id`)")
def list_warehouses(session: DbSession, principal: Principal = Depends(current_principal),
                    enterprise_id: int | None = Query(None), locale: str = Depends(get_locale)) -> WarehousePageOut:
    """Overseas warehouses the caller's enterprise registered."""
    scope = _scope(principal, OverseasWarehouse, enterprise_id, "enterprise_id")
    rows = session.scalars(select(OverseasWarehouse).where(*scope).order_by(OverseasWarehouse.id)).all()
    counts = warehouses.booking_counts(session=session, warehouse_ids=[w.id for w in rows])
    return WarehousePageOut(items=[_warehouse_out(w, counts, locale) for w in rows], total=len(rows))


@router.post("/api/v1/exports/warehouses", response_model=WarehouseOut, status_code=201,
             summary="Register an overseas warehouse (enterprise administrator)",
             description="Booking notes (orderType W) of the enterprise whose ebpName is the warehouse's name are "
                         "linked to it. Name unique per enterprise.")
def post_warehouse(body: WarehouseIn, session: DbSession, principal: Principal = Depends(current_principal),
                   locale: str = Depends(get_locale)) -> WarehouseOut:
    """Register an overseas warehouse."""
    if principal.has_role(Role.zone_operator) and body.enterprise_id:
        owner = body.enterprise_id
    elif principal.enterprise_id is None:
        raise errors.no_enterprise()
    else:
        owner = principal.enterprise_id
    _manager(principal, owner)
    _certifier(principal, body.model_dump(include={"public_certified"}), current=False)
    w = warehouses.create(session=session, enterprise_id=owner, actor=principal.actor,
                          values=body.model_dump(exclude={"enterprise_id"}))
    return _warehouse_out(w, warehouses.booking_counts(session=session, warehouse_ids=[w.id]), locale)


@router.get("/api/v1/exports/warehouses/{warehouse_id}", response_model=WarehouseOut,
            summary="One of the caller's overseas warehouses")
def get_warehouse(warehouse_id: int, session: DbSession, principal: Principal = Depends(current_principal),
                  locale: str = Depends(get_locale)) -> WarehouseOut:
    """One warehouse."""
    w = _warehouse(session, principal, warehouse_id)
    return _warehouse_out(w, warehouses.booking_counts(session=session, warehouse_ids=[w.id]), locale)


@router.patch("/api/v1/exports/warehouses/{warehouse_id}", response_model=WarehouseOut,
              summary="Change an overseas warehouse (its enterprise's administrator)",
              description="`status: inactive` retires it (warehouses are never deleted; booking notes keep the link).")
def patch_warehouse(warehouse_id: int, session: DbSession, w: OverseasWarehouse = Depends(visible_warehouse),
                    principal: Principal = Depends(current_principal),
                    body: WarehousePatch = Body(...), locale: str = Depends(get_locale)) -> WarehouseOut:
    """Change the given fields (audited)."""
    _manager(principal, w.enterprise_id)
    values = body.model_dump(exclude_unset=True)
    _certifier(principal, values, current=w.public_certified)
    warehouses.update(session=session, warehouse=w, values=values, actor=principal.actor)
    return _warehouse_out(w, warehouses.booking_counts(session=session, warehouse_ids=[w.id]), locale)


@router.get("/api/v1/exports/warehouses/{warehouse_id}/booking-notes", response_model=DocumentPageOut,
            summary="Booking notes (orderType W) linked to the warehouse")
def warehouse_booking_notes(warehouse_id: int, request: Request, session: DbSession,
                            principal: Principal = Depends(current_principal)) -> DocumentPageOut:
    """The booking notes of one warehouse."""
    w = _warehouse(session, principal, warehouse_id)
    rows = session.scalars(select(ExportOrder).where(ExportOrder.warehouse_id == w.id)
                           .order_by(ExportOrder.id.desc()).limit(500)).all()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    locale = get_locale(request)
    return DocumentPageOut(items=[doc_out(r, "CEB303", locale) for r in rows], counts=counts, total=len(rows))


# --- Excel upload of export orders (ahead of /api/v1/exports/{kind}/{business_key}) -------------------


@router.get("/api/v1/exports/orders/template.xlsx", summary="Excel template for export orders (CEB303)",
            response_class=Response, responses={200: {"content": {XLSX: {}}}}, name="exports_orders_template")
def orders_template() -> Response:
    """The export order template: Chinese header, English field keys on row 2, drop-downs, an example sheet."""
    return Response(import_excel.template(EXPORT_ORDERS), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="export-orders-template.xlsx"'})


@router.post("/api/v1/exports/orders/excel", summary="Upload export orders from the Excel template",
             name="exports_orders_excel",
             description="Each order (orderType E/B/W) of the workbook goes through the same intake as `POST /ceb` "
                         "(CEB303). Orders with bad cells are rejected as a whole and listed by row, column, code "
                         "and message; the others get the pipeline's verdict. Uploading the same file again "
                         "replays the stored answers.")
async def orders_excel(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                       file: UploadFile = File(..., description="the filled template (.xlsx)")) -> JSONResponse:
    """Upload an export order workbook; the answer lists every order's verdict and every row error."""
    if principal.enterprise_id is None:
        raise errors.no_enterprise()
    if principal.kind == "user":
        await require_csrf(request)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise validation_error([FieldIssue(import_excel.ExcelCode.too_many_rows, "file",
                                           "The file is larger than {mb} MB; split it.", None, {"mb": 20})])
    result = import_excel.upload(session=session, content=content, principal=principal, received_at=utcnow(),
                                 locale=get_locale(request), spec=EXPORT_ORDERS)
    return JSONResponse(result.as_dict())


for _kind in KINDS:
    _register(_kind)
