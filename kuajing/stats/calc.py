"""Pure calculations of the statistics domain (no database): value split, fact rows, windows, projection,
target status and the survey de-duplication rule. Unit-tested in tests/stats/test_calc.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(first: date, n: int) -> date:
    """The first day of the month ``n`` months after ``first``'s (negative goes back)."""
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def window(end: date, months: int) -> tuple[date, date]:
    """The first days of the first and last month of the ``months``-month window ending with ``end``'s month."""
    last = month_start(end)
    return add_months(last, -(months - 1)), last


def months_between(first: date, last: date) -> list[date]:
    """Every month's first day from ``first`` to ``last`` inclusive."""
    out, cur = [], month_start(first)
    while cur <= last:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def split_value(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` over ``weights`` in proportion, half-up to the fen, the rounding remainder on the
    largest weight, so the parts always add up to ``total`` exactly (all-zero weights: equal parts)."""
    if not weights:
        return []
    total = Decimal(total)
    wsum = sum(weights, Decimal(0))
    if wsum == 0:
        weights, wsum = [Decimal(1)] * len(weights), Decimal(len(weights))
    parts = [(total * w / wsum).quantize(FEN, rounding=ROUND_HALF_UP) for w in weights]
    biggest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    parts[biggest] += total - sum(parts, Decimal(0))
    return parts


@dataclass(frozen=True)
class Line:
    """One line of a released list, as the facts need it."""

    gnum: int
    hs_code: str
    country: str
    currency: str
    amount: Decimal  # in ``currency``
    value_cny: Decimal | None  # None while the month's rate is missing


@dataclass(frozen=True)
class FactRow:
    """A fact's varying part: one (country, HS heading) group of a list."""

    country: str
    hs_heading: str
    currency: str
    amount: Decimal
    value_cny: Decimal | None
    parcels: int
    lines: int


def heading(hs_code: str) -> str:
    """The HS heading (品目, 4 digits) of a code; shorter simplified codes are padded with 0."""
    digits = "".join(ch for ch in (hs_code or "") if ch.isdigit())
    return (digits[:4] + "0000")[:4]


def fact_rows(lines: Iterable[Line], *, sign: int = 1) -> list[FactRow]:
    """Group a list's lines by (country, heading, currency): value and line count summed; the parcel (票) is
    counted once, on the group holding the list's first line (lowest gnum). ``sign`` −1 reverses."""
    lines = sorted(lines, key=lambda ln: ln.gnum)
    groups: dict[tuple[str, str, str], list[Line]] = {}
    for ln in lines:
        groups.setdefault((ln.country or "", heading(ln.hs_code), ln.currency), []).append(ln)
    first = (lines[0].country or "", heading(lines[0].hs_code), lines[0].currency) if lines else None
    rows = []
    for key, group in groups.items():
        amount = sum((ln.amount for ln in group), Decimal(0))
        values = [ln.value_cny for ln in group]
        value = None if any(v is None for v in values) else sum(values, Decimal(0))
        rows.append(FactRow(country=key[0], hs_heading=key[1], currency=key[2], amount=sign * amount,
                            value_cny=None if value is None else sign * value,
                            parcels=sign * (1 if key == first else 0), lines=sign * len(group)))
    return rows


def project_value(monthly: dict[date, Decimal], *, year: int, as_of: date, trailing: int = 3) -> Decimal:
    """Year-end projection of an additive figure (交易额): the year-to-date total plus, for each month still to
    come, the mean of the last ``trailing`` complete months (run rate). ``as_of``'s month counts as incomplete:
    its figure so far is kept, and it is projected as a whole month less what it already has."""
    ytd = sum((v for m, v in monthly.items() if m.year == year and m <= as_of), Decimal(0))
    if as_of.year > year:
        return ytd
    if as_of.year < year:
        return Decimal(0)
    current = month_start(as_of)
    complete = [add_months(current, -i) for i in range(1, trailing + 1)]
    rate = sum((monthly.get(m, Decimal(0)) for m in complete), Decimal(0)) / Decimal(trailing)
    remaining_whole = 12 - current.month
    current_so_far = monthly.get(current, Decimal(0))
    rest_of_current = max(rate - current_so_far, Decimal(0))
    return (ytd + rate * remaining_whole + rest_of_current).quantize(FEN, rounding=ROUND_HALF_UP)


def project_count(first_months: Iterable[date], *, year: int, as_of: date) -> int:
    """Year-end projection of a cumulative count (累计企业数): those counted so far plus new entrants at the
    year's mean monthly rate (new this year ÷ months elapsed, the current month included) for the months left."""
    firsts = list(first_months)
    so_far = sum(1 for m in firsts if m <= as_of and m.year <= year)
    if as_of.year != year:
        return so_far
    new = sum(1 for m in firsts if m.year == year and m <= as_of)
    elapsed = as_of.month
    return so_far + round(Decimal(new) / Decimal(elapsed) * Decimal(12 - elapsed))


def target_status(*, actual: Decimal, projected: Decimal, minimum: Decimal, maximum: Decimal | None) -> str:
    """met (actual ≥ minimum, within the range) / over (above a range's maximum) / on_track (the projection
    reaches the minimum) / behind."""
    if maximum is not None and actual > maximum:
        return "over"
    if actual >= minimum:
        return "met"
    if projected >= minimum:
        return "on_track"
    return "behind"


def combined_scope(customs: Decimal, survey: dict[tuple[int, str], Decimal]) -> Decimal:
    """The full-sector figure (全业态口径): customs-code scope plus survey estimates, each (enterprise, channel)
    counted once. The survey form only accepts channels outside the CBEC customs codes and keeps one figure per
    enterprise, month, direction and channel, so nothing of the customs scope is in the survey part."""
    return customs + sum(survey.values(), Decimal(0))


def growth(current: Decimal, previous: Decimal) -> Decimal | None:
    """Growth rate in percent, one decimal (None when there is no base)."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(Decimal("0.1"), ROUND_HALF_UP)
