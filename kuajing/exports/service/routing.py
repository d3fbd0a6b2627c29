"""9710 / 9810 routing (policy-rules R4.5): a declaration list, or a customs declaration (报关单) prepared here.

A consignment of at most ``export.b2b_list_max_value_cny`` (5,000.00 CNY; other currencies converted with
the customs monthly rate of kuajing.data on the declaration date) with no licence, inspection or tax
involvement may go on a list; anything else is filed as a customs declaration in another customs system
(H2018 / single window). For those the platform prepares the data package (JSON, and Excel on demand)
carrying the attachment 10000004 跨境B2B出口单证 whose number is the order / booking-note number, and
tracks the declaration (``customs_declarations``: prepared → filed → released / rejected, or cancelled).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.ceb.receipt import SHANGHAI
from kuajing.errors import AppError
from kuajing.exports import errors
from kuajing.exports.choices import CustomsDeclarationStatus
from kuajing.exports.models import CustomsDeclaration, ExportOrder
from kuajing.exports.service import checks

ATTACHMENT_TYPE = "10000004"  # 跨境B2B出口单证
ATTACHMENT_NAME = "跨境B2B出口单证"
TRADE_MODE_OF = {"B": "9710", "W": "9810"}
D = CustomsDeclarationStatus
_NEXT = {D.prepared: {D.filed, D.cancelled}, D.filed: {D.released, D.rejected, D.cancelled},
         D.rejected: {D.filed, D.cancelled}}


def value_in_cny(*, session: Session, amount: Decimal, currency: str, on: date) -> Decimal:
    """``amount`` in CNY at the customs monthly rate in force on ``on`` (raises ``exports_rate_missing``)."""
    from kuajing.data import service as data

    try:
        return data.convert_to_cny(session=session, amount=amount, currency=currency, on=on)
    except AppError as exc:
        raise errors.rate_missing(currency, on.strftime("%Y-%m")) from exc


def zone_customs_offices() -> frozenset[str]:
    """The customs offices of the zone's city — the same configuration as the no-invoice register (export_summary)."""
    from kuajing.export_summary.service import DEFAULT_ZONE, zone_city, zone_customs

    return zone_customs(zone_city(DEFAULT_ZONE))


def check_list(*, session: Session, head, lines, when: datetime, index: int = 1,
               zone_customs: frozenset[str] | None = None) -> tuple[str, str] | None:
    """Intake check of a 9710/9810 CEB603 (new or changed): over the limit or with a licence → −4106; an HS code
    that is not 10 digits (6 only on a simplified list at a zone-city customs office) → −4110 with its path."""
    if head.trade_mode not in checks.B2B_MODES:
        return None
    on = when.astimezone(SHANGHAI).date()
    total = Decimal("0")
    for line in lines:
        try:
            total += value_in_cny(session=session, amount=line.total_price, currency=line.currency, on=on)
        except AppError:
            return errors.INVALID, f"{line.currency} {on:%Y-%m}: 无海关月度汇率"
    decision = checks.route(value_cny=total, on=on, licence=bool(head.license_no))
    if not decision.list_allowed:
        return errors.NEEDS_DECLARATION, (f"{head.order_no} {total:.2f} CNY / {decision.limit_cny:.2f} CNY "
                                          f"({','.join(decision.reasons)})")
    offices = zone_customs_offices() if zone_customs is None else zone_customs
    issues = checks.hs_code_issues(trade_mode=head.trade_mode, customs_code=head.customs_code or "",
                                   gcodes=[line.gcode for line in lines], list_allowed=decision.list_allowed,
                                   zone_customs=offices, record=index)
    if issues:
        return errors.HS_CODE, "；".join(f"{i.path}: {i.value}" for i in issues)[:900]
    return None


def _package(order: ExportOrder, decision: checks.Route, rate_on: date) -> dict:
    return {
        "trade_mode": TRADE_MODE_OF[order.order_type],  # 监管方式
        "order_type": order.order_type,
        "order_no": order.order_no,  # 订单编号 / 订仓单编号
        "ebp_code": order.ebp_code, "ebp_name": order.ebp_name,
        "consignor_code": order.ebc_code, "consignor_name": order.ebc_name,  # 境内发货人
        "currency": order.currency, "goods_value": format(order.goods_value, "f"),
        "freight": format(order.freight, "f"), "value_cny": format(decision.value_cny, "f"),
        "rate_date": rate_on.isoformat(), "reasons": list(decision.reasons),
        "lines": [{"gnum": i.gnum, "item_no": i.item_no, "item_name": i.item_name, "unit": i.unit,
                   "qty": format(i.qty, "f"), "price": format(i.price, "f"),
                   "total_price": format(i.total_price, "f"), "currency": i.currency} for i in order.items],
        "attachments": [{"type": ATTACHMENT_TYPE, "name": ATTACHMENT_NAME, "number": order.order_no}],
    }


def prepare(*, session: Session, enterprise_id: int, order: ExportOrder, licence: bool = False,
            inspection: bool = False, tax: bool = False, actor: str, when: datetime) -> CustomsDeclaration:
    """Prepare (or return the open) customs declaration of a B2B order / booking note that may not go on a list."""
    if order.order_type not in TRADE_MODE_OF:
        raise errors.not_b2b(order.business_key)
    on = when.astimezone(SHANGHAI).date()
    value = value_in_cny(session=session, amount=order.goods_value, currency=order.currency, on=on)
    decision = checks.route(value_cny=value, on=on, licence=licence, inspection=inspection, tax=tax)
    if decision.list_allowed:
        raise errors.route_list_allowed(order.business_key)
    open_one = session.scalars(select(CustomsDeclaration).where(
        CustomsDeclaration.order_id == order.id,
        CustomsDeclaration.status.in_([D.prepared.value, D.filed.value, D.rejected.value]))).first()
    package = _package(order, decision, on)
    if open_one is not None and open_one.status == D.prepared.value:
        open_one.package, open_one.reasons, open_one.value_cny = package, list(decision.reasons), value
        session.flush()
        return open_one
    if open_one is not None:
        return open_one
    decl = CustomsDeclaration(enterprise_id=enterprise_id, order_id=order.id, order_no=order.order_no,
                              ebp_code=order.ebp_code, order_type=order.order_type,
                              trade_mode=TRADE_MODE_OF[order.order_type], attachment_type=ATTACHMENT_TYPE,
                              attachment_no=order.order_no, value_cny=value, reasons=list(decision.reasons),
                              package=package, status=D.prepared.value)
    session.add(decl)
    session.flush()
    audit.record(session=session, action="export:customs-declaration:prepare",
                 stream=f"export:customs-declaration:{decl.id}", actor=actor, subject_id=str(decl.id), before=None,
                 after={"status": decl.status, "order": order.business_key, "value_cny": format(value, "f"),
                        "reasons": list(decision.reasons)})
    return decl


def move(*, session: Session, declaration: CustomsDeclaration, status: CustomsDeclarationStatus,
         entry_id: str | None = None, note: str | None = None, actor: str) -> CustomsDeclaration:
    """Track the declaration in the other customs system: filed (with its entry id), released, rejected, cancelled."""
    current = D(declaration.status)
    if status not in _NEXT.get(current, set()):
        raise errors.declaration_state(declaration.id, current.value)
    before = {"status": declaration.status, "entry_id": declaration.entry_id}
    declaration.status = status.value
    if entry_id:
        declaration.entry_id = entry_id
    if note is not None:
        declaration.note = note
    session.flush()
    audit.record(session=session, action=f"export:customs-declaration:{status.value}",
                 stream=f"export:customs-declaration:{declaration.id}", actor=actor,
                 subject_id=str(declaration.id), before=before,
                 after={"status": declaration.status, "entry_id": declaration.entry_id})
    return declaration


def excel(declaration: CustomsDeclaration) -> bytes:
    """The data package as an Excel workbook: sheet 表头 (head + attachment), sheet 商品 (lines)."""
    from openpyxl import Workbook

    from kuajing.spreadsheets import append_row

    p = declaration.package
    wb = Workbook()
    head = wb.active
    head.title = "表头"
    for row in (("监管方式 trade_mode", p["trade_mode"]), ("订单编号 order_no", p["order_no"]),
                ("电商平台 ebp_code", p["ebp_code"]), ("境内发货人 consignor_code", p["consignor_code"]),
                ("境内发货人名称 consignor_name", p["consignor_name"]), ("币制 currency", p["currency"]),
                ("货值 goods_value", p["goods_value"]), ("运费 freight", p["freight"]),
                ("人民币货值 value_cny", p["value_cny"]),
                ("随附单证类型 attachment_type", declaration.attachment_type),
                ("随附单证编号 attachment_no", declaration.attachment_no)):
        append_row(head, row)  # names and numbers the enterprise typed stay text, never a formula
    lines = wb.create_sheet("商品")
    append_row(lines, ["gnum", "item_no", "item_name", "unit", "qty", "price", "total_price", "currency"])
    for line in p["lines"]:
        append_row(lines, [line["gnum"], line["item_no"], line["item_name"], line["unit"], line["qty"], line["price"],
                      line["total_price"], line["currency"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
