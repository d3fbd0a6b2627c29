"""Import services (进口申报): intake, match, customs flow, delegations, receipts.

The single entry point of every channel is :func:`accept`; see docs/imports.md for the states and the
functions the returns/cancellation, Excel and drop-folder work should call.
"""

from kuajing.imports.service.delegations import grant as grant_delegation
from kuajing.imports.service.delegations import listing as list_delegations
from kuajing.imports.service.delegations import revoke as revoke_delegation
from kuajing.imports.service.flow import (
    Applied,
    PumpResult,
    apply_customs_message,
    declare,
    enqueue,
    expire_incomplete,
    pump,
    send_pending,
    try_match,
)
from kuajing.imports.service.intake import IntakeResult, RecordVerdict, accept
from kuajing.imports.service.match import Mismatch, match
from kuajing.imports.service.receipts import ReceiptPage, pull

__all__ = [
    "Applied", "IntakeResult", "Mismatch", "PumpResult", "ReceiptPage", "RecordVerdict", "accept",
    "apply_customs_message", "declare", "enqueue", "expire_incomplete", "grant_delegation", "list_delegations",
    "match", "pull", "pump", "revoke_delegation", "send_pending", "try_match",
]
