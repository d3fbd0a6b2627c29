"""Stable error codes of the rules lookup."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from kuajing.errors import AppError, FieldIssue


class RuleError(StrEnum):
    """Stable error codes (never renamed)."""

    NOT_IN_FORCE = "rule_not_in_force"
    UNKNOWN = "rule_unknown"


def not_in_force(name: str, on: date) -> AppError:
    """No value of the rule is in force on the date (before it existed, or in a gap)."""
    return AppError(
        RuleError.NOT_IN_FORCE, "Rule not in force", status=422,
        detail="The rule {name} is not in force on {on}.",
        errors=[FieldIssue(RuleError.NOT_IN_FORCE, "on", "The rule {name} is not in force on {on}.", on.isoformat(),
                           {"name": name, "on": on.isoformat()})],
        name=name, on=on.isoformat(),
    )


def unknown(name: str) -> AppError:
    """No rule has this name."""
    return AppError(
        RuleError.UNKNOWN, "Unknown rule", status=404, detail="There is no rule named {name}.",
        errors=[FieldIssue(RuleError.UNKNOWN, "name", "There is no rule named {name}.", name, {"name": name})],
        name=name,
    )
