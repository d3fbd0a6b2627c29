"""The one rules lookup: ``rule(name, on)`` → the value in force on that date, with its legal citation.

The rules are data (``rules.json`` beside this module): every value carries valid_from/valid_to
(inclusive) and the document it comes from. Pure: no database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from kuajing.rules import errors

RULES_FILE = Path(__file__).parent / "rules.json"


@dataclass(frozen=True)
class RuleValue:
    """A rule's value in force on a date, where it comes from and how long it holds."""

    name: str
    value: Any  # Decimal, int, bool, str or tuple[str, ...]
    citation: str
    valid_from: date
    valid_to: date | None  # inclusive; None = still in force
    section: str  # section of shared/reference/policy-rules.md
    confidence: str  # C confirmed, M to verify, U uncertain
    unit: str = ""


@dataclass(frozen=True)
class RuleDefinition:
    """A rule and all its periods, oldest first."""

    name: str
    description: str
    unit: str
    section: str
    periods: tuple[RuleValue, ...]


_CONVERT = {
    "decimal": lambda v: Decimal(str(v)) if not isinstance(v, float) else _no_float(v),
    "int": int,
    "bool": bool,
    "str": str,
    "list": lambda v: tuple(str(x) for x in v),
}


def _no_float(value: float):
    raise ValueError(f"rules.json: write decimals as strings, not {value!r}")


@cache
def definitions() -> dict[str, RuleDefinition]:
    """Every rule, loaded once from rules.json and checked (sorted, non-overlapping periods)."""
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    result: dict[str, RuleDefinition] = {}
    for item in data["rules"]:
        name = item["name"]
        if name in result:
            raise ValueError(f"rules.json: duplicate rule {name}")
        convert = _CONVERT[item["type"]]
        periods = []
        for p in item["periods"]:
            periods.append(RuleValue(
                name=name, value=convert(p["value"]), citation=p["citation"],
                valid_from=date.fromisoformat(p["valid_from"]),
                valid_to=date.fromisoformat(p["valid_to"]) if p.get("valid_to") else None,
                section=item["section"], confidence=p["confidence"], unit=item.get("unit", ""),
            ))
        for earlier, later in pairwise(periods):
            if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                raise ValueError(f"rules.json: periods of {name} overlap or are out of order")
        for p in periods:
            if p.valid_to is not None and p.valid_to < p.valid_from:
                raise ValueError(f"rules.json: {name} ends before it starts")
        result[name] = RuleDefinition(name=name, description=item["description"], unit=item.get("unit", ""),
                                      section=item["section"], periods=tuple(periods))
    return result


def rule(name: str, on: date) -> RuleValue:
    """The value of rule ``name`` in force on the business date ``on`` (raises ``rule_not_in_force``)."""
    definition = definitions().get(name)
    if definition is None:
        raise errors.unknown(name)
    for period in definition.periods:
        if period.valid_from <= on and (period.valid_to is None or on <= period.valid_to):
            return period
    raise errors.not_in_force(name, on)
