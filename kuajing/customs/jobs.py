"""Background work of the customs exchange: collect what customs sent and hand it to the platform."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from kuajing.audit import service as audit
from kuajing.customs.service.ports import CustomsTransport

log = logging.getLogger(__name__)

#: ``apply(session, data)``: applies one message from customs in the given session (never commits).
Apply = Callable[[Session, bytes], object]
#: ``apply_batch(session, [data, …])``: applies several messages, in order, in the given session (never commits).
ApplyBatch = Callable[[Session, list[bytes]], object]


@dataclass
class ExchangeResult:
    """What one exchange run did."""

    applied: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (transport message id, reason)


#: Bytes of customs messages applied in one transaction at most (besides ``batch`` messages): since customs
#: answers a whole message per step (up to 100 records each), 100 messages may carry 10,000 records; about
#: 2 MB is some 2,000–3,000 receipt records, which keeps a batch's transaction and its row locks short.
BATCH_BYTES = 2_000_000


def _chunks(polled: list[bytes], batch: int, max_bytes: int) -> list[list[bytes]]:
    """``polled`` cut in order into chunks of at most ``batch`` messages and ``max_bytes`` bytes (at least one
    message each)."""
    chunks: list[list[bytes]] = []
    size = 0
    for data in polled:
        if not chunks or len(chunks[-1]) >= batch or size + len(data) > max_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append(data)
        size += len(data)
    return chunks


def exchange(*, session_factory: sessionmaker[Session], transport: CustomsTransport, apply: Apply,
             limit: int = 500, batch: int = 100, apply_batch: ApplyBatch | None = None,
             batch_bytes: int = BATCH_BYTES) -> ExchangeResult:
    """Poll ``transport`` and apply each message; ack on commit, reject on error.

    Messages are applied ``batch`` at a time (``batch_bytes`` at most) in one transaction, each inside its
    own SAVEPOINT: a message that fails leaves nothing behind and is rejected (with its reason) once the others are committed; a
    transient conflict (deadlock, serialisation) keeps the message unacknowledged for the next poll. If
    the batch's commit itself fails, its messages are applied again one transaction each (``batch=1`` is
    the old one-message-per-transaction behaviour). ``apply_batch(session, [data, …])``, when given, first
    tries the whole chunk at once (set-based lookups); if it raises, the chunk is applied message by
    message in the same transaction instead.
    """
    result = ExchangeResult()
    polled = list(transport.poll(limit=limit))
    for chunk in _chunks(polled, max(1, batch), batch_bytes):
        if len(chunk) == 1 or not _apply_batch(session_factory, transport, apply, chunk, result, apply_batch):
            for data in chunk:
                _apply_one(session_factory, transport, apply, data, result)
    return result


def _message_id(data: bytes) -> str | None:
    return getattr(data, "message_id", None)


def _failed(transport: CustomsTransport, result: ExchangeResult, message_id, exc: BaseException) -> None:
    reason = f"{type(exc).__name__}: {exc}"
    log.warning("customs message %s not applied: %s", message_id, reason)
    result.failed += 1
    result.errors.append((str(message_id), reason))
    if message_id is not None:
        transport.reject(message_id=message_id, reason=reason)


def _ack_all(transport: CustomsTransport, ids: list[str]) -> None:
    if not ids:
        return
    many = getattr(transport, "ack_many", None)
    if many is not None:
        many(message_ids=ids)
        return
    for message_id in ids:
        transport.ack(message_id=message_id)


def _apply_batch(session_factory: sessionmaker[Session], transport: CustomsTransport, apply: Apply,
                 chunk: list[bytes], result: ExchangeResult, apply_batch: ApplyBatch | None = None) -> bool:
    """Apply ``chunk`` in one transaction (a savepoint per message); False when the commit failed (nothing
    of the chunk is kept then, and the caller applies it message by message)."""
    from kuajing.db.session import is_retryable

    applied: list[bytes] = []
    failed: list[tuple[bytes, BaseException]] = []
    session = session_factory()
    try:
        with audit.deferred(session):  # the batch's audit events are written together, before the commit
            together = False
            if apply_batch is not None:
                try:
                    with session.begin_nested():
                        apply_batch(session, [bytes(d) for d in chunk])
                    together = True
                except Exception as exc:  # rolled back: fall back to one savepoint per message
                    log.info("customs batch of %d applied message by message (%s)", len(chunk), exc)
            for data in ([] if together else chunk):
                try:
                    with session.begin_nested():
                        apply(session, bytes(data))
                except Exception as exc:  # the savepoint is rolled back: nothing of this message is kept
                    if is_retryable(exc):
                        continue  # a concurrent writer: left unacknowledged, polled again
                    failed.append((data, exc))
                    continue
                applied.append(data)
            if together:
                applied = list(chunk)
        session.commit()
    except Exception as exc:
        session.rollback()
        log.info("customs batch of %d not committed (%s); applying one by one", len(chunk), exc)
        return False
    finally:
        session.close()
    result.applied += len(applied)
    _ack_all(transport, [m for m in (_message_id(d) for d in applied) if m is not None])
    for data, exc in failed:
        _failed(transport, result, _message_id(data), exc)
    return True


def _apply_one(session_factory: sessionmaker[Session], transport: CustomsTransport, apply: Apply, data: bytes,
               result: ExchangeResult) -> None:
    message_id = _message_id(data)
    session = session_factory()
    try:
        apply(session, bytes(data))
        session.commit()
    except Exception as exc:  # any failure keeps the message and is recorded
        session.rollback()
        _failed(transport, result, message_id, exc)
        return
    finally:
        session.close()
    result.applied += 1
    if message_id is not None:
        transport.ack(message_id=message_id)
