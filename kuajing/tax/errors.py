"""Stable error codes of the tax domain (税款试算) and the errors that carry them.

Rejections of an order (``-621005``, ``-621018``, ``tax_not_on_positive_list``) are answers, not
errors: see :class:`kuajing.tax.calc.ReasonCode`. The codes below are for requests the engine cannot
compute; they are never renamed (docs/tax.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, FieldIssue, validation_error


class TaxError(StrEnum):
    """Stable error codes of the tax engine."""

    DATE_BEFORE_POLICY = "tax_date_before_policy"  # 申报日期早于跨境电商零售进口税收政策
    HS_CODE_UNKNOWN = "tax_hs_code_unknown"  # 商品编码不在税率表中且未给出税率
    RATE_MISSING = "tax_rate_missing"  # 无商品编码时须给出增值税率
    TARIFF_RATE_MISSING = "tax_tariff_rate_missing"  # 全额征税须有关税税率
    QUOTE_INVALID = "validation_failed"  # the envelope of several field issues


def issue(code: TaxError, path: str, message: str, value: Any = None, /, **params: Any) -> FieldIssue:
    """One field issue with a tax error code."""
    return FieldIssue(str(code), path, message, value, params)


def date_before_policy(value: Any, start: str) -> FieldIssue:
    """The declaration date is before the retail import tax policy (2016-04-08)."""
    return issue(TaxError.DATE_BEFORE_POLICY, "declared_on",
                 "The retail import tax policy applies from {start}; no quote before that date.", value,
                 start=start)


def hs_code_unknown(n: int, value: Any) -> FieldIssue:
    """The HS code is not in the rate table and no rates were given."""
    return issue(TaxError.HS_CODE_UNKNOWN, f"items[{n}]/hs_code",
                 "HS code {code} is not in the rate table; give vat_rate (and the other rates) explicitly.",
                 value, code=value)


def rate_missing(n: int) -> FieldIssue:
    """No HS code and no VAT rate."""
    return issue(TaxError.RATE_MISSING, f"items[{n}]/vat_rate",
                 "Give an HS code or the VAT rate of the item.")


def tariff_rate_missing(n: int) -> FieldIssue:
    """The full-rate channel needs a tariff rate."""
    return issue(TaxError.TARIFF_RATE_MISSING, f"items[{n}]/tariff_rate",
                 "At full rate the tariff is due: give an HS code or the tariff rate of the item.")


def invalid(issues: list[FieldIssue]) -> AppError:
    """A 422 carrying every issue at once."""
    return validation_error(issues)
