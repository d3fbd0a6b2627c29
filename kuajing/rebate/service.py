"""Export tax rebate services: the enterprise's class with effective dates, claims tracked from acceptance
against the statutory limit (working days over the holiday calendar of kuajing.data) and the class 1–2 target,
and the 9810 pre-refund on departure (HWC-YT) reconciled against later sales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.data import service as data
from kuajing.errors import AppError
from kuajing.exports.models import ExportDeparture, ExportDepartureItem, ExportOrder
from kuajing.fx.service.proceeds import list_of_order, own_orders
from kuajing.rebate import calc, errors
from kuajing.rebate.choices import BusinessType, ClaimStatus, RebateClass
from kuajing.rebate.models import RebateClaim, RebateClassAssignment, RebateSale
from kuajing.rules import rule


def stream(enterprise_id: int) -> str:
    """The audit stream of an enterprise's rebate records."""
    return f"rebate:enterprise:{enterprise_id}"


# --- classes ------------------------------------------------------------------------------------------------


def set_class(*, session: Session, enterprise_id: int, rebate_class: RebateClass, valid_from: date,
              basis: str | None, actor: str) -> RebateClassAssignment:
    """Record a class from ``valid_from``; the class in force before it is closed the day before (audited)."""
    if session.scalar(select(RebateClassAssignment.id).where(RebateClassAssignment.enterprise_id == enterprise_id,
                                                             RebateClassAssignment.valid_from == valid_from)):
        raise errors.class_date_taken(valid_from)
    previous = session.scalars(select(RebateClassAssignment).where(
        RebateClassAssignment.enterprise_id == enterprise_id, RebateClassAssignment.valid_from < valid_from)
        .order_by(RebateClassAssignment.valid_from.desc()).limit(1)).first()
    following = session.scalars(select(RebateClassAssignment).where(
        RebateClassAssignment.enterprise_id == enterprise_id, RebateClassAssignment.valid_from > valid_from)
        .order_by(RebateClassAssignment.valid_from).limit(1)).first()
    if previous is not None and (previous.valid_to is None or previous.valid_to >= valid_from):
        previous.valid_to = valid_from - timedelta(days=1)
    row = RebateClassAssignment(enterprise_id=enterprise_id, rebate_class=rebate_class.value, valid_from=valid_from,
                                valid_to=following.valid_from - timedelta(days=1) if following else None,
                                basis=basis, recorded_by=actor)
    session.add(row)
    session.flush()
    audit.record(session=session, action="rebate:class:set", stream=stream(enterprise_id), actor=actor,
                 subject_id=f"class:{row.id}", after={"class": row.rebate_class, "valid_from": valid_from.isoformat(),
                                                     "basis": basis})
    return row


def class_on(*, session: Session, enterprise_id: int, on: date) -> RebateClassAssignment | None:
    """The class in force on ``on``."""
    row = session.scalars(select(RebateClassAssignment).where(
        RebateClassAssignment.enterprise_id == enterprise_id, RebateClassAssignment.valid_from <= on)
        .order_by(RebateClassAssignment.valid_from.desc()).limit(1)).first()
    return row if row is not None and (row.valid_to is None or row.valid_to >= on) else None


def classes(*, session: Session, enterprise_id: int) -> list[RebateClassAssignment]:
    """The class history, newest first."""
    return list(session.scalars(select(RebateClassAssignment).where(RebateClassAssignment.enterprise_id == enterprise_id)
                                .order_by(RebateClassAssignment.valid_from.desc())))


# --- claims -------------------------------------------------------------------------------------------------


@dataclass
class ClaimIn:
    """A claim as entered."""

    claim_no: str
    accepted_on: date
    amount: Decimal
    business_type: BusinessType = BusinessType.normal
    booking_note: str | None = None  # HWC-YT: the booking note number (订仓单编号)
    note: str | None = None


def _target(on: date, rebate_class: str) -> Any:
    if rebate_class not in ("1", "2"):
        return None
    try:
        return rule("rebate.target_avg_days_class12", on)
    except AppError:
        return None  # no administrative target in force on that day


def _departure_day(session: Session, order: ExportOrder) -> date | None:
    inv = list_of_order(session, order)
    if inv is None or inv.trade_mode != "9810":
        raise errors.booking_note_unknown(order.order_no)
    leave = session.scalars(select(ExportDeparture.leave_time).join(ExportDepartureItem).where(
        ExportDepartureItem.logistics_no == inv.logistics_no).order_by(ExportDeparture.leave_time)).first()
    if leave:
        try:
            return datetime.strptime(leave[:8], "%Y%m%d").date()
        except ValueError:
            return None
    return None


def create_claim(*, session: Session, enterprise_id: int, values: ClaimIn, actor: str) -> RebateClaim:
    """Track a claim from its acceptance: the class in force that day, paperless or the paper documents, the
    statutory due date (5/10/15/20 working days) and the class 1–2 target when in force; an HWC-YT pre-refund
    needs the rule in force, the enterprise's 9810 booking note and the goods' departure (CEB509)."""
    assigned = class_on(session=session, enterprise_id=enterprise_id, on=values.accepted_on)
    if assigned is None:
        raise errors.no_class(values.accepted_on)
    if session.scalar(select(RebateClaim.id).where(RebateClaim.enterprise_id == enterprise_id,
                                                   RebateClaim.claim_no == values.claim_no)):
        raise errors.duplicate_claim(values.claim_no)
    cls = assigned.rebate_class
    statutory = rule(f"rebate.processing_days.class_{cls}", values.accepted_on)
    target = _target(values.accepted_on, cls)
    paperless_rule = rule("rebate.paperless_classes", values.accepted_on)
    docs_rule = rule("rebate.class4_paper_documents", values.accepted_on)
    paperless, papers = calc.paper_documents(rebate_class=cls, paperless_classes=paperless_rule.value,
                                             class4_documents=docs_rule.value)
    dl = calc.deadlines(accepted_on=values.accepted_on, statutory_days=statutory.value,
                        target_days=target.value if target else None,
                        add_working_days=lambda d, n: data.add_working_days(session=session, start=d, n=n))
    used = [statutory, paperless_rule] + ([target] if target else []) + ([] if paperless else [docs_rule])
    row = RebateClaim(enterprise_id=enterprise_id, claim_no=values.claim_no, business_type=values.business_type.value,
                      accepted_on=values.accepted_on, amount=values.amount, rebate_class=cls, paperless=paperless,
                      paper_documents=papers, statutory_due=dl.statutory_due, target_due=dl.target_due,
                      note=values.note, created_by=actor)
    if values.business_type is BusinessType.pre_refund:
        try:
            allowed = rule("rebate.hwc_yt_pre_refund", values.accepted_on)
        except AppError:
            raise errors.pre_refund_not_in_force(values.accepted_on) from None
        order = session.scalars(own_orders(session, enterprise_id).where(
            ExportOrder.order_type == "W", ExportOrder.order_no == (values.booking_note or ""))).first()
        if order is None:
            raise errors.booking_note_unknown(values.booking_note)
        departed = _departure_day(session, order)
        if departed is None:
            raise errors.not_departed(values.booking_note)
        if departed > values.accepted_on:  # R4.8: claimed once the goods have left China (离境即退税)
            raise errors.departed_after_acceptance(values.booking_note, departed, values.accepted_on)
        window = rule("rebate.hwc_yt_reconcile_until_month", values.accepted_on)
        row.booking_note_id, row.departed_on = order.id, departed
        row.reconcile_until = calc.reconcile_until(pre_refund_on=values.accepted_on, until_month=window.value)
        used += [allowed, window]
    row.citations = [{"rule": r.name, "value": r.value if not isinstance(r.value, tuple) else list(r.value),
                      "citation": r.citation, "confidence": r.confidence} for r in used]
    session.add(row)
    session.flush()
    audit.record(session=session, action="rebate:claim:accept", stream=stream(enterprise_id), actor=actor,
                 subject_id=f"claim:{row.id}", after={"claim_no": row.claim_no, "class": cls,
                                                     "accepted_on": row.accepted_on.isoformat(),
                                                     "statutory_due": row.statutory_due.isoformat(),
                                                     "business_type": row.business_type, "amount": str(row.amount)})
    return row


def get_claim(*, session: Session, claim_id: int, enterprise_id: int | None) -> RebateClaim:
    """One claim visible to ``enterprise_id`` (None: zone-wide)."""
    row = session.get(RebateClaim, claim_id)
    if row is None or (enterprise_id is not None and row.enterprise_id != enterprise_id):
        raise errors.claim_not_found(claim_id)
    return row


def claims(*, session: Session, enterprise_id: int | None) -> list[RebateClaim]:
    """Claims, newest first."""
    q = select(RebateClaim).order_by(RebateClaim.accepted_on.desc(), RebateClaim.id.desc())
    if enterprise_id is not None:
        q = q.where(RebateClaim.enterprise_id == enterprise_id)
    return list(session.scalars(q.limit(1000)))


def decide(*, session: Session, claim: RebateClaim, status: ClaimStatus, decided_on: date, actor: str) -> RebateClaim:
    """Record the tax office's decision (refunded / refused) and its date (audited)."""
    if claim.status != ClaimStatus.accepted.value:
        raise errors.already_decided(claim.id)
    if decided_on < claim.accepted_on:
        raise errors.bad_decision_date()
    claim.status, claim.decided_on = status.value, decided_on
    session.flush()
    audit.record(session=session, action="rebate:claim:decide", stream=stream(claim.enterprise_id), actor=actor,
                 subject_id=f"claim:{claim.id}", after={"status": claim.status, "decided_on": decided_on.isoformat()})
    return claim


def working_days_taken(*, session: Session, claim: RebateClaim, until: date) -> int:
    """Working days from acceptance (not counted) to ``until`` (counted)."""
    n, day = 0, claim.accepted_on
    while day < until:
        day += timedelta(days=1)
        if data.is_working_day(session=session, day=day):
            n += 1
    return n


# --- HWC-YT reconciliation ----------------------------------------------------------------------------------


def add_sale(*, session: Session, claim: RebateClaim, sold_on: date, value: Decimal, reference: str | None,
             actor: str) -> RebateSale:
    """Record goods of a pre-refund sold from the overseas warehouse (audited)."""
    if claim.business_type != BusinessType.pre_refund.value:
        raise errors.not_pre_refund(claim.id)
    sale = RebateSale(claim_id=claim.id, sold_on=sold_on, value=value, reference=reference, created_by=actor)
    session.add(sale)
    session.flush()
    audit.record(session=session, action="rebate:sale:create", stream=stream(claim.enterprise_id), actor=actor,
                 subject_id=f"claim:{claim.id}", after={"sold_on": sold_on.isoformat(), "value": str(value),
                                                       "reference": reference})
    return sale


def pre_refund_balance(*, session: Session, claim: RebateClaim) -> calc.PreRefundBalance | None:
    """Declared goods value of the booking note's 9810 list (CNY at the export month's rate) against the sales."""
    if claim.business_type != BusinessType.pre_refund.value or claim.booking_note_id is None:
        return None
    from kuajing.fx.service.proceeds import export_date, list_value

    order = session.get(ExportOrder, claim.booking_note_id)
    inv = list_of_order(session, order)
    value, currency = list_value(inv)
    declared = data.convert_to_cny(session=session, amount=value, currency=currency,
                                   on=export_date(inv) or claim.accepted_on)
    sold = sum((s.value for s in claim.sales), Decimal("0.00"))
    return calc.PreRefundBalance(declared, sold, claim.reconcile_until)
