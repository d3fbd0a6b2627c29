"""The export declaration types plugged into the ONE intake pipeline (kuajing.imports ``accept``).

Each type is a ``DocType`` of ``kuajing.imports.service.records`` (business key, sender codes, table,
columns, lines) plus the export hooks: verdict codes (official where they exist, see errors.py), the
status of a new record, when appType 2/3 is allowed, the checks of a new list / cancellation / return,
numbers and derived columns after a write, receipt keys, and the follow-up after intake (flow.py).
The customs receipts of these types (CEB304 … CEB216) are applied by :mod:`kuajing.exports.service.flow`
through the same ``apply_customs_message``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.ceb.receipt import SHANGHAI
from kuajing.exports import errors
from kuajing.exports.choices import (
    CANCELLABLE,
    INVENTORY_AT_CUSTOMS,
    INVENTORY_EDITABLE,
    ExportDocumentStatus,
    ExportInventoryStatus,
)
from kuajing.exports.models import (
    ExportArrival,
    ExportArrivalItem,
    ExportDeparture,
    ExportDepartureItem,
    ExportInventory,
    ExportInventoryCancel,
    ExportInventoryItem,
    ExportOrder,
    ExportOrderItem,
    ExportPaymentReceipt,
    ExportRefund,
    ExportRefundItem,
    ExportRefundTally,
    ExportWaybill,
    ExportWaybillLink,
    ExportWaybillLinkItem,
)
from kuajing.imports.service.readside import foreign_party
from kuajing.imports.service.records import DocType, register


def _s(value) -> str:
    return "" if value is None else str(value)


def _pre_no(when: datetime, serial: int) -> str:
    """An e-port pre-entry number: B + yyyymmdd + 9-digit serial (18 characters)."""
    return f"B{when.astimezone(SHANGHAI).strftime('%Y%m%d')}{serial % 10**9:09d}"


# --- columns and lines ------------------------------------------------------------------------------


def _order_columns(h) -> dict[str, Any]:
    return dict(order_type=h.order_type, order_no=h.order_no, ebp_code=h.ebp_code, ebp_name=h.ebp_name,
                ebc_code=h.ebc_code, ebc_name=h.ebc_name, goods_value=h.goods_value, freight=h.freight,
                currency=h.currency)


def _order_lines(record) -> list:
    return [ExportOrderItem(gnum=i.gnum, item_no=i.item_no, item_name=i.item_name, unit=i.unit, currency=i.currency,
                            qty=i.qty, price=i.price, total_price=i.total_price) for i in record.items]


def _receipt_columns(h) -> dict[str, Any]:
    return dict(ebp_code=h.ebp_code, ebc_code=h.ebc_code, order_no=h.order_no, pay_code=h.pay_code or None,
                pay_name=h.pay_name, pay_no=h.pay_no or None, charge=h.charge, currency=h.currency,
                accounting_date=h.accounting_date)


def _waybill_columns(h) -> dict[str, Any]:
    return dict(logistics_code=h.logistics_code, logistics_name=h.logistics_name, logistics_no=h.logistics_no,
                freight=h.freight, insured_fee=h.insured_fee, currency=h.currency, gross_weight=h.gross_weight,
                pack_no=h.pack_no, goods_info=h.goods_info, ebc_code=h.ebc_code or None)


def _arrival_columns(h) -> dict[str, Any]:
    return dict(customs_code=h.customs_code, cop_no=h.cop_no, pre_no=h.pre_no or None, operator_code=h.operator_code,
                operator_name=h.operator_name, loct_no=h.loct_no or None, traf_mode=h.traf_mode,
                bill_no=h.bill_no or None, domestic_traf_no=h.domestic_traf_no, logistics_code=h.logistics_code,
                msg_count=h.msg_count, msg_seq_no=h.msg_seq_no)


def _arrival_lines(record) -> list:
    return [ExportArrivalItem(gnum=i.gnum, logistics_no=i.logistics_no, total_package_no=i.total_package_no or None)
            for i in record.items]


def _departure_columns(h) -> dict[str, Any]:
    return dict(customs_code=h.customs_code, cop_no=h.cop_no, pre_no=h.pre_no or None,
                logistics_code=h.logistics_code, traf_mode=h.traf_mode, traf_name=h.traf_name or None,
                voyage_no=h.voyage_no or None, bill_no=h.bill_no or None, leave_time=h.leave_time,
                msg_count=h.msg_count, msg_seq_no=h.msg_seq_no)


def _departure_lines(record) -> list:
    return [ExportDepartureItem(gnum=i.gnum, logistics_no=i.logistics_no,
                                total_package_no=i.total_package_no or None) for i in record.items]


def _inventory_columns(h) -> dict[str, Any]:
    return dict(customs_code=h.customs_code, ebp_code=h.ebp_code, ebp_name=h.ebp_name, order_no=h.order_no,
                logistics_code=h.logistics_code, logistics_no=h.logistics_no, cop_no=h.cop_no or "",
                port_code=h.port_code, ie_date=h.ie_date, statistics_flag=h.statistics_flag,
                agent_code=h.agent_code, agent_name=h.agent_name, ebc_code=h.ebc_code, ebc_name=h.ebc_name,
                owner_code=h.owner_code, owner_name=h.owner_name, trade_mode=h.trade_mode, traf_mode=h.traf_mode,
                license_no=h.license_no or None, country=h.country, freight=h.freight, f_currency=h.f_currency,
                insured_fee=h.insured_fee, gross_weight=h.gross_weight, net_weight=h.net_weight, pack_no=h.pack_no)


def _inventory_lines(record) -> list:
    return [ExportInventoryItem(gnum=i.gnum, item_no=i.item_no, item_record_no=i.item_record_no or None,
                                gcode=i.gcode, gname=i.gname, gmodel=i.gmodel, country=i.country,
                                currency=i.currency, qty=i.qty, qty1=i.qty1, unit=i.unit, unit1=i.unit1,
                                price=i.price, total_price=i.total_price) for i in record.items]


def _cancel_columns(h) -> dict[str, Any]:
    return dict(invt_no=h.invt_no, cop_no=h.cop_no, pre_no=h.pre_no or None, customs_code=h.customs_code,
                agent_code=h.agent_code, ebc_code=h.ebc_code, reason=h.reason)


def _link_columns(h) -> dict[str, Any]:
    return dict(customs_code=h.customs_code, cop_no=h.cop_no, pre_no=h.pre_no or None, agent_code=h.agent_code,
                logistics_code=h.logistics_code, traf_mode=h.traf_mode, traf_name=h.traf_name,
                voyage_no=h.voyage_no, bill_no=h.bill_no, gross_weight=h.gross_weight, msg_seq_no=h.msg_seq_no)


def _link_lines(record) -> list:
    return [ExportWaybillLinkItem(gnum=i.gnum, logistics_no=i.logistics_no, invt_no=i.invt_no or None,
                                  total_package_no=i.total_package_no or None) for i in record.items]


def _refund_columns(h) -> dict[str, Any]:
    return dict(invt_no=h.invt_no, customs_code=h.customs_code, ebp_code=h.ebp_code, ebc_code=h.ebc_code,
                logistics_code=h.logistics_code, logistics_no=h.logistics_no, co_el_no=h.co_el_no,
                pre_no=h.pre_no or None, trade_mode=h.trade_mode or None, agent_code=h.agent_code,
                reason=h.reason, country=h.country)


def _refund_lines(record) -> list:
    return [ExportRefundItem(gnum=i.gnum, gcode=i.gcode, gname=i.gname, qty=i.qty, unit=i.unit)
            for i in record.items]


def _tally_columns(h) -> dict[str, Any]:
    return dict(customs_code=h.customs_code, operator_code=h.operator_code, logistics_code=h.logistics_code,
                logistics_no=h.logistics_no, invt_no=h.invt_no or None, co_el_no=h.co_el_no, bill_no=h.bill_no,
                location=h.location or None)


# --- hooks --------------------------------------------------------------------------------------------


def _live_list(session: Session, **where):
    q = select(ExportInventory)
    for name, value in where.items():
        q = q.where(getattr(ExportInventory, name) == value)
    return q.where(ExportInventory.status.in_([s.value for s in INVENTORY_AT_CUSTOMS])).limit(1)


def _document_may_change(session: Session, doc) -> bool:
    """Orders, receipts and waybills change only while no list customs holds uses them."""
    if isinstance(doc, (ExportOrder, ExportPaymentReceipt)):
        q = _live_list(session, order_no=doc.order_no, ebp_code=doc.ebp_code)
    elif isinstance(doc, ExportWaybill):
        q = _live_list(session, logistics_code=doc.logistics_code, logistics_no=doc.logistics_no)
    else:
        return doc.customs_status in (None, "100") or doc.customs_status.startswith("-")
    return session.execute(q).first() is None


def _inventory_may_change(session: Session, doc) -> bool:
    return doc.status in {s.value for s in INVENTORY_EDITABLE}


def _request_may_change(session: Session, doc) -> bool:
    return doc.customs_status in (None, "100") or str(doc.customs_status).startswith("-")


def _find_list(session: Session, invt_no: str | None) -> ExportInventory | None:
    if not invt_no:
        return None
    return session.scalars(select(ExportInventory).where(ExportInventory.invt_no == invt_no)).first()


def _check_list(session: Session, *, record, head, when: datetime, index: int = 1):
    from kuajing.exports.service import routing

    return routing.check_list(session=session, head=head, lines=record.items, when=when, index=index)


def _check_cancel(session: Session, *, record, head, when: datetime, index: int = 1):
    inv = _find_list(session, head.invt_no)
    if inv is None:
        return errors.LIST_UNKNOWN, _s(head.invt_no)
    if inv.status not in {s.value for s in CANCELLABLE} or inv.closed_at is not None:
        return errors.LIST_STATE, _s(head.invt_no)
    if (field := foreign_party(inv, head)) is not None:  # another enterprise's list (its values not said)
        return errors.SENDER_NOT_AUTHORISED, f"{_s(head.invt_no)}: {field}"
    return None


def _check_refund(session: Session, *, record, head, when: datetime, index: int = 1):
    inv = _find_list(session, head.invt_no)
    if inv is None:
        return errors.LIST_UNKNOWN, _s(head.invt_no)
    if inv.status not in (ExportInventoryStatus.released.value, ExportInventoryStatus.closed.value):
        return errors.LIST_STATE, _s(head.invt_no)
    if (field := foreign_party(inv, head)) is not None:  # another enterprise's list (its values not said)
        return errors.SENDER_NOT_AUTHORISED, f"{_s(head.invt_no)}: {field}"
    lines = {line.gnum: line for line in inv.items}
    for item in record.items:
        line = lines.get(int(item.gnum))
        if line is None or line.gcode[:len(item.gcode)] != item.gcode or item.qty > line.qty:
            return errors.LINE_UNKNOWN, f"{head.invt_no} gnum {item.gnum}"
    return None


def _reset_inventory(doc: ExportInventory, head, when: datetime) -> None:
    doc.declared_on = when.astimezone(SHANGHAI).date()
    doc.documents = doc.mismatches = doc.matched_at = doc.last_info = None
    if not doc.pre_no:
        doc.pre_no = head.pre_no if head.pre_no and len(head.pre_no) == 18 else _pre_no(when, doc.id)
    doc.cop_no = doc.cop_no or doc.pre_no


def _reset_refund(doc: ExportRefund, head, when: datetime) -> None:
    from kuajing.exports.service import returns

    returns.assess(doc=doc, inventory=None, back_on=when.astimezone(SHANGHAI).date())


def _pre_of(head, doc) -> str:
    pre = (getattr(doc, "pre_no", None) if doc is not None else None) or getattr(head, "pre_no", None)
    return pre if pre and len(pre) == 18 else ""


def _keys_pre(head, doc, when: datetime) -> dict[str, str]:
    """Receipts whose preNo (C18) is mandatory: the record's, or one the platform makes."""
    return {"pre_no": _pre_of(head, doc) or _pre_no(when, getattr(doc, "id", 0) or 0)}


def _keys_inventory(head, doc, when: datetime) -> dict[str, str]:
    keys = _keys_pre(head, doc, when)
    keys["cop_no"] = (head.cop_no or (doc.cop_no if doc is not None else "") or keys["pre_no"])[:30]
    invt = (doc.invt_no if doc is not None else None) or head.invt_no
    keys["invt_no"] = invt or ""
    return keys


def _none(head, doc, when: datetime) -> dict[str, str]:
    return {}


def _after_accept(*, session: Session, accepted, when: datetime) -> None:
    from kuajing.exports.service import flow

    flow.after_accept(session=session, accepted=accepted, when=when)


def _doc(message_type, model, name, key, senders, columns, lines=None, **hooks) -> DocType:
    return DocType(message_type, model, name, key, senders, columns, lines, domain="export",
                   codes=errors.CODES[message_type], own_codes=errors.OWN_CODES,
                   initial_status=hooks.pop("initial_status", ExportDocumentStatus.accepted.value),
                   may_change=hooks.pop("may_change", _document_may_change),
                   receipt_keys=hooks.pop("receipt_keys", _none), after_accept=_after_accept, **hooks)


EXPORT_TYPES: tuple[DocType, ...] = (
    _doc("CEB303", ExportOrder, "order", lambda h: f"{h.ebp_code}:{h.order_no}",
         lambda h: (h.ebp_code, h.ebc_code), _order_columns, _order_lines),
    _doc("CEB403", ExportPaymentReceipt, "payment_receipt", lambda h: f"{h.ebc_code}:{h.order_no}",
         lambda h: (h.ebc_code, h.pay_code), _receipt_columns),
    _doc("CEB505", ExportWaybill, "waybill", lambda h: f"{h.logistics_code}:{h.logistics_no}",
         lambda h: (h.logistics_code,), _waybill_columns),
    _doc("CEB507", ExportArrival, "arrival", lambda h: f"{h.operator_code}:{h.cop_no}:{_s(h.msg_seq_no)}",
         lambda h: (h.operator_code,), _arrival_columns, _arrival_lines, receipt_keys=_keys_pre),
    _doc("CEB509", ExportDeparture, "departure", lambda h: f"{h.logistics_code}:{h.cop_no}:{_s(h.msg_seq_no)}",
         lambda h: (h.logistics_code,), _departure_columns, _departure_lines, receipt_keys=_keys_pre),
    _doc("CEB603", ExportInventory, "inventory", lambda h: f"{h.ebp_code}:{h.order_no}",
         lambda h: (h.agent_code, h.ebc_code), _inventory_columns, _inventory_lines,
         initial_status=ExportInventoryStatus.awaiting_documents.value, may_change=_inventory_may_change,
         check_new=_check_list, check_change=_check_list, reset=_reset_inventory, receipt_keys=_keys_inventory),
    _doc("CEB605", ExportInventoryCancel, "cancel", lambda h: _s(h.invt_no),
         lambda h: (h.agent_code,), _cancel_columns, may_change=_request_may_change, check_new=_check_cancel,
         receipt_keys=_keys_pre),
    _doc("CEB607", ExportWaybillLink, "waybill_link", lambda h: f"{h.agent_code}:{h.cop_no}:{_s(h.msg_seq_no)}",
         lambda h: (h.agent_code,), _link_columns, _link_lines, receipt_keys=_keys_pre),
    _doc("CEB213", ExportRefund, "refund", lambda h: f"{h.agent_code}:{h.co_el_no}",
         lambda h: (h.agent_code, h.ebc_code), _refund_columns, _refund_lines, may_change=_request_may_change,
         check_new=_check_refund, reset=_reset_refund),
    _doc("CEB215", ExportRefundTally, "refund_tally", lambda h: f"{h.operator_code}:{h.co_el_no}",
         lambda h: (h.operator_code,), _tally_columns, may_change=_request_may_change),
)


def _register() -> None:
    from kuajing.exports.service import flow

    register(*EXPORT_TYPES, customs=flow.CUSTOMS_APPLY)


_register()
