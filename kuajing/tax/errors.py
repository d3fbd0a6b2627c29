"""Stable error codes of the tax domain (税款试算) and the errors that carry them.

Rejections of an order (``-621005``, ``-621018``, ``tax_not_on_positive_list``) are answers, not
errors: see :class:`kuajing.tax.calc.ReasonCode`. The codes below are for requests the engine cannot
compute; they are never renamed (docs/tax.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue, validation_error


class TaxError(StrEnum):
    """Stable error codes of the tax engine."""

    DATE_BEFORE_POLICY = "tax_date_before_policy"  # 申报日期早于跨境电商零售进口税收政策
    HS_CODE_UNKNOWN = "tax_hs_code_unknown"  # 商品编码不在税率表中且未给出税率
    RATE_MISSING = "tax_rate_missing"  # 无商品编码时须给出增值税率
    TARIFF_RATE_MISSING = "tax_tariff_rate_missing"  # 全额征税须有关税税率
    QUOTE_INVALID = "validation_failed"  # the envelope of several field issues
    GUARANTEE_INSUFFICIENT = "tax_guarantee_insufficient"  # 担保余额不足
    GUARANTEE_UNKNOWN = "tax_guarantee_unknown"  # 该企业无税款担保
    GUARANTEE_EXISTS = "tax_guarantee_exists"
    AMOUNT_INVALID = "tax_amount_invalid"
    REFERENCE_REUSED = "tax_reference_reused"  # 同一税单号 / 追加编号 with other figures
    BILL_UNKNOWN = "tax_bill_unknown"
    BILL_STATUS_INVALID = "tax_bill_status_invalid"
    PAYMENT_FORM_UNKNOWN = "tax_payment_form_unknown"  # 无此缴款书（或其税单尚未汇总）
    PAYMENT_AMOUNT_MISMATCH = "tax_payment_amount_mismatch"  # 缴款金额与缴款书税额不符
    PAYMENT_DATE_INVALID = "tax_payment_date_invalid"  # 缴款日期早于汇总日期或晚于今天


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


def guarantee_insufficient(balance: Any, amount: Any) -> AppError:
    """A draw larger than the guarantee's balance."""
    return Conflict(TaxError.GUARANTEE_INSUFFICIENT,
                    "The tax guarantee balance {balance} does not cover the e-tax bill of {amount}.",
                    path="amount", value=str(amount), balance=str(balance), amount=str(amount))


def guarantee_unknown(enterprise_id: Any) -> AppError:
    """No guarantee for this enterprise."""
    return AppError(TaxError.GUARANTEE_UNKNOWN, "No tax guarantee", status=404,
                    detail="Enterprise {enterprise} has no tax guarantee.",
                    errors=[issue(TaxError.GUARANTEE_UNKNOWN, "agent_enterprise_id",
                                  "Enterprise {enterprise} has no tax guarantee.", enterprise_id,
                                  enterprise=str(enterprise_id))], enterprise=str(enterprise_id))


def guarantee_exists(enterprise_id: Any) -> AppError:
    """A guarantee already exists for this enterprise."""
    return Conflict(TaxError.GUARANTEE_EXISTS, "Enterprise {enterprise} already has a tax guarantee.",
                    path="agent_enterprise_id", value=enterprise_id, enterprise=str(enterprise_id))


def amount_invalid(value: Any, path: str = "amount") -> AppError:
    """Not a positive amount to the fen."""
    return validation_error([issue(TaxError.AMOUNT_INVALID, path,
                                   "Give a positive amount in CNY with at most two decimals.", value)])


def amount_too_large(value: Any, maximum: Any, path: str = "amount") -> AppError:
    """An amount above what a guarantee can hold."""
    return validation_error([issue(TaxError.AMOUNT_INVALID, path, "The amount may not exceed {max} CNY.", value,
                                   max=str(maximum))])


def threshold_invalid(value: Any, maximum: Any, path: str = "alert_threshold") -> AppError:
    """An alert threshold that is negative, finer than the fen or too large."""
    return validation_error([issue(TaxError.AMOUNT_INVALID, path,
                                   "Give an amount in CNY from 0 to {max} with at most two decimals.", value,
                                   max=str(maximum))])


def reference_reused(reference: str, path: str = "reference") -> AppError:
    """A bill number, top-up reference or paid payment form (``path`` ``ent_duty_no``) already recorded with
    other figures."""
    return Conflict(TaxError.REFERENCE_REUSED, "Reference {reference} is already recorded with other figures.",
                    path=path, value=reference, reference=reference)


def bill_unknown(tax_no: str) -> AppError:
    """No e-tax bill with this number."""
    return AppError(TaxError.BILL_UNKNOWN, "No e-tax bill", status=404,
                    detail="There is no e-tax bill {tax_no}.",
                    errors=[issue(TaxError.BILL_UNKNOWN, "tax_no", "There is no e-tax bill {tax_no}.", tax_no,
                                  tax_no=tax_no)], tax_no=tax_no)


def bill_status_invalid(value: Any) -> AppError:
    """Not a CEB818 status (1, 2 or 3)."""
    return validation_error([issue(TaxError.BILL_STATUS_INVALID, "status",
                                   "The tax bill status must be 1 (generated), 2 (summarised) or 3 (void).", value)])


def payment_form_unknown(ent_duty_no: str) -> AppError:
    """No summarised bill of the agent carries this payment form number."""
    return AppError(TaxError.PAYMENT_FORM_UNKNOWN, "No payment form", status=404,
                    detail="No summarised e-tax bill of this agent is on payment form {ent_duty_no}.",
                    errors=[issue(TaxError.PAYMENT_FORM_UNKNOWN, "ent_duty_no",
                                  "No summarised e-tax bill of this agent is on payment form {ent_duty_no}.",
                                  ent_duty_no, ent_duty_no=ent_duty_no)], ent_duty_no=ent_duty_no)


def payment_amount_mismatch(value: Any, expected: Any) -> AppError:
    """The amount paid is not the tax of the payment form's valid bills."""
    return validation_error([issue(TaxError.PAYMENT_AMOUNT_MISMATCH, "amount",
                                   "The payment form's tax is {expected} CNY; the amount paid must equal it.",
                                   str(value), expected=str(expected))])


def payment_date_invalid(value: Any, earliest: Any, latest: Any) -> AppError:
    """A payment date before the form was summarised, or in the future."""
    return validation_error([issue(TaxError.PAYMENT_DATE_INVALID, "paid_on",
                                   "The payment date must be from {earliest} to {latest}.", str(value),
                                   earliest=str(earliest), latest=str(latest))])
