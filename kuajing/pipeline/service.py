"""One pipeline tick: drop folders, the customs outbox and inbox, timeouts, overdue returns, export register and
reminders, risk rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from kuajing.db.base import utcnow
from kuajing.db.session import transaction
from kuajing.errors import AppError

log = logging.getLogger("kuajing.pipeline")


@dataclass
class TickResult:
    """What one tick did."""

    sent: int = 0
    send_failed: int = 0
    applied: int = 0
    apply_failed: int = 0
    timed_out: int = 0
    rematched: int = 0  # declaration lists settled by the match of the tick (queued parcels and the sweep)
    match_queued: int = 0  # parcels taken from the match queue (setting match_in = "pipeline")
    overdue_flagged: int = 0
    export_lists_registered: int = 0
    summary_reminders: int = 0
    folder_files: int = 0
    risk_checked: int = 0  # declaration lists the risk rules ran on (kuajing.risk)
    stats_folded: int = 0

    @property
    def busy(self) -> bool:
        """Whether the tick moved anything (the loop then runs again at once)."""
        return bool(self.sent or self.applied or self.timed_out or self.folder_files or self.rematched
                    or self.match_queued)


#: the steps of a tick, in their order (``kuajing pump --steps`` runs a subset)
STEPS = ("dropfolders", "match", "send", "exchange", "housekeeping")


def tick(*, session_factory: sessionmaker[Session], transport, match_timeout: timedelta,
         now: datetime | None = None, tz: ZoneInfo = ZoneInfo("Asia/Shanghai"),
         dropfolder_root: Path | None = None, dropfolder_dirs: dict | None = None,
         sender_id: str | None = None, steps: frozenset[str] | None = None) -> TickResult:
    """Send pending declarations, apply what customs answered, time out incomplete document sets, flag
    overdue returns, register released export lines and raise summary reminders, and (when a drop-folder
    root is given) answer the enterprises' drop folders. (The in-process mode; the celery mode runs the
    same steps as tasks: :mod:`kuajing.pipeline.tasks`.)

    ``steps`` (a subset of :data:`STEPS`, default all) lets two processes share the pipeline of one machine,
    e.g. ``match, send`` in one and ``exchange, housekeeping`` in the other: the match and the send take
    their rows with SKIP LOCKED; the exchange with customs and the drop folders must each have one runner."""
    from kuajing.imports.service.flow import pump

    steps = frozenset(STEPS) if steps is None else steps
    unknown = steps - set(STEPS)
    if unknown:
        raise ValueError(f"unknown pipeline steps: {', '.join(sorted(unknown))}")
    now = now or utcnow()
    result = TickResult()
    if "dropfolders" in steps:
        _dropfolders(result, session_factory=session_factory, dropfolder_root=dropfolder_root,
                     dropfolder_dirs=dropfolder_dirs, sender_id=sender_id)
    if "match" in steps:
        _rematch(result, session_factory=session_factory, now=now)
    if "send" in steps or "exchange" in steps:
        pumped = pump(session_factory=session_factory, transport=transport, send="send" in steps,
                      exchange="exchange" in steps)
        result.sent, result.send_failed = pumped.sent, pumped.failed
        result.applied, result.apply_failed = pumped.applied, pumped.apply_failed
    if "housekeeping" in steps:
        _timeouts_and_reports(result, session_factory=session_factory, match_timeout=match_timeout, now=now, tz=tz)
    return result


def housekeeping(*, session_factory: sessionmaker[Session], match_timeout: timedelta, now: datetime | None = None,
                 tz: ZoneInfo = ZoneInfo("Asia/Shanghai"), dropfolder_root: Path | None = None,
                 dropfolder_dirs: dict | None = None, sender_id: str | None = None) -> TickResult:
    """The tick without the customs exchange (drop folders, rematch, timeouts, overdue returns, export
    register and reminders): the celery mode's periodic task, the exchange being tasks of its own."""
    now = now or utcnow()
    result = TickResult()
    _dropfolders(result, session_factory=session_factory, dropfolder_root=dropfolder_root,
                 dropfolder_dirs=dropfolder_dirs, sender_id=sender_id)
    _rematch(result, session_factory=session_factory, now=now)
    _timeouts_and_reports(result, session_factory=session_factory, match_timeout=match_timeout, now=now, tz=tz)
    return result


def _dropfolders(result: TickResult, *, session_factory, dropfolder_root, dropfolder_dirs, sender_id) -> None:
    if dropfolder_root is None:
        return
    from kuajing.imports.service.dropfolder import scan_dropfolder

    kwargs = {"sender_id": sender_id} if sender_id else {}
    done = scan_dropfolder(session_factory=session_factory, root=dropfolder_root, mapping=dropfolder_dirs, **kwargs)
    result.folder_files = done.processed + done.errors


def _rematch(result: TickResult, *, session_factory, now: datetime) -> None:
    from kuajing.imports.service.flow import match_queued, rematch

    with transaction(session_factory) as session:  # the parcels intake queued (match_in = "pipeline")
        result.match_queued, settled = match_queued(session=session, now=now)
    with transaction(session_factory) as session:  # the sweep: complete sets no match has seen
        result.rematched = settled + rematch(session=session, now=now)


def _timeouts_and_reports(result: TickResult, *, session_factory, match_timeout: timedelta, now: datetime,
                          tz: ZoneInfo) -> None:
    from kuajing.export_summary.jobs import daily
    from kuajing.imports.service.flow import expire_incomplete
    from kuajing.imports.service.returns import flag_overdue

    with transaction(session_factory) as session:
        result.timed_out = expire_incomplete(session=session, older_than=match_timeout, now=now)
        result.overdue_flagged = flag_overdue(session=session, today=now.astimezone(tz).date())
    try:
        done = daily(session_factory=session_factory, today=now.astimezone(tz).date())  # idempotent, cheap when idle
    except AppError as exc:  # e.g. no holiday calendar for this year yet: the rest of the pipeline goes on
        log.warning("export summary job skipped: %s", exc)
    else:
        result.export_lists_registered, result.summary_reminders = done.lists_registered, done.reminders
    from kuajing.risk.jobs import run as run_risk_rules

    try:
        result.risk_checked = run_risk_rules(session_factory=session_factory, now=now)  # queued by subscribers
    except AppError as exc:  # e.g. a threshold rule not in force: the rest of the pipeline goes on
        log.warning("risk rules skipped: %s", exc)
    from kuajing.stats.jobs import fold_tick

    result.stats_folded = fold_tick(session_factory=session_factory)  # statistics facts → aggregates
