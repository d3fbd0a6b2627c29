"""Proceeds (收汇): record a receipt with its netting figures and the orders / lists it settles; settlement
status and ageing per declaration list; 9810 reconciliation per booking note; the individual quota view."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.data import service as data
from kuajing.db.types import blind_index, mask
from kuajing.enterprises.models import Enterprise
from kuajing.errors import FieldIssue, validation_error
from kuajing.exports.models import ExportInventory, ExportOrder
from kuajing.fx import calc, errors
from kuajing.fx.choices import Ageing, FeeKind, PayeeKind, SettlementStatus
from kuajing.fx.models import FxAllocation, FxProceeds
from kuajing.rules import rule

USD = "502"


def stream(enterprise_id: int) -> str:
    """The audit stream of an enterprise's FX records."""
    return f"fx:enterprise:{enterprise_id}"


@dataclass
class AllocationIn:
    """One order / list a receipt settles, and how much of the export figure goes to it."""

    reference: str  # order no. (订单/订仓单编号) or list no. (清单编号)
    amount: Decimal


@dataclass
class ProceedsIn:
    """A receipt as entered (API, form or Excel row)."""

    bank_name: str
    bank_reference: str
    received_on: date
    currency: str
    actual_amount: Decimal
    payer_name: str
    fees: list[tuple[str, Decimal]] = field(default_factory=list)
    export_amount: Decimal | None = None  # optional check: must equal actual + fees
    allocations: list[AllocationIn] = field(default_factory=list)
    payer_country: str | None = None
    evidence_ref: str | None = None
    payee_kind: str = PayeeKind.enterprise.value
    person_name: str | None = None
    person_id_number: str | None = None
    note: str | None = None


# --- the enterprise's export documents --------------------------------------------------------------------


def _customs_code(session: Session, enterprise_id: int) -> str | None:
    return session.scalar(select(Enterprise.customs_code).where(Enterprise.id == enterprise_id))


def own_orders(session: Session, enterprise_id: int):
    """Export orders the enterprise sent or is the e-commerce enterprise of."""
    code = _customs_code(session, enterprise_id)
    cond = ExportOrder.sender_enterprise_id == enterprise_id
    return select(ExportOrder).where(or_(cond, ExportOrder.ebc_code == code) if code else cond)


def own_lists(session: Session, enterprise_id: int):
    """Declaration lists the enterprise sent or is the consignor (收发货人) of."""
    code = _customs_code(session, enterprise_id)
    cond = ExportInventory.sender_enterprise_id == enterprise_id
    return select(ExportInventory).where(or_(cond, ExportInventory.ebc_code == code) if code else cond)


def _resolve(session: Session, enterprise_id: int, reference: str) -> tuple[ExportOrder | None, ExportInventory | None]:
    ref = reference.strip()
    inv = session.scalars(own_lists(session, enterprise_id).where(
        or_(ExportInventory.invt_no == ref, ExportInventory.pre_no == ref)).limit(1)).first()
    if inv is not None:
        return None, inv
    order = session.scalars(own_orders(session, enterprise_id).where(ExportOrder.order_no == ref)
                            .order_by(ExportOrder.id).limit(1)).first()
    return order, None


def export_date(inv: ExportInventory) -> date | None:
    """The list's export date (出口日期, ieDate yyyyMMdd)."""
    try:
        return datetime.strptime(inv.ie_date, "%Y%m%d").date() if inv.ie_date else None
    except ValueError:
        return None


def list_of_order(session: Session, order: ExportOrder) -> ExportInventory | None:
    """The declaration list of an order (its business key is ebpCode:orderNo, so at most one)."""
    return session.scalars(select(ExportInventory).where(ExportInventory.business_key == f"{order.ebp_code}:{order.order_no}")
                           .where(ExportInventory.status != "deleted")).first()


def list_value(inv: ExportInventory) -> tuple[Decimal, str]:
    """Declared value (sum of the line totals) and its currency."""
    total = sum((Decimal(i.total_price) for i in inv.items), Decimal(0))
    currency = inv.items[0].currency if inv.items else "142"
    return calc.cents(total), currency


# --- recording --------------------------------------------------------------------------------------------


def _usd_equivalent(session: Session, amount: Decimal, currency: str, on: date) -> Decimal:
    if currency == USD:
        return calc.cents(amount)
    cur = data.exchange_rate(session=session, currency=currency, on=on).rate
    usd = data.exchange_rate(session=session, currency=USD, on=on).rate
    return calc.convert(amount, from_rate=cur, to_rate=usd)


def record(*, session: Session, enterprise_id: int, values: ProceedsIn, actor: str, source: str = "api",
           path_prefix: str = "") -> FxProceeds:
    """Record a receipt: restore the netting figures, link the orders / lists, mark an individual's receipt
    quota-exempt only with evidence (R6.5), audit it. Raises 422/409 problems with field paths."""
    p = path_prefix
    issues: list[FieldIssue] = []
    currency = data.customs_currency(values.currency, path=f"{p}currency")
    if Decimal(values.actual_amount) <= 0:
        issues.append(FieldIssue(errors.C.amount_not_positive, f"{p}actual_amount", "Must be more than zero.",
                                 str(values.actual_amount)))
    fees: list[tuple[str, Decimal]] = []
    for n, (kind, amount) in enumerate(values.fees):
        if kind not in FeeKind.__members__:
            issues.append(FieldIssue(errors.C.fee_kind_unknown, f"{p}fees[{n}]/kind", "Unknown fee kind {value}.", kind,
                                     {"value": kind}))
        elif Decimal(amount) < 0:
            issues.append(FieldIssue(errors.C.amount_not_positive, f"{p}fees[{n}]/amount", "Must not be negative.",
                                     str(amount)))
        else:
            fees.append((kind, Decimal(amount)))
    individual = values.payee_kind == PayeeKind.individual.value
    if individual and not (values.person_name and values.person_id_number):
        issues.append(errors.person_required(f"{p}person_id_number"))
    resolved: list[tuple[AllocationIn, ExportOrder | None, ExportInventory | None]] = []
    for n, alloc in enumerate(values.allocations):
        order, inv = _resolve(session, enterprise_id, alloc.reference or "")
        if order is None and inv is None:
            issues.append(errors.reference_unknown(f"{p}allocations[{n}]/reference", alloc.reference))
        elif Decimal(alloc.amount) <= 0:
            issues.append(FieldIssue(errors.C.amount_not_positive, f"{p}allocations[{n}]/amount",
                                     "Must be more than zero.", str(alloc.amount)))
        else:
            resolved.append((alloc, order, inv))
    if issues:
        raise validation_error(issues)
    net = calc.netting(actual=Decimal(values.actual_amount), fees=fees)
    if values.export_amount is not None and calc.cents(values.export_amount) != net.export_receipt:
        raise errors.netting_mismatch(values.export_amount, net.export_receipt)
    allocated = sum((calc.cents(a.amount) for a, _o, _i in resolved), Decimal(0))
    if allocated > net.export_receipt:
        raise errors.allocation_exceeds(allocated, net.export_receipt)
    exists = session.scalar(select(FxProceeds.id).where(FxProceeds.enterprise_id == enterprise_id,
                                                        FxProceeds.bank_reference == values.bank_reference))
    if exists:
        raise errors.duplicate_reference(values.bank_reference)
    evidence = bool(resolved) or bool((values.evidence_ref or "").strip())
    row = FxProceeds(
        enterprise_id=enterprise_id, payee_kind=values.payee_kind, bank_name=values.bank_name,
        bank_reference=values.bank_reference, received_on=values.received_on, currency=currency,
        actual_amount=net.actual, export_amount=net.export_receipt, service_amount=net.service_payments,
        tax_amount=net.tax_payments, fees=[{"kind": k, "amount": str(calc.cents(a))} for k, a in fees],
        payer_name=values.payer_name, payer_country=values.payer_country,
        evidence_ref=(values.evidence_ref or "").strip() or None, source=source, note=values.note, created_by=actor,
        quota_exempt=individual and evidence,
    )
    if individual:
        row.person_name = values.person_name
        row.person_id_number = values.person_id_number
        row.person_index = blind_index(values.person_id_number.strip().upper())
        row.usd_equivalent = _usd_equivalent(session, net.actual, currency, values.received_on)
    for alloc, order, inv in resolved:
        row.allocations.append(FxAllocation(enterprise_id=enterprise_id, order_id=order.id if order else None,
                                            inventory_id=inv.id if inv else None, reference=alloc.reference.strip(),
                                            amount=calc.cents(alloc.amount)))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise errors.duplicate_reference(values.bank_reference) from None
    audit.record(session=session, action="fx:proceeds:create", stream=stream(enterprise_id), actor=actor,
                 subject_id=f"proceeds:{row.id}", after=snapshot(row))
    return row


def snapshot(row: FxProceeds) -> dict[str, Any]:
    """The audited view of a receipt (no personal data in clear)."""
    return {"bank_reference": row.bank_reference, "received_on": row.received_on.isoformat(), "currency": row.currency,
            "actual": str(row.actual_amount), "export": str(row.export_amount), "service": str(row.service_amount),
            "tax": str(row.tax_amount), "payee_kind": row.payee_kind, "quota_exempt": row.quota_exempt,
            "allocations": [{"reference": a.reference, "amount": str(a.amount)} for a in row.allocations]}


def get(*, session: Session, proceeds_id: int, enterprise_id: int | None) -> FxProceeds:
    """One receipt visible to ``enterprise_id`` (None: zone-wide)."""
    row = session.get(FxProceeds, proceeds_id)
    if row is None or (enterprise_id is not None and row.enterprise_id != enterprise_id):
        raise errors.proceeds_not_found(proceeds_id)
    return row


def listing(*, session: Session, enterprise_id: int | None, date_from: date | None = None,
            date_to: date | None = None) -> list[FxProceeds]:
    """Receipts, newest first."""
    q = select(FxProceeds).order_by(FxProceeds.received_on.desc(), FxProceeds.id.desc())
    if enterprise_id is not None:
        q = q.where(FxProceeds.enterprise_id == enterprise_id)
    if date_from:
        q = q.where(FxProceeds.received_on >= date_from)
    if date_to:
        q = q.where(FxProceeds.received_on <= date_to)
    return list(session.scalars(q.limit(1000)))


def delete(*, session: Session, row: FxProceeds, actor: str) -> None:
    """Remove a receipt entered by mistake (audited with its content); not one a consent names (409)."""
    from kuajing.fx.models import FxConsent

    if session.scalar(select(FxConsent.id).where(FxConsent.proceeds_id == row.id).limit(1)) is not None:
        raise errors.proceeds_in_use(row.id)
    before = snapshot(row)
    audit.record(session=session, action="fx:proceeds:delete", stream=stream(row.enterprise_id), actor=actor,
                 subject_id=f"proceeds:{row.id}", before=before)
    session.delete(row)
    session.flush()


def masked_person(row: FxProceeds) -> dict[str, Any] | None:
    """The individual payee, masked."""
    if row.payee_kind != PayeeKind.individual.value:
        return None
    from kuajing.db.types import mask_name

    return {"name": mask_name(row.person_name), "id_number": mask(row.person_id_number)}


# --- ageing and settlement per list ----------------------------------------------------------------------


@dataclass
class ReceiptAgeing:
    """One allocation of a receipt to a list, with its ageing bucket."""

    proceeds_id: int
    received_on: date
    amount: Decimal  # in the receipt currency
    amount_in_list_currency: Decimal
    ageing: calc.AgeingResult


@dataclass
class ListSettlement:
    """A declaration list's settled and outstanding amounts, receipts and flags."""

    inventory: ExportInventory
    exported_on: date | None
    currency: str
    declared: Decimal
    settled: Decimal
    receipts: list[ReceiptAgeing]
    overdue_report_due: date | None  # still unpaid past the deferred bound: report by this day

    @property
    def outstanding(self) -> Decimal:
        """declared − settled, never below zero."""
        return max(Decimal("0.00"), self.declared - self.settled)

    @property
    def status(self) -> SettlementStatus:
        """Settlement status."""
        return calc.settlement_status(declared=self.declared, settled=self.settled)

    @property
    def flags(self) -> list[str]:
        """Ageing buckets that must be reported, plus ``outstanding_over_limit``."""
        out = sorted({r.ageing.bucket.value for r in self.receipts if r.ageing.flagged})
        if self.overdue_report_due:
            out.append("outstanding_over_limit")
        return out


def _bounds(on: date) -> tuple[int, int, int]:
    return (rule("fx.advance_receipt_days", on).value, rule("fx.deferred_receipt_days", on).value,
            rule("fx.trade_credit_report_days", on).value)


def _in_currency(session: Session, amount: Decimal, src: str, dst: str, on: date) -> Decimal:
    if src == dst:
        return calc.cents(amount)
    a = data.exchange_rate(session=session, currency=src, on=on).rate
    b = data.exchange_rate(session=session, currency=dst, on=on).rate
    return calc.convert(amount, from_rate=a, to_rate=b)


def allocations_of_list(session: Session, inv: ExportInventory) -> list[FxAllocation]:
    """Allocations naming the list, or the order it declares."""
    orders = select(ExportOrder.id).where(ExportOrder.ebp_code == inv.ebp_code, ExportOrder.order_no == inv.order_no)
    return list(session.scalars(select(FxAllocation).where(
        or_(FxAllocation.inventory_id == inv.id, FxAllocation.order_id.in_(orders))).order_by(FxAllocation.id)))


def settlement_of(*, session: Session, inv: ExportInventory, today: date) -> ListSettlement:
    """Settled / outstanding and the ageing of each receipt for one list (R6.7 bounds of the export date)."""
    exported_on = export_date(inv)
    declared, currency = list_value(inv)
    adv, dfr, rep = _bounds(exported_on or today)
    receipts: list[ReceiptAgeing] = []
    settled = Decimal("0.00")
    for alloc in allocations_of_list(session, inv):
        pr = alloc.proceeds
        conv = _in_currency(session, alloc.amount, pr.currency, currency, pr.received_on)
        settled += conv
        receipts.append(ReceiptAgeing(pr.id, pr.received_on, alloc.amount, conv, calc.ageing(
            received_on=pr.received_on, exported_on=exported_on, advance_days=adv, deferred_days=dfr, report_days=rep)))
    out = ListSettlement(inv, exported_on, currency, declared, settled, receipts, None)
    out.overdue_report_due = calc.outstanding_overdue(exported_on=exported_on, outstanding=out.outstanding,
                                                      today=today, deferred_days=dfr, report_days=rep)
    return out


def settlements(*, session: Session, enterprise_id: int, today: date, flagged_only: bool = False,
                limit: int = 500) -> list[ListSettlement]:
    """Every (not deleted) list of the enterprise with its settlement; ``flagged_only`` keeps those to report."""
    lists = session.scalars(own_lists(session, enterprise_id).where(ExportInventory.status != "deleted")
                            .order_by(ExportInventory.id.desc()).limit(limit))
    out = [settlement_of(session=session, inv=inv, today=today) for inv in lists]
    return [s for s in out if s.flags] if flagged_only else out


def list_settlement(*, session: Session, enterprise_id: int | None, inventory_id: int, today: date) -> ListSettlement:
    """One list's settlement, if the list is the enterprise's."""
    from kuajing.errors import NotFound

    q = select(ExportInventory).where(ExportInventory.id == inventory_id) if enterprise_id is None else \
        own_lists(session, enterprise_id).where(ExportInventory.id == inventory_id)
    inv = session.scalars(q).first()
    if inv is None:
        raise NotFound("declaration list", path="inventory_id", value=inventory_id)
    return settlement_of(session=session, inv=inv, today=today)


# --- 9810 reconciliation per booking note (R6.3) ------------------------------------------------------------


@dataclass
class BookingNoteReconciliation:
    """Proceeds against the declared export value of one booking note (订仓单), in CNY."""

    order: ExportOrder
    lists: list[ExportInventory]
    difference: calc.Difference
    receipts: list[tuple[int, date, str, Decimal, Decimal]]  # (proceeds id, received, currency, amount, CNY)


def reconcile_9810(*, session: Session, enterprise_id: int) -> list[BookingNoteReconciliation]:
    """Every booking note (orderType W) of the enterprise: declared value of its 9810 lists (CNY at the export
    date's customs rate) against the proceeds allocated to it or its lists (CNY at the receipt date's rate).
    Differences are listed for the FX business report, never forced to zero."""
    out: list[BookingNoteReconciliation] = []
    for order in session.scalars(own_orders(session, enterprise_id).where(ExportOrder.order_type == "W")
                                 .order_by(ExportOrder.id)):
        inv = list_of_order(session, order)
        lists = [inv] if inv is not None and inv.trade_mode == "9810" else []
        declared = Decimal("0.00")
        for lst in lists:
            value, cur = list_value(lst)
            declared += data.convert_to_cny(session=session, amount=value, currency=cur,
                                            on=export_date(lst) or lst.created_at.date())
        allocs = session.scalars(select(FxAllocation).where(or_(
            FxAllocation.order_id == order.id,
            FxAllocation.inventory_id.in_([x.id for x in lists] or [-1]))).order_by(FxAllocation.id))
        receipts = []
        proceeds_cny = Decimal("0.00")
        for a in allocs:
            cny = data.convert_to_cny(session=session, amount=a.amount, currency=a.proceeds.currency,
                                      on=a.proceeds.received_on)
            proceeds_cny += cny
            receipts.append((a.proceeds_id, a.proceeds.received_on, a.proceeds.currency, a.amount, cny))
        out.append(BookingNoteReconciliation(order, lists, calc.Difference(declared, proceeds_cny), receipts))
    return out


# --- the individual facilitation quota (R6.5) ----------------------------------------------------------------


def quota_for(*, session: Session, id_number: str, year: int) -> calc.QuotaView:
    """A person's yearly quota as seen on this platform, across every enterprise's records (only totals are shown)."""
    index = blind_index(id_number.strip().upper())
    rows = session.execute(select(FxProceeds.usd_equivalent, FxProceeds.quota_exempt).where(
        FxProceeds.person_index == index, FxProceeds.received_on >= date(year, 1, 1),
        FxProceeds.received_on <= date(year, 12, 31))).all()
    quota = rule("fx.individual_quota_usd", date(year, 12, 31)).value
    return calc.quota_view(year=year, quota_usd=quota,
                           settlements=((r.usd_equivalent or Decimal(0), r.quota_exempt) for r in rows))


def ageing_labels() -> Iterable[Ageing]:
    """Every ageing bucket (for legends)."""
    return list(Ageing)
