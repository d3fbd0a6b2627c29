"""Consistent export test shipments (order + receipt + waybill + list + arrival + departure) from ceb examples."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kuajing.ceb import build, example_message


@dataclass
class Parties:
    """Customs codes of the senders: platform/e-commerce enterprise, logistics, declaring agent, site operator."""

    ebp: str
    logistics: str
    agent: str
    operator: str


def order(p: Parties, n: int = 1, *, order_type: str = "E", price: str = "100", qty: str = "2",
          currency: str = "142", lines: int = 1, app_type: str = "1", ebp_name: str = "测试平台"):
    """A CEB303 with order ``EXO<n>``: ``lines`` lines of ``qty`` × ``price``."""
    msg = example_message("CEB303", items=lines)
    rec = msg.records[0]
    h = rec.head
    h.app_type, h.app_status, h.order_type = app_type, "2", order_type
    h.order_no, h.ebp_code, h.ebc_code, h.ebp_name = f"EXO{n}", p.ebp, p.ebp, ebp_name
    h.currency = currency
    for k, item in enumerate(rec.items, start=1):
        item.gnum, item.item_no, item.item_name, item.currency = k, f"SKU{k}", f"羊绒衫{k}", currency
        item.qty, item.price = Decimal(qty), Decimal(price)
        item.total_price = Decimal(qty) * Decimal(price)
    h.goods_value = sum((i.total_price for i in rec.items), Decimal(0))
    h.freight = Decimal("10")
    return msg


def receipt(p: Parties, n: int = 1, *, app_type: str = "1"):
    """A CEB403 receipt of payment for ``EXO<n>``."""
    msg = example_message("CEB403")
    h = msg.records[0]
    h.app_type, h.app_status = app_type, "2"
    h.ebp_code, h.ebc_code, h.order_no, h.pay_code = p.ebp, p.ebp, f"EXO{n}", p.ebp
    h.charge, h.currency = Decimal("200"), "142"
    return msg


def waybill(p: Parties, n: int = 1, *, app_type: str = "1"):
    """A CEB505 waybill ``EXW<n>``."""
    msg = example_message("CEB505")
    h = msg.records[0]
    h.app_type, h.app_status = app_type, "2"
    h.logistics_code, h.logistics_no, h.ebc_code = p.logistics, f"EXW{n}", p.ebp
    return msg


def inventory(p: Parties, n: int = 1, *, trade_mode: str = "9610", price: str = "100", qty: str = "2",
              currency: str = "142", lines: int = 1, app_type: str = "1", license_no: str | None = None,
              ie_date: str = "20260305"):
    """A CEB603 list for ``EXO<n>`` / ``EXW<n>`` matching :func:`order`."""
    msg = example_message("CEB603", items=lines)
    rec = msg.records[0]
    h = rec.head
    h.app_type, h.app_status = app_type, "2"
    h.order_no, h.ebp_code, h.ebc_code, h.owner_code = f"EXO{n}", p.ebp, p.ebp, p.ebp
    h.logistics_code, h.logistics_no, h.agent_code = p.logistics, f"EXW{n}", p.agent
    h.trade_mode, h.license_no, h.ie_date, h.statistics_flag = trade_mode, license_no, ie_date, "B"
    h.cop_no, h.pre_no, h.invt_no = f"COP{n}", None, None
    for k, item in enumerate(rec.items, start=1):
        item.gnum, item.item_no, item.currency = k, f"SKU{k}", currency
        item.qty, item.price = Decimal(qty), Decimal(price)
        item.total_price = Decimal(qty) * Decimal(price)
        item.gcode = "6110120000"
    return msg


def arrival(p: Parties, numbers: list[int], *, seq: int = 1):
    """A CEB507 arrival report listing ``EXW<n>`` for each n."""
    msg = example_message("CEB507", items=len(numbers))
    rec = msg.records[0]
    h = rec.head
    h.app_type, h.app_status = "1", "2"
    h.operator_code, h.logistics_code, h.cop_no, h.msg_seq_no, h.msg_count = p.operator, p.logistics, "ARR1", seq, seq
    h.pre_no = None
    for k, (item, n) in enumerate(zip(rec.items, numbers, strict=True), start=1):
        item.gnum, item.logistics_no = k, f"EXW{n}"
    return msg


def departure(p: Parties, numbers: list[int], *, seq: int = 1):
    """A CEB509 departure report listing ``EXW<n>`` for each n."""
    msg = example_message("CEB509", items=len(numbers))
    rec = msg.records[0]
    h = rec.head
    h.app_type, h.app_status = "1", "2"
    h.logistics_code, h.cop_no, h.msg_seq_no, h.msg_count = p.logistics, "DEP1", seq, seq
    h.pre_no = None
    for k, (item, n) in enumerate(zip(rec.items, numbers, strict=True), start=1):
        item.gnum, item.logistics_no = k, f"EXW{n}"
    return msg


def xml(msg) -> bytes:
    """The message's bytes (validated)."""
    return build(msg)
