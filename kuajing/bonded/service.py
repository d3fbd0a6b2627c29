"""The bonded ledger (保税账册, 1210 网购保税进口; policy-rules.md §5).

Per account book (账册编号) and record line (料号) and customs status (R5.4 同仓存储)::

    available = on_hand − reserved            (never negative: CHECK constraints + conditional updates)
    entry      on_hand += q                   一线入区, with the 核注清单 number (R5.2)
    reserve    reserved += q                  on declaration (申报清单), only if available ≥ q
    deduct     on_hand −= q, reserved −= q    on release (放行核扣, R5.1 自动核销)
    cancel     reserved −= q                  on rejection
    restore    on_hand += q                   on approved return or cancellation after release
    convert    on_hand(from) −= q, on_hand(to) += q   status conversion with its customs document

Concurrency: entries, restores and conversions are single conditional ``UPDATE … WHERE on_hand − reserved
≥ q`` statements (or status-guarded updates of the reservation), so two writers can never both pass,
on PostgreSQL (row lock, the WHERE re-checked on the latest row) and SQLite (writers serialise).
Reservations, and the deductions and cancellations of the import pipeline, go through a :class:`StockBatch`
(``reserve_many``, ``deduct_many``, ``cancel_many``; ``reserve`` is a batch of one): the stock rows locked in
one statement in id order, each change decided in memory in order, never below zero, multi-row writes.
Every call is idempotent per reference. Services never commit.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, literal, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from kuajing.audit import service as audit
from kuajing.bonded import errors
from kuajing.bonded.choices import CustomsStatus, MovementKind, ReservationStatus
from kuajing.bonded.errors import BondedErrorCode as C
from kuajing.bonded.models import (
    BondedItem,
    BondedMovement,
    BondedReconciliation,
    BondedReservation,
    BondedStock,
    BondedWarehouse,
    Quantity,
)
from kuajing.db.base import utcnow
from kuajing.errors import AppError, Conflict, FieldIssue, validation_error

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUANTUM = Decimal("0.0001")
ZERO = Decimal(0)
MAX_UPLOAD_ROWS = 5000


# --- data in and out -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryLine:
    """One first-line entry line (一线入区) of a 核注清单."""

    item_no: str  # 料号
    goods_name: str  # 商品名称
    hs_code: str  # 商品编码 (10 digits)
    unit: str  # 法定计量单位 (customs unit code, 3 digits)
    declared_unit: str  # 申报计量单位
    quantity: Decimal
    document_no: str  # 核注清单编号
    line_no: int = 1  # 核注清单序号
    record_seq: str | None = None  # 备案序号
    customs_status: str = CustomsStatus.bonded.value


@dataclass(frozen=True)
class EntryResult:
    """What one entry line did."""

    item_no: str
    document_no: str
    line_no: int
    quantity: Decimal
    on_hand_after: Decimal
    created: bool  # False: the same line was recorded before (idempotent)


@dataclass(frozen=True)
class BondedDecision:
    """The answer to a reservation: ok, or ``bonded_insufficient_stock`` with the available quantity."""

    ok: bool
    reason_code: str | None
    warehouse_code: str
    item_no: str
    quantity: Decimal
    available_before: Decimal  # available before this claim (as seen when it was decided)
    reference: str
    repeated: bool = False


@dataclass(frozen=True)
class ReservationView:
    """A reservation after a change (or as it stands)."""

    reference: str
    warehouse_code: str
    item_no: str
    quantity: Decimal
    restored: Decimal
    status: str
    enterprise_id: int | None
    changed: bool


@dataclass(frozen=True)
class StockView:
    """One stock record as shown."""

    warehouse_code: str
    item_no: str
    goods_name: str
    hs_code: str
    unit: str
    customs_status: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@dataclass(frozen=True)
class CustomsLine:
    """One line of a customs 核注清单 as customs holds it, for the daily reconciliation."""

    document_no: str
    item_no: str
    quantity: Decimal
    direction: str  # "in" (entry, return) or "out" (deduction)


@dataclass
class ReconciliationReport:
    """The differences between our movements and the customs 核注清单 of one day."""

    warehouse_code: str
    business_date: date
    matched: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when nothing differs."""
        return not self.differences


# --- helpers ---------------------------------------------------------------------------------------


def business_date(at: datetime | None = None) -> date:
    """The Asia/Shanghai date of an instant (now by default)."""
    return (at or utcnow()).astimezone(SHANGHAI).date()


def _quantity(value: Any, path: str = "quantity") -> Decimal:
    if isinstance(value, float) and value == int(value):
        value = int(value)  # Excel gives whole numbers as floats
    if isinstance(value, float):
        value = repr(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise validation_error([errors.quantity_invalid(value, path)]) from None
    # the range first: quantizing a number of 400 digits would itself fail (InvalidOperation)
    if not number.is_finite() or number <= 0 or number >= Decimal(10) ** 14 or number != number.quantize(QUANTUM):
        raise validation_error([errors.quantity_invalid(value, path)])
    return number.quantize(QUANTUM)


def _q(value: Decimal):
    return literal(value, Quantity)


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _warehouse(session: Session, code: str) -> BondedWarehouse:
    found = session.execute(select(BondedWarehouse).where(BondedWarehouse.code == code)).scalar_one_or_none()
    if found is None:
        raise errors.warehouse_unknown(code)
    return found


def _item(session: Session, warehouse: BondedWarehouse, item_no: str) -> BondedItem:
    found = session.execute(select(BondedItem).where(
        BondedItem.warehouse_id == warehouse.id, BondedItem.item_no == item_no)).scalar_one_or_none()
    if found is None:
        raise errors.item_unknown(warehouse.code, item_no)
    return found


def _ensure_stock(session: Session, item: BondedItem, status: str) -> BondedStock:
    """The stock row of ``item`` in ``status``, created race-free (INSERT … ON CONFLICT DO NOTHING)."""
    session.execute(_insert(session)(BondedStock).values(
        item_id=item.id, warehouse_id=item.warehouse_id, customs_status=status, on_hand=ZERO, reserved=ZERO,
        updated_at=utcnow()).on_conflict_do_nothing(index_elements=["item_id", "customs_status"]))
    return session.execute(select(BondedStock).where(
        BondedStock.item_id == item.id, BondedStock.customs_status == status)
        .execution_options(populate_existing=True)).scalar_one()


def _refresh(session: Session, obj):
    session.refresh(obj)
    return obj


def _stream(warehouse: BondedWarehouse) -> str:
    return f"bonded:{warehouse.code}"


def _stock_stream(warehouse: BondedWarehouse, stock_id: int) -> str:
    """Reservations chain per stock line, not per warehouse: declarations of different goods never queue
    behind one audit head (the stock row already orders writers of the same goods)."""
    return f"bonded:{warehouse.code}:stock:{stock_id}"


def _move(session: Session, stock: BondedStock, kind: MovementKind, quantity: Decimal, reference: str, actor: str,
          *, key: str | None = None, document_no: str | None = None) -> None:
    session.add(BondedMovement(
        warehouse_id=stock.warehouse_id, item_id=stock.item_id, stock_id=stock.id,
        customs_status=stock.customs_status, kind=kind.value, quantity=quantity, reference=reference,
        movement_key=key or reference, document_no=document_no, business_date=business_date(), actor=actor))


def _available(session: Session, stock_id: int) -> Decimal:
    row = session.execute(select(BondedStock.on_hand, BondedStock.reserved).where(BondedStock.id == stock_id)).one()
    return row.on_hand - row.reserved


def _res_view(session: Session, res: BondedReservation, changed: bool) -> ReservationView:
    stock = session.get(BondedStock, res.stock_id)
    item = session.get(BondedItem, stock.item_id)
    wh = session.get(BondedWarehouse, res.warehouse_id)
    return ReservationView(reference=res.reference, warehouse_code=wh.code, item_no=item.item_no,
                           quantity=res.quantity, restored=res.restored, status=res.status,
                           enterprise_id=res.enterprise_id, changed=changed)


# --- warehouses and entries ------------------------------------------------------------------------


def create_warehouse(*, session: Session, code: str, site_code: str, name: str, operator_enterprise_id: int,
                     actor: str, customs_office: str | None = None) -> BondedWarehouse:
    """Open an account book (账册) for a bonded warehouse operated by ``operator_enterprise_id``."""
    issues = [errors.issue(C.field_required, f, "This field is required.", None)
              for f, v in (("code", code), ("site_code", site_code), ("name", name)) if not (v or "").strip()]
    if issues:
        raise validation_error(issues)
    if session.execute(select(BondedWarehouse.id).where(BondedWarehouse.code == code)).first():
        raise Conflict(C.warehouse_taken, "Account book {book} already exists.", path="code", value=code, book=code)
    wh = BondedWarehouse(code=code.strip(), site_code=site_code.strip(), name=name.strip(),
                         customs_office=customs_office, operator_enterprise_id=operator_enterprise_id,
                         created_by=actor)
    session.add(wh)
    session.flush()
    audit.record(session=session, action="bonded:warehouse:create", stream=_stream(wh), actor=actor,
                 subject_id=wh.code, after={"code": wh.code, "site_code": wh.site_code, "name": wh.name,
                                            "operator_enterprise_id": operator_enterprise_id})
    return wh


def _line_issues(n: int, line: EntryLine, prefix: str) -> list[FieldIssue]:
    out: list[FieldIssue] = []
    p = f"{prefix}[{n}]"
    for name in ("item_no", "goods_name", "document_no", "unit", "declared_unit", "hs_code"):
        if not str(getattr(line, name) or "").strip():
            out.append(errors.issue(C.field_required, f"{p}/{name}", "This field is required.", None))
    if line.hs_code and not (str(line.hs_code).isdigit() and len(str(line.hs_code)) == 10):
        out.append(errors.issue(C.field_invalid, f"{p}/hs_code", "Give the 10-digit HS code.", line.hs_code))
    for name in ("unit", "declared_unit"):
        value = str(getattr(line, name) or "")
        if value and not (value.isdigit() and len(value) == 3):
            out.append(errors.issue(C.field_invalid, f"{p}/{name}", "Give the 3-digit customs unit code.", value))
    if line.customs_status not in CustomsStatus.__members__.values():
        out.append(errors.issue(C.status_invalid, f"{p}/customs_status",
                                "Customs status must be bonded, non_bonded or pending_conversion.",
                                line.customs_status))
    try:
        _quantity(line.quantity, f"{p}/quantity")
    except AppError as exc:
        out.extend(exc.errors)
    if not isinstance(line.line_no, int) or line.line_no < 1:
        out.append(errors.issue(C.field_invalid, f"{p}/line_no", "Give a line number from 1.", line.line_no))
    return out


def stock_in(*, session: Session, warehouse_code: str, lines: Sequence[EntryLine], actor: str,
             path_prefix: str = "lines") -> list[EntryResult]:
    """Record first-line entries (一线入区) with their 核注清单 numbers; all or nothing, idempotent per document line."""
    wh = _warehouse(session, warehouse_code)
    issues: list[FieldIssue] = []
    for n, line in enumerate(lines, start=1):
        issues.extend(_line_issues(n, line, path_prefix))
    if not lines:
        issues.append(errors.issue(C.field_required, path_prefix, "Give at least one line.", None))
    items = {i.item_no: i for i in session.execute(select(BondedItem).where(
        BondedItem.warehouse_id == wh.id, BondedItem.item_no.in_([ln.item_no for ln in lines]))).scalars()}
    seen: dict[str, EntryLine] = {}
    for n, line in enumerate(lines, start=1):
        master = items.get(line.item_no)
        ref = seen.get(line.item_no)
        for other in (master, ref):
            if other is None:
                continue
            for name in ("hs_code", "unit", "declared_unit"):
                if str(getattr(other, name)) != str(getattr(line, name)):
                    issues.append(errors.issue(
                        C.item_mismatch, f"{path_prefix}[{n}]/{name}",
                        "Item {item_no} is recorded with {field} {expected}; the line says {value}.",
                        getattr(line, name), item_no=line.item_no, field=name, expected=getattr(other, name),
                        value=getattr(line, name)))
        seen.setdefault(line.item_no, line)
    if issues:
        raise validation_error(issues)

    results: list[EntryResult] = []
    for line in lines:
        quantity = _quantity(line.quantity)
        item = items.get(line.item_no)
        if item is None:
            item = BondedItem(warehouse_id=wh.id, item_no=line.item_no.strip(), record_seq=line.record_seq,
                              goods_name=line.goods_name.strip(), hs_code=line.hs_code, unit=line.unit,
                              declared_unit=line.declared_unit)
            session.add(item)
            session.flush()
            items[item.item_no] = item
        key = f"{wh.code}|{line.document_no}|{line.line_no}"
        prior = session.execute(select(BondedMovement).where(
            BondedMovement.kind == MovementKind.entry.value, BondedMovement.movement_key == key)).scalar_one_or_none()
        stock = _ensure_stock(session, item, line.customs_status)
        if prior is not None:
            if prior.item_id != item.id or prior.quantity != quantity or prior.customs_status != line.customs_status:
                raise errors.entry_conflict(line.document_no, line.line_no)
            results.append(EntryResult(item.item_no, line.document_no, line.line_no, quantity,
                                       _refresh(session, stock).on_hand, False))
            continue
        session.execute(update(BondedStock).where(BondedStock.id == stock.id)
                        .values(on_hand=BondedStock.on_hand + _q(quantity), updated_at=utcnow())
                        .execution_options(synchronize_session=False))
        _move(session, stock, MovementKind.entry, quantity, key, actor, key=key, document_no=line.document_no)
        session.flush()
        stock = _refresh(session, stock)
        results.append(EntryResult(item.item_no, line.document_no, line.line_no, quantity, stock.on_hand, True))
    created = [r for r in results if r.created]
    if created:
        audit.record(session=session, action="bonded:stock:entry", stream=_stream(wh), actor=actor,
                     subject_id=wh.code, after={"lines": [
                         {"item_no": r.item_no, "document_no": r.document_no, "line_no": r.line_no,
                          "quantity": r.quantity, "on_hand_after": r.on_hand_after} for r in created]})
    return results


# --- declarations ----------------------------------------------------------------------------------


def reserve(*, session: Session, warehouse_code: str, item_no: str, quantity: Decimal, reference: str, actor: str,
            enterprise_id: int | None = None) -> BondedDecision:
    """Reserve bonded stock on declaration; ``bonded_insufficient_stock`` (nothing written) when not enough is available.

    A batch of one (:func:`reserve_many`): the stock row is locked, the claim decided against it, and a
    repeat of ``reference`` returns ok without counting twice.
    """
    outcome = reserve_many(session=session, actor=actor, claims=[[StockClaim(
        warehouse_code=warehouse_code, item_no=item_no, quantity=quantity, reference=reference,
        enterprise_id=enterprise_id)]])[0]
    if outcome.error is not None:
        raise outcome.error
    return outcome.decisions[0]


def _get_reservation(session: Session, reference: str) -> BondedReservation:
    res = session.execute(select(BondedReservation).where(BondedReservation.reference == reference)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if res is None:
        raise errors.reservation_unknown(reference)
    return res


def _transition(session: Session, reference: str, src: ReservationStatus, dst: ReservationStatus) -> bool:
    """Move the reservation from ``src`` to ``dst`` atomically; False when it was not in ``src``."""
    return bool(session.execute(
        update(BondedReservation).where(BondedReservation.reference == reference,
                                        BondedReservation.status == src.value)
        .values(status=dst.value, updated_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount)


def deduct(*, session: Session, reference: str, actor: str, document_no: str | None = None) -> ReservationView:
    """On release: write the reserved quantity off the book (on_hand and reserved both fall; idempotent)."""
    res = _get_reservation(session, reference)
    if not _transition(session, reference, ReservationStatus.reserved, ReservationStatus.deducted):
        res = _get_reservation(session, reference)
        if res.status == ReservationStatus.deducted:
            return _res_view(session, res, False)
        raise errors.transition_not_allowed(reference, res.status, "deducted")
    session.execute(update(BondedStock).where(BondedStock.id == res.stock_id).values(
        on_hand=BondedStock.on_hand - _q(res.quantity), reserved=BondedStock.reserved - _q(res.quantity),
        updated_at=utcnow()).execution_options(synchronize_session=False))
    stock = _refresh(session, session.get(BondedStock, res.stock_id))
    _move(session, stock, MovementKind.deduct, res.quantity, reference, actor, document_no=document_no)
    session.flush()
    res = _get_reservation(session, reference)
    wh = session.get(BondedWarehouse, res.warehouse_id)
    audit.record(session=session, action="bonded:reservation:deduct", stream=_stock_stream(wh, res.stock_id), actor=actor,
                 subject_id=reference, before={"status": "reserved"},
                 after={"status": res.status, "quantity": res.quantity, "on_hand_after": stock.on_hand,
                        "document_no": document_no})
    return _res_view(session, res, True)


def cancel_reservation(*, session: Session, reference: str, actor: str) -> ReservationView:
    """On rejection before release: free the reserved quantity (idempotent)."""
    res = _get_reservation(session, reference)
    if not _transition(session, reference, ReservationStatus.reserved, ReservationStatus.cancelled):
        res = _get_reservation(session, reference)
        if res.status == ReservationStatus.cancelled:
            return _res_view(session, res, False)
        raise errors.transition_not_allowed(reference, res.status, "cancelled")
    session.execute(update(BondedStock).where(BondedStock.id == res.stock_id).values(
        reserved=BondedStock.reserved - _q(res.quantity), updated_at=utcnow())
        .execution_options(synchronize_session=False))
    stock = _refresh(session, session.get(BondedStock, res.stock_id))
    _move(session, stock, MovementKind.cancel, res.quantity, reference, actor)
    session.flush()
    res = _get_reservation(session, reference)
    wh = session.get(BondedWarehouse, res.warehouse_id)
    audit.record(session=session, action="bonded:reservation:cancel", stream=_stock_stream(wh, res.stock_id), actor=actor,
                 subject_id=reference, before={"status": "reserved"}, after={"status": res.status,
                                                                             "quantity": res.quantity})
    return _res_view(session, res, True)


def restore(*, session: Session, reference: str, actor: str, quantity: Decimal | None = None,
            restore_reference: str | None = None, document_no: str | None = None) -> ReservationView:
    """On approved return or cancellation after release: put deducted goods back (all, or ``quantity``; idempotent per restore_reference).

    A reservation still ``reserved`` (cancelled before release) is simply cancelled.
    """
    res = _get_reservation(session, reference)
    if res.status == ReservationStatus.reserved and quantity is None:
        return cancel_reservation(session=session, reference=reference, actor=actor)
    if res.status != ReservationStatus.deducted:
        raise errors.transition_not_allowed(reference, res.status, "restored")
    key = f"{reference}|{restore_reference}" if restore_reference else reference
    if session.execute(select(BondedMovement.id).where(BondedMovement.kind == MovementKind.restore.value,
                                                       BondedMovement.movement_key == key)).first():
        return _res_view(session, res, False)
    give = (res.quantity - res.restored) if quantity is None else _quantity(quantity)
    won = session.execute(
        update(BondedReservation).where(BondedReservation.id == res.id,
                                        BondedReservation.status == ReservationStatus.deducted.value,
                                        BondedReservation.quantity - BondedReservation.restored >= _q(give))
        .values(restored=BondedReservation.restored + _q(give), updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not won or give <= 0:
        res = _get_reservation(session, reference)
        raise errors.restore_exceeds_deducted(reference, give, res.quantity - res.restored)
    session.execute(update(BondedStock).where(BondedStock.id == res.stock_id).values(
        on_hand=BondedStock.on_hand + _q(give), updated_at=utcnow()).execution_options(synchronize_session=False))
    stock = _refresh(session, session.get(BondedStock, res.stock_id))
    _move(session, stock, MovementKind.restore, give, reference, actor, key=key, document_no=document_no)
    session.flush()
    res = _get_reservation(session, reference)
    wh = session.get(BondedWarehouse, res.warehouse_id)
    audit.record(session=session, action="bonded:reservation:restore", stream=_stock_stream(wh, res.stock_id), actor=actor,
                 subject_id=reference, after={"restored_now": give, "restored": res.restored,
                                              "on_hand_after": stock.on_hand, "document_no": document_no,
                                              "restore_reference": restore_reference})
    return _res_view(session, res, True)


def convert(*, session: Session, warehouse_code: str, item_no: str, quantity: Decimal, from_status: str,
            to_status: str, document_no: str, reference: str, actor: str) -> tuple[StockView, StockView]:
    """Convert available stock between customs statuses (保税 ↔ 非保税 via 待转换) with its customs document (idempotent)."""
    valid = set(CustomsStatus.__members__.values())
    issues = []
    for path, value in (("from_status", from_status), ("to_status", to_status)):
        if value not in valid:
            issues.append(errors.issue(C.status_invalid, path,
                                       "Customs status must be bonded, non_bonded or pending_conversion.", value))
    if from_status == to_status:
        issues.append(errors.issue(C.status_invalid, "to_status", "Convert to a different status.", to_status))
    if not (document_no or "").strip():
        issues.append(errors.issue(C.field_required, "document_no", "This field is required.", None))
    if issues:
        raise validation_error(issues)
    quantity = _quantity(quantity)
    wh = _warehouse(session, warehouse_code)
    item = _item(session, wh, item_no)
    source = _ensure_stock(session, item, from_status)
    target = _ensure_stock(session, item, to_status)
    prior = session.execute(select(BondedMovement).where(BondedMovement.kind == MovementKind.convert_out.value,
                                                         BondedMovement.movement_key == reference)).scalar_one_or_none()
    if prior is not None:
        # a retry names the same source, target, quantity and customs document; anything else reuses the reference
        prior_in = session.execute(select(BondedMovement.stock_id).where(
            BondedMovement.kind == MovementKind.convert_in.value, BondedMovement.movement_key == reference)).scalar()
        if (prior.stock_id != source.id or prior_in != target.id or prior.quantity != quantity
                or prior.document_no != document_no):
            raise errors.reference_reused(reference)
        return _stock_view(wh, item, _refresh(session, source)), _stock_view(wh, item, _refresh(session, target))
    won = session.execute(
        update(BondedStock).where(BondedStock.id == source.id,
                                  BondedStock.on_hand - BondedStock.reserved >= _q(quantity))
        .values(on_hand=BondedStock.on_hand - _q(quantity), updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not won:
        raise errors.insufficient_stock(item.item_no, quantity, _available(session, source.id))
    session.execute(update(BondedStock).where(BondedStock.id == target.id).values(
        on_hand=BondedStock.on_hand + _q(quantity), updated_at=utcnow()).execution_options(synchronize_session=False))
    _move(session, source, MovementKind.convert_out, quantity, reference, actor, document_no=document_no)
    _move(session, target, MovementKind.convert_in, quantity, reference, actor, document_no=document_no)
    session.flush()
    source, target = _refresh(session, source), _refresh(session, target)
    audit.record(session=session, action="bonded:stock:convert", stream=_stream(wh), actor=actor, subject_id=reference,
                 after={"item_no": item.item_no, "quantity": quantity, "from": from_status, "to": to_status,
                        "document_no": document_no})
    return _stock_view(wh, item, source), _stock_view(wh, item, target)


#: the movements a 核注清单 consolidates after the fact: the deductions of released lists (出区) and the returns
#: back on the shelf (退货入区, policy-rules R2.2 step 3), both keyed by the list's reservation reference
DOCUMENTED_LATER = {"deduct": MovementKind.deduct, "restore": MovementKind.restore}


def assign_document(*, session: Session, references: Sequence[str], document_no: str, actor: str,
                    kind: str = "deduct", warehouse_id: int | None = None) -> int:
    """Attach the 核注清单 number that consolidates released lists (``kind`` "deduct") or their returns
    ("restore") to those movements not yet on one, in one book when ``warehouse_id`` is given; returns how many
    changed (a retry changes none)."""
    movement = DOCUMENTED_LATER.get(kind)
    if movement is None:
        raise validation_error([errors.issue(C.field_invalid, "kind", "Use deduct or restore.", kind)])
    where = [BondedMovement.kind == movement.value, BondedMovement.reference.in_(list(references)),
             BondedMovement.document_no.is_(None)]
    if warehouse_id is not None:
        where.append(BondedMovement.warehouse_id == warehouse_id)
    changed = session.execute(update(BondedMovement).where(*where).values(document_no=document_no)
                              .execution_options(synchronize_session=False)).rowcount
    if changed:
        audit.record(session=session, action="bonded:stock:assign-document", stream="bonded:documents", actor=actor,
                     subject_id=document_no, after={"references": list(references), "kind": kind, "changed": changed})
    return changed


# --- views -----------------------------------------------------------------------------------------


def _stock_view(wh: BondedWarehouse, item: BondedItem, stock: BondedStock) -> StockView:
    return StockView(warehouse_code=wh.code, item_no=item.item_no, goods_name=item.goods_name, hs_code=item.hs_code,
                     unit=item.unit, customs_status=stock.customs_status, on_hand=stock.on_hand,
                     reserved=stock.reserved, available=stock.on_hand - stock.reserved)


def stock_list(*, session: Session, warehouse_code: str | None = None, operator_enterprise_id: int | None = None,
               customs_status: str | None = None, item_no: str | None = None) -> list[StockView]:
    """Stock records, filtered by book, operator, customs status and item."""
    query = (select(BondedWarehouse, BondedItem, BondedStock)
             .join(BondedItem, BondedItem.warehouse_id == BondedWarehouse.id)
             .join(BondedStock, BondedStock.item_id == BondedItem.id)
             .order_by(BondedWarehouse.code, BondedItem.item_no, BondedStock.customs_status))
    if warehouse_code:
        query = query.where(BondedWarehouse.code == warehouse_code)
    if operator_enterprise_id is not None:
        query = query.where(BondedWarehouse.operator_enterprise_id == operator_enterprise_id)
    if customs_status:
        query = query.where(BondedStock.customs_status == customs_status)
    if item_no:
        query = query.where(BondedItem.item_no == item_no)
    return [_stock_view(wh, item, stock) for wh, item, stock in session.execute(query).all()]


def reservations(*, session: Session, enterprise_id: int | None = None, warehouse_code: str | None = None,
                 status: str | None = None, limit: int = 200) -> list[ReservationView]:
    """Reservations, filtered by declaring enterprise, book and status (newest first)."""
    query = (select(BondedReservation, BondedWarehouse.code, BondedItem.item_no)
             .join(BondedWarehouse, BondedWarehouse.id == BondedReservation.warehouse_id)
             .join(BondedStock, BondedStock.id == BondedReservation.stock_id)
             .join(BondedItem, BondedItem.id == BondedStock.item_id)
             .order_by(BondedReservation.id.desc()).limit(limit))
    if enterprise_id is not None:
        query = query.where(BondedReservation.enterprise_id == enterprise_id)
    if warehouse_code:
        query = query.where(BondedWarehouse.code == warehouse_code)
    if status:
        query = query.where(BondedReservation.status == status)
    return [ReservationView(reference=r.reference, warehouse_code=code, item_no=item_no, quantity=r.quantity,
                            restored=r.restored, status=r.status, enterprise_id=r.enterprise_id, changed=False)
            for r, code, item_no in session.execute(query).all()]


def reservation(*, session: Session, reference: str) -> ReservationView | None:
    """The reservation ``reference`` as it stands (None when unknown)."""
    res = session.execute(select(BondedReservation).where(BondedReservation.reference == reference)
                          ).scalar_one_or_none()
    return None if res is None else _res_view(session, res, False)


def movement_totals(*, session: Session, warehouse_code: str, item_no: str, customs_status: str) -> tuple[Decimal, Decimal]:
    """(on_hand, reserved) recomputed from the movements alone, to check the stock row."""
    wh = _warehouse(session, warehouse_code)
    item = _item(session, wh, item_no)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for kind, qty in session.execute(select(BondedMovement.kind, BondedMovement.quantity).where(
            BondedMovement.item_id == item.id, BondedMovement.customs_status == customs_status)):
        sums[kind] += qty
    k = MovementKind
    on_hand = sums[k.entry] + sums[k.restore] + sums[k.convert_in] - sums[k.deduct] - sums[k.convert_out]
    reserved = sums[k.reserve] - sums[k.deduct] - sums[k.cancel]
    return on_hand, reserved


# --- daily reconciliation --------------------------------------------------------------------------

_DIRECTION = {MovementKind.entry.value: "in", MovementKind.restore.value: "in", MovementKind.deduct.value: "out"}


def reconcile(*, session: Session, warehouse_code: str, on: date, customs_lines: Sequence[CustomsLine],
              actor: str) -> ReconciliationReport:
    """Compare the day's entries, deductions and returns with the customs 核注清单 lines; store and return the differences.

    Differences: ``missing_at_customs`` (our movement's 核注清单 number/item unknown to customs),
    ``missing_on_platform`` (a customs line we have no movement for), ``quantity_mismatch``, and
    ``no_document`` (our deductions/returns not yet on any 核注清单).
    """
    wh = _warehouse(session, warehouse_code)
    ours: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    unassigned: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    rows = session.execute(
        select(BondedMovement.kind, BondedMovement.document_no, BondedMovement.quantity, BondedItem.item_no)
        .join(BondedItem, BondedItem.id == BondedMovement.item_id)
        .where(BondedMovement.warehouse_id == wh.id, BondedMovement.business_date == on,
               BondedMovement.kind.in_(list(_DIRECTION)))).all()
    for kind, document_no, quantity, item_no in rows:
        if document_no:
            ours[(document_no, item_no, _DIRECTION[kind])] += quantity
        else:
            unassigned[(item_no, _DIRECTION[kind])] += quantity
    theirs: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for line in customs_lines:
        theirs[(line.document_no, line.item_no, line.direction)] += Decimal(str(line.quantity))
    report = ReconciliationReport(warehouse_code=wh.code, business_date=on)
    for key in sorted(set(ours) | set(theirs)):
        document_no, item_no, direction = key
        base = {"document_no": document_no, "item_no": item_no, "direction": direction}
        if key not in theirs:
            report.differences.append(base | {"kind": "missing_at_customs", "platform": str(ours[key]), "customs": None})
        elif key not in ours:
            report.differences.append(base | {"kind": "missing_on_platform", "platform": None, "customs": str(theirs[key])})
        elif ours[key] != theirs[key]:
            report.differences.append(base | {"kind": "quantity_mismatch", "platform": str(ours[key]),
                                              "customs": str(theirs[key])})
        else:
            report.matched += 1
    for (item_no, direction), quantity in sorted(unassigned.items()):
        report.differences.append({"document_no": None, "item_no": item_no, "direction": direction,
                                   "kind": "no_document", "platform": str(quantity), "customs": None})
    session.add(BondedReconciliation(warehouse_id=wh.id, business_date=on, matched=report.matched,
                                     differences=report.differences, actor=actor))
    session.flush()
    audit.record(session=session, action="bonded:warehouse:reconcile", stream=_stream(wh), actor=actor,
                 subject_id=f"{wh.code}:{on.isoformat()}",
                 after={"matched": report.matched, "differences": len(report.differences)})
    return report


# --- Excel -----------------------------------------------------------------------------------------

TEMPLATE_COLUMNS = ("document_no", "line_no", "item_no", "record_seq", "goods_name", "hs_code", "unit",
                    "declared_unit", "quantity", "customs_status")
_TEMPLATE_HEADERS = ("核注清单编号 document_no", "序号 line_no", "料号 item_no", "备案序号 record_seq",
                     "商品名称 goods_name", "商品编码 hs_code", "法定单位 unit", "申报单位 declared_unit",
                     "数量 quantity", "海关状态 customs_status")


def entry_template() -> bytes:
    """The Excel template for first-line entries (one header row, one example row)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "entries"
    ws.append(list(_TEMPLATE_HEADERS))
    ws.append(["QD0401260000000001", 1, "SKU-0001", "1", "婴儿配方奶粉 900g", "1901101000", "035", "122", 100,
               "bonded"])
    for col, width in zip("ABCDEFGHIJ", (24, 10, 16, 12, 28, 14, 12, 14, 10, 16)):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).strip()


def parse_entry_workbook(content: bytes) -> list[EntryLine]:
    """Read an uploaded entry workbook; every bad cell is a field issue ``rows[n]/<column>`` (n = Excel row)."""
    return _parse_workbook(content)[0]


def _parse_workbook(content: bytes) -> tuple[list[EntryLine], list[int]]:
    from openpyxl import load_workbook

    from kuajing.spreadsheets import WorkbookTooLarge, check_workbook_archive

    try:
        check_workbook_archive(content)  # a zip bomb is refused before openpyxl unpacks anything
    except WorkbookTooLarge as exc:
        raise validation_error([errors.issue(C.upload_invalid, "file",
                                             "The workbook unpacks to more than {mb} MB; split the file.", None,
                                             mb=exc.limit_mb)]) from None
    except ValueError:
        raise validation_error([errors.issue(C.upload_invalid, "file", "The file is not an Excel workbook (.xlsx).",
                                             None)]) from None
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise validation_error([errors.issue(C.upload_invalid, "file", "The file is not an Excel workbook (.xlsx).",
                                             None)]) from None
    ws = wb.worksheets[0]
    lines: list[EntryLine] = []
    row_numbers: list[int] = []
    issues: list[FieldIssue] = []
    for row_no, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        cells = [_cell(v) for v in (list(row) + [None] * len(TEMPLATE_COLUMNS))[:len(TEMPLATE_COLUMNS)]]
        if not any(cells):
            continue
        if len(lines) >= MAX_UPLOAD_ROWS:
            issues.append(errors.issue(C.upload_invalid, f"rows[{row_no}]", "At most {n} rows per upload.", None,
                                       n=MAX_UPLOAD_ROWS))
            break
        data = dict(zip(TEMPLATE_COLUMNS, cells))
        try:
            line_no = int(data["line_no"]) if data["line_no"] else 1
        except ValueError:
            issues.append(errors.issue(C.field_invalid, f"rows[{row_no}]/line_no", "Give a line number from 1.",
                                       data["line_no"]))
            line_no = 1
        lines.append(EntryLine(item_no=data["item_no"], goods_name=data["goods_name"], hs_code=data["hs_code"],
                               unit=data["unit"], declared_unit=data["declared_unit"], quantity=data["quantity"],
                               document_no=data["document_no"], line_no=line_no, record_seq=data["record_seq"] or None,
                               customs_status=data["customs_status"] or CustomsStatus.bonded.value))
        row_numbers.append(row_no)
        issues.extend(_line_issues(row_no, lines[-1], "rows"))
    wb.close()
    if not lines and not issues:
        issues.append(errors.issue(C.upload_invalid, "file", "The workbook has no data rows.", None))
    if issues:
        raise validation_error(issues)
    return lines, row_numbers


def upload_entries(*, session: Session, warehouse_code: str, content: bytes, actor: str) -> list[EntryResult]:
    """Parse an entry workbook and record it, all or nothing (issues name the Excel row)."""
    lines, row_numbers = _parse_workbook(content)
    # issues from stock_in name lines by position: map them back to Excel rows
    try:
        return stock_in(session=session, warehouse_code=warehouse_code, lines=lines, actor=actor, path_prefix="rows")
    except AppError as exc:
        for issue in exc.errors:
            if issue.path.startswith("rows["):
                n, _, rest = issue.path[5:].partition("]")
                if n.isdigit() and 1 <= int(n) <= len(row_numbers):
                    issue.path = f"rows[{row_numbers[int(n) - 1]}]{rest}"
        raise


# --- batches (set-based: one lock round, multi-row writes) ------------------------------------------


@dataclass(frozen=True)
class StockClaim:
    """One declaration line claiming bonded stock (清单表体占用): the arguments of :func:`reserve`."""

    warehouse_code: str  # 账册编号
    item_no: str  # 料号
    quantity: Decimal
    reference: str
    enterprise_id: int | None = None  # 申报企业


@dataclass(frozen=True)
class GroupOutcome:
    """What a group of claims (the lines of one list: all or nothing) got from :func:`reserve_many`."""

    ok: bool
    decisions: tuple[BondedDecision, ...]  # one per claim tried, in order; the last one failed when not ok
    error: AppError | None = None  # what stopped the group, when a claim raised (unknown book or item …)


@dataclass
class _Row:
    """A locked bonded stock row as kept in memory by a batch (保税库存)."""

    id: int
    warehouse_id: int
    item_id: int
    customs_status: str
    on_hand: Decimal
    reserved: Decimal
    warehouse_code: str
    item_no: str
    on_hand_stored: Decimal = ZERO
    reserved_stored: Decimal = ZERO


@dataclass
class _Held:
    """A reservation as kept in memory by a batch (清单占用); ``id`` is None until written."""

    id: int | None
    reference: str
    stock_id: int
    warehouse_id: int
    enterprise_id: int | None
    quantity: Decimal
    restored: Decimal
    status: str
    actor: str
    stored_status: str | None = None  # the status in the database (None: a new reservation)


#: the stock changes of a batch in one statement (PostgreSQL): constant text, arrays as parameters
_STOCK_DELTAS_PG = text(
    "UPDATE bonded_stock SET on_hand = bonded_stock.on_hand + d.d_on_hand, "
    "reserved = bonded_stock.reserved + d.d_reserved, updated_at = :now "
    "FROM unnest(CAST(:ids AS BIGINT[]), CAST(:on_hand AS NUMERIC[]), CAST(:reserved AS NUMERIC[])) "
    "AS d(id, d_on_hand, d_reserved) WHERE bonded_stock.id = d.id")


def _insert_rows(session: Session, table, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (all with the same keys) as one executemany of one constant statement: compiled once per
    process and, on PostgreSQL, sent in one pipeline (no statement text that grows with the number of rows)."""
    if rows:
        session.execute(insert(table), rows)


def _stock_columns():
    return (BondedStock.id, BondedStock.warehouse_id, BondedStock.item_id, BondedStock.customs_status,
            BondedStock.on_hand, BondedStock.reserved, BondedWarehouse.code, BondedItem.item_no)


class StockBatch:
    """Many bonded-ledger changes decided together: every stock row involved locked in ONE statement in id
    order (the global lock order), each change decided in memory in the caller's
    order exactly as the single-call functions decide it (available never below zero), then written with
    multi-row statements by :meth:`write`. On SQLite a write comes first and takes the database's write
    lock (no FOR UPDATE there). Open one with :meth:`for_claims` or :meth:`for_references`.
    """

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.rows: dict[int, _Row] = {}
        self.by_pair: dict[tuple[str, str], _Row] = {}
        self.unknown: dict[tuple[str, str], AppError | None] = {}  # pair → error (None: no bonded row: 0 available)
        self.held: dict[str, _Held] = {}
        self.movements: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    def _keep_rows(self, result) -> None:
        for r in result:
            row = _Row(id=r.id, warehouse_id=r.warehouse_id, item_id=r.item_id, customs_status=r.customs_status,
                       on_hand=r.on_hand, reserved=r.reserved, warehouse_code=r.code, item_no=r.item_no,
                       on_hand_stored=r.on_hand, reserved_stored=r.reserved)
            self.rows[row.id] = row
            if row.customs_status == CustomsStatus.bonded.value:
                self.by_pair[(row.warehouse_code, row.item_no)] = row

    def _keep_held(self, references: Sequence[str]) -> None:
        wanted = sorted({r for r in references if r} - set(self.held))
        for start in range(0, len(wanted), 500):
            for res in self.session.execute(select(BondedReservation).where(
                    BondedReservation.reference.in_(wanted[start:start + 500]))).scalars():
                self.held[res.reference] = _Held(
                    id=res.id, reference=res.reference, stock_id=res.stock_id, warehouse_id=res.warehouse_id,
                    enterprise_id=res.enterprise_id, quantity=res.quantity, restored=res.restored, status=res.status,
                    actor=res.actor, stored_status=res.status)

    @classmethod
    def for_claims(cls, session: Session, claims: Sequence[StockClaim], actor: str) -> StockBatch:
        """Lock the bonded stock rows of every (book, item) the claims name, in id order, in one statement,
        and load the reservations their references already name."""
        batch = cls(session, actor)
        pairs = sorted({(c.warehouse_code, c.item_no) for c in claims if c.warehouse_code})
        if not pairs:
            return batch
        named = tuple_(BondedWarehouse.code, BondedItem.item_no).in_(pairs)
        if batch._sqlite():  # the first write takes SQLite's write lock before anything is read
            session.execute(update(BondedStock).where(BondedStock.id.in_(
                select(BondedStock.id).join(BondedItem, BondedItem.id == BondedStock.item_id)
                .join(BondedWarehouse, BondedWarehouse.id == BondedItem.warehouse_id)
                .where(named, BondedStock.customs_status == CustomsStatus.bonded.value)))
                .values(updated_at=utcnow()).execution_options(synchronize_session=False))
        batch._keep_rows(session.execute(
            select(*_stock_columns()).join(BondedItem, BondedItem.id == BondedStock.item_id)
            .join(BondedWarehouse, BondedWarehouse.id == BondedItem.warehouse_id)
            .where(named, BondedStock.customs_status == CustomsStatus.bonded.value)
            .order_by(BondedStock.id).with_for_update(of=BondedStock)).all())
        missing = [p for p in pairs if p not in batch.by_pair]
        if missing:  # rare: an unknown book or item, or an item never entered as bonded (nothing available)
            books = {code for code, _ in missing}
            known = set(session.execute(select(BondedWarehouse.code, BondedItem.item_no)
                                        .join(BondedItem, BondedItem.warehouse_id == BondedWarehouse.id, isouter=True)
                                        .where(BondedWarehouse.code.in_(books))).all())
            known_books = {code for code, _ in known}
            for code, item_no in missing:
                if code not in known_books:
                    batch.unknown[(code, item_no)] = errors.warehouse_unknown(code)
                elif (code, item_no) not in known:
                    batch.unknown[(code, item_no)] = errors.item_unknown(code, item_no)
                else:
                    batch.unknown[(code, item_no)] = None
        batch._keep_held([c.reference for c in claims])
        return batch

    @classmethod
    def for_references(cls, session: Session, references: Sequence[str], actor: str) -> StockBatch:
        """Lock the stock rows of the reservations ``references`` (one SELECT … FOR UPDATE in id order), then
        read the reservations under the lock."""
        batch = cls(session, actor)
        wanted = sorted({r for r in references if r})
        if not wanted:
            return batch
        held_rows = select(BondedReservation.stock_id).where(BondedReservation.reference.in_(wanted))
        if batch._sqlite():
            session.execute(update(BondedStock).where(BondedStock.id.in_(held_rows)).values(updated_at=utcnow())
                            .execution_options(synchronize_session=False))
        batch._keep_rows(session.execute(
            select(*_stock_columns()).join(BondedItem, BondedItem.id == BondedStock.item_id)
            .join(BondedWarehouse, BondedWarehouse.id == BondedItem.warehouse_id)
            .where(BondedStock.id.in_(held_rows)).order_by(BondedStock.id).with_for_update(of=BondedStock)).all())
        batch._keep_held(wanted)
        return batch

    # -- decisions in memory ----------------------------------------------------------------------

    def _move(self, row: _Row, kind: MovementKind, quantity: Decimal, reference: str,
              document_no: str | None = None) -> None:
        self.movements.append(dict(
            warehouse_id=row.warehouse_id, item_id=row.item_id, stock_id=row.id, customs_status=row.customs_status,
            kind=kind.value, quantity=quantity, reference=reference, movement_key=reference, document_no=document_no,
            business_date=business_date(), actor=self.actor, at=utcnow()))

    def _event(self, action: str, row: _Row, reference: str, after: dict, before: dict | None = None) -> None:
        self.events.append(dict(action=action, stream=f"bonded:{row.warehouse_code}:stock:{row.id}",
                                actor=self.actor, subject_id=reference, before=before, after=after))

    def _reserve_one(self, claim: StockClaim) -> BondedDecision:
        quantity = _quantity(claim.quantity)
        reference = claim.reference
        if not reference or len(reference) > 100:
            raise validation_error([errors.issue(C.field_invalid, "reference",
                                                 "Give a reference of 1 to 100 characters.", reference)])
        pair = (claim.warehouse_code, claim.item_no)
        row = self.by_pair.get(pair)
        if row is None:
            if not claim.warehouse_code:
                raise errors.warehouse_unknown(claim.warehouse_code)
            problem = self.unknown.get(pair)
            if problem is not None:
                raise problem
            # the item has no bonded stock row: nothing is available (the single call would create an empty row)
            return BondedDecision(ok=False, reason_code=C.insufficient_stock.value, warehouse_code=pair[0],
                                  item_no=pair[1], quantity=quantity, available_before=ZERO, reference=reference)
        existing = self.held.get(reference)
        if existing is not None:
            # the same claim again is a repeat; another enterprise's reservation of that reference is no success
            # of the caller's (the same answer as a reuse with other goods: nothing about the other is said)
            other = (claim.enterprise_id is not None and existing.enterprise_id is not None
                     and existing.enterprise_id != claim.enterprise_id)
            if other or existing.stock_id != row.id or existing.quantity != quantity:
                raise errors.reference_reused(reference)
            return BondedDecision(ok=True, reason_code=None, warehouse_code=row.warehouse_code, item_no=row.item_no,
                                  quantity=quantity, available_before=ZERO, reference=reference, repeated=True)
        available = row.on_hand - row.reserved
        if available < quantity:  # never below zero (R5.1): nothing is written
            return BondedDecision(ok=False, reason_code=C.insufficient_stock.value, warehouse_code=row.warehouse_code,
                                  item_no=row.item_no, quantity=quantity, available_before=available,
                                  reference=reference)
        row.reserved += quantity
        self.held[reference] = _Held(id=None, reference=reference, stock_id=row.id, warehouse_id=row.warehouse_id,
                                     enterprise_id=claim.enterprise_id, quantity=quantity, restored=ZERO,
                                     status=ReservationStatus.reserved.value, actor=self.actor)
        self._move(row, MovementKind.reserve, quantity, reference)
        self._event("bonded:reservation:reserve", row, reference,
                    {"item_no": row.item_no, "quantity": quantity, "available_before": available,
                     "enterprise_id": claim.enterprise_id})
        return BondedDecision(ok=True, reason_code=None, warehouse_code=row.warehouse_code, item_no=row.item_no,
                              quantity=quantity, available_before=available, reference=reference)

    def reserve_group(self, claims: Sequence[StockClaim]) -> GroupOutcome:
        """Reserve every claim of the group in order, or none: the first that is short or raises undoes the
        group's earlier claims (as the single calls inside one rolled-back savepoint)."""
        marks = (len(self.movements), len(self.events))
        decisions: list[BondedDecision] = []
        error: AppError | None = None
        for claim in claims:
            try:
                decision = self._reserve_one(claim)
            except AppError as exc:
                error = exc
                break
            decisions.append(decision)
            if not decision.ok:
                break
        ok = error is None and all(d.ok for d in decisions)
        if not ok:  # undo the group's reservations (each left exactly one reserve movement)
            for move in self.movements[marks[0]:]:
                self.rows[move["stock_id"]].reserved -= move["quantity"]
                del self.held[move["reference"]]
            del self.movements[marks[0]:]
            del self.events[marks[1]:]
        return GroupOutcome(ok=ok, decisions=tuple(decisions), error=error)

    def _view(self, held: _Held, changed: bool) -> ReservationView:
        row = self.rows[held.stock_id]
        return ReservationView(reference=held.reference, warehouse_code=row.warehouse_code, item_no=row.item_no,
                               quantity=held.quantity, restored=held.restored, status=held.status,
                               enterprise_id=held.enterprise_id, changed=changed)

    def _settle(self, reference: str, target: ReservationStatus, document_no: str | None = None) -> ReservationView:
        held = self.held.get(reference)
        if held is None:
            raise errors.reservation_unknown(reference)
        if held.status != ReservationStatus.reserved:
            if held.status == target:
                return self._view(held, False)
            raise errors.transition_not_allowed(reference, held.status, target.value)
        row = self.rows[held.stock_id]
        held.status = target.value
        row.reserved -= held.quantity
        if target is ReservationStatus.deducted:
            row.on_hand -= held.quantity
            self._move(row, MovementKind.deduct, held.quantity, reference, document_no)
            self._event("bonded:reservation:deduct", row, reference,
                        {"status": held.status, "quantity": held.quantity, "on_hand_after": row.on_hand,
                         "document_no": document_no}, before={"status": "reserved"})
        else:
            self._move(row, MovementKind.cancel, held.quantity, reference)
            self._event("bonded:reservation:cancel", row, reference, {"status": held.status, "quantity": held.quantity},
                        before={"status": "reserved"})
        return self._view(held, True)

    def deduct(self, reference: str, document_no: str | None = None) -> ReservationView:
        """:func:`deduct`, decided in memory."""
        return self._settle(reference, ReservationStatus.deducted, document_no)

    def cancel(self, reference: str) -> ReservationView:
        """:func:`cancel_reservation`, decided in memory."""
        return self._settle(reference, ReservationStatus.cancelled)

    # -- writing ----------------------------------------------------------------------------------

    def write(self) -> None:
        """Write what was decided: new reservations and movements (one multi-row INSERT each), status changes
        (one guarded UPDATE per target status), stock (one UPDATE … FROM (VALUES …); per row on SQLite),
        then the audit events in decision order."""
        session = self.session
        session.flush()  # the caller's pending changes first (objects expired below must not lose them)
        new = [h for h in self.held.values() if h.stored_status is None]
        if new:
            now = utcnow()
            _insert_rows(session, BondedReservation.__table__, [
                dict(reference=h.reference, stock_id=h.stock_id, warehouse_id=h.warehouse_id,
                     enterprise_id=h.enterprise_id, quantity=h.quantity, restored=h.restored, status=h.status,
                     actor=h.actor, created_at=now, updated_at=now) for h in new])
        moved: dict[str, list[int]] = {}
        for h in self.held.values():
            if h.stored_status is not None and h.stored_status != h.status:
                moved.setdefault(h.status, []).append(h.id)  # type: ignore[arg-type]
        for status, ids in sorted(moved.items()):
            done = session.execute(
                update(BondedReservation).where(BondedReservation.id.in_(ids),
                                                BondedReservation.status == ReservationStatus.reserved.value)
                .values(status=status, updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
            if done != len(ids):  # a concurrent single call changed one first: never write a double change
                raise Conflict(C.transition_not_allowed, "Bonded reservations changed concurrently; retry.")
        for h in self.held.values():
            h.stored_status = h.status
        if self.movements:
            _insert_rows(session, BondedMovement.__table__, self.movements)
            self.movements = []
        changed = [row for _, row in sorted(self.rows.items())
                   if (row.on_hand, row.reserved) != (row.on_hand_stored, row.reserved_stored)]
        if changed:
            now = utcnow()
            deltas = [(row.id, row.on_hand - row.on_hand_stored, row.reserved - row.reserved_stored) for row in changed]
            dialect = session.get_bind().dialect
            if dialect.name == "postgresql":  # one constant statement over arrays, whatever the number of rows
                session.execute(_STOCK_DELTAS_PG, {
                    "ids": [i for i, _a, _b in deltas], "now": now,
                    "on_hand": [Quantity.process_bind_param(a, dialect) for _i, a, _b in deltas],
                    "reserved": [Quantity.process_bind_param(b, dialect) for _i, _a, b in deltas]})
            else:
                table = BondedStock.__table__  # Core: one executemany, not the ORM's bulk update by key
                session.execute(update(table).where(table.c.id == bindparam("b_id"))
                                .values(on_hand=table.c.on_hand + bindparam("b_on_hand", type_=Quantity),
                                        reserved=table.c.reserved + bindparam("b_reserved", type_=Quantity),
                                        updated_at=now),
                                [{"b_id": i, "b_on_hand": a, "b_reserved": b} for i, a, b in deltas])
            for row in changed:
                row.on_hand_stored, row.reserved_stored = row.on_hand, row.reserved
        for id_ in self.rows:
            obj = session.identity_map.get(identity_key(BondedStock, id_))
            if obj is not None:
                session.expire(obj)
        events, self.events = self.events, []
        if events:
            with audit.deferred(session):
                for e in events:
                    audit.record(session=session, **e)


def reserve_many(*, session: Session, claims: Sequence[Sequence[StockClaim]], actor: str) -> list[GroupOutcome]:
    """:func:`reserve` for many groups of claims at once (a group: the lines of one list, all or nothing),
    decided in order exactly as one call each would decide them (a later claim sees the earlier ones)."""
    batch = StockBatch.for_claims(session, [c for group in claims for c in group], actor)
    outcomes = [batch.reserve_group(group) for group in claims]
    batch.write()
    return outcomes


def _settle_many(session: Session, references: Sequence[str], actor: str, how: str) -> list[ReservationView | AppError]:
    from kuajing.errors import each_or_error

    batch = StockBatch.for_references(session, references, actor)
    out = each_or_error(getattr(batch, how), references)
    batch.write()
    return out


def deduct_many(*, session: Session, references: Sequence[str], actor: str) -> list[ReservationView | AppError]:
    """:func:`deduct` for many references in one lock round; each result is the view, or the error the single
    call would have raised (unknown reference, wrong state) — the others still go through."""
    return _settle_many(session, references, actor, "deduct")


def cancel_many(*, session: Session, references: Sequence[str], actor: str) -> list[ReservationView | AppError]:
    """:func:`cancel_reservation` for many references in one lock round (results as :func:`deduct_many`)."""
    return _settle_many(session, references, actor, "cancel")
