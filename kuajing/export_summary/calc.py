"""Pure calculations of the monthly summary (汇总申报 / 汇总统计) and the no-invoice register (无票免税).

Plain functions over plain data, no database (property-tested in tests/export_summary):

* :class:`ReleasedExportLine` — one line of a released export declaration list (出口申报清单表体), the
  interface the export pipeline hands over (``kuajing.exports`` fills it from its CEB603 records);
* :func:`group_for_summary` — the eight-key grouping of R3.2 (policy-rules §3.2);
* :func:`summary_deadline` / :func:`working_days_before` — the 15th of the next month rolled to the next
  working day, and reminder days, over any working-day predicate (the holiday calendar of kuajing.data);
* :func:`register_row` / :func:`eligibility` — the six fields of 财税〔2018〕103号 and its three conditions;
* :func:`cit_estimate` — corporate income tax on deemed profit (核定征收, SAT 2019 No.36) with the small
  low-profit enterprise relief bands passed in as data (kuajing.rules).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
FEN = Decimal("0.01")

#: Retail-export trade modes whose lists go into the monthly summary and the no-invoice register (9610
#: 跨境电商零售出口); 9710/9810 B2B exports are declared otherwise and are outside 103号.
RETAIL_EXPORT_TRADE_MODES: frozenset[str] = frozenset({"9610"})
#: statisticsFlag B = 汇总申报 (summary declaration); A = 简化申报 (simplified, no summary).
SUMMARY_STATISTICS_FLAG = "B"

#: The eight keys of R3.2, in the order of policy-rules §3.2.
GROUP_KEYS: tuple[str, ...] = (
    "consignor",  # 收发货人 (ebcCode)
    "transport_mode",  # 运输方式 (trafMode)
    "producer_seller",  # 生产销售单位 (ownerCode)
    "arrival_country",  # 运抵国 (InventoryHead/country)
    "exit_customs",  # 出境关别 (portCode)
    "final_destination",  # 最终目的国 (InventoryList/country)
    "hs_code",  # 10 位商品编码 (gcode)
    "currency",  # 币制
)


@dataclass(frozen=True)
class ReleasedExportLine:
    """One line of a released export declaration list (已放行出口清单表体), as the export pipeline hands it over."""

    list_no: str  # 清单编号 invtNo
    gnum: int  # 清单商品序号
    released_at: datetime  # 放行时间 (UTC or aware); the business date is its Asia/Shanghai date
    enterprise_id: int  # the declaring e-commerce enterprise on the platform
    consignor: str  # 收发货人 ebcCode
    transport_mode: str  # 运输方式 trafMode
    producer_seller: str  # 生产销售单位 ownerCode
    arrival_country: str  # 运抵国 (head country)
    exit_customs: str  # 出境关别 portCode
    final_destination: str  # 最终目的国 (list country)
    hs_code: str  # 商品编码 gcode (10 digits)
    currency: str  # 币制 (customs code)
    statistics_flag: str  # A 简化申报 / B 汇总申报
    trade_mode: str  # 监管方式 9610 / 1210 / 9710 / 9810
    goods_name: str  # 商品名称 gname
    unit: str  # 申报计量单位 (code)
    quantity: Decimal  # 申报数量
    unit_price: Decimal  # 单价
    amount: Decimal  # 总价
    declare_customs: str = ""  # 申报海关 customsCode
    consignor_name: str = ""  # 收发货人名称 ebcName
    agent_code: str = ""  # 申报企业代码
    agent_name: str = ""  # 申报企业名称
    logistics_no: str = ""  # 物流运单编号
    item_no: str = ""  # 企业商品货号
    zone_enterprise: bool = True  # filed with the zone (综试区备案企业)

    def release_day(self, tz: ZoneInfo = SHANGHAI) -> date:
        """The release date in the business time zone."""
        return business_day(self.released_at, tz)

    def key(self) -> tuple[str, ...]:
        """The eight grouping keys (R3.2)."""
        return tuple(str(getattr(self, k) or "").strip() for k in GROUP_KEYS)


def business_day(at: datetime, tz: ZoneInfo = SHANGHAI) -> date:
    """The Asia/Shanghai date of an instant (naive instants are refused: they hide their zone)."""
    if at.tzinfo is None:
        raise ValueError("released_at must be timezone-aware")
    return at.astimezone(tz).date()


def month_start(value: date) -> date:
    """The first day of ``value``'s month."""
    return value.replace(day=1)


def next_month(first: date) -> date:
    """The first day of the month after ``first``'s month."""
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def month_end(first: date) -> date:
    """The last day of ``first``'s month."""
    return next_month(first) - timedelta(days=1)


# --- grouping (R3.2) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryGroup:
    """One summary application (汇总申请): lines sharing all eight keys."""

    key: tuple[str, ...]
    lines: tuple[ReleasedExportLine, ...]

    @property
    def keys(self) -> dict[str, str]:
        """The eight keys by name."""
        return dict(zip(GROUP_KEYS, self.key))

    @property
    def key_hash(self) -> str:
        """A stable digest of the key (an idempotency key of the application)."""
        return hashlib.sha256("\x1f".join(self.key).encode()).hexdigest()[:32]

    @property
    def list_nos(self) -> tuple[str, ...]:
        """The declaration lists of the group, each once, sorted."""
        return tuple(sorted({line.list_no for line in self.lines}))

    @property
    def total_amount(self) -> Decimal:
        """Sum of the line amounts (one currency per group)."""
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def total_quantity(self) -> dict[str, Decimal]:
        """Declared quantity per unit code."""
        out: dict[str, Decimal] = {}
        for line in self.lines:
            out[line.unit] = out.get(line.unit, Decimal(0)) + line.quantity
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class Grouping:
    """The groups of one month, and the lines left out with the reason."""

    month: date  # first day of the release month
    groups: tuple[SummaryGroup, ...]
    excluded: tuple[tuple[ReleasedExportLine, str], ...] = field(default=())  # (line, reason code)


def summary_eligible(line: ReleasedExportLine, month: date, tz: ZoneInfo = SHANGHAI) -> str | None:
    """None when ``line`` belongs to ``month``'s summary; otherwise why not (a stable reason code)."""
    day = line.release_day(tz)
    if month_start(day) != month_start(month):
        return "other_month"
    if line.trade_mode not in RETAIL_EXPORT_TRADE_MODES:
        return "not_retail_export"
    if line.statistics_flag != SUMMARY_STATISTICS_FLAG:
        return "simplified_declaration"
    return None


def group_for_summary(lines: Iterable[ReleasedExportLine], month: date, tz: ZoneInfo = SHANGHAI) -> Grouping:
    """Group ``month``'s released retail-export lines (statisticsFlag B) by the eight keys of R3.2.

    One group per distinct key; groups ordered by key, lines by (list_no, gnum). The same line given
    twice (a replayed release) counts once. Lines of other months, other trade modes or statisticsFlag A
    are returned in ``excluded`` with the reason.
    """
    first = month_start(month)
    buckets: dict[tuple[str, ...], dict[tuple[str, int], ReleasedExportLine]] = {}
    excluded: dict[tuple[str, int], tuple[ReleasedExportLine, str]] = {}
    for line in lines:
        reason = summary_eligible(line, first, tz)
        ident = (line.list_no, line.gnum)
        if reason is not None:
            excluded.setdefault(ident, (line, reason))
            continue
        buckets.setdefault(line.key(), {}).setdefault(ident, line)
    groups = tuple(
        SummaryGroup(key=key, lines=tuple(bucket[i] for i in sorted(bucket)))
        for key, bucket in sorted(buckets.items())
    )
    return Grouping(month=first, groups=groups, excluded=tuple(excluded[i] for i in sorted(excluded)))


# --- deadline and reminders (R3.2: the 15th of the next month, next working day) -------------------

WorkingDay = Callable[[date], bool]


def roll_forward(day: date, is_working: WorkingDay, *, limit: int = 60) -> date:
    """``day`` when it is a working day, else the first working day after it."""
    for _ in range(limit):
        if is_working(day):
            return day
        day += timedelta(days=1)
    raise ValueError(f"no working day within {limit} days of {day}")


def summary_deadline(month: date, *, deadline_day: int, is_working: WorkingDay) -> date:
    """The summary of ``month``'s lists is due on ``deadline_day`` of the next month, rolled forward
    over weekends and public holidays (an adjusted working Saturday/Sunday counts as a working day)."""
    due = next_month(month_start(month)).replace(day=deadline_day)
    return roll_forward(due, is_working)


def working_days_before(day: date, n: int, is_working: WorkingDay) -> date:
    """The ``n``-th working day before ``day`` (``day`` itself not counted; n = 0 gives ``day``)."""
    if n < 0:
        raise ValueError("n must be ≥ 0")
    left = n
    while left:
        day -= timedelta(days=1)
        if is_working(day):
            left -= 1
    return day


# --- no-invoice register (无票免税, 财税〔2018〕103号) ---------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """The six fields 103号 asks the platform to keep per export (出口日期、货物名称、计量单位、数量、单价、金额)."""

    export_date: date
    goods_name: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def register_row(line: ReleasedExportLine, tz: ZoneInfo = SHANGHAI) -> RegisterRow:
    """The six register fields of a released line; the export date is the release date (Asia/Shanghai)."""
    return RegisterRow(export_date=line.release_day(tz), goods_name=line.goods_name.strip(), unit=line.unit,
                       quantity=line.quantity, unit_price=line.unit_price, amount=line.amount)


def register_scope(line: ReleasedExportLine) -> bool:
    """Whether the register covers the line at all: retail exports (9610) only, not 9710/9810."""
    return line.trade_mode in RETAIL_EXPORT_TRADE_MODES


@dataclass(frozen=True)
class ExcludedGoods:
    """A goods entry of the excluded list (取消出口退(免)税 / 禁止出口), matched by HS-code prefix."""

    hs_prefix: str
    valid_from: date
    valid_to: date | None
    name: str
    reason: str
    source: str

    def covers(self, hs_code: str, on: date) -> bool:
        """Whether the entry excludes ``hs_code`` exported on ``on``."""
        return (hs_code.startswith(self.hs_prefix) and self.valid_from <= on
                and (self.valid_to is None or on <= self.valid_to))


def eligibility(*, zone_enterprise: bool, declare_customs: str, exit_customs: str, hs_code: str, on: date,
                zone_customs: frozenset[str], excluded: Sequence[ExcludedGoods]) -> list[str]:
    """Reasons (stable codes) why a line does NOT qualify for 无票免税; empty = eligible (R3.5's three conditions).

    1. the exporter is a zone enterprise (and the platform records the six fields — this register);
    2. declared as an e-commerce export at the customs of the zone's city (the declaring customs, or
       failing that the exit customs, is one of ``zone_customs``);
    3. the goods are not on the list of goods whose export rebate/exemption was cancelled.
    """
    reasons: list[str] = []
    if not zone_enterprise:
        reasons.append("not_zone_enterprise")
    office = declare_customs or exit_customs
    if office not in zone_customs:
        reasons.append("not_zone_customs")
    if any(entry.covers(hs_code, on) for entry in excluded):
        reasons.append("excluded_goods")
    return reasons


# --- corporate income tax on deemed profit (核定征收, SAT 2019 No.36) --------------------------------


@dataclass(frozen=True)
class ReliefBand:
    """A band of taxable income taxed at an effective rate under the small low-profit relief."""

    up_to: Decimal  # upper bound of the band (inclusive), CNY of taxable income
    effective_rate: Decimal  # share counted × 20 %, e.g. 25 % × 20 % = 0.05


@dataclass(frozen=True)
class CitEstimate:
    """The estimate of one enterprise and year, with every intermediate figure."""

    revenue: Decimal
    deemed_rate: Decimal
    taxable_income: Decimal
    standard_rate: Decimal
    standard_tax: Decimal
    small_low_profit: bool  # the relief applied
    relief_reasons: tuple[str, ...]  # why it did not (stable codes), empty when applied or not asked
    tax: Decimal
    bands: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (income in band, effective rate, tax) when relieved


def fen(value: Decimal) -> Decimal:
    """Round half-up to the fen."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def cit_estimate(*, revenue: Decimal, deemed_rate: Decimal, standard_rate: Decimal, bands: Sequence[ReliefBand],
                 max_taxable_income: Decimal, max_employees: int, max_assets: Decimal,
                 employees: int | None, assets: Decimal | None) -> CitEstimate:
    """Taxable income = revenue × deemed rate (4 %); tax at the standard rate (25 %), or under the small
    low-profit relief band by band when the enterprise qualifies (taxable income, head count and assets
    within the thresholds; head count and assets unknown = not claimed). Amounts half-up to the fen."""
    if revenue < 0:
        raise ValueError("revenue must be ≥ 0")
    taxable = fen(revenue * deemed_rate)
    standard_tax = fen(taxable * standard_rate)
    reasons: list[str] = []
    if employees is None or assets is None:
        reasons.append("relief_not_claimed")
    else:
        if employees > max_employees:
            reasons.append("too_many_employees")
        if assets > max_assets:
            reasons.append("assets_too_high")
    if taxable > max_taxable_income:
        reasons.append("taxable_income_too_high")
    if reasons:
        return CitEstimate(revenue=revenue, deemed_rate=deemed_rate, taxable_income=taxable,
                           standard_rate=standard_rate, standard_tax=standard_tax, small_low_profit=False,
                           relief_reasons=tuple(reasons), tax=standard_tax, bands=())
    rows: list[tuple[Decimal, Decimal, Decimal]] = []
    lower = Decimal(0)
    for band in sorted(bands, key=lambda b: b.up_to):
        if taxable <= lower:
            break
        part = min(taxable, band.up_to) - lower
        rows.append((part, band.effective_rate, fen(part * band.effective_rate)))
        lower = band.up_to
    tax = fen(sum((r[2] for r in rows), Decimal(0)))  # 0.00, not 0, when no band is reached
    return CitEstimate(revenue=revenue, deemed_rate=deemed_rate, taxable_income=taxable, standard_rate=standard_rate,
                       standard_tax=standard_tax, small_low_profit=True, relief_reasons=(), tax=tax,
                       bands=tuple(rows))
