"""Pure FX calculations (no database): netting, ageing, list settlement, 9810 differences, advance report duty,
the individual facilitation quota. Every bound comes in as an argument (looked up by the service with
``rule(name, on=date)``) so each function is tested with hand-computed numbers (tests/fx/test_calc.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from kuajing.exports.service.checks import add_months
from kuajing.fx.choices import SERVICE_FEES, AdvanceDutyReason, Ageing, FeeKind, SettlementStatus

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """Half-up to two decimals (the fen of CNY, the cent of USD)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- netting (轧差结算, R6.2) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Netting:
    """The three figures of a netted receipt for balance-of-payments reporting (实际收付数据 和 还原数据)."""

    actual: Decimal  # 实际收汇: what reached the bank
    export_receipt: Decimal  # 还原: export receipt (gross sales)
    service_payments: Decimal  # 还原: service payments (storage, logistics …)
    tax_payments: Decimal  # 还原: tax payments abroad

    @property
    def netted(self) -> Decimal:
        """What was deducted abroad (service + tax)."""
        return self.service_payments + self.tax_payments


def netting(*, actual: Decimal, fees: Iterable[tuple[str, Decimal]]) -> Netting:
    """Restore the gross figures of a receipt from the amount received and the fees netted abroad:
    export receipt = actual + service payments + tax payments (R6.2)."""
    service = tax = ZERO
    for kind, amount in fees:
        if FeeKind(kind) in SERVICE_FEES:
            service += Decimal(amount)
        else:
            tax += Decimal(amount)
    actual = Decimal(actual)
    return Netting(actual=cents(actual), export_receipt=cents(actual + service + tax), service_payments=cents(service),
                   tax_payments=cents(tax))


# --- ageing (R6.7) --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeingResult:
    """Where one receipt stands against the export date, and by when it must be reported."""

    bucket: Ageing
    days: int | None  # received_on − exported_on (negative: before export); None without an export date
    report_due: date | None  # the last day to report (flagged buckets only)

    @property
    def flagged(self) -> bool:
        """Whether the receipt must be reported (trade-credit registration)."""
        return self.bucket in (Ageing.advance_over_limit, Ageing.deferred_over_limit)


def ageing(*, received_on: date, exported_on: date | None, advance_days: int, deferred_days: int,
           report_days: int) -> AgeingResult:
    """Bucket a receipt: more than ``advance_days`` before export, or more than ``deferred_days`` after it, is
    flagged; the report is due ``report_days`` after the event completing the pair (the export for an advance,
    the receipt for a deferred one). "Within N days" is up to the N-th day after the event (DESIGN.md)."""
    if exported_on is None:
        return AgeingResult(Ageing.not_exported, None, None)
    days = (received_on - exported_on).days
    if days < -advance_days:
        return AgeingResult(Ageing.advance_over_limit, days, exported_on + timedelta(days=report_days))
    if days < 0:
        return AgeingResult(Ageing.advance, days, None)
    if days > deferred_days:
        return AgeingResult(Ageing.deferred_over_limit, days, received_on + timedelta(days=report_days))
    return AgeingResult(Ageing.normal, days, None)


def outstanding_overdue(*, exported_on: date | None, outstanding: Decimal, today: date, deferred_days: int,
                        report_days: int) -> date | None:
    """A list still (partly) unpaid more than ``deferred_days`` after export: the day its report is due, else None."""
    if exported_on is None or outstanding <= 0:
        return None
    limit = exported_on + timedelta(days=deferred_days)
    if today <= limit:
        return None
    return limit + timedelta(days=report_days)


# --- settlement of a list -----------------------------------------------------------------------------


def settlement_status(*, declared: Decimal, settled: Decimal) -> SettlementStatus:
    """Unsettled / partly settled / settled / above the declared value (the last allowed for 9810, R6.3)."""
    if settled <= 0:
        return SettlementStatus.unsettled
    if settled < declared:
        return SettlementStatus.partial
    if settled == declared:
        return SettlementStatus.settled
    return SettlementStatus.over_settled


def convert(amount: Decimal, *, from_rate: Decimal, to_rate: Decimal) -> Decimal:
    """``amount`` at ``from_rate`` CNY per unit expressed in a currency of ``to_rate`` CNY per unit, half-up."""
    return cents(Decimal(amount) * Decimal(from_rate) / Decimal(to_rate))


# --- 9810 reconciliation (R6.3) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """Proceeds against the declared export value of one booking note, in CNY (never forced equal)."""

    declared_cny: Decimal
    proceeds_cny: Decimal

    @property
    def difference(self) -> Decimal:
        """proceeds − declared (negative: less came back than was declared)."""
        return self.proceeds_cny - self.declared_cny

    @property
    def ratio(self) -> Decimal | None:
        """proceeds ÷ declared, four decimals (None without a declared value)."""
        if self.declared_cny == 0:
            return None
        return (self.proceeds_cny / self.declared_cny).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# --- advances (代垫, R6.4 and the zone plan) ------------------------------------------------------------


@dataclass(frozen=True)
class AdvanceDuty:
    """Whether an advance must be reported to the local SAFE branch, and why."""

    reasons: tuple[AdvanceDutyReason, ...]
    term_end: date  # advanced_on + max months: an advance still open after this day is over the term
    months: int

    @property
    def report(self) -> bool:
        """Whether there is a report duty."""
        return bool(self.reasons)


def advance_duty(*, advanced_on: date, repaid_on: date | None, today: date, affiliated: bool,
                 max_months: int) -> AdvanceDuty:
    """A non-affiliated advance is always reported; an advance is over the term when it is repaid (or still
    open) after ``advanced_on`` + ``max_months`` calendar months ("longer than 12 months")."""
    term_end = add_months(advanced_on, max_months)
    end = repaid_on or today
    reasons: list[AdvanceDutyReason] = []
    if not affiliated:
        reasons.append(AdvanceDutyReason.non_affiliated)
    if end > term_end:
        reasons.append(AdvanceDutyReason.over_max_term)
    return AdvanceDuty(tuple(reasons), term_end, max_months)


# --- the individual facilitation quota (R6.5) -------------------------------------------------------------


@dataclass(frozen=True)
class QuotaView:
    """A person's yearly facilitation quota as seen on this platform (banks keep the real one)."""

    year: int
    quota_usd: Decimal
    used_usd: Decimal  # settlements without evidence on this platform
    exempt_usd: Decimal  # settlements with evidence: outside the quota
    records: int = 0
    over: bool = field(default=False)

    @property
    def remaining_usd(self) -> Decimal:
        """quota − used, never below zero."""
        return max(ZERO, self.quota_usd - self.used_usd)


def quota_view(*, year: int, quota_usd: Decimal, settlements: Iterable[tuple[Decimal, bool]]) -> QuotaView:
    """Sum a person's settlements of ``year`` (USD equivalent, exempt flag): only those without evidence use
    up the quota (R6.5)."""
    used = exempt = ZERO
    n = 0
    for usd, is_exempt in settlements:
        n += 1
        if is_exempt:
            exempt += usd
        else:
            used += usd
    return QuotaView(year=year, quota_usd=quota_usd, used_usd=cents(used), exempt_usd=cents(exempt), records=n,
                     over=used > quota_usd)
