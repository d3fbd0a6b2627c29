"""Build the four documents of a parcel (order, payment, waybill, list) and related customs messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from kuajing import ceb
from kuajing.ceb import example_message

BUYER = "150203199001051234"  # fictitious 18-character ID number


@dataclass
class Line:
    gcode: str  # 10-digit HS code
    total: Decimal  # line total (CNY)
    qty: Decimal = Decimal(1)


@dataclass
class Parcel:
    order_no: str = "ORD20240601001"
    ebp_code: str = "1502960001"
    logistics_code: str = "1502980001"
    logistics_no: str = "LN20240601001"
    pay_code: str = "1502970001"
    agent_code: str = "1502990001"
    cop_no: str = "COP20240601001"
    buyer: str = BUYER
    decl_time: str = "20240601"
    freight: Decimal = Decimal("0")
    insured_fee: Decimal = Decimal("0")
    lines: list[Line] = field(default_factory=lambda: [Line("1901101000", Decimal("300.00"))])
    customs_code: str = "0201"


def _one(message_type: str):
    msg = example_message(message_type, records=1, items=1)
    return msg, msg.records[0]


def order(p: Parcel) -> bytes:
    msg, rec = _one("CEB311")
    h = rec.head
    h.order_no, h.ebp_code, h.buyer_id_number = p.order_no, p.ebp_code, p.buyer
    goods = sum((ln.total for ln in p.lines), Decimal(0))
    h.goods_value, h.freight, h.discount, h.tax_total = goods, p.freight, Decimal(0), Decimal(0)
    h.actural_paid = goods + p.freight
    item = rec.items[0]
    item.qty, item.price, item.total_price = Decimal(1), goods, goods
    return ceb.build(msg)


def payment(p: Parcel) -> bytes:
    msg, rec = _one("CEB411")
    h = rec.head
    h.order_no, h.ebp_code, h.pay_code = p.order_no, p.ebp_code, p.pay_code
    h.pay_transaction_id = "PAY" + p.order_no
    return ceb.build(msg)


def waybill(p: Parcel) -> bytes:
    msg, rec = _one("CEB511")
    h = rec.head
    h.order_no, h.logistics_code, h.logistics_no = p.order_no, p.logistics_code, p.logistics_no
    return ceb.build(msg)


def inventory(p: Parcel, *, app_type: str = "1") -> bytes:
    msg = example_message("CEB621", records=1, items=len(p.lines))
    rec = msg.records[0]
    h = rec.head
    h.app_type = app_type
    h.order_no, h.ebp_code, h.logistics_code, h.logistics_no = p.order_no, p.ebp_code, p.logistics_code, p.logistics_no
    h.agent_code, h.cop_no, h.buyer_id_number, h.decl_time = p.agent_code, p.cop_no, p.buyer, p.decl_time
    h.freight, h.insured_fee, h.customs_code = p.freight, p.insured_fee, p.customs_code
    h.pre_no = None
    h.invt_no = None
    for n, (item, line) in enumerate(zip(rec.items, p.lines, strict=True), start=1):
        item.gnum, item.gcode, item.qty, item.qty1 = n, line.gcode, line.qty, line.qty
        item.price = (line.total / line.qty).quantize(Decimal("0.00001"))
        item.total_price = line.total
    return ceb.build(msg)


def cancel(p: Parcel, invt_no: str) -> bytes:
    msg, rec = _one("CEB623")
    rec.order_no, rec.ebp_code, rec.logistics_code, rec.logistics_no = (p.order_no, p.ebp_code, p.logistics_code,
                                                                        p.logistics_no)
    rec.invt_no, rec.agent_code, rec.cop_no, rec.pre_no, rec.buyer_id_number = (invt_no, p.agent_code, p.cop_no, None,
                                                                                p.buyer)
    rec.customs_code = p.customs_code
    return ceb.build(msg)


def refund(p: Parcel, invt_no: str, *, lines: list[tuple[int, str, Decimal]] | None = None) -> bytes:
    msg = example_message("CEB625", records=1, items=1)
    rec = msg.records[0]
    h = rec.head
    h.order_no, h.ebp_code, h.logistics_code, h.logistics_no = p.order_no, p.ebp_code, p.logistics_code, p.logistics_no
    h.invt_no, h.agent_code, h.cop_no, h.pre_no, h.buyer_id_number = invt_no, p.agent_code, p.cop_no, None, p.buyer
    h.customs_code = p.customs_code
    wanted = lines or [(n, ln.gcode, ln.qty) for n, ln in enumerate(p.lines, start=1)]
    proto = rec.items[0]
    rec.items = []
    for gnum, gcode, qty in wanted:
        cls = type(proto)
        rec.items.append(cls(gnum=gnum, gcode=gcode, gname=proto.gname, qty=qty, unit=proto.unit))
    return ceb.build(msg)


def at(text: str) -> datetime:
    """An instant given in Asia/Shanghai wall time 'YYYY-MM-DD HH:MM' (as UTC)."""
    from zoneinfo import ZoneInfo

    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
