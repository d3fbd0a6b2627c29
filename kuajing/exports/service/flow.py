"""What happens after export intake, and the customs answers (flows: docs/exports.md).

* :func:`after_accept` — forwards orders, receipts of payment, waybills, arrivals, departures, links,
  cancellations, returns and tallies to customs (the import pipeline's outbox, sent by its pump) and
  matches the lists they belong to.
* :func:`try_match` — a waiting list with every document the rule in force on its declaration date
  requires (:func:`checks.required_documents`) is matched (:func:`checks.match`); a clean match sends it
  to customs (``declared``), else ``mismatch`` with a CEB604 −4105 receipt.
* ``CUSTOMS_APPLY`` — the customs receipts (CEB304/404/506/508/510/604/606/608/214/216) as applied by
  ``kuajing.imports.service.flow.apply_customs_message``: document states, the list's path 120 → 399 →
  800 (once customs matched the arrival report) → 899 (after departure), 100, cancellation.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kuajing import events
from kuajing.audit import service as audit
from kuajing.ceb import Message, build
from kuajing.ceb.models import BaseTransfer
from kuajing.ceb.receipt import SHANGHAI
from kuajing.db.base import utcnow
from kuajing.exports import errors
from kuajing.exports.choices import (
    CUSTOMS_DOCUMENT_STATUS,
    CUSTOMS_INVENTORY_STATUS,
    ExportDocumentStatus,
    ExportInventoryStatus,
)
from kuajing.exports.models import (
    ExportArrival,
    ExportArrivalItem,
    ExportDeparture,
    ExportInventory,
    ExportInventoryCancel,
    ExportOrder,
    ExportPaymentReceipt,
    ExportRefund,
    ExportRefundTally,
    ExportWaybill,
    ExportWaybillLink,
)
from kuajing.exports.service import checks
from kuajing.imports.models import OutboxMessage
from kuajing.imports.service import receipts
from kuajing.imports.service.records import DOC_TYPES, record_from_json

ACTOR = "system:exports"
S = ExportInventoryStatus
DELETED = ExportDocumentStatus.deleted.value


# --- outbox -------------------------------------------------------------------------------------------


def _outbound(doc, message_type: str) -> bytes:
    """The single-record CEB message for ``doc`` (rebuilt from its stored record), as the outbox keeps it: the
    platform signs it when it is sent (kuajing.imports.service.flow._merged)."""
    data = json.loads(doc.record)
    transfer = data.pop("_baseTransfer", None)
    record = record_from_json(message_type, data)
    msg = Message(message_type=message_type, records=[record])
    if transfer:
        cls = type(BaseTransfer(direction="export", cop_code="x", cop_name="x", dxp_id="x"))
        msg.base_transfer = cls.from_dict(transfer)
    else:
        msg.base_transfer = BaseTransfer(direction="export", cop_code=doc.business_key[:18], cop_name="-",
                                         dxp_id="DXPENT0000000000")
    head = record.head if hasattr(record, "head") else record
    if message_type in ("CEB507", "CEB607") and str(head.app_status) == "2":
        from kuajing.ceb.examples import placeholder_signature

        msg.signature = placeholder_signature()  # replaced by the platform's signature when sent
    if isinstance(doc, ExportInventory):
        head.pre_no = doc.pre_no
        head.cop_no = head.cop_no or doc.cop_no
    return build(msg, validate=False)


def enqueue(*, session: Session, doc, message_type: str) -> OutboxMessage:
    """Write ``doc`` to the customs outbox in the current transaction (sent by the pump after commit)."""
    row = OutboxMessage(message_type=message_type, business_key=doc.business_key,
                        order_no=getattr(doc, "order_no", None), payload=_outbound(doc, message_type),
                        status="pending", attempts=0)
    session.add(row)
    return row


# --- after intake -------------------------------------------------------------------------------------


def after_accept(*, session: Session, accepted: list[tuple[str, int]], when: datetime) -> None:
    """Forward accepted export documents to customs and match the lists they belong to."""
    orders: set[tuple[str, str | None]] = set()
    waybills: set[tuple[str, str]] = set()
    for message_type, doc_id in accepted:
        doc = session.get(DOC_TYPES[message_type].model, doc_id)
        if doc is None or doc.status == DELETED or doc.app_status != "2":
            continue
        if message_type == "CEB303":
            _link_warehouse(session, doc)
        if message_type == "CEB213":
            from kuajing.exports.service import returns

            # provisional until the tally: the day the request reached the platform (Asia/Shanghai)
            returns.assess(doc=doc, inventory=None, back_on=when.astimezone(SHANGHAI).date())
        if message_type == "CEB215":
            from kuajing.exports.service import returns

            returns.record_tally(session=session, tally=doc, when=when)
        if message_type != "CEB603":
            enqueue(session=session, doc=doc, message_type=message_type)
        if message_type == "CEB603" and doc.arrived_at is None:
            doc.arrived_at = _arrived_before(session, doc.logistics_no)
        if message_type in ("CEB303", "CEB403") or message_type == "CEB603":
            orders.add((doc.order_no, doc.ebp_code))
        elif message_type == "CEB505":
            waybills.add((doc.logistics_code, doc.logistics_no))
        elif message_type == "CEB507":
            _mark_arrived(session, doc, when)
    for logistics_code, logistics_no in sorted(waybills):
        for order_no, ebp_code in session.execute(
                select(ExportInventory.order_no, ExportInventory.ebp_code)
                .where(ExportInventory.logistics_code == logistics_code,
                       ExportInventory.logistics_no == logistics_no)).all():
            orders.add((order_no, ebp_code))
    for order_no, ebp_code in sorted(orders, key=lambda t: (t[0], t[1] or "")):
        try_match(session=session, order_no=order_no, ebp_code=ebp_code, now=when)


def _link_warehouse(session: Session, order: ExportOrder) -> None:
    """A booking note (W) naming one of the sender's overseas warehouses (ebpName = its name) is linked to it."""
    if order.order_type != "W" or order.warehouse_id is not None:
        return
    from kuajing.exports.models import OverseasWarehouse

    wh = session.scalars(select(OverseasWarehouse).where(OverseasWarehouse.enterprise_id == order.sender_enterprise_id,
                                                         OverseasWarehouse.name == order.ebp_name)).first()
    if wh is not None:
        order.warehouse_id = wh.id


def _arrived_before(session: Session, logistics_no: str) -> datetime | None:
    """When an arrival report (CEB507) accepted before the list named its waybill (the goods may reach the
    supervised site before the list is declared), else None."""
    return session.scalar(select(func.min(ExportArrival.created_at)).join(
        ExportArrivalItem, ExportArrivalItem.arrival_id == ExportArrival.id).where(
        ExportArrivalItem.logistics_no == logistics_no, ExportArrival.status != DELETED))


def _mark_arrived(session: Session, arrival: ExportArrival, when: datetime) -> None:
    numbers = [i.logistics_no for i in arrival.items]
    if not numbers:
        return
    session.execute(update(ExportInventory).where(ExportInventory.logistics_no.in_(numbers),
                                                  ExportInventory.arrived_at.is_(None))
                    .values(arrived_at=when).execution_options(synchronize_session="fetch"))


# --- the match ----------------------------------------------------------------------------------------


def _live(model, *conditions):
    return select(model).where(*conditions, model.status != DELETED)


def _documents(session: Session, inv: ExportInventory):
    order = session.scalars(_live(ExportOrder, ExportOrder.business_key == f"{inv.ebp_code}:{inv.order_no}")).first()
    waybill = session.scalars(_live(ExportWaybill, ExportWaybill.business_key
                                    == f"{inv.logistics_code}:{inv.logistics_no}")).first()
    receipt = session.scalars(_live(ExportPaymentReceipt, ExportPaymentReceipt.order_no == inv.order_no,
                                    ExportPaymentReceipt.ebc_code == inv.ebc_code)
                              .order_by(ExportPaymentReceipt.id.desc())).first()
    return order, waybill, receipt


def _order_doc(o: ExportOrder) -> checks.OrderDoc:
    return checks.OrderDoc(order_no=o.order_no, ebp_code=o.ebp_code, ebc_code=o.ebc_code, order_type=o.order_type,
                           lines=tuple(checks.OrderLine(i.gnum, i.item_no, i.item_name, i.qty, i.price, i.total_price,
                                                        i.currency) for i in o.items))


def _inventory_doc(inv: ExportInventory) -> checks.InventoryDoc:
    return checks.InventoryDoc(order_no=inv.order_no, ebp_code=inv.ebp_code, ebc_code=inv.ebc_code,
                               logistics_code=inv.logistics_code, logistics_no=inv.logistics_no,
                               trade_mode=inv.trade_mode,
                               lines=tuple(checks.InventoryLine(i.gnum, i.item_no, i.qty, i.price, i.total_price,
                                                                i.currency) for i in inv.items))


def set_status(session: Session, inv: ExportInventory, status: ExportInventoryStatus, *, action: str,
               info: str | None = None, extra: dict | None = None) -> None:
    """Move a list and record ``export:inventory:<action>`` in its stream."""
    before = {"status": inv.status, "customs_status": inv.customs_status}
    inv.status = status.value
    if info is not None:
        inv.last_info = info
    session.flush()
    audit.record(session=session, action=f"export:inventory:{action}", stream=audit.stream_name("export:inventory", inv.business_key),
                 actor=ACTOR, subject_id=inv.business_key, before=before,
                 after={"status": inv.status, "customs_status": inv.customs_status, **(extra or {})})


def _platform_receipt(session: Session, inv: ExportInventory, code: str, detail: str, when: datetime) -> None:
    record = record_from_json("CEB603", json.loads(inv.record))
    info = receipts.info_for("CEB603", code, detail)
    keys = {"pre_no": inv.pre_no, "cop_no": (inv.cop_no or inv.pre_no)[:30], "invt_no": inv.invt_no or ""}
    msg = receipts.make_receipt(message_type="CEB603", record=record, status=code, info=info, when=when, **keys)
    receipts.store(session=session, enterprise_id=inv.sender_enterprise_id, declaration_type="CEB603",
                   business_key=inv.business_key, receipt_message=msg, when=when, source="platform")


def try_match(*, session: Session, order_no: str, ebp_code: str | None = None,
              now: datetime | None = None) -> list[ExportInventory]:
    """Match every waiting list of ``order_no`` whose documents are all present; declare the ones that match."""
    now = now or utcnow()
    q = select(ExportInventory).where(ExportInventory.order_no == order_no, ExportInventory.app_status == "2",
                                      ExportInventory.status.in_([S.awaiting_documents.value, S.mismatch.value]))
    if ebp_code is not None:
        q = q.where(ExportInventory.ebp_code == ebp_code)
    done = []
    for inv in session.scalars(q.order_by(ExportInventory.id)).all():
        rule = checks.required_documents(inv.declared_on)
        required = tuple(rule.value)
        order, waybill, receipt = _documents(session, inv)
        have = {"order": order, "waybill": waybill, "receipt": receipt}
        if any(have[name] is None for name in required):
            inv.documents = list(required)
            continue
        found = checks.match(_inventory_doc(inv), order=_order_doc(order), waybill=checks.WaybillDoc(
            waybill.logistics_code, waybill.logistics_no), receipt=None if receipt is None else checks.ReceiptDoc(
            receipt.order_no, receipt.ebp_code, receipt.ebc_code), documents=required)
        inv.documents = list(required)
        if found:
            stored = [m.to_dict() for m in found]
            if inv.mismatches == stored and inv.status == S.mismatch.value:
                continue
            inv.mismatches = stored
            detail = "；".join(f"{m.doc_a}.{m.field}={m.value_a} ≠ {m.doc_b}={m.value_b}" for m in found)[:900]
            set_status(session, inv, S.mismatch, action="mismatch", info=detail,
                       extra={"mismatches": [m.field for m in found], "rule": rule.citation})
            _platform_receipt(session, inv, errors.MISMATCH, detail, now)
        else:
            inv.mismatches = None
            inv.matched_at = now
            enqueue(session=session, doc=inv, message_type="CEB603")
            inv.declared_at = now
            set_status(session, inv, S.declared, action="declare",
                       extra={"documents": list(required), "rule": rule.citation})
        done.append(inv)
    return done


# --- customs answers ----------------------------------------------------------------------------------

_RANK = {S.declared: 0, S.customs_accepted: 1, S.review: 2, S.inspection: 3, S.decided: 4, S.released: 5,
         S.closed: 6}


def _apply_list(*, session: Session, rec, now: datetime):
    inv = None
    if rec.pre_no:
        inv = session.scalars(select(ExportInventory).where(ExportInventory.pre_no == rec.pre_no)).first()
    if inv is None and rec.invt_no:
        inv = session.scalars(select(ExportInventory).where(ExportInventory.invt_no == rec.invt_no)).first()
    if inv is None:
        return None
    code = str(rec.return_status)
    inv.customs_status = code
    if rec.invt_no and not inv.invt_no:
        inv.invt_no = rec.invt_no
    target = CUSTOMS_INVENTORY_STATUS.get(code)
    current = S(inv.status)
    if code.startswith("-") or target is S.customs_rejected:
        if current in _RANK and current not in (S.released, S.closed):
            set_status(session, inv, S.customs_rejected, action="customs-reject", info=str(rec.return_info or ""),
                       extra={"return_status": code})
            events.publish(session=session, name="export.inventory.rejected", inventory=inv)
    elif target is not None and current in _RANK and _RANK[target] > _RANK[current]:
        first_release = inv.released_at is None
        if target is S.released:
            inv.released_at = now
        if target is S.closed:
            inv.closed_at = now
            inv.released_at = inv.released_at or now
        set_status(session, inv, target, action=target.value.replace("_", "-"), info=str(rec.return_info or ""),
                   extra={"return_status": code})
        if target in (S.released, S.closed):
            session.flush()
            # the no-invoice tax-exemption register (无票免税) records the six fields of each line at release
            from kuajing.export_summary.service import register_released_inventory

            register_released_inventory(session=session, inventory=inv)
            if first_release:
                events.publish(session=session, name="export.inventory.released", inventory=inv)
    session.flush()
    return inv.sender_enterprise_id, inv.business_key, "CEB603"


def _apply_document(model, decl_type: str, key_of):
    def apply(*, session: Session, rec, now: datetime):
        key = key_of(rec)
        doc = session.scalars(select(model).where(model.business_key == key)).first()
        if doc is None:
            return None
        code = str(rec.return_status)
        before = {"status": doc.status, "customs_status": doc.customs_status}
        doc.customs_status = code
        target = CUSTOMS_DOCUMENT_STATUS.get(code) or (ExportDocumentStatus.rejected if code.startswith("-") else None)
        if target is not None and doc.status != DELETED:
            doc.status = target.value
        session.flush()
        name = DOC_TYPES[decl_type].name
        if decl_type == "CEB605" and code == "399":
            inv = session.scalars(select(ExportInventory).where(ExportInventory.invt_no == doc.invt_no)).first()
            if inv is not None and inv.status != S.cancelled.value:
                was_released = inv.released_at is not None
                set_status(session, inv, S.cancelled, action="cancel", info=str(rec.return_info or ""))
                events.publish(session=session, name="export.inventory.cancelled", inventory=inv,
                               was_released=was_released)
        audit.record(session=session, action=f"export:{name.replace('_', '-')}:customs",
                     stream=audit.stream_name(f"export:{name}", key), actor=ACTOR, subject_id=key, before=before,
                     after={"status": doc.status, "customs_status": code})
        return doc.sender_enterprise_id, key, decl_type
    return apply


def _s(value) -> str:
    return "" if value is None else str(value)


CUSTOMS_APPLY = {
    "CEB304": _apply_document(ExportOrder, "CEB303", lambda r: f"{r.ebp_code}:{r.order_no}"),
    "CEB404": _apply_document(ExportPaymentReceipt, "CEB403", lambda r: f"{r.ebc_code}:{r.order_no}"),
    "CEB506": _apply_document(ExportWaybill, "CEB505", lambda r: f"{r.logistics_code}:{r.logistics_no}"),
    "CEB508": _apply_document(ExportArrival, "CEB507", lambda r: f"{r.operator_code}:{r.cop_no}:{_s(r.msg_seq_no)}"),
    "CEB510": _apply_document(ExportDeparture, "CEB509",
                              lambda r: f"{r.logistics_code}:{r.cop_no}:{_s(r.msg_seq_no)}"),
    "CEB604": _apply_list,
    "CEB606": _apply_document(ExportInventoryCancel, "CEB605", lambda r: _s(r.invt_no)),
    "CEB608": _apply_document(ExportWaybillLink, "CEB607", lambda r: f"{r.agent_code}:{r.cop_no}:{_s(r.msg_seq_no)}"),
    "CEB214": _apply_document(ExportRefund, "CEB213", lambda r: f"{r.agent_code}:{r.co_el_no}"),
    "CEB216": _apply_document(ExportRefundTally, "CEB215", lambda r: f"{r.operator_code}:{r.co_el_no}"),
}
