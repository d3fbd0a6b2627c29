"""Stable error codes of FX settlement support (docs/fx.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue, validation_error
from kuajing.i18n import lazy


class FxErrorCode(StrEnum):
    """Every error of this domain, by stable code (never renamed)."""

    proceeds_not_found = "fx_proceeds_not_found"
    advance_not_found = "fx_advance_not_found"
    consent_not_found = "fx_consent_not_found"
    import_not_found = "fx_import_not_found"
    reference_unknown = "fx_reference_unknown"  # an allocation names no order / list of the enterprise
    allocation_exceeds = "fx_allocation_exceeds"  # allocations add up to more than the export receipt
    netting_mismatch = "fx_netting_mismatch"  # a given gross figure ≠ actual + fees
    duplicate_reference = "fx_duplicate_reference"  # the bank reference is recorded already
    person_required = "fx_person_required"  # a personal-account receipt without name / ID number
    bank_unknown = "fx_bank_unknown"  # consent to an enterprise that is not a bank / insurer
    consent_revoked = "fx_consent_revoked"  # revoking a consent twice
    proceeds_in_use = "fx_proceeds_in_use"  # a receipt named by a consent cannot be deleted
    dates_inverted = "fx_dates_inverted"  # repaid before advanced
    currency_unknown = "fx_currency_unknown"
    excel_row_rejected = "fx_excel_row_rejected"
    excel_not_a_date = "fx_excel_not_a_date"
    amount_not_positive = "fx_amount_not_positive"
    fee_kind_unknown = "fx_fee_kind_unknown"


C = FxErrorCode


def _not_found(code: str, message: str, path: str, value: Any) -> AppError:
    return AppError(code, "Not found", status=404, detail=message,
                    errors=[FieldIssue(code, path, message, value, {"value": value})], value=value)


def proceeds_not_found(value: Any) -> AppError:
    """No such receipt (or another enterprise's, or no consent)."""
    return _not_found(C.proceeds_not_found, lazy("No receipt {value} is visible to you."), "proceeds_id", value)


def advance_not_found(value: Any) -> AppError:
    """No such advance."""
    return _not_found(C.advance_not_found, lazy("No advance {value} is visible to you."), "advance_id", value)


def consent_not_found(value: Any) -> AppError:
    """No such consent."""
    return _not_found(C.consent_not_found, lazy("No consent {value} is visible to you."), "consent_id", value)


def import_not_found(value: Any) -> AppError:
    """No such upload."""
    return _not_found(C.import_not_found, lazy("No upload {value} is visible to you."), "import_id", value)


def reference_unknown(path: str, value: str) -> FieldIssue:
    """An allocation's order or list is not one of the enterprise's export documents."""
    return FieldIssue(C.reference_unknown, path, "No export order or declaration list {reference} of yours.",
                      value, {"reference": value})


def allocation_exceeds(total: Any, export_amount: Any) -> AppError:
    """The allocations add up to more than the receipt's export figure."""
    return validation_error([FieldIssue(C.allocation_exceeds, "allocations",
                                        "The allocations add up to {total}, more than the export receipt {export}.",
                                        str(total), {"total": str(total), "export": str(export_amount)})])


def netting_mismatch(given: Any, restored: Any) -> AppError:
    """The given gross figure differs from actual + fees."""
    return validation_error([FieldIssue(C.netting_mismatch, "export_amount",
                                        "The export receipt {given} is not the amount received plus the netted fees "
                                        "({restored}).", str(given), {"given": str(given), "restored": str(restored)})])


def duplicate_reference(value: str) -> AppError:
    """The bank reference is recorded already for this enterprise."""
    return Conflict(C.duplicate_reference, "The bank reference {reference} is recorded already.",
                    path="bank_reference", value=value, reference=value)


def person_required(path: str) -> FieldIssue:
    """A personal-account receipt needs the person's name and ID number."""
    return FieldIssue(C.person_required, path, "A receipt on a personal FX account needs the person's name and "
                                               "ID number.")


def bank_unknown(value: Any) -> AppError:
    """Consent to an enterprise that is not registered as a bank or insurer."""
    return validation_error([FieldIssue(C.bank_unknown, "bank_enterprise_id",
                                        "Enterprise {value} is not a bank or insurer of the registry.", value,
                                        {"value": value})])


def consent_revoked(consent_id: int) -> AppError:
    """The consent is revoked already."""
    return Conflict(C.consent_revoked, "Consent {consent_id} is revoked already.", path="consent_id",
                    value=consent_id, consent_id=consent_id)


def dates_inverted(repaid_on: Any = None) -> AppError:
    """Repaid before advanced (the given repayment date is echoed)."""
    return validation_error([FieldIssue(C.dates_inverted, "repaid_on", "The repayment date is before the advance "
                                                                      "date.",
                                        None if repaid_on is None else str(repaid_on))])


def currency_unknown(path: str, value: Any) -> FieldIssue:
    """Not a customs currency code nor an ISO code the platform knows."""
    return FieldIssue(C.currency_unknown, path, "Unknown currency {value}.", value, {"value": value})


def proceeds_in_use(proceeds_id: int) -> AppError:
    """A consent names the receipt: the bank's trail must stay complete."""
    return Conflict(C.proceeds_in_use, "Receipt {proceeds_id} was shared with a bank under a consent; it cannot be "
                    "deleted.", path="proceeds_id", value=proceeds_id, proceeds_id=proceeds_id)
