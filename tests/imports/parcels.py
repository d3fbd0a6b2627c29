"""Consistent test parcels (order + payment + waybill + list) built from kuajing.ceb example messages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kuajing.ceb import build, example_message

BUYER_ID = "150203199001051234"
BUYER_NAME = "张三"
BUYER_PHONE = "13800001234"
CONSIGNEE = "李四"
CONSIGNEE_PHONE = "13900005678"
ADDRESS = "内蒙古包头市昆都仑区钢铁大街1号"


@dataclass
class Parties:
    """Customs codes of the four senders (电商平台/电商企业, 支付企业, 物流企业, 申报企业)."""

    ebp: str
    pay: str
    logistics: str
    agent: str


def order(p: Parties, n: int = 1, *, goods: str = "280", freight: str = "20", tax: str = "0",
          lines: int = 1, app_type: str = "1"):
    """A CEB311 message with one order ``ORD<n>``: ``lines`` lines sharing ``goods``."""
    msg = example_message("CEB311", items=lines)
    rec = msg.records[0]
    h = rec.head
    h.app_type = app_type
    h.order_no, h.ebp_code, h.ebc_code = f"ORD{n}", p.ebp, p.ebp
    h.buyer_id_number, h.buyer_name, h.buyer_telephone = BUYER_ID, BUYER_NAME, BUYER_PHONE
    h.consignee, h.consignee_telephone, h.consignee_address = CONSIGNEE, CONSIGNEE_PHONE, ADDRESS
    h.pay_code, h.pay_transaction_id = p.pay, f"PAY{n}"
    each = (Decimal(goods) / lines).quantize(Decimal("0.01"))
    for k, item in enumerate(rec.items, start=1):
        item.gnum, item.item_name, item.qty, item.price, item.total_price = k, f"婴儿奶粉{k}", Decimal(1), each, each
    h.goods_value = each * lines
    h.freight, h.discount, h.tax_total = Decimal(freight), Decimal(0), Decimal(tax)
    h.actural_paid = h.goods_value + h.freight + h.tax_total
    return msg


def payment(p: Parties, n: int = 1, *, amount: str = "300", payer: str = BUYER_NAME, app_type: str = "1"):
    """A CEB411 message paying ``ORD<n>``."""
    msg = example_message("CEB411")
    h = msg.records[0].head
    h.app_type = app_type
    h.pay_code, h.pay_transaction_id, h.order_no, h.ebp_code = p.pay, f"PAY{n}", f"ORD{n}", p.ebp
    h.payer_id_type, h.payer_id_number, h.payer_name, h.telephone = "1", BUYER_ID, payer, BUYER_PHONE
    h.amount_paid = Decimal(amount)
    return msg


def waybill(p: Parties, n: int = 1, *, consignee: str = CONSIGNEE, app_type: str = "1"):
    """A CEB511 message carrying ``ORD<n>`` as ``WB<n>``."""
    msg = example_message("CEB511")
    h = msg.records[0].head
    h.app_type = app_type
    h.logistics_code, h.logistics_no, h.order_no = p.logistics, f"WB{n}", f"ORD{n}"
    h.consignee, h.consignee_telephone, h.consignee_address = consignee, CONSIGNEE_PHONE, ADDRESS
    h.freight, h.insured_fee = Decimal("20"), Decimal("0")
    return msg


def inventory(p: Parties, n: int = 1, *, goods: str = "280", freight: str = "20", lines: int = 1,
              gcode: str = "1901101000", trade_mode: str = "9610", app_type: str = "1",
              decl_time: str = "20240601"):
    """A CEB621 message declaring ``ORD<n>`` (``lines`` lines sharing ``goods``)."""
    msg = example_message("CEB621", items=lines)
    rec = msg.records[0]
    h = rec.head
    h.app_type = app_type
    h.order_no, h.ebp_code, h.ebc_code, h.agent_code = f"ORD{n}", p.ebp, p.ebp, p.agent
    h.logistics_code, h.logistics_no, h.cop_no, h.pre_no, h.invt_no = p.logistics, f"WB{n}", f"COP{n}", None, None
    h.buyer_id_number, h.buyer_name, h.buyer_telephone, h.consignee_address = BUYER_ID, BUYER_NAME, BUYER_PHONE, ADDRESS
    h.freight, h.insured_fee, h.trade_mode, h.decl_time = Decimal(freight), Decimal(0), trade_mode, decl_time
    h.assure_code = p.ebp
    each = (Decimal(goods) / lines).quantize(Decimal("0.01"))
    for k, item in enumerate(rec.items, start=1):
        item.gnum, item.gname, item.gcode = k, f"婴儿奶粉{k}", gcode
        item.qty, item.qty1, item.price, item.total_price = Decimal(1), Decimal(1), each, each
        item.qty2 = item.unit2 = None
    return msg


def xml(msg) -> bytes:
    """The message as sent."""
    return build(msg)
