"""Background work of the monthly summary: pick up released export lists, raise deadline reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from kuajing.db.session import transaction
from kuajing.export_summary import service


@dataclass
class DailyResult:
    """What one run did."""

    lists_registered: int = 0
    reminders: int = 0


def daily(*, session_factory: sessionmaker[Session], today: date) -> DailyResult:
    """Register released export lists the release path did not hand over (one transaction), then raise the
    reminders due ``today`` (another); safe to run any number of times a day."""
    out = DailyResult()
    with transaction(session_factory) as session:
        out.lists_registered = service.sync_released(session=session)
    with transaction(session_factory) as session:
        out.reminders = service.send_reminders(session=session, today=today)
    return out
