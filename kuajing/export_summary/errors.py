"""Stable error codes of the monthly summary and the no-invoice register (docs/export-summary.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue


class SummaryErrorCode(StrEnum):
    """Every error of this domain, by stable code (never renamed)."""

    bad_month = "export_summary_bad_month"  # not YYYY-MM
    month_not_closed = "export_summary_month_not_closed"  # the month has not ended yet (Asia/Shanghai)
    application_not_found = "export_summary_application_not_found"
    transition_not_allowed = "export_summary_transition_not_allowed"  # e.g. submit a statistics record
    statistics_not_allowed = "export_summary_statistics_not_allowed"  # only zone enterprises may choose it
    bad_effective_date = "export_summary_bad_effective_date"  # a mode change takes effect on a month's first day
    nothing_to_confirm = "export_summary_nothing_to_confirm"  # no unsummarised lines in the month
    concurrent_confirm = "export_summary_concurrent_confirm"  # two confirmations raced; retry
    enterprise_code_missing = "export_summary_enterprise_code_missing"  # no customs code to declare with
    entry_not_found = "no_invoice_entry_not_found"
    correction_reference_reused = "no_invoice_correction_reference_reused"
    register_immutable = "no_invoice_register_immutable"  # an attempt to change or delete an entry
    bad_period = "no_invoice_bad_period"  # from after to
    bad_year = "cit_bad_year"


C = SummaryErrorCode


class ImmutableRegisterError(RuntimeError):
    """Raised by the model layer when code tries to UPDATE or DELETE a register entry."""


def bad_month(value: Any, path: str = "month") -> AppError:
    """``value`` is not a month like 2026-01."""
    return AppError(C.bad_month, "Invalid month", status=422, detail="A month looks like 2026-01.",
                    errors=[FieldIssue(C.bad_month, path, "A month looks like 2026-01.", value)])


def month_not_closed(month: str) -> AppError:
    """The month is not over yet: its lists may still be released."""
    return Conflict(C.month_not_closed, "The month {month} has not ended yet; confirm its summary after it ends.",
                    path="month", value=month, month=month)


def application_not_found(application_id: Any) -> AppError:
    """No such application (or another enterprise's)."""
    return AppError(C.application_not_found, "Not found", status=404,
                    detail="No summary application {application_id} is visible to you.",
                    errors=[FieldIssue(C.application_not_found, "application_id",
                                       "No summary application {application_id} is visible to you.", application_id,
                                       {"application_id": application_id})],
                    application_id=application_id)


def transition_not_allowed(application_id: int, status: str, action: str) -> AppError:
    """The application's status does not allow ``action``."""
    return Conflict(C.transition_not_allowed, "Summary application {application_id} is {state}; it cannot be {action}.",
                    path="application_id", value=application_id, application_id=application_id, state=status,
                    action=action)


def statistics_not_allowed() -> AppError:
    """Only enterprises filed with the zone may choose summary statistics."""
    return Conflict(C.statistics_not_allowed,
                    "Only enterprises filed with the zone may choose summary statistics (汇总统计).",
                    path="mode", value="statistics")


def bad_effective_date(value: Any) -> AppError:
    """A mode change takes effect on the first day of a month."""
    return AppError(C.bad_effective_date, "Invalid effective date", status=422,
                    detail="A summary mode takes effect on the first day of a month.",
                    errors=[FieldIssue(C.bad_effective_date, "effective_from",
                                       "A summary mode takes effect on the first day of a month.", value)])


def nothing_to_confirm(month: str) -> AppError:
    """Every line of the month is summarised already (or there is none)."""
    return Conflict(C.nothing_to_confirm, "No released retail-export line of {month} is waiting for a summary.",
                    path="month", value=month, month=month)


def concurrent_confirm() -> AppError:
    """Another confirmation of the same month won the race."""
    return Conflict(C.concurrent_confirm, "The summary of this month was confirmed at the same time; reload and retry.")


def enterprise_code_missing() -> AppError:
    """The enterprise has no customs code to put in the CEB701 message."""
    return Conflict(C.enterprise_code_missing, "The enterprise has no customs registration code to declare with.",
                    path="enterprise_id")


def entry_not_found(entry_id: Any) -> AppError:
    """No such register entry (or another enterprise's)."""
    return AppError(C.entry_not_found, "Not found", status=404,
                    detail="No register entry {entry_id} is visible to you.",
                    errors=[FieldIssue(C.entry_not_found, "original_entry_id",
                                       "No register entry {entry_id} is visible to you.", entry_id,
                                       {"entry_id": entry_id})], entry_id=entry_id)


def correction_reference_reused(reference: str) -> AppError:
    """The same correction reference with different content."""
    return Conflict(C.correction_reference_reused,
                    "The correction reference {reference} is already used for a different correction.",
                    path="reference", value=reference, reference=reference)


def bad_period(start: Any, end: Any) -> AppError:
    """``date_from`` after ``date_to``."""
    return AppError(C.bad_period, "Invalid period", status=422, detail="The start date is after the end date.",
                    errors=[FieldIssue(C.bad_period, "date_from", "The start date is after the end date.", str(start))])


def bad_year(year: Any) -> AppError:
    """A tax year outside the modelled period."""
    return AppError(C.bad_year, "Invalid year", status=422, detail="No deemed-profit rule is in force for {year}.",
                    errors=[FieldIssue(C.bad_year, "year", "No deemed-profit rule is in force for {year}.", year,
                                       {"year": year})], year=year)
