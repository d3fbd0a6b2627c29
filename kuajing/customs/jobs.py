"""Background work of the customs exchange: collect what customs sent and hand it to the platform."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from kuajing.customs.service.ports import CustomsTransport

log = logging.getLogger(__name__)

#: ``apply(session, data)``: applies one message from customs in the given session (never commits).
Apply = Callable[[Session, bytes], object]


@dataclass
class ExchangeResult:
    """What one exchange run did."""

    applied: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (transport message id, reason)


def exchange(*, session_factory: sessionmaker[Session], transport: CustomsTransport, apply: Apply,
             limit: int = 500) -> ExchangeResult:
    """Poll ``transport`` and apply each message in its own transaction; ack on commit, reject on error."""
    result = ExchangeResult()
    for data in transport.poll(limit=limit):
        message_id = getattr(data, "message_id", None)
        session = session_factory()
        try:
            apply(session, bytes(data))
            session.commit()
        except Exception as exc:  # any failure keeps the message and is recorded
            session.rollback()
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("customs message %s not applied: %s", message_id, reason)
            result.failed += 1
            result.errors.append((str(message_id), reason))
            if message_id is not None:
                transport.reject(message_id=message_id, reason=reason)
            continue
        finally:
            session.close()
        result.applied += 1
        if message_id is not None:
            transport.ack(message_id=message_id)
    return result
