"""Stable error codes of risk prevention, credit grades and the data-export log (docs/risk.md)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue


class RiskErrorCode(StrEnum):
    """Every error of this domain, by stable code (never renamed)."""

    alert_not_found = "risk_alert_not_found"
    transition_not_allowed = "risk_alert_transition_not_allowed"  # e.g. investigate a closed alert
    note_required = "risk_alert_note_required"  # closing needs a note
    bad_outcome = "risk_alert_bad_outcome"
    blacklist_entry_not_found = "risk_blacklist_entry_not_found"
    blacklist_bad_subject = "risk_blacklist_bad_subject"  # neither an enterprise nor an ID number
    blacklist_duplicate = "risk_blacklist_duplicate"  # the subject is already blacklisted
    blacklist_already_removed = "risk_blacklist_already_removed"
    reason_required = "risk_reason_required"
    bad_period = "risk_bad_period"  # start after end
    enterprise_not_found = "risk_enterprise_not_found"
    transfer_bad_basis = "data_export_bad_basis"
    transfer_bad_category = "data_export_bad_category"
    transfer_no_individuals = "data_export_no_individuals"
    transfer_reference_reused = "data_export_reference_reused"  # same reference, different content
    transfer_bad_date = "data_export_bad_date"  # outside 2000–2100, or without a time zone
    thresholds_not_in_force = "data_export_thresholds_not_in_force"  # no CAC rule for that year


C = RiskErrorCode


def _invalid(code: str, path: str, message: str, value: Any = None, **params: Any) -> AppError:
    return AppError(code, "The request has invalid fields", status=422, detail=message,
                    errors=[FieldIssue(code, path, message, value, params)], **params)


def alert_not_found(alert_id: Any) -> AppError:
    """No such alert."""
    return AppError(C.alert_not_found, "Not found", status=404, detail="No risk alert {alert_id}.",
                    errors=[FieldIssue(C.alert_not_found, "alert_id", "No risk alert {alert_id}.", alert_id,
                                       {"alert_id": alert_id})], alert_id=alert_id)


def transition_not_allowed(alert_id: int, status: str, action: str) -> AppError:
    """The alert's status does not allow ``action``."""
    return Conflict(C.transition_not_allowed, "Risk alert {alert_id} is {state}; it cannot be moved by {action}.",
                    path="action", value=action, alert_id=alert_id, state=status, action=action)


def note_required() -> AppError:
    """Closing an alert needs a note."""
    return _invalid(C.note_required, "note", "Write a note saying why the alert is closed.")


def bad_outcome(value: Any) -> AppError:
    """The outcome is not confirmed or dismissed."""
    return _invalid(C.bad_outcome, "outcome", "The outcome is confirmed or dismissed.", value)


def blacklist_entry_not_found(entry_id: Any) -> AppError:
    """No such blacklist entry."""
    return AppError(C.blacklist_entry_not_found, "Not found", status=404, detail="No blacklist entry {entry_id}.",
                    errors=[FieldIssue(C.blacklist_entry_not_found, "entry_id", "No blacklist entry {entry_id}.",
                                       entry_id, {"entry_id": entry_id})], entry_id=entry_id)


def blacklist_bad_subject() -> AppError:
    """Give exactly one of an enterprise id and a buyer ID number."""
    return _invalid(C.blacklist_bad_subject, "enterprise_id",
                    "Name either an enterprise or a buyer ID number (exactly one).")


def blacklist_duplicate(entry_id: int, *, path: str = "enterprise_id", value: Any = None) -> AppError:
    """The subject is blacklisted already: ``path`` names the field that gave it (``enterprise_id`` or
    ``buyer_id_number``, whose value is masked when echoed)."""
    return Conflict(C.blacklist_duplicate, "The subject is already on the blacklist (entry {entry_id}).",
                    path=path, value=value, entry_id=entry_id)


def blacklist_already_removed(entry_id: int) -> AppError:
    """The entry was removed before."""
    return Conflict(C.blacklist_already_removed, "Blacklist entry {entry_id} has already been removed.",
                    path="entry_id", value=entry_id, entry_id=entry_id)


def reason_required(path: str = "reason") -> AppError:
    """A reason is needed."""
    return _invalid(C.reason_required, path, "Give a reason.")


def bad_period(start: Any, end: Any) -> AppError:
    """The start is after the end."""
    return _invalid(C.bad_period, "start", "The start date is after the end date.", str(start))


def enterprise_not_found(enterprise_id: Any) -> AppError:
    """No such enterprise."""
    return AppError(C.enterprise_not_found, "Not found", status=404, detail="No enterprise {enterprise_id}.",
                    errors=[FieldIssue(C.enterprise_not_found, "enterprise_id", "No enterprise {enterprise_id}.",
                                       enterprise_id, {"enterprise_id": enterprise_id})], enterprise_id=enterprise_id)


def transfer_bad_basis(value: Any) -> AppError:
    """Unknown legal basis."""
    return _invalid(C.transfer_bad_basis, "legal_basis", "Unknown legal basis {given}.", value, given=value)


def transfer_bad_category(value: Any, index: int) -> AppError:
    """Unknown data category."""
    return _invalid(C.transfer_bad_category, f"categories[{index}]", "Unknown data category {given}.", value,
                    given=value)


def transfer_bad_date(value: Any, first: date, last: date) -> AppError:
    """The transfer's time is outside ``first``–``last`` or has no time zone."""
    return _invalid(C.transfer_bad_date, "transferred_at",
                    "Give when the data left, with its time zone, between {first} and {last}.",
                    None if value is None else str(value), first=first.isoformat(), last=last.isoformat())


def transfer_no_individuals() -> AppError:
    """A transfer names at least one individual."""
    return _invalid(C.transfer_no_individuals, "individuals", "Name at least one individual (ID number or phone).")


def transfer_reference_reused(reference: str) -> AppError:
    """The reference was used for a different transfer."""
    return Conflict(C.transfer_reference_reused, "The reference {reference} is already used for another transfer.",
                    path="reference", value=reference, reference=reference)


def thresholds_not_in_force(year: int) -> AppError:
    """No CAC threshold rule covers the year."""
    return _invalid(C.thresholds_not_in_force, "year", "No data-export threshold rule is in force in {year}.", year,
                    year=year)
