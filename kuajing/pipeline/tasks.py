"""The pipeline's Celery tasks and their idempotent handlers (celery mode).

* ``send(outbox_ids)`` — send committed customs-outbox rows to customs. Each row in its own transaction,
  locked (``FOR UPDATE SKIP LOCKED``) and sent only while still ``pending``: a redelivered task finds it
  ``sent`` and does nothing. With the built-in sandbox (which lives in the same database) customs' receipt
  of the message and the row's ``sent`` mark commit together — exactly once; with a real transport it is at
  least once and customs deduplicates by message (as in the in-process pump).
* ``apply(groups)`` — apply messages from customs (receipts, e-tax bills), each group in order (one subject,
  e.g. one list), each message in one transaction with its :class:`~kuajing.pipeline.models.InboxMessage`
  row locked: a message already applied is only acknowledged again, never applied twice. The sandbox's
  acknowledgement commits in the same transaction.
* ``housekeeping()`` — drop folders, rematch, timeouts, overdue returns, export register and reminders
  (one worker at a time: a PostgreSQL advisory lock).
* ``match()`` — the three-document match of the parcels intake queued (setting ``match_in`` = "pipeline"):
  up to 1,000 queue rows taken with ``SKIP LOCKED`` and matched together in one transaction (a transient
  conflict puts them back for the next task).

The steps themselves are the domain's public entry points (``flow.apply_customs_message``, ``flow.rematch``,
``flow.expire_incomplete`` …); nothing here knows the business rules.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from sqlalchemy import func, select, text, update

from kuajing.db.base import utcnow

log = logging.getLogger("kuajing.pipeline")

HOUSEKEEPING_LOCK = 0x6B75616A_0002  # pg advisory lock keys (database-local)
LEADER_LOCK = 0x6B75616A_0001


class Runtime:
    """What the tasks of one worker process use: the database and the customs transport (built lazily)."""

    def __init__(self, settings, *, session_factory=None, transport=None):
        self.settings = settings
        if session_factory is not None:
            self.__dict__["session_factory"] = session_factory
        if transport is not None:
            self.__dict__["transport"] = transport

    @cached_property
    def session_factory(self):
        from kuajing.accounts.service import configure as configure_accounts
        from kuajing.certificates.service import configure as configure_signing
        from kuajing.db.base import import_all_models
        from kuajing.db.session import make_engine, make_sessionmaker
        from kuajing.db.types import Keyring, configure_keyring

        import_all_models()
        configure_keyring(Keyring.from_settings(self.settings))
        configure_signing(self.settings)
        configure_accounts(secret_key=self.settings.secret("secret_key"))
        return make_sessionmaker(make_engine(self.settings.effective_database_url,
                                             pool_size=self.settings.db_pool_size), settings=self.settings)

    @cached_property
    def transport(self):
        from kuajing.customs.service import transport_for

        # the sandbox answers many records per message; the dispatcher keeps each record's answers in order
        # (it groups messages by every subject they name)
        return transport_for(self.settings, session_factory=self.session_factory)

    @property
    def postgres(self) -> bool:
        """Whether the database is PostgreSQL (row locks, advisory locks)."""
        return self.session_factory.kw["bind"].dialect.name == "postgresql"

    @property
    def sandbox(self):
        """The sandbox transport when it is the one configured (it shares our transactions), else None."""
        from kuajing.customs.service import SandboxCustoms

        return self.transport if isinstance(self.transport, SandboxCustoms) else None

    @property
    def source(self) -> str:
        """The name the inbox records customs messages under."""
        return self.settings.customs_transport

    def tick_options(self) -> dict:
        from kuajing.pipeline.jobs import tick_options

        return tick_options(self.settings)


# --- send ---------------------------------------------------------------------------------------------


@dataclass
class SendResult:
    """What one send task did."""

    sent: int = 0
    skipped: int = 0  # already sent, or being sent by another worker
    failed: int = 0


def send_rows(*, runtime: Runtime, outbox_ids: list[int]) -> SendResult:
    """Send the given outbox rows that are still pending (idempotent; see the module docstring).

    The rows are locked together (``FOR UPDATE SKIP LOCKED``: rows another worker holds are skipped, it
    sends them), cut into messages of up to 100 records of one type and sender exactly as the in-process
    pump does (:func:`kuajing.imports.service.flow._batches`), and each message is sent and its rows marked
    ``sent`` in one transaction. A message customs refuses falls back to its rows one at a time, so one bad
    row never holds the others back."""
    from kuajing.imports.service.flow import MAX_RECORDS_PER_MESSAGE, _batches

    result = SendResult()
    with runtime.session_factory() as session:
        rows = _pending_rows(session, runtime, outbox_ids)
        batches = [[row.id for row in batch] for batch in _batches(rows, MAX_RECORDS_PER_MESSAGE)]
        session.rollback()  # the locks are taken again, per message, by _send_message
    result.skipped += len(outbox_ids) - len(rows)
    for batch in batches:
        _send_message(runtime, batch, result)
    return result


def _pending_rows(session, runtime: Runtime, ids: list[int]) -> list:
    """The outbox rows among ``ids`` still pending, in id order (locked, skipping rows another worker holds)."""
    from kuajing.imports.models import OutboxMessage

    q = (select(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
         .order_by(OutboxMessage.id))
    if runtime.postgres:
        q = q.with_for_update(skip_locked=True)
    return list(session.scalars(q))


def _send_message(runtime: Runtime, ids: list[int], result: SendResult) -> None:
    """Send the pending rows among ``ids`` as one message, in one transaction; one by one if it fails."""
    from kuajing.customs.service.sandbox import receive
    from kuajing.imports.models import OutboxMessage
    from kuajing.imports.service.flow import MAX_ATTEMPTS, _merged

    sandbox = runtime.sandbox
    with runtime.session_factory() as session:
        rows = _pending_rows(session, runtime, ids)
        result.skipped += len(ids) - len(rows)
        if not rows:
            return
        try:
            data, message_type = _merged(rows), rows[0].message_type
            if sandbox is not None:  # customs' receipt of the message commits with the rows' "sent" mark
                receive(session=session, message=data, message_type=message_type, now=sandbox.clock(),
                        config=sandbox.config)
            else:
                runtime.transport.send(message=data, message_type=message_type)
            at = utcnow()
            for row in rows:
                row.status, row.sent_at, row.attempts = "sent", at, row.attempts + 1
            session.commit()
            result.sent += len(rows)
            return
        except Exception as exc:  # transport down / message refused
            session.rollback()
            if len(rows) > 1:  # find the row at fault: each one on its own
                log.info("outbox message of %d rows not sent (%s): one row at a time", len(rows), exc)
                for row_id in [r.id for r in rows]:
                    _send_message(runtime, [row_id], result)
                return
            log.warning("outbox %s not sent: %s", ids[0], exc)
            row = session.get(OutboxMessage, rows[0].id, with_for_update=runtime.postgres)
            if row is not None and row.status == "pending":
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
            session.commit()
            result.failed += 1


# --- apply --------------------------------------------------------------------------------------------


def encode(data: bytes) -> str:
    """Bytes for a JSON task argument."""
    return base64.b64encode(bytes(data)).decode("ascii")


@dataclass
class ApplyResult:
    """What one apply task did."""

    applied: int = 0
    duplicates: int = 0  # already applied: acknowledged only
    failed: int = 0
    held: int = 0  # behind a failed message of the same subject: left for the next dispatch


def apply_groups(*, runtime: Runtime, groups: list[list[list[str]]]) -> ApplyResult:
    """Apply each group's ``[message_id, subject, base64 data]`` items in order; a failure stops its group.

    The whole task is one transaction: the inbox rows of every message locked in one statement (in
    message-id order, so two tasks never deadlock on them), each message applied inside its own SAVEPOINT
    (a message that fails leaves nothing behind, is recorded as failed, and holds back the rest of its
    group), the audit events of the task written together, the sandbox's acknowledgements in one UPDATE.
    If that transaction cannot commit, each message is applied again in a transaction of its own
    (:func:`apply_one`) — the inbox row makes that exactly once either way."""
    items = [(mid, subject, data) for group in groups for mid, subject, data in group]
    if len(items) <= 1:
        return _apply_groups_one_by_one(runtime, groups)
    try:
        result, failures = _apply_groups_together(runtime, groups)
    except Exception as exc:  # the batch's commit failed: nothing of it is kept
        if not _retryable(exc):
            log.info("apply task of %d messages not committed (%s): one transaction each", len(items), exc)
        return _apply_groups_one_by_one(runtime, groups)
    for message_id, subject, reason in failures:
        log.warning("customs message %s not applied: %s", message_id, reason)
        _record_failure(runtime, message_id, subject, reason)
    return result


def _retryable(exc: BaseException) -> bool:
    from kuajing.db.session import is_retryable

    return is_retryable(exc)


def _apply_groups_one_by_one(runtime: Runtime, groups: list[list[list[str]]]) -> ApplyResult:
    result = ApplyResult()
    for group in groups:
        for i, (message_id, subject, data) in enumerate(group):
            outcome = apply_one(runtime=runtime, message_id=message_id, subject=subject,
                                data=base64.b64decode(data))
            if outcome == "failed":
                result.failed += 1
                result.held += len(group) - i - 1
                break
            if outcome == "applied":
                result.applied += 1
            else:
                result.duplicates += 1
    return result


def _apply_groups_together(runtime: Runtime, groups: list[list[list[str]]]):
    from kuajing.audit import service as audit
    from kuajing.customs.models import SandboxReceipt
    from kuajing.imports.service.flow import apply_customs_message
    from kuajing.pipeline.models import InboxMessage

    result = ApplyResult()
    failures: list[tuple[str, str, str]] = []
    applied: list[str] = []
    duplicates: list[str] = []
    sandbox = runtime.sandbox
    with runtime.session_factory() as session:
        with audit.deferred(session):
            ids = sorted({mid for group in groups for mid, _s, _d in group})
            q = (select(InboxMessage).where(InboxMessage.source == runtime.source, InboxMessage.message_id.in_(ids))
                 .order_by(InboxMessage.message_id))
            rows = {row.message_id: row for row in session.scalars(q.with_for_update() if runtime.postgres else q)}
            for group in groups:
                for i, (message_id, subject, data) in enumerate(group):
                    row = rows.get(message_id)
                    if row is None:  # dispatched by an older dispatcher run whose row did not commit
                        row = rows[message_id] = InboxMessage(source=runtime.source, message_id=message_id,
                                                              subject=subject[:200])
                        session.add(row)
                    if row.applied_at is not None:
                        duplicates.append(message_id)
                        continue
                    try:
                        with session.begin_nested():
                            apply_customs_message(session=session, data=base64.b64decode(data))
                            row.applied_at = utcnow()
                    except Exception as exc:  # this message only: its savepoint is rolled back
                        failures.append((message_id, subject, f"{type(exc).__name__}: {exc}"))
                        result.held += len(group) - i - 1
                        break
                    applied.append(message_id)
            if sandbox is not None and applied:  # the sandbox's acknowledgements commit with the applications
                session.execute(update(SandboxReceipt).where(SandboxReceipt.id.in_([int(m) for m in applied]))
                                .values(delivered_at=sandbox.clock()))
        session.commit()
    result.applied, result.duplicates, result.failed = len(applied), len(duplicates), len(failures)
    for message_id in duplicates + (applied if sandbox is None else []):  # as apply_one acknowledges
        _ack(runtime, message_id)
    return result, failures


def apply_one(*, runtime: Runtime, message_id: str, subject: str, data: bytes) -> str:
    """Apply one customs message exactly once: ``applied``, ``duplicate`` or ``failed``."""
    from kuajing.customs.models import SandboxReceipt
    from kuajing.imports.service.flow import apply_customs_message
    from kuajing.pipeline.models import InboxMessage

    sandbox = runtime.sandbox
    with runtime.session_factory() as session:
        try:
            q = select(InboxMessage).where(InboxMessage.source == runtime.source,
                                           InboxMessage.message_id == message_id)
            row = session.scalars(q.with_for_update() if runtime.postgres else q).first()
            if row is None:  # dispatched by an older dispatcher run whose row did not commit: record it now
                row = InboxMessage(source=runtime.source, message_id=message_id, subject=subject[:200])
                session.add(row)
                session.flush()
            if row.applied_at is not None:
                session.rollback()
                _ack(runtime, message_id)
                return "duplicate"
            apply_customs_message(session=session, data=data)
            row.applied_at = utcnow()
            if sandbox is not None:  # the sandbox's acknowledgement commits with the application
                session.execute(update(SandboxReceipt).where(SandboxReceipt.id == int(message_id))
                                .values(delivered_at=sandbox.clock()))
            session.commit()
        except Exception as exc:
            session.rollback()
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("customs message %s not applied: %s", message_id, reason)
            _record_failure(runtime, message_id, subject, reason)
            return "failed"
    if sandbox is None:
        _ack(runtime, message_id)
    return "applied"


def _ack(runtime: Runtime, message_id: str) -> None:
    try:
        runtime.transport.ack(message_id=message_id)
    except Exception as exc:  # the next poll finds it applied and acknowledges it again
        log.warning("customs message %s not acknowledged: %s", message_id, exc)


RETRY_FAILED_AFTER_SECONDS = 2.0  # a message whose application failed (deadlock, outage …) is dispatched again


def _record_failure(runtime: Runtime, message_id: str, subject: str, reason: str) -> None:
    from kuajing.pipeline.models import InboxMessage

    with runtime.session_factory() as session:
        row = session.scalars(select(InboxMessage).where(InboxMessage.source == runtime.source,
                                                         InboxMessage.message_id == message_id)).first()
        if row is not None:
            row.failures += 1
            # due again for the dispatcher in a few seconds rather than after redispatch_after_seconds
            row.dispatched_at = utcnow() - timedelta(
                seconds=max(0.0, runtime.settings.redispatch_after_seconds - RETRY_FAILED_AFTER_SECONDS))
            session.commit()
    try:
        runtime.transport.reject(message_id=message_id, reason=reason)
    except Exception as exc:
        log.warning("customs message %s not rejected: %s", message_id, exc)


# --- housekeeping -------------------------------------------------------------------------------------


def run_housekeeping(*, runtime: Runtime):
    """The periodic steps, by one worker at a time (PostgreSQL advisory lock); None when another runs them."""
    from kuajing.pipeline.service import housekeeping

    settings = runtime.settings
    engine = runtime.session_factory.kw["bind"]
    with engine.connect() as conn:
        if runtime.postgres and not conn.scalar(select(func.pg_try_advisory_lock(HOUSEKEEPING_LOCK))):
            return None
        try:
            return housekeeping(session_factory=runtime.session_factory,
                                match_timeout=timedelta(hours=settings.match_timeout_hours), **runtime.tick_options())
        finally:
            if runtime.postgres:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": HOUSEKEEPING_LOCK})
                conn.commit()


# --- match ---------------------------------------------------------------------------------------------


def run_match(*, runtime: Runtime) -> tuple[int, int]:
    """The queued three-document matches (match_in = "pipeline"): (queue rows taken, lists settled)."""
    from kuajing.db.session import transaction
    from kuajing.imports.service.flow import match_queued

    with transaction(runtime.session_factory) as session:
        return match_queued(session=session)


# --- registration -------------------------------------------------------------------------------------


def register(app, runtime: Runtime) -> None:
    """Register the pipeline tasks on the Celery ``app`` (handlers bound to ``runtime``)."""
    from kuajing.pipeline import metrics
    from kuajing.pipeline.celery_app import APPLY, HOUSEKEEPING, MATCH, SEND

    @app.task(name=SEND, acks_late=True, ignore_result=True)
    def send(outbox_ids: list[int]) -> dict:
        start = time.perf_counter()
        done = send_rows(runtime=runtime, outbox_ids=outbox_ids)
        metrics.observe_stage("send", time.perf_counter() - start)
        metrics.count_task("send", "sent", done.sent)
        metrics.count_task("send", "skipped", done.skipped)
        metrics.count_task("send", "failed", done.failed)
        return done.__dict__

    @app.task(name=APPLY, acks_late=True, ignore_result=True)
    def apply(groups: list) -> dict:
        start = time.perf_counter()
        done = apply_groups(runtime=runtime, groups=groups)
        metrics.observe_stage("apply", time.perf_counter() - start)
        metrics.count_task("apply", "applied", done.applied)
        metrics.count_task("apply", "duplicate", done.duplicates)
        metrics.count_task("apply", "failed", done.failed)
        return done.__dict__

    @app.task(name=MATCH, acks_late=True, ignore_result=True)
    def match() -> dict:
        start = time.perf_counter()
        taken, settled = run_match(runtime=runtime)
        metrics.observe_stage("match", time.perf_counter() - start)
        metrics.count_task("match", "settled", settled)
        return {"taken": taken, "settled": settled}

    @app.task(name=HOUSEKEEPING, acks_late=True, ignore_result=True)
    def housekeeping() -> dict | None:
        start = time.perf_counter()
        done = run_housekeeping(runtime=runtime)
        metrics.observe_stage("housekeeping", time.perf_counter() - start)
        metrics.count_task("housekeeping", "ran" if done is not None else "skipped")
        return None if done is None else done.__dict__
