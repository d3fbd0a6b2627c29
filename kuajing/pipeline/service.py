"""One pipeline tick: pump the customs outbox and inbox, then expire incomplete document sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from kuajing.db.base import utcnow
from kuajing.db.session import transaction


@dataclass
class TickResult:
    """What one tick did."""

    sent: int = 0
    send_failed: int = 0
    applied: int = 0
    apply_failed: int = 0
    timed_out: int = 0

    @property
    def busy(self) -> bool:
        """Whether the tick moved anything (the loop then runs again at once)."""
        return bool(self.sent or self.applied or self.timed_out)


def tick(*, session_factory: sessionmaker[Session], transport, match_timeout: timedelta,
         now: datetime | None = None) -> TickResult:
    """Send pending declarations, apply what customs answered, time out incomplete document sets."""
    from kuajing.imports.service.flow import expire_incomplete, pump

    pumped = pump(session_factory=session_factory, transport=transport)
    with transaction(session_factory) as session:
        timed_out = expire_incomplete(session=session, older_than=match_timeout, now=now or utcnow())
    return TickResult(sent=pumped.sent, send_failed=pumped.failed, applied=pumped.applied,
                      apply_failed=pumped.apply_failed, timed_out=timed_out)
