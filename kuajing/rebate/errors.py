"""Stable error codes of export tax rebate support (docs/rebate.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue, validation_error


class RebateErrorCode(StrEnum):
    """Every error of this domain, by stable code (never renamed)."""

    claim_not_found = "rebate_claim_not_found"
    no_class = "rebate_no_class"  # no class in force on the acceptance date
    duplicate_claim = "rebate_duplicate_claim"
    class_date_taken = "rebate_class_date_taken"  # a class already starts on that day
    pre_refund_not_in_force = "rebate_pre_refund_not_in_force"  # HWC-YT before 2025-01-27
    booking_note_unknown = "rebate_booking_note_unknown"  # not a 9810 booking note of the enterprise
    not_departed = "rebate_not_departed"  # HWC-YT needs the departure of the goods
    not_pre_refund = "rebate_not_pre_refund"  # sales only reconcile against an HWC-YT claim
    already_decided = "rebate_already_decided"
    bad_decision_date = "rebate_bad_decision_date"
    bad_decision = "rebate_bad_decision"  # a decision is refunded or rejected


C = RebateErrorCode


def claim_not_found(value: Any) -> AppError:
    """No such claim (or another enterprise's)."""
    return AppError(C.claim_not_found, "Not found", status=404, detail="No rebate claim {value} is visible to you.",
                    errors=[FieldIssue(C.claim_not_found, "claim_id", "No rebate claim {value} is visible to you.",
                                       value, {"value": value})], value=value)


def no_class(on: Any) -> AppError:
    """No rebate class recorded for the enterprise on that day."""
    return validation_error([FieldIssue(C.no_class, "accepted_on", "No rebate class of the enterprise is in force "
                                                                   "on {on}; record the class first.", str(on),
                                        {"on": str(on)})])


def duplicate_claim(claim_no: str) -> AppError:
    """The claim number is recorded already."""
    return Conflict(C.duplicate_claim, "Rebate claim {claim_no} is recorded already.", path="claim_no",
                    value=claim_no, claim_no=claim_no)


def class_date_taken(on: Any) -> AppError:
    """A class already takes effect that day."""
    return Conflict(C.class_date_taken, "A class already takes effect on {on}.", path="valid_from", value=str(on),
                    on=str(on))


def pre_refund_not_in_force(on: Any) -> AppError:
    """HWC-YT pre-refunds exist from 2025-01-27 (SAT 2025 No.3)."""
    return validation_error([FieldIssue(C.pre_refund_not_in_force, "business_type",
                                        "The overseas-warehouse pre-refund is not in force on {on}.", str(on),
                                        {"on": str(on)})])


def booking_note_unknown(value: Any) -> AppError:
    """Not a booking note with a 9810 list of the enterprise."""
    return validation_error([FieldIssue(C.booking_note_unknown, "booking_note",
                                        "No booking note {value} with a 9810 list of yours.", value, {"value": value})])


def not_departed(value: Any) -> AppError:
    """The goods of the booking note have not left China yet."""
    return validation_error([FieldIssue(C.not_departed, "booking_note",
                                        "The goods of booking note {value} have not departed yet.", value,
                                        {"value": value})])



def departed_after_acceptance(value: Any, departed_on, accepted_on) -> AppError:
    """A pre-refund on departure (离境即退税) is claimed once the goods have left: not before their departure day."""
    return validation_error([FieldIssue(C.not_departed, "accepted_on",
                                        "The goods of booking note {value} left China on {departed}, after the "
                                        "acceptance date {accepted}.", accepted_on.isoformat(),
                                        {"value": value, "departed": departed_on.isoformat(),
                                         "accepted": accepted_on.isoformat()})])

def not_pre_refund(claim_id: int) -> AppError:
    """Sales reconcile only against a pre-refund claim."""
    return Conflict(C.not_pre_refund, "Claim {claim_id} is not an overseas-warehouse pre-refund.", path="claim_id",
                    value=claim_id, claim_id=claim_id)


def already_decided(claim_id: int) -> AppError:
    """The claim is decided already."""
    return Conflict(C.already_decided, "Claim {claim_id} is decided already.", path="claim_id", value=claim_id,
                    claim_id=claim_id)


def bad_decision_date() -> AppError:
    """Decided before accepted."""
    return validation_error([FieldIssue(C.bad_decision_date, "decided_on",
                                        "The decision date is before the acceptance date.")])
