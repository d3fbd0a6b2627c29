"""Pure scoring of the evaluation (no database): min-max normalisation, weighted sum, competition ranking.

Method ``min-max-0-100``:

* each indicator is normalised over the units evaluated together: ``n = 100 × (v − min) / (max − min)``;
  when every unit has the same value, ``n = 100`` if that value is above 0, else 0; a unit without a
  value counts as 0 and is flagged ``missing``;
* a unit's total is ``Σ wᵢ·nᵢ / Σ wᵢ`` (0–100), half-up to 0.01; each category's contribution is
  ``Σ_{i∈cat} wᵢ·nᵢ / Σ wᵢ``, so the contributions add up to the total (up to rounding);
* units are ranked by total, highest first; equal totals share a rank (1, 1, 3), listed by code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

METHOD = "min-max-0-100"
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator as scored: code, category and weight in force."""

    code: str
    category: str
    weight: Decimal


@dataclass(frozen=True)
class UnitScore:
    """One unit's result."""

    unit: str
    total: Decimal
    rank: int
    categories: dict[str, Decimal]
    normalised: dict[str, Decimal]
    missing: tuple[str, ...]


def normalise(values: Mapping[str, Decimal | None]) -> dict[str, Decimal]:
    """Min-max normalisation of one indicator over the units (missing → 0 before normalising)."""
    filled = {u: (v if v is not None else Decimal(0)) for u, v in values.items()}
    if not filled:
        return {}
    lo, hi = min(filled.values()), max(filled.values())
    if hi == lo:
        return {u: (HUNDRED if v > 0 else Decimal(0)) for u, v in filled.items()}
    return {u: (HUNDRED * (v - lo) / (hi - lo)) for u, v in filled.items()}


def score(*, units: Sequence[str], indicators: Sequence[IndicatorSpec],
          values: Mapping[tuple[str, str], Decimal | None]) -> list[UnitScore]:
    """Score and rank ``units`` on ``indicators``; ``values[(unit, code)]`` (None or absent = missing)."""
    total_weight = sum((i.weight for i in indicators), Decimal(0))
    norms = {i.code: normalise({u: values.get((u, i.code)) for u in units}) for i in indicators}
    rows = []
    for u in units:
        cats: dict[str, Decimal] = {}
        weighted = Decimal(0)
        for i in indicators:
            part = i.weight * norms[i.code][u]
            weighted += part
            cats[i.category] = cats.get(i.category, Decimal(0)) + part
        if total_weight > 0:
            total = (weighted / total_weight).quantize(CENT, ROUND_HALF_UP)
            cats = {c: (v / total_weight).quantize(CENT, ROUND_HALF_UP) for c, v in cats.items()}
        else:
            total, cats = Decimal("0.00"), {c: Decimal("0.00") for c in cats}
        missing = tuple(i.code for i in indicators if values.get((u, i.code)) is None)
        rows.append((u, total, cats, {c: n.quantize(CENT, ROUND_HALF_UP) for c, n in
                                      ((i.code, norms[i.code][u]) for i in indicators)}, missing))
    rows.sort(key=lambda r: (-r[1], r[0]))
    result: list[UnitScore] = []
    for pos, (u, total, cats, normed, missing) in enumerate(rows, start=1):
        rank = result[-1].rank if result and result[-1].total == total else pos
        result.append(UnitScore(u, total, rank, cats, normed, missing))
    return result
