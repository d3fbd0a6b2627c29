"""Stable codes of the personal annual quota ledger (个人年度额度); official customs codes where they exist."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue, NotFound


class QuotaErrorCode(StrEnum):
    """Every reason and error of this domain, by stable code (never renamed; docs/quota.md)."""

    single_limit = "-621005"  # 超过单次交易限值 (official)
    annual_limit = "-621018"  # 超过个人年度交易限值 (official)
    reference_reused = "quota_reference_reused"  # the same reference with a different buyer, amount or year
    reservation_unknown = "quota_reservation_unknown"  # no reservation under this reference
    transition_not_allowed = "quota_transition_not_allowed"  # e.g. release after consume
    restore_exceeds_used = "quota_restore_exceeds_used"  # returns would give back more than was consumed
    amount_invalid = "quota_amount_invalid"  # not a positive amount to the fen
    id_number_invalid = "quota_id_number_invalid"  # not a resident ID card number shape
    name_required = "quota_name_required"
    lookup_rate_limited = "quota_lookup_rate_limited"  # too many lookups by this caller


C = QuotaErrorCode

#: reason code → English msgid of the rejection reason
REASONS: dict[QuotaErrorCode, str] = {
    C.single_limit: "Single-transaction limit exceeded",
    C.annual_limit: "Annual personal limit exceeded",
}


def reason_text(code: str | None) -> str | None:
    """The English msgid of a rejection reason (translate with gettext)."""
    return REASONS.get(QuotaErrorCode(code)) if code else None


def reference_reused(reference: str) -> AppError:
    """A reference already used for a different reservation."""
    return Conflict(C.reference_reused, "Reference {reference} is already used for a different quota reservation.",
                    path="reference", value=reference, reference=reference)


def reservation_unknown(reference: str) -> AppError:
    """No reservation under ``reference``."""
    return AppError(C.reservation_unknown, "No quota reservation", status=404,
                    detail="No quota reservation has the reference {reference}.",
                    errors=[FieldIssue(C.reservation_unknown, "reference", "No quota reservation has the reference {reference}.",
                                       reference, {"reference": reference})], reference=reference)


def transition_not_allowed(reference: str, status: str, action: str) -> AppError:
    """The reservation's state does not allow ``action``."""
    return Conflict(C.transition_not_allowed, "The quota reservation {reference} is {state}; it cannot be {action}.",
                    path="reference", value=reference, reference=reference, state=status, action=action)


def restore_exceeds_used(reference: str, amount: Any, left: Any) -> AppError:
    """A restore larger than what is left to restore."""
    return Conflict(C.restore_exceeds_used, "Only {left} of reservation {reference} can still be restored, not {amount}.",
                    path="amount", value=str(amount), reference=reference, left=str(left), amount=str(amount))


def amount_invalid(value: Any, path: str = "amount") -> FieldIssue:
    """Not a positive amount to the fen."""
    return FieldIssue(C.amount_invalid, path, "Give a positive amount in CNY with at most two decimals.", value)


def id_number_invalid(value: Any) -> FieldIssue:
    """Not a resident ID card number (kuajing.identity: GB 11643 shape, province, birth date, check character)."""
    from kuajing.identity import ID_NUMBER_MESSAGE

    return FieldIssue(C.id_number_invalid, "buyer_id_number", ID_NUMBER_MESSAGE, None)


def name_required() -> FieldIssue:
    """The buyer's name is missing."""
    return FieldIssue(C.name_required, "buyer_name", "Give the buyer's name as on the ID card.", None)


def lookup_rate_limited(limit: int, window_minutes: int) -> AppError:
    """Too many lookups by this caller."""
    return AppError(C.lookup_rate_limited, "Too many quota lookups", status=429,
                    detail="At most {limit} quota lookups per {minutes} minutes; try again later.",
                    headers={"Retry-After": str(window_minutes * 60)}, limit=limit, minutes=window_minutes)


def not_found() -> AppError:
    """Generic not-found for consistency with other domains."""
    return NotFound("quota reservation")
