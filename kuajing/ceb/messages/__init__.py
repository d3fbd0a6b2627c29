"""Every CEB message definition, by type (``MESSAGES["CEB311"]``) and by root element name."""

from __future__ import annotations

from kuajing.ceb.messages.export import EXPORT_DECLARATIONS
from kuajing.ceb.messages.import_ import IMPORT_DECLARATIONS
from kuajing.ceb.messages.receipts import EXPORT_RECEIPTS, IMPORT_RECEIPTS
from kuajing.ceb.spec import MessageSpec

MESSAGES: dict[str, MessageSpec] = {
    m.type: m for m in (*IMPORT_DECLARATIONS, *IMPORT_RECEIPTS, *EXPORT_DECLARATIONS, *EXPORT_RECEIPTS)
}
BY_ROOT: dict[str, MessageSpec] = {m.root: m for m in MESSAGES.values()}

#: Declaration type -> the receipt type customs answers it with (CEB311 -> CEB312 …).
RECEIPT_OF: dict[str, str] = {m.type: m.receipt_type for m in MESSAGES.values() if m.receipt_type}


def spec_of(message_type: str) -> MessageSpec:
    """The definition of ``message_type`` (``"CEB311"`` or ``"CEB311Message"``)."""
    key = message_type.removesuffix("Message")
    try:
        return MESSAGES[key]
    except KeyError:
        raise KeyError(f"unknown CEB message type {message_type!r}") from None


__all__ = ["MESSAGES", "BY_ROOT", "RECEIPT_OF", "spec_of"]
