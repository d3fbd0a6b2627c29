"""Released declaration lists made directly as rows (the pipeline's own tests cover how they get there), and
the domain events published exactly as the pipelines publish them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from kuajing import events
from kuajing.db.types import blind_index

_n = itertools.count(1)


def _doc(sender_id: int, key: str, status: str) -> dict:
    return {"business_key": key, "sender_enterprise_id": sender_id, "status": status, "app_type": "1",
            "app_status": "2", "message_guid": f"00000000-0000-0000-0000-{next(_n):012d}", "content_hash": "0" * 64,
            "record": "{}"}


def import_list(session, *, ent, mode: str = "9610", released_at: datetime, items, taxable_price=None,
                publish: bool = True, status: str = "released"):
    """A released import list (申报清单) of ``ent`` with ``items`` = [(hs, country, total_price CNY)]."""
    from kuajing.imports.models import Inventory, InventoryItem

    n = next(_n)
    inv = Inventory(**_doc(ent.id, f"EBP:IMP{n}", status), order_no=f"IMP{n}", ebp_code="EBP", ebc_code=ent.customs_code,
                    logistics_code="LOG", logistics_no=f"W{n}", agent_code="AGT", assure_code="AGT", cop_no=f"C{n}",
                    trade_mode=mode, customs_code="0412", decl_time="20260101", buyer_id_number="150203199001051234",
                    buyer_index=blind_index(f"150203199001051234{n}"), buyer_name="张三", buyer_telephone="13800000000",
                    consignee_address="包头", freight=Decimal(0), insured_fee=Decimal(0), released_at=released_at,
                    taxable_price=None if taxable_price is None else Decimal(taxable_price), invt_no=f"I{n:017d}")
    for g, (hs, country, total) in enumerate(items, start=1):
        inv.items.append(InventoryItem(gnum=g, gcode=hs, gname="商品", gmodel="型号", country=country, qty=Decimal(1),
                                       unit="011", qty1=Decimal(1), unit1="011", price=Decimal(total),
                                       total_price=Decimal(total)))
    session.add(inv)
    session.flush()
    if publish:
        events.publish(session=session, name="import.inventory.released", inventory=inv)
    return inv


def export_list(session, *, ent, mode: str = "9610", released_at: datetime, items, country: str = "344",
                publish: bool = True, status: str = "released"):
    """A released export list (出口申报清单) with ``items`` = [(hs, country, total_price, currency)]."""
    from kuajing.exports.models import ExportInventory, ExportInventoryItem

    n = next(_n)
    inv = ExportInventory(**_doc(ent.id, f"EBP:EXP{n}", status), customs_code="0412", ebp_code="EBP", ebp_name="平台",
                          order_no=f"EXP{n}", logistics_code="LOG", logistics_no=f"E{n}", cop_no=f"C{n}",
                          port_code="0412", ie_date="20260101", statistics_flag="A", agent_code="AGT",
                          agent_name="报关", ebc_code=ent.customs_code, ebc_name=ent.name_zh, owner_code="OWN",
                          owner_name="生产", trade_mode=mode, traf_mode="4", country=country, freight=Decimal(0),
                          f_currency="142", insured_fee=Decimal(0), gross_weight=Decimal(1), net_weight=Decimal(1),
                          pack_no=1, released_at=released_at, invt_no=f"E{n:017d}")
    for g, (hs, ctry, total, cur) in enumerate(items, start=1):
        inv.items.append(ExportInventoryItem(gnum=g, item_no=f"SKU{g}", gcode=hs, gname="商品", gmodel="型号",
                                             country=ctry, currency=cur, qty=Decimal(1), qty1=Decimal(1), unit="011",
                                             unit1="011", price=Decimal(total), total_price=Decimal(total)))
    session.add(inv)
    session.flush()
    if publish:
        events.publish(session=session, name="export.inventory.released", inventory=inv)
    return inv


def at(y: int, m: int, d: int, h: int = 4) -> datetime:
    """A UTC timestamp (04:00 UTC = 12:00 in Asia/Shanghai unless ``h`` says otherwise)."""
    return datetime(y, m, d, h, tzinfo=UTC)
