"""The three-document match (三单对碰): a pure function over plain dataclasses.

Order (CEB311) ↔ payment (CEB411) ↔ waybill (CEB511) ↔ declaration list (CEB621), the checks of
ceb-messages.md §3.1 and policy-rules R1.5/R1.16/R11.1: order number, platform and enterprise codes,
acturalPaid = goodsValue + freight + taxTotal − discount = amountPaid, buyer = payer where the buyer's
identity is not verified, consignee name/phone/address, logistics code and number, list lines to order
lines by gnum (name, quantity, price, total) and the list's values. Every mismatch names both documents,
both fields and both values. Amounts compare as numbers (10.5 = 10.50000); text compares exactly after
trimming surrounding blanks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ORDER, PAYMENT, WAYBILL, INVENTORY = "CEB311", "CEB411", "CEB511", "CEB621"

#: Fields holding personal data: their values are masked wherever a mismatch is stored or shown.
PERSONAL_FIELDS = frozenset({"buyerIdNumber", "payerIdNumber", "buyerName", "payerName", "buyerTelephone",
                             "consignee", "consigneeTelephone", "consigneeAddress"})


@dataclass(frozen=True)
class OrderLine:
    """An order line (订单表体)."""

    gnum: int
    item_name: str
    qty: Decimal
    price: Decimal
    total_price: Decimal


@dataclass(frozen=True)
class OrderDoc:
    """The order's fields the match reads (电子订单)."""

    order_no: str
    ebp_code: str
    ebc_code: str
    goods_value: Decimal
    freight: Decimal
    discount: Decimal
    tax_total: Decimal
    actural_paid: Decimal
    buyer_id_type: str
    buyer_id_number: str
    buyer_name: str
    buyer_telephone: str
    consignee: str
    consignee_telephone: str
    consignee_address: str
    pay_code: str | None = None
    pay_transaction_id: str | None = None
    lines: tuple[OrderLine, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PaymentDoc:
    """The payment voucher's fields the match reads (支付凭证)."""

    pay_code: str
    pay_transaction_id: str
    order_no: str
    ebp_code: str
    payer_id_type: str
    payer_id_number: str
    payer_name: str
    amount_paid: Decimal


@dataclass(frozen=True)
class WaybillDoc:
    """The waybill's fields the match reads (物流运单)."""

    logistics_code: str
    logistics_no: str
    order_no: str
    consignee: str
    consignee_telephone: str
    consignee_address: str


@dataclass(frozen=True)
class InventoryLine:
    """A list line (清单表体)."""

    gnum: int
    gname: str
    qty: Decimal
    price: Decimal
    total_price: Decimal


@dataclass(frozen=True)
class InventoryDoc:
    """The declaration list's fields the match reads (申报清单)."""

    order_no: str
    ebp_code: str
    ebc_code: str
    logistics_code: str
    logistics_no: str
    buyer_id_type: str
    buyer_id_number: str
    buyer_name: str
    buyer_telephone: str
    consignee_address: str
    freight: Decimal
    lines: tuple[InventoryLine, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Mismatch:
    """One disagreement: which check, and both sides (document, field, value)."""

    field: str  # stable code of the check, e.g. "amount_paid", "line_qty"
    doc_a: str  # CEB311 …
    field_a: str  # official field name (camelCase; lines as OrderList[gnum=2]/qty)
    value_a: str | None
    doc_b: str
    field_b: str
    value_b: str | None
    code: str = "-4002"  # receipt code of a failed match (ours; no official code exists)

    def to_dict(self) -> dict[str, str | None]:
        """As plain JSON."""
        return {"field": self.field, "doc_a": self.doc_a, "field_a": self.field_a, "value_a": self.value_a,
                "doc_b": self.doc_b, "field_b": self.field_b, "value_b": self.value_b, "code": self.code}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return str(value)


def _same(a, b) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    return (str(a).strip() if a is not None else None) == (str(b).strip() if b is not None else None)


class _Collector:
    def __init__(self) -> None:
        self.found: list[Mismatch] = []

    def check(self, name: str, doc_a: str, field_a: str, value_a, doc_b: str, field_b: str, value_b) -> None:
        if not _same(value_a, value_b):
            self.found.append(Mismatch(name, doc_a, field_a, _text(value_a), doc_b, field_b, _text(value_b)))


def match(order: OrderDoc, payment: PaymentDoc, waybill: WaybillDoc, inventory: InventoryDoc, *,
          identity_verified: bool = False) -> list[Mismatch]:
    """Every disagreement between the four documents of one parcel (empty list = they match)."""
    c = _Collector()
    # order number (订单编号) links all four
    c.check("order_no", ORDER, "orderNo", order.order_no, PAYMENT, "orderNo", payment.order_no)
    c.check("order_no", ORDER, "orderNo", order.order_no, WAYBILL, "orderNo", waybill.order_no)
    c.check("order_no", ORDER, "orderNo", order.order_no, INVENTORY, "orderNo", inventory.order_no)
    # platform and enterprise codes (电商平台、电商企业)
    c.check("ebp_code", ORDER, "ebpCode", order.ebp_code, PAYMENT, "ebpCode", payment.ebp_code)
    c.check("ebp_code", ORDER, "ebpCode", order.ebp_code, INVENTORY, "ebpCode", inventory.ebp_code)
    c.check("ebc_code", ORDER, "ebcCode", order.ebc_code, INVENTORY, "ebcCode", inventory.ebc_code)
    # the payment the order names (optional on the order)
    if order.pay_code:
        c.check("pay_code", ORDER, "payCode", order.pay_code, PAYMENT, "payCode", payment.pay_code)
    if order.pay_transaction_id:
        c.check("pay_transaction_id", ORDER, "payTransactionId", order.pay_transaction_id, PAYMENT,
                "payTransactionId", payment.pay_transaction_id)
    # amounts: acturalPaid = goodsValue + freight + taxTotal − discount = amountPaid
    expected = order.goods_value + order.freight + order.tax_total - order.discount
    c.check("amount_identity", ORDER, "acturalPaid", order.actural_paid, ORDER,
            "goodsValue+freight+taxTotal-discount", expected)
    c.check("amount_paid", ORDER, "acturalPaid", order.actural_paid, PAYMENT, "amountPaid", payment.amount_paid)
    # buyer = payer where the buyer's identity is not verified (R1.16, R11.1)
    if not identity_verified:
        c.check("payer_id_type", ORDER, "buyerIdType", order.buyer_id_type, PAYMENT, "payerIdType",
                payment.payer_id_type)
        c.check("payer_id_number", ORDER, "buyerIdNumber", order.buyer_id_number, PAYMENT, "payerIdNumber",
                payment.payer_id_number)
        c.check("payer_name", ORDER, "buyerName", order.buyer_name, PAYMENT, "payerName", payment.payer_name)
    # the list names the order's buyer
    c.check("buyer_id_type", ORDER, "buyerIdType", order.buyer_id_type, INVENTORY, "buyerIdType",
            inventory.buyer_id_type)
    c.check("buyer_id_number", ORDER, "buyerIdNumber", order.buyer_id_number, INVENTORY, "buyerIdNumber",
            inventory.buyer_id_number)
    c.check("buyer_name", ORDER, "buyerName", order.buyer_name, INVENTORY, "buyerName", inventory.buyer_name)
    c.check("buyer_telephone", ORDER, "buyerTelephone", order.buyer_telephone, INVENTORY, "buyerTelephone",
            inventory.buyer_telephone)
    # consignee (收货人) of the order = the waybill's; the list's address = the order's
    c.check("consignee", ORDER, "consignee", order.consignee, WAYBILL, "consignee", waybill.consignee)
    c.check("consignee_telephone", ORDER, "consigneeTelephone", order.consignee_telephone, WAYBILL,
            "consigneeTelephone", waybill.consignee_telephone)
    c.check("consignee_address", ORDER, "consigneeAddress", order.consignee_address, WAYBILL, "consigneeAddress",
            waybill.consignee_address)
    c.check("consignee_address", ORDER, "consigneeAddress", order.consignee_address, INVENTORY,
            "consigneeAddress", inventory.consignee_address)
    # logistics (物流企业、运单编号)
    c.check("logistics_code", INVENTORY, "logisticsCode", inventory.logistics_code, WAYBILL, "logisticsCode",
            waybill.logistics_code)
    c.check("logistics_no", INVENTORY, "logisticsNo", inventory.logistics_no, WAYBILL, "logisticsNo",
            waybill.logistics_no)
    # list lines to order lines by gnum (商品序号一一对应)
    order_lines = {line.gnum: line for line in order.lines}
    list_lines = {line.gnum: line for line in inventory.lines}
    for gnum, line in sorted(list_lines.items()):
        ol = order_lines.get(gnum)
        where_o, where_i = f"OrderList[gnum={gnum}]", f"InventoryList[gnum={gnum}]"
        if ol is None:
            c.found.append(Mismatch("line_missing", INVENTORY, f"{where_i}/gnum", str(gnum), ORDER,
                                    f"{where_o}/gnum", None))
            continue
        c.check("line_name", ORDER, f"{where_o}/itemName", ol.item_name, INVENTORY, f"{where_i}/gname", line.gname)
        c.check("line_qty", ORDER, f"{where_o}/qty", ol.qty, INVENTORY, f"{where_i}/qty", line.qty)
        c.check("line_price", ORDER, f"{where_o}/price", ol.price, INVENTORY, f"{where_i}/price", line.price)
        c.check("line_total", ORDER, f"{where_o}/totalPrice", ol.total_price, INVENTORY, f"{where_i}/totalPrice",
                line.total_price)
    for gnum in sorted(set(order_lines) - set(list_lines)):
        c.found.append(Mismatch("line_missing", ORDER, f"OrderList[gnum={gnum}]/gnum", str(gnum), INVENTORY,
                                f"InventoryList[gnum={gnum}]/gnum", None))
    # values: the list's goods total and freight against the order
    goods = sum((line.total_price for line in inventory.lines), Decimal(0))
    c.check("goods_value", ORDER, "goodsValue", order.goods_value, INVENTORY, "sum(InventoryList/totalPrice)", goods)
    c.check("freight", ORDER, "freight", order.freight, INVENTORY, "freight", inventory.freight)
    return c.found
