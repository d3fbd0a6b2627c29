"""Stable error codes of the reference-data domain and the errors that carry them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, FieldIssue


class DataError(StrEnum):
    """Stable error codes (never renamed; documented in docs/reference-data.md)."""

    UNKNOWN_CURRENCY = "unknown_currency"
    BAD_MONTH = "bad_month"
    BAD_YEAR = "bad_year"
    RATE_NOT_FOUND = "exchange_rate_not_found"
    CALENDAR_NOT_LOADED = "calendar_not_loaded"
    HS_RATE_NOT_FOUND = "hs_tax_rate_not_found"
    VERSION_NOT_FOUND = "dataset_version_not_found"
    IMPORT_INVALID = "data_import_invalid"
    IMPORT_UNREADABLE = "data_import_unreadable"
    KIND_UNKNOWN = "data_kind_unknown"
    # row-level codes inside data_import_invalid
    FIELD_REQUIRED = "field_required"
    BAD_DECIMAL = "bad_decimal"
    BAD_DATE = "bad_date"
    OUT_OF_RANGE = "out_of_range"
    NOT_ALLOWED = "not_allowed"
    DUPLICATE_ROW = "duplicate_row"
    BAD_HS_CODE = "bad_hs_code"


def unknown_currency(value: Any, *, path: str = "currency") -> AppError:
    """The currency is neither a customs currency code nor its ISO code."""
    return AppError(
        DataError.UNKNOWN_CURRENCY, "Unknown currency", status=422,
        detail="Use a customs currency code (e.g. 502) or its ISO code (e.g. USD).",
        errors=[FieldIssue(DataError.UNKNOWN_CURRENCY, path, "Unknown currency {value}.", value,
                           {"value": value})],
    )


def bad_month(value: Any, *, path: str = "month") -> AppError:
    """The month is not of the form YYYY-MM."""
    return AppError(
        DataError.BAD_MONTH, "Invalid month", status=422, detail="A month like 2025-10 is expected.",
        errors=[FieldIssue(DataError.BAD_MONTH, path, "A month like 2025-10 is expected.", value)],
    )


def bad_year(value: Any, *, path: str = "year") -> AppError:
    """The year is outside the supported range."""
    return AppError(
        DataError.BAD_YEAR, "Invalid year", status=422, detail="A year between 1990 and 2100 is expected.",
        errors=[FieldIssue(DataError.BAD_YEAR, path, "A year between 1990 and 2100 is expected.", value)],
    )


def rate_not_found(currency: str, month: str) -> AppError:
    """No customs rate is loaded for the currency and month."""
    return AppError(
        DataError.RATE_NOT_FOUND, "No exchange rate", status=404,
        detail="No customs exchange rate for currency {currency} in {month}; import it with kuajing data import.",
        errors=[FieldIssue(DataError.RATE_NOT_FOUND, "currency",
                           "No customs exchange rate for currency {currency} in {month}; "
                           "import it with kuajing data import.", currency,
                           {"currency": currency, "month": month})],
        currency=currency, month=month,
    )


def calendar_not_loaded(year: int, *, path: str = "date") -> AppError:
    """No holiday calendar covers the year, so working days cannot be told."""
    return AppError(
        DataError.CALENDAR_NOT_LOADED, "Holiday calendar missing", status=404,
        detail="No holiday calendar is loaded for {year}; import it with kuajing data import.",
        errors=[FieldIssue(DataError.CALENDAR_NOT_LOADED, path,
                           "No holiday calendar is loaded for {year}; import it with kuajing data import.",
                           year, {"year": year})],
        year=year,
    )


def hs_rate_not_found(hs_code: str, on: str) -> AppError:
    """No HS tax-rate row is in force for the code on the date."""
    return AppError(
        DataError.HS_RATE_NOT_FOUND, "No tax rate for this HS code", status=404,
        detail="No tax rates for HS code {hs_code} on {on}.",
        errors=[FieldIssue(DataError.HS_RATE_NOT_FOUND, "hs_code", "No tax rates for HS code {hs_code} on {on}.",
                           hs_code, {"hs_code": hs_code, "on": on})],
        hs_code=hs_code, on=on,
    )


def version_not_found(value: Any, *, path: str = "version") -> AppError:
    """The dataset version asked for does not exist."""
    return AppError(
        DataError.VERSION_NOT_FOUND, "Unknown dataset version", status=404,
        detail="No dataset version {value}.",
        errors=[FieldIssue(DataError.VERSION_NOT_FOUND, path, "No dataset version {value}.", value,
                           {"value": value})],
        value=value,
    )


def kind_unknown(value: Any, *, path: str = "kind") -> AppError:
    """The table kind is not given and cannot be guessed, or is not one we know."""
    return AppError(
        DataError.KIND_UNKNOWN, "Unknown data kind", status=422,
        detail="Say which table the file is for: exchange_rate, holiday or hs_tax_rate.",
        errors=[FieldIssue(DataError.KIND_UNKNOWN, path,
                           "Say which table the file is for: exchange_rate, holiday or hs_tax_rate.", value)],
    )


def unreadable(file_name: str, reason: str) -> AppError:
    """The file cannot be read as CSV, JSON or XLSX."""
    return AppError(
        DataError.IMPORT_UNREADABLE, "File cannot be read", status=422,
        detail="The file {file_name} cannot be read: {reason}",
        errors=[FieldIssue(DataError.IMPORT_UNREADABLE, "file", "The file {file_name} cannot be read: {reason}",
                           file_name, {"file_name": file_name, "reason": reason})],
        file_name=file_name, reason=reason,
    )


def import_invalid(file_name: str, issues: list[FieldIssue]) -> AppError:
    """Some rows are invalid: nothing of the file was imported."""
    return AppError(
        DataError.IMPORT_INVALID, "The file has invalid rows", status=422,
        detail="{n} problem(s) in {file_name}; nothing was imported.",
        errors=issues, n=len(issues), file_name=file_name,
    )
