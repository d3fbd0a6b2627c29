"""Stable error codes of the statistics domain (docs/stats.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, FieldIssue


class StatsErrorCode(StrEnum):
    """Every error of this domain, by stable code (never renamed)."""

    bad_month = "stats_bad_month"  # not YYYY-MM
    bad_filter = "stats_bad_filter"  # an unknown mode / direction / channel / indicator
    bad_window = "stats_bad_window"  # months outside 1..36
    bad_value = "stats_bad_value"  # a negative or malformed amount
    brand_exists = "stats_brand_exists"  # a brand of that name is registered
    enterprise_unknown = "stats_enterprise_unknown"  # no such enterprise


C = StatsErrorCode


def _issue(code: StatsErrorCode, path: str, message: str, value: Any, status: int = 422, **params) -> AppError:
    return AppError(code, message, status=status, detail=message,
                    errors=[FieldIssue(code, path, message, value, params)], **params)


def bad_month(value: Any, path: str = "month") -> AppError:
    """``value`` is not a month like 2026-10."""
    return _issue(C.bad_month, path, "A month looks like 2026-10.", value)


def month_out_of_range(value: Any, path: str, first: int, last: int) -> AppError:
    """``value`` is a month of a year before ``first`` or after ``last``."""
    return _issue(C.bad_month, path, "The month's year must be between {first} and {last}.", value,
                  first=first, last=last)


def bad_filter(value: Any, path: str) -> AppError:
    """``value`` is not one of the allowed codes of ``path``."""
    return _issue(C.bad_filter, path, "Unknown value.", value)


def bad_window(value: Any, path: str = "months") -> AppError:
    """A window of ``value`` months is outside 1..36."""
    return _issue(C.bad_window, path, "The window is 1 to 36 months.", value)


def bad_value(value: Any, path: str) -> AppError:
    """A negative or malformed amount."""
    return _issue(C.bad_value, path, "Give a non-negative amount with at most two decimals.", value)


def brand_exists(value: Any, path: str = "name") -> AppError:
    """A brand of that name is registered already."""
    return _issue(C.brand_exists, path, "A brand of this name is registered already.", value, status=409)


def enterprise_unknown(value: Any, path: str = "enterprise_id") -> AppError:
    """No enterprise with that id."""
    return _issue(C.enterprise_unknown, path, "No such enterprise.", value)
