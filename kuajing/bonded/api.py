"""JSON API of the bonded ledger (``/api/v1/bonded``).

Warehouse operators (an enterprise with the role ``warehouse_operator``) manage their own account books:
entries (JSON or Excel), conversions, reconciliation. Any enterprise reserves stock for its declarations
and reads its own reservations; deduct and restore follow customs decisions (zone-wide roles; the import
pipeline calls the service directly). Zone-wide roles see everything.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import Response

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal
from kuajing.bonded import errors, service
from kuajing.bonded.models import BondedWarehouse
from kuajing.bonded.schemas import (
    ConvertIn,
    DocumentIn,
    EntriesIn,
    ReconcileIn,
    ReserveIn,
    RestoreIn,
    WarehouseCreate,
)
from kuajing.enterprises.models import Enterprise
from kuajing.errors import Forbidden
from kuajing.web.deps import DbSession

router = APIRouter(prefix="/api/v1/bonded", tags=["bonded"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Code = Path(..., min_length=1, max_length=32, description="账册编号")


def _plain(obj: Any) -> dict[str, Any]:
    return {k: (str(v) if hasattr(v, "as_tuple") else v) for k, v in asdict(obj).items()}


#: the zone-wide roles that change a book (the platform's operators, customs); the commerce bureau and the
#: auditor read it only
WRITERS = (Role.zone_operator, Role.customs_officer)


def book_operator(request: Request, session: DbSession, code: str = Code,
                  principal: Principal = Depends(current_principal)) -> Principal:
    """Dependency: the caller operates the book ``code`` (or holds a zone-wide role; to change it, a writing one);
    403 before the body is read."""
    _operator_check(session, principal, code, write=request.method != "GET")
    return principal


def _zone_write_check(principal: Principal) -> None:
    if not principal.has_role(*WRITERS):
        raise Forbidden()


def _operator_check(session, principal: Principal, code: str, *, write: bool = True) -> BondedWarehouse:
    wh = session.query(BondedWarehouse).filter_by(code=code).one_or_none()
    if wh is None:
        raise errors.warehouse_unknown(code)
    if principal.is_zone_wide:
        if write:
            _zone_write_check(principal)
        return wh
    if principal.enterprise_id != wh.operator_enterprise_id or not _is_operator(session, principal.enterprise_id):
        raise errors.not_operator()
    return wh


def _is_operator(session, enterprise_id: int | None) -> bool:
    ent = session.get(Enterprise, enterprise_id) if enterprise_id else None
    return ent is not None and "warehouse_operator" in ent.roles


@router.post("/warehouses", status_code=201, summary="Open an account book (warehouse operator)")
def create_warehouse(body: WarehouseCreate, session: DbSession,
                     principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """A warehouse operator opens a book for its own warehouse; a zone operator for any operator."""
    if principal.has_role("zone_operator"):
        operator = body.operator_enterprise_id or principal.enterprise_id
    elif _is_operator(session, principal.enterprise_id):
        operator = principal.enterprise_id
    else:
        raise errors.not_operator()
    if operator is None or not _is_operator(session, operator):
        raise errors.not_operator()
    wh = service.create_warehouse(session=session, code=body.code, site_code=body.site_code, name=body.name,
                                  customs_office=body.customs_office, operator_enterprise_id=operator,
                                  actor=principal.actor)
    return {"code": wh.code, "site_code": wh.site_code, "name": wh.name, "operator_enterprise_id": operator}


@router.get("/entry-template.xlsx", summary="Excel template for first-line entries")
def entry_template() -> Response:
    """The workbook to fill in (one example row)."""
    return Response(service.entry_template(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="bonded-entries.xlsx"'})


@router.get("/warehouses/{code}/stock", summary="Stock of an account book")
def stock(session: DbSession, code: str = Code, principal: Principal = Depends(book_operator),
          customs_status: str | None = Query(default=None, pattern="^(bonded|non_bonded|pending_conversion)$"),
          item_no: str | None = Query(default=None, max_length=40)) -> list[dict[str, Any]]:
    """Each record line per customs status: on hand, reserved, available."""
    return [_plain(s) for s in service.stock_list(session=session, warehouse_code=code, customs_status=customs_status,
                                                  item_no=item_no)]


@router.post("/warehouses/{code}/entries", status_code=201, summary="Record first-line entries (JSON)")
def entries(body: EntriesIn, session: DbSession, code: str = Code,
            principal: Principal = Depends(book_operator)) -> list[dict[str, Any]]:
    """All or nothing; repeating a 核注清单 line is a no-op (``created: false``)."""
    lines = [service.EntryLine(**line.model_dump()) for line in body.lines]
    return [_plain(r) for r in service.stock_in(session=session, warehouse_code=code, lines=lines,
                                                actor=principal.actor)]


@router.post("/warehouses/{code}/entries/upload", status_code=201, summary="Record first-line entries (Excel)")
async def upload(session: DbSession, code: str = Code, file: UploadFile = File(...),
                 principal: Principal = Depends(book_operator)) -> list[dict[str, Any]]:
    """The template's workbook; every bad cell is reported as ``rows[<excel row>]/<column>``; all or nothing."""
    content = await file.read()
    return [_plain(r) for r in service.upload_entries(session=session, warehouse_code=code, content=content,
                                                      actor=principal.actor)]


@router.post("/warehouses/{code}/conversions", status_code=201, summary="Convert stock between customs statuses")
def convert(body: ConvertIn, session: DbSession, code: str = Code,
            principal: Principal = Depends(book_operator)) -> dict[str, Any]:
    """Moves available stock from one status to another with its customs document."""
    src, dst = service.convert(session=session, warehouse_code=code, item_no=body.item_no, quantity=body.quantity,
                               from_status=body.from_status, to_status=body.to_status, document_no=body.document_no,
                               reference=body.reference, actor=principal.actor)
    return {"from": _plain(src), "to": _plain(dst)}


@router.post("/warehouses/{code}/documents", summary="Attach a 核注清单 to released lists or their returns")
def assign_document(body: DocumentIn, session: DbSession, code: str = Code,
                    principal: Principal = Depends(book_operator)) -> dict[str, Any]:
    """The 核注清单 number consolidating the book's deductions (``kind`` deduct) or returns back on the shelf
    (restore) of the given reservation references, so the daily reconciliation matches them; movements already on
    a 核注清单 and other books' movements are left alone (a retry changes nothing)."""
    wh = _operator_check(session, principal, code)
    changed = service.assign_document(session=session, references=body.references, document_no=body.document_no,
                                      actor=principal.actor, kind=body.kind, warehouse_id=wh.id)
    return {"document_no": body.document_no, "kind": body.kind, "changed": changed}


@router.post("/warehouses/{code}/reconciliations", summary="Reconcile a day against the customs 核注清单")
def reconcile(body: ReconcileIn, session: DbSession, code: str = Code,
              principal: Principal = Depends(book_operator)) -> dict[str, Any]:
    """Differences between our movements and the customs lines of ``business_date``."""
    report = service.reconcile(session=session, warehouse_code=code, on=body.business_date, actor=principal.actor,
                               customs_lines=[service.CustomsLine(**ln.model_dump()) for ln in body.lines])
    return {"warehouse_code": report.warehouse_code, "business_date": report.business_date.isoformat(),
            "matched": report.matched, "differences": report.differences}


@router.post("/reservations", status_code=201, summary="Reserve bonded stock for a declaration")
def reserve(body: ReserveIn, session: DbSession, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """409 ``bonded_insufficient_stock`` when not enough is available; repeating a reference is a no-op."""
    decision = service.reserve(session=session, warehouse_code=body.warehouse_code, item_no=body.item_no,
                               quantity=body.quantity, reference=body.reference, actor=principal.actor,
                               enterprise_id=principal.enterprise_id)
    if not decision.ok:
        raise errors.insufficient_stock(body.item_no, body.quantity, decision.available_before)
    return _plain(decision)


@router.get("/reservations", summary="Reservations (your own; zone-wide roles all)")
def reservations(session: DbSession, principal: Principal = Depends(current_principal),
                 status: str | None = Query(default=None, pattern="^(reserved|deducted|cancelled)$"),
                 warehouse_code: str | None = Query(default=None, max_length=32)) -> list[dict[str, Any]]:
    """Newest first."""
    enterprise = None if principal.is_zone_wide else (principal.enterprise_id or -1)
    return [_plain(r) for r in service.reservations(session=session, enterprise_id=enterprise, status=status,
                                                    warehouse_code=warehouse_code)]


def _owned(session, principal: Principal, reference: str, *, zone_only: bool) -> None:
    found = service.reservation(session=session, reference=reference)
    if found is None:
        raise errors.reservation_unknown(reference)
    if principal.is_zone_wide:
        _zone_write_check(principal)  # every route using this one changes the reservation
        return
    if found.enterprise_id != principal.enterprise_id:
        raise errors.reservation_unknown(reference)  # another enterprise's: not found, as docs/api.md says
    if zone_only:
        raise Forbidden()


Ref = Path(..., min_length=1, max_length=100)


@router.post("/reservations/{reference}/deduct", summary="Deduct on release (zone-wide roles)")
def deduct(session: DbSession, reference: str = Ref, principal: Principal = Depends(current_principal),
           document_no: str | None = Query(default=None, max_length=64)) -> dict[str, Any]:
    """Writes the reserved quantity off the book."""
    _owned(session, principal, reference, zone_only=True)
    return _plain(service.deduct(session=session, reference=reference, actor=principal.actor, document_no=document_no))


@router.post("/reservations/{reference}/cancel", summary="Cancel a reservation (rejection)")
def cancel(session: DbSession, reference: str = Ref, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Frees the reserved quantity (the declaring enterprise or a zone-wide role)."""
    _owned(session, principal, reference, zone_only=False)
    return _plain(service.cancel_reservation(session=session, reference=reference, actor=principal.actor))


@router.post("/reservations/{reference}/restore", summary="Restore on approved return or cancellation (zone-wide roles)")
def restore(body: RestoreIn, session: DbSession, reference: str = Ref,
            principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Puts deducted goods back (all, or ``quantity``)."""
    _owned(session, principal, reference, zone_only=True)
    return _plain(service.restore(session=session, reference=reference, actor=principal.actor, quantity=body.quantity,
                                  restore_reference=body.restore_reference, document_no=body.document_no))
