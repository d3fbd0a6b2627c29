"""Pure export checks (no database): document match, 9710/9810 routing, the export-return relief window.

* :func:`required_documents` — which documents a list must match, by its declaration date, from the
  effective-dated rule ``export.document_check`` (R3.1: order + receipt of payment + waybill until
  2024-12-14; order + waybill from 2024-12-15, GACC 2024 No.167).
* :func:`match` — the list against its order, waybill and (when required) receipt of payment
  (ceb-messages §3.3): every difference as a :class:`Mismatch`.
* :func:`route` — whether a 9710/9810 consignment may go on a list (R4.5): at most the rule's limit
  (``export.b2b_list_max_value_cny``, 5,000.00) in CNY and no licence, inspection or tax involvement.
* :func:`relief_window` — the last day returned exports keep the tax relief (R2.5,
  ``export_returns.tax_free_window_months``): calendar months from the export date, clamped to the end
  of a shorter month (Civil Code Art. 202: the corresponding day of the last month, or its last day).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from kuajing.errors import AppError
from kuajing.rules.service import RuleValue, rule

#: CEB603 tradeMode → the CEB303 orderType its order must have.
ORDER_TYPE_OF = {"9610": "E", "1210": "E", "9710": "B", "9810": "W"}
B2B_MODES = ("9710", "9810")


@dataclass(frozen=True)
class OrderLine:
    """An order line as matched."""

    gnum: int
    item_no: str
    item_name: str
    qty: Decimal
    price: Decimal
    total_price: Decimal
    currency: str


@dataclass(frozen=True)
class OrderDoc:
    """An export order / booking note (CEB303) as matched."""

    order_no: str
    ebp_code: str
    ebc_code: str
    order_type: str
    lines: tuple[OrderLine, ...] = ()


@dataclass(frozen=True)
class WaybillDoc:
    """An export waybill (CEB505) as matched."""

    logistics_code: str
    logistics_no: str


@dataclass(frozen=True)
class ReceiptDoc:
    """A receipt of payment (CEB403) as matched."""

    order_no: str
    ebp_code: str
    ebc_code: str


@dataclass(frozen=True)
class InventoryLine:
    """A list line as matched."""

    gnum: int
    item_no: str
    qty: Decimal
    price: Decimal
    total_price: Decimal
    currency: str


@dataclass(frozen=True)
class InventoryDoc:
    """An export declaration list (CEB603) as matched."""

    order_no: str
    ebp_code: str
    ebc_code: str
    logistics_code: str
    logistics_no: str
    trade_mode: str
    lines: tuple[InventoryLine, ...] = ()


@dataclass(frozen=True)
class Mismatch:
    """One difference between the list and another document."""

    field: str  # what differs, e.g. "orderNo", "OrderList[2]/qty"
    doc_a: str  # CEB603
    value_a: str | None
    doc_b: str  # CEB303 / CEB505 / CEB403
    value_b: str | None

    def to_dict(self) -> dict:
        """Plain data (stored on the list)."""
        return asdict(self)


def required_documents(declared_on: date) -> RuleValue:
    """The documents a list declared on ``declared_on`` must match (rule ``export.document_check``)."""
    return rule("export.document_check", on=declared_on)


def _s(value) -> str | None:
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _differs(a, b) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a != b
    return (a or "") != (b or "")


def match(inventory: InventoryDoc, *, order: OrderDoc | None, waybill: WaybillDoc | None,
          receipt: ReceiptDoc | None = None, documents: tuple[str, ...] = ("order", "waybill")) -> list[Mismatch]:
    """Every difference between ``inventory`` and the documents ``documents`` names (order, waybill, receipt).

    A required document that is missing is a mismatch of field ``document`` (value None).
    """
    found: list[Mismatch] = []

    def add(fld, a, doc_b, b):
        if _differs(a, b):
            found.append(Mismatch(fld, "CEB603", _s(a), doc_b, _s(b)))

    if "order" in documents:
        if order is None:
            found.append(Mismatch("document", "CEB603", inventory.order_no, "CEB303", None))
        else:
            add("orderNo", inventory.order_no, "CEB303", order.order_no)
            add("ebpCode", inventory.ebp_code, "CEB303", order.ebp_code)
            add("ebcCode", inventory.ebc_code, "CEB303", order.ebc_code)
            add("orderType", ORDER_TYPE_OF.get(inventory.trade_mode), "CEB303", order.order_type)
            lines = {line.gnum: line for line in order.lines}
            listed = {line.gnum: line for line in inventory.lines}
            for gnum, line in sorted(listed.items()):
                other = lines.get(gnum)
                if other is None:
                    found.append(Mismatch(f"InventoryList[{gnum}]", "CEB603", str(gnum), "CEB303", None))
                    continue
                for name, a, b in (("itemNo", line.item_no, other.item_no), ("qty", line.qty, other.qty),
                                   ("price", line.price, other.price),
                                   ("totalPrice", line.total_price, other.total_price),
                                   ("currency", line.currency, other.currency)):
                    add(f"InventoryList[{gnum}]/{name}", a, "CEB303", b)
            for gnum in sorted(set(lines) - set(listed)):
                found.append(Mismatch(f"OrderList[{gnum}]", "CEB603", None, "CEB303", str(gnum)))
    if "waybill" in documents:
        if waybill is None:
            found.append(Mismatch("document", "CEB603", inventory.logistics_no, "CEB505", None))
        else:
            add("logisticsCode", inventory.logistics_code, "CEB505", waybill.logistics_code)
            add("logisticsNo", inventory.logistics_no, "CEB505", waybill.logistics_no)
    if "receipt" in documents:
        if receipt is None:
            found.append(Mismatch("document", "CEB603", inventory.order_no, "CEB403", None))
        else:
            add("orderNo", inventory.order_no, "CEB403", receipt.order_no)
            add("ebpCode", inventory.ebp_code, "CEB403", receipt.ebp_code)
            add("ebcCode", inventory.ebc_code, "CEB403", receipt.ebc_code)
    return found


@dataclass(frozen=True)
class Route:
    """Where a 9710/9810 consignment goes: a declaration list, or a customs declaration (and why)."""

    list_allowed: bool
    reasons: tuple[str, ...]  # RoutingReason values when a customs declaration is needed
    value_cny: Decimal
    limit_cny: Decimal
    citation: str = field(default="")


def route(*, value_cny: Decimal, on: date, licence: bool = False, inspection: bool = False,
          tax: bool = False) -> Route:
    """R4.5: a list only when ``value_cny`` ≤ the limit in force on ``on`` and no licence, inspection or tax."""
    limit = rule("export.b2b_list_max_value_cny", on=on)
    reasons = []
    if value_cny > limit.value:
        reasons.append("value")
    for name, flag in (("licence", licence), ("inspection", inspection), ("tax", tax)):
        if flag:
            reasons.append(name)
    return Route(list_allowed=not reasons, reasons=tuple(reasons), value_cny=value_cny, limit_cny=limit.value,
                 citation=limit.citation)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; a missing day becomes the month's last (01-31 + 1 → 02-28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReliefWindow:
    """The tax-relief window of a returned export (R2.5)."""

    exported_on: date
    last_day: date  # goods back on or before this day keep the relief
    months: int
    citation: str


def relief_window(exported_on: date) -> ReliefWindow | None:
    """The relief window for goods exported on ``exported_on``; None when no period of the rule covers it."""
    try:
        value = rule("export_returns.tax_free_window_months", on=exported_on)
    except AppError:
        return None
    return ReliefWindow(exported_on=exported_on, last_day=add_months(exported_on, value.value), months=value.value,
                        citation=value.citation)


def relief_applies(exported_on: date, back_on: date) -> bool:
    """Whether goods exported on ``exported_on`` and back on ``back_on`` keep the tax relief."""
    window = relief_window(exported_on)
    return window is not None and exported_on <= back_on <= window.last_day


#: R4.5 practice table (policy-rules §4, §12 ``export.simplified_hs_digits_9710_9810``): a 9710/9810 list
#: may carry a 6-digit HS code (简化归类) only at the customs of a pilot-zone city; otherwise the full code.
HS_FULL_DIGITS = 10
HS_SIMPLIFIED_DIGITS_B2B = 6


@dataclass(frozen=True)
class HsIssue:
    """A list line whose HS code (商品编码) the simplified-HS rule refuses."""

    path: str  # Inventory[n]/InventoryList[m]/gcode
    value: str
    reason: str  # full_code_required (6 digits not allowed here) / bad_length (neither 6 nor 10 digits)


def simplified_hs_allowed(*, list_allowed: bool, customs_code: str, zone_customs: frozenset[str]) -> bool:
    """6-digit HS on a 9710/9810 list: only a simplified list (R4.5) declared at a zone-city customs office."""
    return list_allowed and customs_code in zone_customs


def hs_code_issues(*, trade_mode: str, customs_code: str, gcodes: Sequence[str], list_allowed: bool,
                   zone_customs: frozenset[str], record: int = 1) -> list[HsIssue]:
    """Every line of a 9710/9810 list whose HS code is not 10 digits (or 6 where :func:`simplified_hs_allowed`)."""
    if trade_mode not in B2B_MODES:
        return []
    simplified = simplified_hs_allowed(list_allowed=list_allowed, customs_code=customs_code,
                                       zone_customs=zone_customs)
    found = []
    for m, gcode in enumerate(gcodes, start=1):
        code = (gcode or "").strip()
        if code.isdigit() and len(code) == HS_FULL_DIGITS:
            continue
        if code.isdigit() and len(code) == HS_SIMPLIFIED_DIGITS_B2B:
            if simplified:
                continue
            reason = "full_code_required"
        else:
            reason = "bad_length"
        found.append(HsIssue(path=f"Inventory[{record}]/InventoryList[{m}]/gcode", value=code, reason=reason))
    return found
