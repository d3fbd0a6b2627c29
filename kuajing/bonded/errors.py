"""Stable error codes of the bonded ledger (保税账册); never renamed (docs/bonded.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue


class BondedErrorCode(StrEnum):
    """Every error this domain answers, by stable code."""

    insufficient_stock = "bonded_insufficient_stock"  # 账册余量不足
    warehouse_unknown = "bonded_warehouse_unknown"
    warehouse_taken = "bonded_warehouse_taken"
    item_unknown = "bonded_item_unknown"
    item_mismatch = "bonded_item_mismatch"  # an entry names a record line with other master data
    reference_reused = "bonded_reference_reused"
    reservation_unknown = "bonded_reservation_unknown"
    transition_not_allowed = "bonded_transition_not_allowed"
    restore_exceeds_deducted = "bonded_restore_exceeds_deducted"
    quantity_invalid = "bonded_quantity_invalid"
    field_required = "bonded_field_required"
    field_invalid = "bonded_field_invalid"
    status_invalid = "bonded_status_invalid"
    entry_conflict = "bonded_entry_conflict"  # the same 核注清单 line again with other figures
    not_operator = "bonded_not_operator"
    upload_invalid = "bonded_upload_invalid"


C = BondedErrorCode


def issue(code: BondedErrorCode, path: str, message: str, value: Any = None, /, **params: Any) -> FieldIssue:
    """One field issue with a bonded error code."""
    return FieldIssue(str(code), path, message, value, params)


def insufficient_stock(item_no: str, requested: Any, available: Any) -> AppError:
    """Not enough available bonded stock for a reservation."""
    return Conflict(C.insufficient_stock, "Only {available} of item {item_no} are available, not {requested}.",
                    path="quantity", value=str(requested), item_no=item_no, available=str(available),
                    requested=str(requested))


def warehouse_unknown(code: str) -> AppError:
    """No account book with this code."""
    return AppError(C.warehouse_unknown, "Unknown bonded warehouse", status=404,
                    detail="There is no bonded account book {code}.",
                    errors=[issue(C.warehouse_unknown, "warehouse_code", "There is no bonded account book {code}.",
                                  code, code=code)], code=code)


def item_unknown(warehouse: str, item_no: str) -> AppError:
    """No record line with this item number in the book."""
    return AppError(C.item_unknown, "Unknown record line", status=404,
                    detail="Account book {warehouse} has no item {item_no}.",
                    errors=[issue(C.item_unknown, "item_no", "Account book {warehouse} has no item {item_no}.",
                                  item_no, warehouse=warehouse, item_no=item_no)], warehouse=warehouse, item_no=item_no)


def reference_reused(reference: str) -> AppError:
    """A reference already used for a different reservation."""
    return Conflict(C.reference_reused, "Reference {reference} is already used for a different bonded reservation.",
                    path="reference", value=reference, reference=reference)


def reservation_unknown(reference: str) -> AppError:
    """No reservation under ``reference``."""
    return AppError(C.reservation_unknown, "No bonded reservation", status=404,
                    detail="No bonded reservation has the reference {reference}.",
                    errors=[issue(C.reservation_unknown, "reference",
                                  "No bonded reservation has the reference {reference}.", reference,
                                  reference=reference)], reference=reference)


def transition_not_allowed(reference: str, status: str, action: str) -> AppError:
    """The reservation's state does not allow ``action``."""
    return Conflict(C.transition_not_allowed, "The bonded reservation {reference} is {state}; it cannot be {action}.",
                    path="reference", value=reference, reference=reference, state=status, action=action)


def restore_exceeds_deducted(reference: str, quantity: Any, left: Any) -> AppError:
    """A restore larger than what was deducted and not yet restored."""
    return Conflict(C.restore_exceeds_deducted,
                    "Only {left} of reservation {reference} can still be restored, not {quantity}.",
                    path="quantity", value=str(quantity), reference=reference, left=str(left), quantity=str(quantity))


def entry_conflict(document_no: str, line: Any) -> AppError:
    """The same 核注清单 line recorded again with different figures."""
    return Conflict(C.entry_conflict, "Line {line} of verification list {document_no} is already recorded with other figures.",
                    path="document_no", value=document_no, document_no=document_no, line=str(line))


def quantity_invalid(value: Any, path: str = "quantity") -> FieldIssue:
    """Not a positive quantity with at most four decimals."""
    return issue(C.quantity_invalid, path, "Give a positive quantity with at most four decimals.", value)


def not_operator() -> AppError:
    """The caller does not operate this warehouse."""
    return AppError(C.not_operator, "Forbidden", status=403,
                    detail="Only the warehouse operator of this account book may do this.")
