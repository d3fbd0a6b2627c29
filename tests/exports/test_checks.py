"""Pure export checks: document match per field, the rule by date, 9710/9810 routing, the return relief window."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from kuajing.exports.service import checks
from kuajing.exports.service.checks import (
    InventoryDoc,
    InventoryLine,
    OrderDoc,
    OrderLine,
    ReceiptDoc,
    WaybillDoc,
    add_months,
    match,
    relief_applies,
    relief_window,
    required_documents,
    route,
)

D = Decimal
ORDER = OrderDoc("EXO1", "EBP", "EBC", "E", (OrderLine(1, "SKU1", "羊绒衫", D(2), D(100), D(200), "142"),))
WAYBILL = WaybillDoc("LOG", "EXW1")
RECEIPT = ReceiptDoc("EXO1", "EBP", "EBC")
LIST = InventoryDoc("EXO1", "EBP", "EBC", "LOG", "EXW1", "9610",
                    (InventoryLine(1, "SKU1", D(2), D(100), D(200), "142"),))
ALL3 = ("order", "receipt", "waybill")


def test_a_matching_set_has_no_mismatch():
    assert match(LIST, order=ORDER, waybill=WAYBILL, receipt=RECEIPT, documents=ALL3) == []


@pytest.mark.parametrize(("changed", "field", "doc"), [
    (replace(LIST, order_no="EXO9"), "orderNo", "CEB303"),
    (replace(LIST, ebp_code="OTHER"), "ebpCode", "CEB303"),
    (replace(LIST, ebc_code="OTHER"), "ebcCode", "CEB303"),
    (replace(LIST, trade_mode="9710"), "orderType", "CEB303"),
    (replace(LIST, logistics_code="LOG2"), "logisticsCode", "CEB505"),
    (replace(LIST, logistics_no="EXW9"), "logisticsNo", "CEB505"),
    (replace(LIST, lines=(InventoryLine(1, "SKU9", D(2), D(100), D(200), "142"),)), "InventoryList[1]/itemNo", "CEB303"),
    (replace(LIST, lines=(InventoryLine(1, "SKU1", D(3), D(100), D(200), "142"),)), "InventoryList[1]/qty", "CEB303"),
    (replace(LIST, lines=(InventoryLine(1, "SKU1", D(2), D(99), D(200), "142"),)), "InventoryList[1]/price", "CEB303"),
    (replace(LIST, lines=(InventoryLine(1, "SKU1", D(2), D(100), D(201), "142"),)),
     "InventoryList[1]/totalPrice", "CEB303"),
    (replace(LIST, lines=(InventoryLine(1, "SKU1", D(2), D(100), D(200), "502"),)),
     "InventoryList[1]/currency", "CEB303"),
    (replace(LIST, lines=()), "OrderList[1]", "CEB303"),
    (replace(LIST, lines=LIST.lines + (InventoryLine(2, "SKU2", D(1), D(1), D(1), "142"),)),
     "InventoryList[2]", "CEB303"),
])
def test_each_matched_field_is_reported(changed, field, doc):
    found = match(changed, order=ORDER, waybill=WAYBILL, receipt=RECEIPT, documents=ALL3)
    assert [(m.field, m.doc_b) for m in found if m.doc_b == doc and m.field == field] == [(field, doc)]


@pytest.mark.parametrize(("receipt", "field"), [
    (replace(RECEIPT, order_no="EXO9"), "orderNo"),
    (replace(RECEIPT, ebp_code="OTHER"), "ebpCode"),
    (replace(RECEIPT, ebc_code="OTHER"), "ebcCode"),
])
def test_the_receipt_of_payment_is_matched_when_required(receipt, field):
    found = match(LIST, order=ORDER, waybill=WAYBILL, receipt=receipt, documents=ALL3)
    assert [(m.field, m.doc_b) for m in found] == [(field, "CEB403")]
    assert match(LIST, order=ORDER, waybill=WAYBILL, receipt=receipt, documents=("order", "waybill")) == []


def test_a_missing_required_document_is_a_mismatch():
    found = match(LIST, order=ORDER, waybill=WAYBILL, receipt=None, documents=ALL3)
    assert [(m.field, m.doc_b) for m in found] == [("document", "CEB403")]


def test_b2b_lists_need_the_matching_order_type():
    b2b = replace(ORDER, order_type="B")
    assert match(replace(LIST, trade_mode="9710"), order=b2b, waybill=WAYBILL) == []
    booking = replace(ORDER, order_type="W")
    assert match(replace(LIST, trade_mode="9810"), order=booking, waybill=WAYBILL) == []
    assert [m.field for m in match(replace(LIST, trade_mode="9810"), order=b2b, waybill=WAYBILL)] == ["orderType"]


def test_three_documents_until_2024_12_14_two_from_2024_12_15():
    """R3.1, GACC 2024 No.167: receipt-of-payment data no longer required from 2024-12-15."""
    before = required_documents(date(2024, 12, 14))
    after = required_documents(date(2024, 12, 15))
    assert set(before.value) == {"order", "receipt", "waybill"}
    assert set(after.value) == {"order", "waybill"}
    assert "2024年第167号" in after.citation


@pytest.mark.parametrize(("value", "allowed"), [("5000.00", True), ("5000.01", False), ("0.01", True)])
def test_b2b_routing_at_the_5000_limit(value, allowed):
    """R4.5: a single ticket of at most 5,000 CNY may go on a list."""
    decision = route(value_cny=D(value), on=date(2026, 3, 1))
    assert decision.list_allowed is allowed
    assert decision.reasons == (() if allowed else ("value",))


@pytest.mark.parametrize("flag", ["licence", "inspection", "tax"])
def test_b2b_routing_licence_inspection_tax_need_a_declaration(flag):
    decision = route(value_cny=D("100.00"), on=date(2026, 3, 1), **{flag: True})
    assert not decision.list_allowed and decision.reasons == (flag,)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 31), 6, date(2026, 7, 31)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 3, 15), 6, date(2026, 9, 15)),
    (date(2027, 7, 1), 6, date(2028, 1, 1)),
])
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_relief_window_edges_for_an_export_on_2026_01_31():
    """R2.5 (2026 No.16): back on 2026-07-31 (6 calendar months) qualifies, 2026-08-01 does not."""
    window = relief_window(date(2026, 1, 31))
    assert window is not None and window.last_day == date(2026, 7, 31) and "2026年第16号" in window.citation
    assert relief_applies(date(2026, 1, 31), date(2026, 7, 31))
    assert not relief_applies(date(2026, 1, 31), date(2026, 8, 1))


def test_relief_window_end_of_month_clamp():
    assert relief_applies(date(2026, 8, 31), date(2027, 2, 28))
    assert not relief_applies(date(2026, 8, 31), date(2027, 3, 1))


def test_no_relief_outside_the_rule_periods():
    """Exports of 2025 are not covered by a modelled period ([U] in policy-rules R2.5)."""
    assert relief_window(date(2025, 6, 1)) is None
    assert not relief_applies(date(2025, 6, 1), date(2025, 7, 1))
    assert relief_window(date(2023, 1, 30)) is not None and relief_window(date(2023, 1, 29)) is None


def test_b2b_modes_and_order_types():
    assert checks.ORDER_TYPE_OF == {"9610": "E", "1210": "E", "9710": "B", "9810": "W"}
