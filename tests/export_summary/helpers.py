"""Hand-built released export lines for the summary and register tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from kuajing.export_summary.calc import ReleasedExportLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
US, MN, RU = "502", "124", "344"  # customs country codes (美国, 蒙古, 俄罗斯联邦)
USD, CNY = "502", "142"  # customs currency codes
AIR, ROAD = "5", "4"  # transport mode codes
BAOTOU = "0703"  # 包头海关
CASHMERE = "6110120090"  # 山羊绒制针织套头衫 (10-digit)


def at(text: str) -> datetime:
    """An Asia/Shanghai wall-clock time like ``2025-03-10 09:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def line(n: int = 1, *, gnum: int = 1, enterprise_id: int = 1, released: str = "2025-03-10 10:00", **overrides
         ) -> ReleasedExportLine:
    """A released 9610 line (statisticsFlag B) of consignor A by air from Baotou to the US in USD."""
    values = dict(
        list_no=f"07032025E{n:09d}", gnum=gnum, released_at=at(released), enterprise_id=enterprise_id,
        consignor="1502960ABC", consignor_name="包头羊绒制品有限公司", transport_mode=AIR, producer_seller="1502960ABC",
        arrival_country=US, exit_customs=BAOTOU, final_destination=US, hs_code=CASHMERE, currency=USD,
        statistics_flag="B", trade_mode="9610", declare_customs=BAOTOU, agent_code="1502960ABC",
        agent_name="包头羊绒制品有限公司", goods_name="羊绒衫", unit="011", quantity=Decimal("2"),
        unit_price=Decimal("120.50"), amount=Decimal("241.00"), logistics_no=f"LN{n:08d}", item_no=f"SKU{n}",
        zone_enterprise=True)
    values.update(overrides)
    return ReleasedExportLine(**values)


def twelve_lists() -> list[ReleasedExportLine]:
    """policy-rules §3.3: twelve lists of March 2025 — 5 × US/USD, 4 × US/CNY, 3 × MN/USD."""
    lines = [line(n, released=f"2025-03-{n + 1:02d} 10:00") for n in range(1, 6)]
    lines += [line(n, released=f"2025-03-{n + 1:02d} 11:00", currency=CNY) for n in range(6, 10)]
    lines += [line(n, released=f"2025-03-{n + 1:02d} 12:00", final_destination=MN) for n in range(10, 13)]
    return lines


def variant(base: ReleasedExportLine, **changes) -> ReleasedExportLine:
    """``base`` with other values (and a list number of its own)."""
    return replace(base, **changes)
