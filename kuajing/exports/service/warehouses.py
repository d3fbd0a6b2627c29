"""Overseas warehouses (海外仓): master data the operating enterprise keeps (optional since 2024-12-15, no gate).

The registering enterprise's administrator creates and changes its own warehouses; a warehouse is never
deleted (booking notes link to it), it is set ``inactive``. Public / certified warehouses (公共海外仓) are
readable by anyone; only the zone platform operator sets or clears that flag (公共海外仓认定 is the zone's
decision, not the enterprise's: :func:`certification_issue`). Every change is audited (stream
``export:warehouse:<id>``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.ceb import codes
from kuajing.errors import AppError, FieldIssue
from kuajing.exports import errors
from kuajing.exports.choices import WarehouseService, WarehouseStatus
from kuajing.exports.models import ExportOrder, OverseasWarehouse

FIELDS = ("name", "country", "address", "area_m2", "operator_name", "operator_code", "ownership_share", "services",
          "public_certified", "status")
_LIMITS = {"name": 100, "address": 500, "operator_name": 200, "operator_code": 18}


def _decimal(path: str, value, low: Decimal, high: Decimal, places: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.warehouse_invalid(path, value, "A number is expected.") from None
    if not number.is_finite() or number < low or number > high or number != number.quantize(Decimal(1).scaleb(-places)):
        raise errors.warehouse_invalid(path, value, "The number is out of range or has too many decimals.")
    return number


def clean(values: dict[str, Any]) -> dict[str, Any]:
    """Checked column values of ``values`` (only the fields given); raises ``exports_warehouse_invalid``."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in _LIMITS:
            text = (value or "").strip() if isinstance(value, str) else value
            if key == "operator_code" and not text:
                out[key] = None
                continue
            if not isinstance(text, str) or not text or len(text) > _LIMITS[key]:
                raise errors.warehouse_invalid(key, value, "Required text, not too long.")
            out[key] = text
        elif key == "country":
            if not isinstance(value, str) or not codes.is_valid("country", value):
                raise errors.warehouse_invalid(key, value, "Not a customs country code.")
            out[key] = value
        elif key == "area_m2":
            out[key] = _decimal(key, value, Decimal("0.01"), Decimal("999999999999.99"), 2)
        elif key == "ownership_share":
            out[key] = _decimal(key, value, Decimal(0), Decimal(100), 2)
        elif key == "services":
            allowed = {s.value for s in WarehouseService}
            if not isinstance(value, list) or any(s not in allowed for s in value):
                raise errors.warehouse_invalid(key, value, "Unknown warehouse service.")
            out[key] = sorted(set(value))
        elif key == "public_certified":
            out[key] = bool(value)
        elif key == "status":
            if value not in {s.value for s in WarehouseStatus}:
                raise errors.warehouse_invalid(key, value, "Unknown status.")
            out[key] = value
    return out


REQUIRED = ("name", "country", "address", "area_m2", "operator_name", "ownership_share")


def problems(values: dict[str, Any], *, required: tuple[str, ...] = ()) -> list[FieldIssue]:
    """Every field problem of ``values`` at once (a form shows each beside its field), ``required`` fields
    missing included; empty when :func:`clean` would accept them. Uniqueness of the name needs the database
    and is left to :func:`create` / :func:`update`."""
    issues: list[FieldIssue] = []
    for key, value in values.items():
        try:
            clean({key: value})
        except AppError as exc:
            issues += exc.errors
    given = {k for k, v in values.items() if v not in (None, "")}
    bad = {i.path for i in issues}
    issues += [FieldIssue(errors.C.warehouse_invalid, key, "This field is required.", None)
               for key in required if key not in given and key not in bad]
    return issues



#: Who may record a public overseas warehouse's certification (公共海外仓认定, policy-rules §8: provinces and
#: cities certify, the enterprise does not certify itself): the zone platform operator acting for the zone.
CERTIFICATION_MESSAGE = "Only the zone platform operator records the certification of a public overseas warehouse."


def certification_issue(values: dict[str, Any], *, may_certify: bool, current: bool = False) -> FieldIssue | None:
    """The problem of a ``public_certified`` value the caller may not set: anyone but the zone operator may keep
    the current flag (False for a new warehouse) but not change it."""
    if may_certify or "public_certified" not in values or bool(values["public_certified"]) == bool(current):
        return None
    return FieldIssue(errors.C.warehouse_invalid, "public_certified", CERTIFICATION_MESSAGE,
                      values["public_certified"])

def _snapshot(w: OverseasWarehouse) -> dict[str, Any]:
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k in FIELDS for v in [getattr(w, k)]}


def _unique(session: Session, enterprise_id: int, name: str, own_id: int | None) -> None:
    q = select(OverseasWarehouse.id).where(OverseasWarehouse.enterprise_id == enterprise_id,
                                           OverseasWarehouse.name == name)
    other = session.scalars(q).first()
    if other is not None and other != own_id:
        raise errors.warehouse_invalid("name", name, "Your enterprise already has a warehouse with this name.")


def create(*, session: Session, enterprise_id: int, values: dict[str, Any], actor: str) -> OverseasWarehouse:
    """Register an overseas warehouse of ``enterprise_id`` (audited)."""
    data = clean(values)
    for required in REQUIRED:
        if required not in data:
            raise errors.warehouse_invalid(required, None, "This field is required.")
    _unique(session, enterprise_id, data["name"], None)
    defaults = {"operator_code": None, "services": [], "public_certified": False,
                "status": WarehouseStatus.active.value}
    w = OverseasWarehouse(enterprise_id=enterprise_id, **{**defaults, **data})
    session.add(w)
    session.flush()
    audit.record(session=session, action="export:warehouse:create", stream=f"export:warehouse:{w.id}", actor=actor,
                 subject_id=str(w.id), before=None, after=_snapshot(w))
    link_booking_notes(session=session, warehouse=w)
    return w


def update(*, session: Session, warehouse: OverseasWarehouse, values: dict[str, Any], actor: str) -> OverseasWarehouse:
    """Change the given fields of a warehouse (audited; nothing when nothing changes)."""
    data = clean(values)
    if "name" in data:
        _unique(session, warehouse.enterprise_id, data["name"], warehouse.id)
    before = _snapshot(warehouse)
    for key, value in data.items():
        setattr(warehouse, key, value)
    after = _snapshot(warehouse)
    if after != before:
        session.flush()
        audit.record(session=session, action="export:warehouse:update", stream=f"export:warehouse:{warehouse.id}",
                     actor=actor, subject_id=str(warehouse.id), before=before, after=after)
        link_booking_notes(session=session, warehouse=warehouse)
    return warehouse


def link_booking_notes(*, session: Session, warehouse: OverseasWarehouse) -> int:
    """Link the enterprise's unlinked booking notes (orderType W) whose ebpName is the warehouse's name."""
    if warehouse.status != WarehouseStatus.active.value:
        return 0
    notes = session.scalars(select(ExportOrder).where(
        ExportOrder.order_type == "W", ExportOrder.warehouse_id.is_(None), ExportOrder.ebp_name == warehouse.name,
        ExportOrder.sender_enterprise_id == warehouse.enterprise_id)).all()
    for note in notes:
        note.warehouse_id = warehouse.id
    session.flush()
    return len(notes)


def booking_counts(*, session: Session, warehouse_ids: list[int]) -> dict[int, int]:
    """Number of linked booking notes per warehouse."""
    if not warehouse_ids:
        return {}
    return dict(session.execute(select(ExportOrder.warehouse_id, func.count()).where(
        ExportOrder.warehouse_id.in_(warehouse_ids)).group_by(ExportOrder.warehouse_id)).all())
