"""Pure risk rules, credit grading and data-export counting (no database): plain data in, a verdict out.

Every verdict carries the numbers it was taken on, so an alert or a grade explains itself. Thresholds come
from the caller (``kuajing.rules``: ``risk.*`` and ``pi.*``); nothing here reads configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from kuajing.risk.choices import CreditGrade

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Verdict:
    """Whether a rule fires, and the figures behind it (stored in the alert's ``details``)."""

    fired: bool
    details: dict[str, Any] = field(default_factory=dict)


def _pct(value: Decimal) -> str:
    return format((value * HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP), "f")


def _num(value: Decimal) -> str:
    """A decimal as text with trailing zeros cut down to two places (100.00000 → 100.00, 3.14500 → 3.145)."""
    text = format(value, "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac:0<2}"


# --- rules -----------------------------------------------------------------------------------------


def quota_near_limit(*, used: Decimal, reserved: Decimal, limit: Decimal, ratio: Decimal) -> Verdict:
    """A buyer whose used + reserved amount reaches ``ratio`` of the annual limit (额度接近上限): fires at >=."""
    total = used + reserved
    share = total / limit if limit > 0 else Decimal(0)
    return Verdict(share >= ratio, {"used": str(used), "reserved": str(reserved), "limit": str(limit),
                                    "share_pct": _pct(share), "threshold_pct": _pct(ratio)})


@dataclass(frozen=True)
class ParcelContact:
    """One parcel of a buyer: when it was declared and the keyed hashes of its consignee and phone."""

    at: datetime
    consignee_index: str
    phone_index: str


def identity_reuse(*, parcels: Sequence[ParcelContact], at: datetime, window_days: int, max_distinct: int) -> Verdict:
    """One buyer ID with ``max_distinct`` or more consignees, or phones, among its parcels of the
    ``window_days`` days up to ``at`` (身份复用)."""
    start = at - timedelta(days=window_days)
    inside = [p for p in parcels if start < p.at <= at]
    consignees = len({p.consignee_index for p in inside if p.consignee_index})
    phones = len({p.phone_index for p in inside if p.phone_index})
    fired = consignees >= max_distinct or phones >= max_distinct
    return Verdict(fired, {"consignees": consignees, "phones": phones, "parcels": len(inside),
                           "window_days": window_days, "threshold": max_distinct,
                           "window_start": start.isoformat(), "window_end": at.isoformat()})


@dataclass(frozen=True)
class ParcelGoods:
    """One parcel of a buyer: when it was declared, its goods key and the list it belongs to."""

    at: datetime
    goods_key: str
    reference: str


def split_orders(*, parcels: Sequence[ParcelGoods], window_hours: int, min_parcels: int) -> Verdict:
    """The same buyer and the same goods in ``min_parcels`` or more parcels whose declarations all fall
    within ``window_hours`` (拆单); the first such run found is reported (sliding window, inclusive)."""
    span = timedelta(hours=window_hours)
    by_goods: dict[str, list[ParcelGoods]] = {}
    for p in parcels:
        by_goods.setdefault(p.goods_key, []).append(p)
    best: list[ParcelGoods] = []
    for runs in by_goods.values():
        runs.sort(key=lambda p: (p.at, p.reference))
        lo = 0
        for hi in range(len(runs)):
            while runs[hi].at - runs[lo].at > span:
                lo += 1
            if hi - lo + 1 > len(best):
                best = runs[lo:hi + 1]
    fired = len(best) >= min_parcels
    return Verdict(fired, {"parcels": len(best), "threshold": min_parcels, "window_hours": window_hours,
                           "references": [p.reference for p in best][:20],
                           "first_at": best[0].at.isoformat() if best else None,
                           "last_at": best[-1].at.isoformat() if best else None})


def undervaluation(*, unit_price: Decimal, samples: Sequence[Decimal], ratio: Decimal, min_samples: int) -> Verdict:
    """A declared unit price under ``ratio`` of the median of the HS heading's recent unit prices
    (低报价格); silent when fewer than ``min_samples`` samples exist."""
    n = len(samples)
    if n < min_samples:
        return Verdict(False, {"samples": n, "min_samples": min_samples, "unit_price": _num(unit_price)})
    mid = Decimal(median(sorted(samples)))
    floor = mid * ratio
    share = unit_price / mid if mid > 0 else Decimal(0)
    return Verdict(unit_price < floor, {"samples": n, "min_samples": min_samples, "unit_price": _num(unit_price),
                                        "median": _num(mid), "share_pct": _pct(share), "threshold_pct": _pct(ratio)})


# --- credit grades ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditInputs:
    """What an enterprise's record shows over the grading period."""

    declarations: int  # 申报清单数 (import + export lists sent to customs)
    rejections: int  # 海关退单 (100 or negative answers)
    inspections: int  # 查验 (500 receipts)
    risk_hits: int  # 风险命中 (alerts not dismissed)
    due_filings: int  # 应按期申报 (monthly summaries due in the period)
    on_time_filings: int  # 按期申报
    blacklisted: bool = False


@dataclass(frozen=True)
class CreditPolicy:
    """Points and bands of the grading (a platform setting: the national weights are not public, §9.1 [U])."""

    rejection_points: Decimal = Decimal(40)  # × rejection rate
    inspection_points: Decimal = Decimal(20)  # × inspection rate
    risk_hit_points: Decimal = Decimal(5)  # per hit …
    risk_hit_cap: Decimal = Decimal(30)  # … up to
    punctuality_points: Decimal = Decimal(30)  # × share of late filings
    min_declarations: int = 20  # fewer: at most grade A (too little history)
    bands: tuple[tuple[CreditGrade, Decimal], ...] = (
        (CreditGrade.AAA, Decimal(90)), (CreditGrade.AA, Decimal(80)), (CreditGrade.A, Decimal(70)),
        (CreditGrade.BBB, Decimal(60)), (CreditGrade.BB, Decimal(0)))


DEFAULT_CREDIT_POLICY = CreditPolicy()


@dataclass(frozen=True)
class CreditFactor:
    """One line of a grade's explanation: the factor, the figures and the points it took off."""

    factor: str  # rejections / inspections / risk_hits / punctuality / history / blacklist
    figures: dict[str, Any]
    points: Decimal  # deducted (0 when it took nothing off)


@dataclass(frozen=True)
class CreditResult:
    """A grade with its score and the factors that explain it."""

    grade: CreditGrade
    score: Decimal
    factors: tuple[CreditFactor, ...]
    capped_by: str | None = None  # history / blacklist when a rule capped the grade


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _rate(part: int, whole: int) -> Decimal:
    return Decimal(part) / Decimal(whole) if whole else Decimal(0)


def credit_grade(inputs: CreditInputs, policy: CreditPolicy = DEFAULT_CREDIT_POLICY) -> CreditResult:
    """Score 100 minus the deductions of each factor; the band gives the grade (AAA ≥ 90, AA ≥ 80, A ≥ 70,
    BBB ≥ 60, else BB). Too little history caps the grade at A; a blacklisted enterprise is BB."""
    n = inputs.declarations
    rej_rate = _rate(inputs.rejections, n)
    insp_rate = _rate(inputs.inspections, n)
    late = max(inputs.due_filings - inputs.on_time_filings, 0)
    late_rate = _rate(late, inputs.due_filings)
    factors = [
        CreditFactor("rejections", {"rejections": inputs.rejections, "declarations": n, "rate_pct": _pct(rej_rate)},
                     _q(policy.rejection_points * rej_rate)),
        CreditFactor("inspections", {"inspections": inputs.inspections, "declarations": n,
                                     "rate_pct": _pct(insp_rate)}, _q(policy.inspection_points * insp_rate)),
        CreditFactor("risk_hits", {"risk_hits": inputs.risk_hits},
                     _q(min(policy.risk_hit_points * inputs.risk_hits, policy.risk_hit_cap))),
        CreditFactor("punctuality", {"due": inputs.due_filings, "on_time": inputs.on_time_filings,
                                     "late": late}, _q(policy.punctuality_points * late_rate)),
    ]
    score = max(_q(HUNDRED - sum((f.points for f in factors), Decimal(0))), Decimal("0.00"))
    grade = next(g for g, floor in policy.bands if score >= floor)
    capped = None
    order = [g for g, _ in policy.bands]
    if n < policy.min_declarations and order.index(grade) < order.index(CreditGrade.A):
        grade, capped = CreditGrade.A, "history"
    if n < policy.min_declarations:
        factors.append(CreditFactor("history", {"declarations": n, "min_declarations": policy.min_declarations},
                                    Decimal("0.00")))
    if inputs.blacklisted:
        grade, capped = CreditGrade.BB, "blacklist"
        factors.append(CreditFactor("blacklist", {"blacklisted": True}, Decimal("0.00")))
    return CreditResult(grade=grade, score=score, factors=tuple(factors), capped_by=capped)


# --- personal data leaving China (数据出境) ----------------------------------------------------------


@dataclass(frozen=True)
class ExportThresholds:
    """The CAC thresholds in force for a year (R11.5), in persons counted since 1 January."""

    contract_nonsensitive_ge: int  # 100,000 non-sensitive: standard contract or certification
    assessment_nonsensitive_ge: int  # 1,000,000 non-sensitive: security assessment
    assessment_sensitive_ge: int  # 10,000 sensitive: security assessment (any sensitive below: contract)
    warning_ratio: Decimal  # warn at this share of each threshold


@dataclass(frozen=True)
class ThresholdStatus:
    """One threshold against the year's count: ok, warning (≥ warning share) or reached (≥ threshold)."""

    name: str
    count: int
    threshold: int
    warn_at: int
    level: str  # ok / warning / reached


def warn_at(threshold: int, ratio: Decimal) -> int:
    """The count at which the warning starts: ceil(threshold × ratio)."""
    value = Decimal(threshold) * ratio
    whole = int(value)
    return whole if value == whole else whole + 1


def threshold_status(*, non_sensitive: int, sensitive: int, limits: ExportThresholds) -> list[ThresholdStatus]:
    """Each threshold of R11.5 against the year's distinct individuals (non-exempt transfers only)."""
    rows = []
    for name, count, threshold in (
            ("contract_nonsensitive", non_sensitive, limits.contract_nonsensitive_ge),
            ("assessment_nonsensitive", non_sensitive, limits.assessment_nonsensitive_ge),
            ("assessment_sensitive", sensitive, limits.assessment_sensitive_ge)):
        start = warn_at(threshold, limits.warning_ratio)
        level = "reached" if count >= threshold else "warning" if count >= start else "ok"
        rows.append(ThresholdStatus(name, count, threshold, start, level))
    return rows


def required_route(*, non_sensitive: int, sensitive: int, limits: ExportThresholds) -> str:
    """The route the year's non-exempt exports need (R11.5): exempt, standard_contract (or certification),
    or security_assessment."""
    if non_sensitive >= limits.assessment_nonsensitive_ge or sensitive >= limits.assessment_sensitive_ge:
        return "security_assessment"
    if non_sensitive >= limits.contract_nonsensitive_ge or sensitive > 0:
        return "standard_contract"
    return "exempt"


def distinct_counts(rows: Iterable[tuple[str, bool, bool]]) -> tuple[int, int]:
    """(non-sensitive, sensitive) distinct individuals over rows of (person index, sensitive, exempt);
    exempt rows are left out; a person counts once in each column whatever the number of transfers."""
    plain: set[str] = set()
    sens: set[str] = set()
    for person, sensitive, exempt in rows:
        if exempt:
            continue
        (sens if sensitive else plain).add(person)
    return len(plain), len(sens)
