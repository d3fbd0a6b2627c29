"""The customs port (海关通道端口): how the platform sends declarations to customs and collects its answers."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class InboundMessage(bytes):
    """A message from customs as polled (bytes), carrying the transport's id to acknowledge it by."""

    message_id: str

    def __new__(cls, data: bytes, *, message_id: str) -> InboundMessage:
        obj = super().__new__(cls, data)
        obj.message_id = message_id
        return obj


@runtime_checkable
class CustomsTransport(Protocol):
    """The port every customs adapter implements (sandbox, DxpMsg files …).

    Delivery is at least once: ``poll`` hands out messages that are not yet acknowledged (each an
    :class:`InboundMessage`, i.e. ``bytes`` with a ``message_id``); the consumer calls ``ack`` after it
    applied one in a committed transaction, or ``reject`` with the reason when applying failed (the
    transport keeps the message: queued for a retry, or in its error folder). :func:`kuajing.customs.jobs.exchange`
    does exactly this, so the rest of the platform needs only ``send`` and that job.
    """

    def send(self, *, message: bytes, message_type: str) -> str:
        """Send one built CEB message (possibly signed; e.g. message_type "CEB621"); returns the transport message id."""
        ...

    def poll(self, *, limit: int = 500) -> list[bytes]:
        """Up to ``limit`` unacknowledged messages from customs (receipts, CEB816, CEB818, CEB900), oldest first."""
        ...

    def ack(self, *, message_id: str) -> None:
        """The message was applied: never hand it out again."""
        ...

    def reject(self, *, message_id: str, reason: str) -> None:
        """Applying the message failed with ``reason``: keep it (retry or error folder) and record why."""
        ...
