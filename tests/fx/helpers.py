"""Export documents of a test enterprise written straight into the export tables (as the pipeline leaves them
after release), so FX and rebate tests can link proceeds to orders / lists without the whole intake."""

from __future__ import annotations

import uuid
from decimal import Decimal

from kuajing.data import service as data
from kuajing.exports.models import (
    ExportDeparture,
    ExportDepartureItem,
    ExportInventory,
    ExportInventoryItem,
    ExportOrder,
    ExportOrderItem,
)
from tests.enterprises.helpers import make_enterprise, make_user

_COMMON = {"app_type": "1", "app_status": "2", "content_hash": "0" * 64, "record": "{}"}


def common() -> dict:
    """DocumentMixin columns with a fresh guid."""
    return {**_COMMON, "message_guid": str(uuid.uuid4()).upper()}


def shipment(db, ent, *, order_no: str, value: str, currency: str = "502", ie_date: str = "20251010",
             trade_mode: str = "9610", order_type: str = "E", invt_no: str | None = None, status: str = "released",
             with_list: bool = True) -> tuple[ExportOrder, ExportInventory | None]:
    """An export order (E / B / W) of ``ent`` and, unless ``with_list`` is false, its released list
    (one line worth ``value`` in ``currency``, exported on ``ie_date``)."""
    code = ent.customs_code
    order = ExportOrder(order_type=order_type, order_no=order_no, ebp_code=code, ebp_name="测试平台", ebc_code=code,
                        ebc_name=ent.name_zh, goods_value=Decimal(value), freight=Decimal(0), currency=currency,
                        business_key=f"{code}:{order_no}:order", sender_enterprise_id=ent.id, status="declared",
                        **common())
    order.items.append(ExportOrderItem(gnum=1, item_no="SKU1", item_name="羊绒衫", unit="011", currency=currency,
                                       qty=Decimal(1), price=Decimal(value), total_price=Decimal(value)))
    db.add(order)
    inv = None
    if with_list:
        inv = ExportInventory(customs_code="0201", ebp_code=code, ebp_name="测试平台", order_no=order_no,
                              logistics_code=code, logistics_no=f"LN{order_no}", cop_no=f"COP{order_no}",
                              port_code="0201", ie_date=ie_date, statistics_flag="B", agent_code=code, agent_name="代理",
                              ebc_code=code, ebc_name=ent.name_zh, owner_code=code, owner_name=ent.name_zh,
                              trade_mode=trade_mode, traf_mode="4", country="304", freight=Decimal(0), f_currency=currency,
                              insured_fee=Decimal(0), gross_weight=Decimal(1), net_weight=Decimal(1), pack_no=1,
                              invt_no=invt_no or f"IN{order_no}"[:18], business_key=f"{code}:{order_no}",
                              sender_enterprise_id=ent.id, status=status, **common())
        inv.items.append(ExportInventoryItem(gnum=1, item_no="SKU1", gcode="6110120000", gname="羊绒衫", gmodel="M",
                                             country="304", currency=currency, qty=Decimal(1), qty1=Decimal(1),
                                             unit="011", unit1="011", price=Decimal(value), total_price=Decimal(value)))
        db.add(inv)
    db.flush()
    return order, inv


def departure(db, ent, inv: ExportInventory, *, leave_time: str = "20251012080000") -> ExportDeparture:
    """A CEB509 departure naming the list's waybill."""
    dep = ExportDeparture(customs_code="0201", cop_no=f"DEP{inv.id}", logistics_code=ent.customs_code, traf_mode="4",
                          leave_time=leave_time, msg_count=1, msg_seq_no=1,
                          business_key=f"{ent.customs_code}:DEP{inv.id}:1", sender_enterprise_id=ent.id,
                          status="declared", **common())
    dep.items.append(ExportDepartureItem(gnum=1, logistics_no=inv.logistics_no))
    db.add(dep)
    db.flush()
    return dep


def exporter(db, n: int, *, name: str = "包头羊绒出口有限公司"):
    """An approved enterprise with an admin user; the reference data (rates, holidays) loaded."""
    data.load_seed(session=db)
    ent = make_enterprise(db, status="approved", n=n, name_zh=name)
    user = make_user(db, username=f"fx-admin-{n}", roles=["enterprise_admin"], enterprise_id=ent.id)
    db.commit()
    return ent, user
