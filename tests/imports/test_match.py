"""The three-document match (三单对碰): one test per matched field, each naming both documents, fields and values."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from kuajing.imports.service.match import (
    InventoryDoc,
    InventoryLine,
    OrderDoc,
    OrderLine,
    PaymentDoc,
    WaybillDoc,
    match,
)

ORDER = OrderDoc(order_no="ORD1", ebp_code="1502900001", ebc_code="1502900001", goods_value=D("280"), freight=D("20"),
                 discount=D("0"), tax_total=D("27.30"), actural_paid=D("327.30"), buyer_id_type="1",
                 buyer_id_number="150203199001051234", buyer_name="张三", buyer_telephone="13800001234",
                 consignee="李四", consignee_telephone="13900005678", consignee_address="包头市钢铁大街1号",
                 pay_code="1502900002", pay_transaction_id="PAY1",
                 lines=(OrderLine(1, "婴儿奶粉", D("1"), D("280"), D("280")),))
PAYMENT = PaymentDoc(pay_code="1502900002", pay_transaction_id="PAY1", order_no="ORD1", ebp_code="1502900001",
                     payer_id_type="1", payer_id_number="150203199001051234", payer_name="张三",
                     amount_paid=D("327.30000"))
WAYBILL = WaybillDoc(logistics_code="1502900003", logistics_no="WB1", order_no="ORD1", consignee="李四",
                     consignee_telephone="13900005678", consignee_address="包头市钢铁大街1号")
INVENTORY = InventoryDoc(order_no="ORD1", ebp_code="1502900001", ebc_code="1502900001", logistics_code="1502900003",
                         logistics_no="WB1", buyer_id_type="1", buyer_id_number="150203199001051234", buyer_name="张三",
                         buyer_telephone="13800001234", consignee_address="包头市钢铁大街1号", freight=D("20"),
                         lines=(InventoryLine(1, "婴儿奶粉", D("1"), D("280"), D("280")),))


def test_a_consistent_parcel_matches_amounts_compared_as_numbers():
    assert match(ORDER, PAYMENT, WAYBILL, INVENTORY) == []


# (changed document, change, expected mismatch: field, doc_a, field_a, value_a, doc_b, field_b, value_b)
CASES = [
    ("payment", {"order_no": "ORD2"}, ("order_no", "CEB311", "orderNo", "ORD1", "CEB411", "orderNo", "ORD2")),
    ("waybill", {"order_no": "ORD3"}, ("order_no", "CEB311", "orderNo", "ORD1", "CEB511", "orderNo", "ORD3")),
    ("inventory", {"order_no": "ORD4"}, ("order_no", "CEB311", "orderNo", "ORD1", "CEB621", "orderNo", "ORD4")),
    ("payment", {"ebp_code": "1502999999"},
     ("ebp_code", "CEB311", "ebpCode", "1502900001", "CEB411", "ebpCode", "1502999999")),
    ("inventory", {"ebc_code": "1502999998"},
     ("ebc_code", "CEB311", "ebcCode", "1502900001", "CEB621", "ebcCode", "1502999998")),
    ("payment", {"pay_code": "1502999997"},
     ("pay_code", "CEB311", "payCode", "1502900002", "CEB411", "payCode", "1502999997")),
    ("payment", {"pay_transaction_id": "PAY9"},
     ("pay_transaction_id", "CEB311", "payTransactionId", "PAY1", "CEB411", "payTransactionId", "PAY9")),
    ("payment", {"amount_paid": D("327.29")},
     ("amount_paid", "CEB311", "acturalPaid", "327.30", "CEB411", "amountPaid", "327.29")),
    ("order", {"actural_paid": D("330")},  # 280 + 20 + 27.30 − 0 = 327.30
     ("amount_identity", "CEB311", "acturalPaid", "330", "CEB311", "goodsValue+freight+taxTotal-discount", "327.30")),
    ("payment", {"payer_id_number": "150203199001039999"},
     ("payer_id_number", "CEB311", "buyerIdNumber", "150203199001051234", "CEB411", "payerIdNumber",
      "150203199001039999")),
    ("payment", {"payer_name": "王五"}, ("payer_name", "CEB311", "buyerName", "张三", "CEB411", "payerName", "王五")),
    ("inventory", {"buyer_id_number": "150203199001068888"},
     ("buyer_id_number", "CEB311", "buyerIdNumber", "150203199001051234", "CEB621", "buyerIdNumber",
      "150203199001068888")),
    ("inventory", {"buyer_name": "赵六"}, ("buyer_name", "CEB311", "buyerName", "张三", "CEB621", "buyerName", "赵六")),
    ("inventory", {"buyer_telephone": "13800000000"},
     ("buyer_telephone", "CEB311", "buyerTelephone", "13800001234", "CEB621", "buyerTelephone", "13800000000")),
    ("waybill", {"consignee": "钱七"}, ("consignee", "CEB311", "consignee", "李四", "CEB511", "consignee", "钱七")),
    ("waybill", {"consignee_telephone": "13900000000"},
     ("consignee_telephone", "CEB311", "consigneeTelephone", "13900005678", "CEB511", "consigneeTelephone",
      "13900000000")),
    ("waybill", {"consignee_address": "呼和浩特"},
     ("consignee_address", "CEB311", "consigneeAddress", "包头市钢铁大街1号", "CEB511", "consigneeAddress", "呼和浩特")),
    ("inventory", {"consignee_address": "鄂尔多斯"},
     ("consignee_address", "CEB311", "consigneeAddress", "包头市钢铁大街1号", "CEB621", "consigneeAddress", "鄂尔多斯")),
    ("waybill", {"logistics_no": "WB9"},
     ("logistics_no", "CEB621", "logisticsNo", "WB1", "CEB511", "logisticsNo", "WB9")),
    ("waybill", {"logistics_code": "1502999996"},
     ("logistics_code", "CEB621", "logisticsCode", "1502900003", "CEB511", "logisticsCode", "1502999996")),
    ("inventory", {"freight": D("25")}, ("freight", "CEB311", "freight", "20", "CEB621", "freight", "25")),
]


@pytest.mark.parametrize(("which", "change", "expected"), CASES, ids=[f"{c[2][0]}-{c[0]}" for c in CASES])
def test_each_field_mismatch_names_both_sides(which, change, expected):
    docs = {"order": ORDER, "payment": PAYMENT, "waybill": WAYBILL, "inventory": INVENTORY}
    docs[which] = replace(docs[which], **change)
    found = match(docs["order"], docs["payment"], docs["waybill"], docs["inventory"])
    assert expected in [(m.field, m.doc_a, m.field_a, m.value_a, m.doc_b, m.field_b, m.value_b) for m in found]


def test_identity_verified_skips_buyer_equals_payer():
    payment = replace(PAYMENT, payer_name="王五", payer_id_number="150203199001039999")
    assert match(ORDER, payment, WAYBILL, INVENTORY, identity_verified=True) == []


@pytest.mark.parametrize(("field", "line_change", "expected"), [
    ("line_name", {"gname": "奶粉"}, ("CEB311", "OrderList[gnum=1]/itemName", "婴儿奶粉", "CEB621",
                                     "InventoryList[gnum=1]/gname", "奶粉")),
    ("line_qty", {"qty": D("2")}, ("CEB311", "OrderList[gnum=1]/qty", "1", "CEB621", "InventoryList[gnum=1]/qty", "2")),
    ("line_price", {"price": D("270")}, ("CEB311", "OrderList[gnum=1]/price", "280", "CEB621",
                                        "InventoryList[gnum=1]/price", "270")),
    ("line_total", {"total_price": D("270")}, ("CEB311", "OrderList[gnum=1]/totalPrice", "280", "CEB621",
                                              "InventoryList[gnum=1]/totalPrice", "270")),
    ("line_missing", {"gnum": 2}, ("CEB621", "InventoryList[gnum=2]/gnum", "2", "CEB311", "OrderList[gnum=2]/gnum",
                                   None)),
])
def test_list_lines_match_order_lines_by_gnum(field, line_change, expected):
    inventory = replace(INVENTORY, lines=(replace(INVENTORY.lines[0], **line_change),))
    found = [(m.field, m.doc_a, m.field_a, m.value_a, m.doc_b, m.field_b, m.value_b)
             for m in match(ORDER, PAYMENT, WAYBILL, inventory)]
    assert (field, *expected) in found


def test_list_goods_total_against_the_order_value():
    inventory = replace(INVENTORY, lines=(*INVENTORY.lines, InventoryLine(2, "赠品", D("1"), D("0"), D("0"))))
    order = replace(ORDER, lines=(*ORDER.lines, OrderLine(2, "赠品", D("1"), D("0"), D("0"))))
    assert match(order, PAYMENT, WAYBILL, inventory) == []
    heavier = replace(inventory, lines=(inventory.lines[0], InventoryLine(2, "赠品", D("1"), D("5"), D("5"))))
    found = [(m.field, m.value_a, m.value_b) for m in match(order, PAYMENT, WAYBILL, heavier)]
    assert ("goods_value", "280", "285") in found
