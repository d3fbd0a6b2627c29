"""How each import declaration type maps to its table (单证类型): business key, sender codes, columns.

Also the canonical JSON of a record (encrypted in ``record``), its content hash (idempotency) and the
way back from JSON to the kuajing.ceb record, so a stored document can be rebuilt and sent on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kuajing.ceb import classes, spec_of
from kuajing.db.types import blind_index
from kuajing.imports.models import (
    ImportOrder,
    ImportOrderItem,
    ImportPayment,
    ImportWaybill,
    ImportWaybillStatus,
    Inventory,
    InventoryCancel,
    InventoryItem,
    InventoryRefund,
    InventoryRefundItem,
)

#: Head fields left out of the content hash: they change on every (re)transmission of the same content.
VOLATILE = frozenset({"guid", "appType", "appTime"})


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def record_to_json(message_type: str, record) -> dict[str, Any]:
    """The record as plain JSON (official camelCase names; decimals as strings)."""
    data = record.to_dict()
    if spec_of(message_type).record.compound:
        return {k: ([{f: _json_value(v) for f, v in line.items()} for line in val] if isinstance(val, list)
                    else {f: _json_value(v) for f, v in val.items()}) for k, val in data.items()}
    return {f: _json_value(v) for f, v in data.items()}


def _typed(node_spec, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        f = node_spec.by_name.get(name)
        if f is None:
            continue
        if value is not None and f.kind == "dec" and isinstance(value, str) and value:
            with contextlib.suppress(ArithmeticError):
                value = Decimal(value)
        out[f.attr] = value
    return out


def record_from_json(message_type: str, data: dict[str, Any]):
    """The kuajing.ceb record rebuilt from :func:`record_to_json`."""
    spec = spec_of(message_type).record
    cls = classes(message_type)
    if not spec.compound:
        return cls.record(**_typed(spec, data))
    head = cls.head(**_typed(spec.head, data.get(spec.head.name, {})))
    items = [cls.item(**_typed(spec.items, line)) for line in data.get(spec.items.name, [])] if spec.items else []
    return cls.record(head=head, items=items)


def content_hash(message_type: str, data: dict[str, Any]) -> str:
    """SHA-256 of the record's business content (guid, appType and appTime left out)."""
    spec = spec_of(message_type).record
    if spec.compound:
        head = {k: v for k, v in data.get(spec.head.name, {}).items() if k not in VOLATILE}
        body = {spec.head.name: head, **{k: v for k, v in data.items() if k != spec.head.name}}
    else:
        body = {k: v for k, v in data.items() if k not in VOLATILE}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def head_of(message_type: str, record):
    """The head of a compound record, or the flat record itself."""
    return record.head if spec_of(message_type).record.compound else record


@dataclass(frozen=True)
class DocType:
    """One declaration type handled by intake."""

    message_type: str  # CEB311 …
    model: type
    name: str  # order / payment / waybill / waybill_status / inventory / cancel / refund
    key: Callable[[Any], str]  # head → business key
    senders: Callable[[Any], tuple[str, ...]]  # head → the codes of the parties that may send it
    columns: Callable[[Any], dict[str, Any]]  # head → column values
    lines: Callable[[Any], list] | None = None  # record → line rows
    # --- for types registered by another domain (exports); None = the import behaviour -----------------
    domain: str = "import"  # audit action prefix: <domain>:<name>:<action>
    codes: dict[str, str] | None = None  # duplicate / not_found / state / invalid / not_authorised
    own_codes: dict[str, tuple[str, str]] | None = None  # our codes (zh, en) for returnInfo
    initial_status: str | None = None  # status of a newly accepted record
    may_change: Callable[..., bool] | None = None  # (session, doc) → appType 2/3 allowed
    check_new: Callable[..., tuple[str, str] | None] | None = None  # (session=, record=, head=, when=) → refusal
    check_change: Callable[..., tuple[str, str] | None] | None = None  # the same for an appType 2 change
    reset: Callable[..., None] | None = None  # (doc, head, when) after a write (numbers, derived columns)
    receipt_keys: Callable[..., dict[str, str]] | None = None  # (head, doc, when) → receipt fields
    after_accept: Callable[..., None] | None = None  # (session=, accepted=, when=) instead of flow.after_accept
    # record → line values as plain dicts (表体), so intake can write new documents with Core INSERTs;
    # None with ``lines`` set = the ORM path only
    line_rows: Callable[[Any], list[dict[str, Any]]] | None = None

    @property
    def core_insert(self) -> bool:
        """Whether intake may write new records of this type with Core multi-row INSERTs (plain values, no
        ORM objects): the import types, whose follow-up (flow.after_accept) takes the written values."""
        return (self.reset is None and self.receipt_keys is None and self.after_accept is None
                and (self.lines is None or self.line_rows is not None))


def _s(value) -> str:
    return "" if value is None else str(value)


def _order_columns(h) -> dict[str, Any]:
    return dict(order_no=h.order_no, ebp_code=h.ebp_code, ebp_name=h.ebp_name, ebc_code=h.ebc_code,
                ebc_name=h.ebc_name, goods_value=h.goods_value, freight=h.freight, discount=h.discount,
                tax_total=h.tax_total, actural_paid=h.actural_paid, buyer_id_type=h.buyer_id_type,
                buyer_id_number=h.buyer_id_number, buyer_index=blind_index(h.buyer_id_number),
                buyer_name=h.buyer_name, buyer_telephone=h.buyer_telephone, pay_code=h.pay_code,
                pay_transaction_id=h.pay_transaction_id, consignee=h.consignee,
                consignee_telephone=h.consignee_telephone, consignee_address=h.consignee_address)


def _order_line_rows(record) -> list[dict[str, Any]]:
    return [dict(gnum=i.gnum, item_no=i.item_no, item_name=i.item_name, gmodel=i.gmodel, unit=i.unit, qty=i.qty,
                 price=i.price, total_price=i.total_price, country=i.country)
            for i in record.items]


def _order_lines(record) -> list:
    return [ImportOrderItem(**row) for row in _order_line_rows(record)]


def _payment_columns(h) -> dict[str, Any]:
    return dict(pay_code=h.pay_code, pay_name=h.pay_name, pay_transaction_id=h.pay_transaction_id,
                order_no=h.order_no, ebp_code=h.ebp_code, payer_id_type=h.payer_id_type,
                payer_id_number=h.payer_id_number, payer_index=blind_index(h.payer_id_number),
                payer_name=h.payer_name, amount_paid=h.amount_paid, pay_time=h.pay_time)


def _waybill_columns(h) -> dict[str, Any]:
    return dict(logistics_code=h.logistics_code, logistics_name=h.logistics_name, logistics_no=h.logistics_no,
                order_no=h.order_no, freight=h.freight, insured_fee=h.insured_fee, weight=h.weight,
                consignee=h.consignee, consignee_telephone=h.consignee_telephone,
                consignee_address=h.consignee_address)


def _status_columns(h) -> dict[str, Any]:
    return dict(logistics_code=h.logistics_code, logistics_no=h.logistics_no, logistics_status=h.logistics_status,
                logistics_time=h.logistics_time)


def _inventory_columns(h) -> dict[str, Any]:
    return dict(order_no=h.order_no, ebp_code=h.ebp_code, ebc_code=h.ebc_code, logistics_code=h.logistics_code,
                logistics_no=h.logistics_no, agent_code=h.agent_code, assure_code=h.assure_code,
                cop_no=h.cop_no or "", trade_mode=h.trade_mode, ems_no=h.ems_no, area_code=h.area_code,
                customs_code=h.customs_code, decl_time=h.decl_time, buyer_id_number=h.buyer_id_number,
                buyer_index=blind_index(h.buyer_id_number), buyer_name=h.buyer_name,
                buyer_telephone=h.buyer_telephone, consignee_address=h.consignee_address, freight=h.freight,
                insured_fee=h.insured_fee)


def _inventory_line_rows(record) -> list[dict[str, Any]]:
    return [dict(gnum=i.gnum, item_record_no=i.item_record_no, item_no=i.item_no, gcode=i.gcode, gname=i.gname,
                 gmodel=i.gmodel, country=i.country, qty=i.qty, unit=i.unit, qty1=i.qty1, unit1=i.unit1,
                 qty2=i.qty2, unit2=i.unit2 or None, price=i.price, total_price=i.total_price)
            for i in record.items]


def _inventory_lines(record) -> list:
    return [InventoryItem(**row) for row in _inventory_line_rows(record)]


def _cancel_columns(h) -> dict[str, Any]:
    return dict(invt_no=h.invt_no, order_no=h.order_no, ebp_code=h.ebp_code, agent_code=h.agent_code,
                buyer_id_number=h.buyer_id_number, buyer_index=blind_index(h.buyer_id_number),
                buyer_name=h.buyer_name, buyer_telephone=h.buyer_telephone, reason=h.reason)


def _refund_line_rows(record) -> list[dict[str, Any]]:
    return [dict(gnum=i.gnum, gcode=i.gcode, gname=i.gname, qty=i.qty, unit=i.unit) for i in record.items]


def _refund_lines(record) -> list:
    return [InventoryRefundItem(**row) for row in _refund_line_rows(record)]


DOC_TYPES: dict[str, DocType] = {d.message_type: d for d in (
    DocType("CEB311", ImportOrder, "order", lambda h: f"{h.ebp_code}:{h.order_no}",
            lambda h: (h.ebp_code, h.ebc_code), _order_columns, _order_lines, line_rows=_order_line_rows),
    DocType("CEB411", ImportPayment, "payment", lambda h: f"{h.pay_code}:{h.pay_transaction_id}",
            lambda h: (h.pay_code,), _payment_columns),
    DocType("CEB511", ImportWaybill, "waybill", lambda h: f"{h.logistics_code}:{h.logistics_no}",
            lambda h: (h.logistics_code,), _waybill_columns),
    DocType("CEB513", ImportWaybillStatus, "waybill_status",
            lambda h: f"{h.logistics_code}:{h.logistics_no}:{_s(h.logistics_status)}",
            lambda h: (h.logistics_code,), _status_columns),
    DocType("CEB621", Inventory, "inventory", lambda h: f"{h.ebp_code}:{h.order_no}",
            lambda h: (h.agent_code,), _inventory_columns, _inventory_lines, line_rows=_inventory_line_rows),
    DocType("CEB623", InventoryCancel, "cancel", lambda h: _s(h.invt_no),
            lambda h: (h.agent_code,), _cancel_columns),
    DocType("CEB625", InventoryRefund, "refund", lambda h: _s(h.invt_no),
            lambda h: (h.agent_code,), _cancel_columns, _refund_lines, line_rows=_refund_line_rows),
)}

#: Receipt type → (declaration type, how to find the business key in a receipt record).
RECEIPT_KEYS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "CEB312": ("CEB311", lambda r: f"{r.ebp_code}:{r.order_no}"),
    "CEB412": ("CEB411", lambda r: f"{r.pay_code}:{r.pay_transaction_id}"),
    "CEB512": ("CEB511", lambda r: f"{r.logistics_code}:{r.logistics_no}"),
    "CEB514": ("CEB513", lambda r: f"{r.logistics_code}:{r.logistics_no}:{_s(r.logistics_status)}"),
}


#: Customs receipt type → apply(session=, rec=, now=) → (owner enterprise id, business key, declaration type) or
#: None; registered by other domains (exports) for their receipts, used by ``flow.apply_customs_message``.
CUSTOMS_APPLY: dict[str, Callable[..., tuple[int, str, str] | None]] = {}
#: Modules that register further declaration types (imported once, on first use).
PLUGINS = ("kuajing.exports.service.doctypes", "kuajing.export_summary.service")
_loaded = False


def register(*doc_types: DocType, customs: dict[str, Callable] | None = None) -> None:
    """Let another domain plug its declaration types (and its customs receipts) into the one intake."""
    for dt in doc_types:
        DOC_TYPES[dt.message_type] = dt
    CUSTOMS_APPLY.update(customs or {})


def load_plugins() -> None:
    """Import the modules that register further declaration types (once)."""
    global _loaded
    if _loaded:
        return
    import importlib

    for name in PLUGINS:
        importlib.import_module(name)
    _loaded = True


def code_of(dt: DocType, kind: str) -> str:
    """The verdict code of ``kind`` (duplicate / not_found / state / invalid / not_authorised) for ``dt``."""
    from kuajing.imports import errors

    if dt.codes is not None and kind in dt.codes:
        return dt.codes[kind]
    if kind == "not_authorised":
        return errors.not_authorised_code(dt.message_type)
    return getattr(errors, kind.upper())[dt.message_type]
